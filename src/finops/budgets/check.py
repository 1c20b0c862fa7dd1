"""The pre-flight check: would this call fit every budget it falls under, and reserve it if asked.

Reserving checks hold a lock per (budget, split) for each hard budget they touch, taken in one
order, then read reservations and then spend, and insert their own reservation before the lock is
released at commit. Two checks on the same budget therefore never both admit an estimate that
only one of them fits.

Spend comes from `query_costs` (see spend.py). With `budget_check_cache_seconds` > 0 it is
memoized per process for that long (cache.py) and computed before the lock, so the lock covers
only the reservation read and insert; reservations are always read live. With 0, everything is
read live under the lock.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from finops.auth.dependencies import check_tenant_write
from finops.auth.tokens import Principal
from finops.budgets import periods, scope
from finops.budgets import repository as budgets_repository
from finops.budgets.cache import CheckCache, SpendKey
from finops.budgets.periods import Period
from finops.budgets.schemas import CheckIn
from finops.budgets.service import percent
from finops.budgets.spend import current_period, period_spend
from finops.kit import money
from finops.kit.errors import Unprocessable
from finops.kit.time import utcnow
from finops.models import Budget
from finops.models.budget_reservation import HELD
from finops.pricing import service as pricing_service
from finops.pricing.catalog import Catalog
from finops.pricing.usage import NormalizedUsage

# How much earlier than a memoized spend a settlement must have happened to be surely inside it
# (covers the settling transaction's time to commit and clock skew between replicas).
SETTLE_MARGIN = timedelta(seconds=2)


@dataclass
class CheckLine:
    budget: Budget
    period: Period
    split_values: dict[str, str]
    split_key: str
    spent: Decimal = money.ZERO
    reserved: Decimal = money.ZERO
    allowed: bool = True


@dataclass
class CheckResult:
    allowed: bool
    reason: str
    message: str
    estimate: Decimal
    reservation_id: str | None
    expires_at: datetime | None
    lines: list[CheckLine]

    def projected_percent(self, line: CheckLine) -> Decimal:
        return percent(line.spent + line.reserved + self.estimate, line.budget.amount_usd)


def estimate_cost(catalog: Catalog, body: CheckIn, *, tenant_id: str, now: datetime) -> Decimal:
    if body.estimated_cost_usd is not None:
        return money.quantize(body.estimated_cost_usd)
    assert body.estimated_usage is not None
    assert body.provider is not None
    assert body.model is not None
    priced = pricing_service.price_usage(
        catalog,
        provider=body.provider,
        model=body.model,
        usage=NormalizedUsage(**body.estimated_usage.model_dump()),
        occurred_at=now,
        batch=body.batch,
        service_tier=body.service_tier,
        tenant_id=tenant_id,
    )
    if not priced.priced:
        raise Unprocessable(
            f"cannot price the estimated usage ({'; '.join(priced.notes)}): send estimated_cost_usd instead",
            code="unpriced_estimate",
        )
    return priced.cost_usd


def _applicable(
    budgets: list[Budget], dims: dict[str, str | None], tags: dict[str, str], now: datetime
) -> list[CheckLine]:
    lines: list[CheckLine] = []
    for budget in budgets:
        if not scope.matches(budget, dims, tags):
            continue
        period = current_period(budget, now)
        if not periods.contains(period, now):
            continue  # a custom or total budget that has not started or has ended
        values = scope.split_of(budget, dims, tags)
        lines.append(CheckLine(budget, period, values, scope.split_key(budget.split_by, values)))
    lines.sort(key=lambda line: (line.budget.id, line.split_key))
    return lines


def _verdict(lines: list[CheckLine], estimate: Decimal) -> tuple[bool, str, str]:
    if not lines:
        return True, "no_matching_budget", "no active budget applies to this call"
    for line in lines:
        line.allowed = (
            line.budget.enforcement != "hard"
            or line.spent + line.reserved + estimate <= line.budget.amount_usd
        )
    refused = [line for line in lines if not line.allowed]
    if refused:
        names = ", ".join(f"{line.budget.name!r}" for line in refused)
        return False, "hard_budget_exceeded", f"spent + reserved + estimate would exceed hard budget {names}"
    soft = [line for line in lines if line.spent + line.reserved + estimate > line.budget.amount_usd]
    if soft:
        names = ", ".join(f"{line.budget.name!r}" for line in soft)
        return True, "soft_budget_exceeded", f"allowed, but soft budget {names} would be exceeded"
    return True, "within_budget", "every matching budget has room for this call"


async def _candidates(session: AsyncSession, tenant_id: str, cache: CheckCache | None) -> list[Budget]:
    cached = cache.budgets(tenant_id) if cache else None
    if cached is not None:
        return cached
    budgets = await budgets_repository.candidate_budgets(session, [tenant_id])
    if cache:
        cache.put_budgets(tenant_id, budgets)
    return budgets


async def check(
    session: AsyncSession,
    catalog: Catalog,
    principal: Principal,
    body: CheckIn,
    *,
    now: datetime,
    cache: CheckCache | None = None,
) -> CheckResult:
    tenant_id = body.tenant_id or principal.tenant_id
    if tenant_id is None:
        raise Unprocessable("tenant_id is required for an admin token", code="missing_field")
    check_tenant_write(principal, tenant_id)
    estimate = estimate_cost(catalog, body, tenant_id=tenant_id, now=now)
    dims: dict[str, str | None] = {
        "tenant_id": tenant_id,
        "service": body.service,
        "learner_id": body.learner_id,
        "subject": body.subject,
        "provider": body.provider,
        "model": body.model,
    }
    lines = _applicable(await _candidates(session, tenant_id, cache), dims, body.tags, now)
    if cache is not None and cache.enabled:
        await _memoized_figures(session, lines, reserve=body.reserve, now=now, cache=cache)
    else:
        await _live_figures(session, lines, reserve=body.reserve, now=now)
    allowed, reason, message = _verdict(lines, estimate)
    reservation_id: str | None = None
    expires_at: datetime | None = None
    if allowed and body.reserve and lines:
        reservation_id = f"res_{uuid.uuid4().hex}"
        expires_at = now + timedelta(seconds=body.ttl_seconds)
        await budgets_repository.add_reservations(
            session,
            [
                {
                    "reservation_id": reservation_id,
                    "tenant_id": tenant_id,
                    "budget_id": line.budget.id,
                    "split_key": line.split_key,
                    "amount_usd": estimate,
                    "status": HELD,
                    "created_at": now,
                    "expires_at": expires_at,
                }
                for line in lines
            ],
        )
    return CheckResult(allowed, reason, message, estimate, reservation_id, expires_at, lines)


def _hard_keys(lines: list[CheckLine]) -> list[tuple[str, str]]:
    return [(line.budget.id, line.split_key) for line in lines if line.budget.enforcement == "hard"]


async def _live_figures(
    session: AsyncSession, lines: list[CheckLine], *, reserve: bool, now: datetime
) -> None:
    """Exact: under the lock, reservations first, then spend (a settlement committing in between
    is counted twice, never zero times)."""
    if reserve:
        await budgets_repository.lock_splits(session, _hard_keys(lines))
    held, _ = await budgets_repository.reservation_state(
        session, [(line.budget.id, line.split_key) for line in lines], now=now
    )
    for line in lines:
        line.reserved = held.get((line.budget.id, line.split_key), money.ZERO)
        report = await period_spend(session, line.budget, line.period, now=now, extra=line.split_values)
        line.spent = report.total["cost_usd"]


async def _memoized_figures(
    session: AsyncSession, lines: list[CheckLine], *, reserve: bool, now: datetime, cache: CheckCache
) -> None:
    """Spend from the memo (or computed now, before the lock, and memoized); then, under the lock,
    reservations, counting as still reserved any line settled since its spend was computed (its
    real cost may be missing from that spend). Only the reservation read and insert hold the lock."""
    computed: dict[int, datetime] = {}
    for line in lines:
        memo = cache.spend(_memo_key(line))
        if memo is None:
            computed_at = utcnow()
            report = await period_spend(session, line.budget, line.period, now=now, extra=line.split_values)
            cache.put_spend(_memo_key(line), report.total["cost_usd"], computed_at)
            line.spent, computed[id(line)] = report.total["cost_usd"], computed_at
        else:
            line.spent, computed[id(line)] = memo.spent, memo.computed_at
    if reserve:
        await budgets_repository.lock_splits(session, _hard_keys(lines))
    oldest = min(computed.values(), default=None)
    held, settled = await budgets_repository.reservation_state(
        session,
        [(line.budget.id, line.split_key) for line in lines],
        now=now,
        settled_since=None if oldest is None else oldest - SETTLE_MARGIN,
    )
    for line in lines:
        key = (line.budget.id, line.split_key)
        since = computed[id(line)] - SETTLE_MARGIN
        carried = sum((s.amount for s in settled if s.key == key and s.closed_at > since), money.ZERO)
        line.reserved = held.get(key, money.ZERO) + carried


def _memo_key(line: CheckLine) -> SpendKey:
    return (line.budget.id, line.split_key, line.period.start)
