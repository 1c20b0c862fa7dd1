"""Budgets: create and change them, and compute where each stands (spent, reserved, thresholds,
splits, forecast). Spend always comes from the cost query engine (see spend.py)."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_DOWN, Decimal
from typing import Any

from pydantic_core import PydanticCustomError
from sqlalchemy.ext.asyncio import AsyncSession

from finops.auth.tokens import Principal
from finops.budgets import periods, scope
from finops.budgets import repository as budgets_repository
from finops.budgets.forecast import forecast_spend
from finops.budgets.periods import Period
from finops.budgets.schemas import (
    BudgetIn,
    BudgetPatch,
    BudgetStatus,
    Forecast,
    SplitKey,
    SplitStatus,
    check_period,
)
from finops.budgets.spend import cost_query, current_period, period_spend
from finops.costs import service as costs_service
from finops.kit import money
from finops.kit.errors import Forbidden, NotFound, Unprocessable
from finops.kit.time import floor_day, utcnow, zone
from finops.models import Budget

TOP_SPLITS = 10
MATCH_LOOKBACK = timedelta(days=90)
HISTORY_DAYS = 56
HUNDRED = Decimal(100)
PERCENT_PLACES = Decimal("0.01")

__all__ = [
    "BudgetStatus",
    "budget_status",
    "budgets_touched_by",
    "current_period",
    "list_active_budgets",
]


# --- reading and writing budgets ---


def new_budget_id() -> str:
    return f"bud_{uuid.uuid4().hex}"


def can_see(principal: Principal, budget: Budget) -> bool:
    return principal.is_admin or (budget.tenant_id is not None and budget.tenant_id == principal.tenant_id)


async def get_visible(session: AsyncSession, principal: Principal, budget_id: str) -> Budget:
    """The budget if this principal may see it (others' budgets answer 404, not 403)."""
    budget = await budgets_repository.get_budget(session, budget_id)
    if budget is None or not can_see(principal, budget):
        raise NotFound(f"no budget {budget_id!r}", code="budget_not_found")
    return budget


def _owned_scope(principal: Principal, requested: dict[str, str]) -> dict[str, str]:
    """The scope a principal may give a budget: non-admins only ever within their own tenant."""
    result = dict(requested)
    if principal.is_admin:
        return result
    tenant = result.setdefault("tenant_id", principal.tenant_id or "")
    if tenant != principal.tenant_id:
        raise Forbidden("this token may not create budgets for another tenant", code="tenant_forbidden")
    return dict(sorted(result.items()))


def _validated_period(period: str, start: datetime | None, end: datetime | None) -> None:
    try:
        check_period(period, start, end)
    except PydanticCustomError as exc:
        raise Unprocessable(exc.message(), code=exc.type.split(".", 1)[-1]) from exc


def _total_start(timezone: str, now: datetime) -> datetime:
    """A total budget without a start counts from the local midnight of the day it was made."""
    return periods.local_midnight(now.astimezone(zone(timezone)).date(), zone(timezone))


async def create_budget(
    session: AsyncSession, principal: Principal, body: BudgetIn, *, now: datetime
) -> Budget:
    budget_scope = _owned_scope(principal, body.scope)
    start = body.start
    if body.period == "total" and start is None:
        start = _total_start(body.timezone, now)
    budget = Budget(
        id=new_budget_id(),
        tenant_id=budget_scope.get("tenant_id"),
        name=body.name,
        scope=budget_scope,
        split_by=list(body.split_by),
        amount_usd=money.quantize(body.amount_usd),
        period=body.period,
        period_start=start,
        period_end=body.end,
        timezone=body.timezone,
        thresholds=[money.to_string(t) for t in body.thresholds],
        enforcement=body.enforcement,
        channel_ids=list(body.channel_ids),
        cooldown_seconds=body.cooldown_seconds,
        active=body.active,
        created_by=principal.sub,
        created_at=now,
        updated_at=now,
    )
    return await budgets_repository.add_budget(session, budget)


async def update_budget(
    session: AsyncSession, principal: Principal, budget: Budget, patch: BudgetPatch, *, now: datetime
) -> Budget:
    changes = patch.model_dump(exclude_unset=True)
    if "scope" in changes:
        if changes["scope"] is None:
            raise Unprocessable("scope may not be null", code="invalid_scope")
        new_scope = _owned_scope(principal, changes["scope"])
        if not principal.is_admin and new_scope.get("tenant_id") != budget.tenant_id:
            raise Forbidden("a budget cannot move to another tenant", code="tenant_forbidden")
        budget.scope = new_scope
        budget.tenant_id = new_scope.get("tenant_id")
    for name in ("name", "amount_usd", "enforcement", "cooldown_seconds", "active", "timezone"):
        if name in changes:
            if changes[name] is None:
                raise Unprocessable(f"{name} may not be null", code="invalid_request")
            setattr(budget, name, changes[name])
    if "thresholds" in changes:
        budget.thresholds = [money.to_string(t) for t in changes["thresholds"] or []]
    if "channel_ids" in changes:
        budget.channel_ids = list(changes["channel_ids"] or [])
    if "split_by" in changes:
        budget.split_by = list(changes["split_by"] or [])
    period = changes.get("period") or budget.period
    if "period" in changes and period not in ("custom", "total"):
        budget.period_start = budget.period_end = None
    if "start" in changes:
        budget.period_start = changes["start"]
    if "end" in changes:
        budget.period_end = changes["end"]
    budget.period = period
    if period == "total" and budget.period_start is None:
        budget.period_start = _total_start(budget.timezone, now)
    _validated_period(budget.period, budget.period_start if period != "total" else None, budget.period_end)
    overlap = set(budget.split_by) & set(budget.scope)
    if overlap:
        raise Unprocessable(
            f"cannot split by a dimension fixed by the scope: {sorted(overlap)}", code="invalid_split_by"
        )
    budget.amount_usd = money.quantize(budget.amount_usd)
    budget.updated_at = now
    await session.flush()
    return budget


async def delete_budget(session: AsyncSession, budget: Budget, *, now: datetime) -> None:
    """Soft delete: the row stays (alerts and reservations name it) but no longer applies."""
    budget.active = False
    budget.deleted_at = now
    budget.updated_at = now
    await session.flush()


async def list_active_budgets(session: AsyncSession, *, tenant_id: str | None = None) -> list[Budget]:
    """Active budgets of one tenant (global budgets excluded), or every active budget when None."""
    return await budgets_repository.active_budgets(session, tenant_id=tenant_id)


async def budgets_touched_by(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> list[Budget]:
    """Active budgets whose scope matches at least one of these ingest rows (dicts with tenant_id,
    service, learner_id, subject, provider, model, tags), global budgets included."""
    if not rows:
        return []
    tenants = sorted({str(r["tenant_id"]) for r in rows})
    candidates = await budgets_repository.candidate_budgets(session, tenants)
    return [
        budget
        for budget in candidates
        if any(scope.matches(budget, row, row.get("tags") or {}) for row in rows)
    ]


# --- status ---


def percent(spent: Decimal, amount: Decimal) -> Decimal:
    return (spent * HUNDRED / amount).quantize(PERCENT_PLACES, rounding=ROUND_DOWN)


def crossed(budget: Budget, spent: Decimal) -> list[Decimal]:
    """Thresholds reached, compared exactly (no rounding of the percentage)."""
    return [t for t in budget.threshold_values() if spent * HUNDRED >= t * budget.amount_usd]


def _split_status(
    budget: Budget, key: SplitKey, spent: Decimal, reserved: Decimal, events: int
) -> SplitStatus:
    return SplitStatus(
        key=key,
        spent_usd=spent,
        reserved_usd=reserved,
        remaining_usd=budget.amount_usd - spent - reserved,
        percent_used=percent(spent, budget.amount_usd),
        thresholds_crossed=crossed(budget, spent),
        events=events,
    )


async def split_statuses(
    session: AsyncSession, budget: Budget, period: Period, *, now: datetime
) -> tuple[list[SplitStatus], costs_service.CostReport]:
    """Every split with spend or reservations this period, most spent first."""
    report = await period_spend(session, budget, period, now=now, group_by=tuple(budget.split_by))
    reserved = await budgets_repository.reserved_by_split(session, budget.id, now=now)
    seen: set[str] = set()
    out: list[SplitStatus] = []
    for row in report.rows:
        values = {k: row.keys.get(k) for k in budget.split_by}
        stored = scope.split_key(budget.split_by, values)
        seen.add(stored)
        out.append(
            _split_status(
                budget,
                scope.split_dict(budget.split_by, values),
                row.sums["cost_usd"],
                reserved.get(stored, money.ZERO),
                int(row.sums["events"]),
            )
        )
    for stored, amount in reserved.items():
        if stored not in seen and stored:
            values = dict(zip(budget.split_by, _decode_split(stored), strict=False))
            out.append(
                _split_status(budget, scope.split_dict(budget.split_by, values), money.ZERO, amount, 0)
            )
    out.sort(key=lambda s: (-(s.spent_usd + s.reserved_usd), sorted((k, v or "") for k, v in s.key.items())))
    return out, report


def _decode_split(stored: str) -> list[str]:
    values = json.loads(stored)
    return [str(v) for v in values] if isinstance(values, list) else []


def _shown_splits(budget: Budget, splits: list[SplitStatus]) -> list[SplitStatus]:
    """The top consumers and every split at or over the lowest threshold."""
    lowest = min(budget.threshold_values(), default=None)
    return [
        s
        for i, s in enumerate(splits)
        if i < TOP_SPLITS or (lowest is not None and s.spent_usd * HUNDRED >= lowest * budget.amount_usd)
    ]


async def _scope_notes(session: AsyncSession, budget: Budget, *, now: datetime) -> tuple[bool, list[str]]:
    """Whether the scope matched no event lately, and which scope values were never seen."""
    since = floor_day(now - MATCH_LOOKBACK)
    filters, tags = budget.scope_filters(), budget.scope_tags()
    if await budgets_repository.scope_seen(session, filters=filters, tag_filters=tags, since=since):
        return False, []
    notes: list[str] = []
    tenant = {"tenant_id": filters["tenant_id"]} if "tenant_id" in filters else {}
    for key, value in budget.scope.items():
        probe_filters = {**tenant}
        probe_tags: dict[str, str] = {}
        if key.startswith("tag:"):
            probe_tags[key[4:]] = value
        else:
            probe_filters[key] = value
        if not await budgets_repository.scope_seen(
            session, filters=probe_filters, tag_filters=probe_tags, since=since
        ):
            hint = " (models compare as the raw string sent with events)" if key == "model" else ""
            notes.append(f"no event in the last 90 days has {key} = {value!r}{hint}")
    if not notes:
        notes.append(
            "each scope value was seen, but no event in the last 90 days matches all of them at once"
        )
    return True, ["the scope matches no event: this budget tracks nothing yet", *notes]


async def budget_status(
    session: AsyncSession, budget: Budget, *, now: datetime | None = None, with_forecast: bool = True
) -> BudgetStatus:
    """Where a budget stands in the period containing `now`, read from the rollups at call time
    (so an event is reflected as soon as its ingest transaction has committed)."""
    now = now or utcnow()
    period = current_period(budget, now)
    amount = budget.amount_usd
    splits: list[SplitStatus] = []
    split_count = 0
    top_key: SplitKey | None = None
    if budget.split_by:
        all_splits, report = await split_statuses(session, budget, period, now=now)
        split_count = len(all_splits)
        splits = _shown_splits(budget, all_splits)
        top = max(all_splits, key=lambda s: (s.spent_usd, s.reserved_usd), default=None)
        spent = top.spent_usd if top else money.ZERO
        reserved = top.reserved_usd if top else money.ZERO
        top_key = top.key if top else None
    else:
        report = await period_spend(session, budget, period, now=now)
        spent = report.total["cost_usd"]
        reserved = (await budgets_repository.reserved_by_split(session, budget.id, now=now)).get(
            "", money.ZERO
        )
    events = int(report.total["events"])
    notes: list[str] = []
    matches_nothing = False
    if events == 0 and period.start <= now:
        matches_nothing, notes = await _scope_notes(session, budget, now=now)
    unpriced = int(report.total["unpriced_events"])
    if unpriced:
        notes.append(
            f"{unpriced} events in scope this period are unpriced (cost 0): spend may be understated"
        )
    forecast = None
    if with_forecast and period.start <= now:
        forecast = await budget_forecast(session, budget, period, now=now, spent=spent, split=top_key)
    return BudgetStatus(
        budget_id=budget.id,
        tenant_id=budget.tenant_id,
        name=budget.name,
        period_start=period.start,
        period_end=period.end,
        amount_usd=amount,
        spent_usd=spent,
        reserved_usd=reserved,
        remaining_usd=amount - spent - reserved,
        percent_used=percent(spent, amount),
        thresholds_crossed=crossed(budget, spent),
        forecast=forecast,
        enforcement=budget.enforcement,
        events=events,
        total_spent_usd=report.total["cost_usd"],
        split_by=list(budget.split_by),
        splits=splits,
        split_count=split_count,
        scope_matches_nothing=matches_nothing,
        notes=notes,
        computed_at=now,
    )


async def budget_forecast(
    session: AsyncSession,
    budget: Budget,
    period: Period,
    *,
    now: datetime,
    spent: Decimal,
    split: SplitKey | None = None,
) -> Forecast:
    """Forecast from daily spend (UTC days of the daily rollups) of the scope, or of one split."""
    today = floor_day(now)
    first_day = today - timedelta(days=HISTORY_DAYS)
    extra = {k: v or "" for k, v in split.items()} if split else None
    query = cost_query(
        budget, start=first_day, end=today + timedelta(days=1), extra=extra, granularity="day", tz="UTC"
    )
    report = await costs_service.query_costs(session, query)
    by_day = {row.bucket_start: row.sums["cost_usd"] for row in report.rows if row.bucket_start is not None}
    history = [by_day.get(first_day + timedelta(days=i), money.ZERO) for i in range(HISTORY_DAYS)]
    horizon = period.end if period.end is not None else now + timedelta(days=365)
    exhausted_at = None
    if spent >= budget.amount_usd:
        exhausted_at = _crossing_day(by_day, period, budget.amount_usd) or now
    return forecast_spend(
        history=history,
        first_day=first_day.date(),
        today=by_day.get(today, money.ZERO),
        now=now,
        spent=spent,
        amount=budget.amount_usd,
        horizon_end=max(horizon, now),
        exhausted_at=exhausted_at,
        split=split,
    )


def _crossing_day(by_day: Mapping[datetime, Decimal], period: Period, amount: Decimal) -> datetime | None:
    """The UTC day (clipped to the period start) in which this period's spend reached `amount`."""
    cumulative = money.ZERO
    for day in sorted(by_day):
        if day + timedelta(days=1) <= period.start:
            continue
        cumulative += by_day[day]
        if cumulative >= amount:
            return max(day, period.start)
    return None


# --- history and splits ---


@dataclass
class PeriodSpend:
    current: bool
    period: Period
    spent: Decimal
    events: int
    top_split: SplitKey | None = None
    splits_exceeded: int | None = None


async def history(session: AsyncSession, budget: Budget, *, now: datetime, count: int) -> list[PeriodSpend]:
    """The current period and up to `count` periods before it, newest first. For a split budget
    `spent` is the most-spent split's (the amount applies per split)."""
    tz = zone(budget.timezone)
    period: Period | None = current_period(budget, now)
    out: list[PeriodSpend] = []
    while period is not None and len(out) <= count:
        if period.start <= now:
            out.append(await _period_spend(session, budget, period, now=now, current=not out))
        period = periods.previous(budget.period, tz, period)
    return out


async def _period_spend(
    session: AsyncSession, budget: Budget, period: Period, *, now: datetime, current: bool
) -> PeriodSpend:
    if not budget.split_by:
        report = await period_spend(session, budget, period, now=now)
        return PeriodSpend(current, period, report.total["cost_usd"], int(report.total["events"]))
    report = await period_spend(session, budget, period, now=now, group_by=tuple(budget.split_by))
    top = max(report.rows, key=lambda r: r.sums["cost_usd"], default=None)
    return PeriodSpend(
        current,
        period,
        top.sums["cost_usd"] if top else money.ZERO,
        int(report.total["events"]),
        top_split={k: top.keys.get(k) for k in budget.split_by} if top else None,
        splits_exceeded=sum(1 for r in report.rows if r.sums["cost_usd"] > budget.amount_usd),
    )


async def all_splits(
    session: AsyncSession, budget: Budget, *, now: datetime
) -> tuple[Period, list[SplitStatus]]:
    period = current_period(budget, now)
    if not budget.split_by:
        return period, []
    splits, _ = await split_statuses(session, budget, period, now=now)
    return period, splits
