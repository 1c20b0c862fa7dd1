"""Evaluation: compare a budget's status with the alerts already recorded, record what is new.

Per subject (the whole budget, or one split value) and period, each alert key (kind, threshold)
fires once and stays *open* while its condition holds. When the condition stops holding within the
period (the budget was raised above spend) the alert closes and its key re-arms (`arm` + 1); when
nothing is left open a `resolved` alert says so. A new period closes everything of the old one with
a `resolved` alert, and the new period's keys start fresh. Inserting relies on the unique key, so
replicas evaluating the same budget at once record each alert exactly once.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.alerts import repository as alerts_repository
from finops.alerts.channels.base import severity_rank
from finops.alerts.channels.format import dims, percent, usd
from finops.budgets import scope as budget_scope
from finops.budgets import service as budgets_service
from finops.budgets.schemas import BudgetStatus, Forecast, SplitKey
from finops.kit import money
from finops.kit.time import utcnow
from finops.models import Alert, AlertChannel, Budget
from finops.observability import metrics

THRESHOLD = "threshold_crossed"
FORECAST = "forecast_exceeds"
HARD_LIMIT = "hard_limit_reached"
RESOLVED = "resolved"
KINDS = (THRESHOLD, FORECAST, HARD_LIMIT, RESOLVED)
SEVERITY_OF_KIND = {FORECAST: "warning", HARD_LIMIT: "critical", RESOLVED: "info"}
HUNDRED = Decimal(100)


def severity_for_threshold(threshold: Decimal) -> str:
    """info below 75 %, warning from 75 % up to 100 %, critical at 100 % and above."""
    if threshold < 75:
        return "info"
    if threshold < 100:
        return "warning"
    return "critical"


def threshold_key(value: Decimal) -> str:
    return format(value.normalize(), "f")


@dataclass
class Subject:
    """The whole budget (split_key "") or one split value of a split budget, as it stands now."""

    split_key: str
    split: SplitKey | None
    spent: Decimal
    reserved: Decimal
    remaining: Decimal
    percent_used: Decimal
    crossed: list[Decimal]
    forecast: Forecast | None = None


@dataclass
class Candidate:
    kind: str
    subject: Subject
    threshold: Decimal | None = None
    reason: str | None = None  # why a `resolved` alert: period_ended or below_threshold
    suppressed: str | None = None  # cooldown or superseded: recorded, never sent

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.subject.split_key, self.kind, threshold_key(self.threshold) if self.threshold else "")

    @property
    def severity(self) -> str:
        if self.kind == THRESHOLD and self.threshold is not None:
            return severity_for_threshold(self.threshold)
        return SEVERITY_OF_KIND[self.kind]


def subjects_of(budget: Budget, status: BudgetStatus) -> dict[str, Subject]:
    if not budget.split_by:
        whole = Subject(
            "",
            None,
            status.spent_usd,
            status.reserved_usd,
            status.remaining_usd,
            status.percent_used,
            list(status.thresholds_crossed),
            status.forecast,
        )
        return {"": whole}
    out: dict[str, Subject] = {}
    for split in status.splits:
        key = budget_scope.split_key(budget.split_by, split.key)
        forecast = (
            status.forecast if status.forecast is not None and status.forecast.split == split.key else None
        )
        out[key] = Subject(
            key,
            split.key,
            split.spent_usd,
            split.reserved_usd,
            split.remaining_usd,
            split.percent_used,
            list(split.thresholds_crossed),
            forecast,
        )
    return out


def _quiet_subject(split_key: str, split: SplitKey | None, budget: Budget) -> Subject:
    """A split no longer listed in the status: under every threshold (status lists all above)."""
    return Subject(split_key, split, money.ZERO, money.ZERO, budget.amount_usd, money.ZERO, [])


def _forecast_exceeds(subject: Subject, status: BudgetStatus) -> bool:
    forecast = subject.forecast
    if forecast is None or forecast.method == "none" or forecast.exhaustion_date is None:
        return False
    if subject.spent >= status.amount_usd:
        return False  # already exhausted: the 100 % threshold and the hard limit speak for that
    end = status.period_end or forecast.horizon_end
    return forecast.exhaustion_date < end


def _hard_limited(budget: Budget, subject: Subject) -> bool:
    return budget.enforcement == "hard" and subject.remaining <= 0


def _holds(alert: Alert, budget: Budget, subject: Subject, status: BudgetStatus) -> bool:
    """Whether an open alert's condition still holds (compared exactly, like the budget's own)."""
    if alert.kind == THRESHOLD:
        return subject.spent * HUNDRED >= Decimal(alert.threshold_key) * budget.amount_usd
    if alert.kind == HARD_LIMIT:
        return _hard_limited(budget, subject)
    if alert.kind == FORECAST:
        # A forecast wobbles with every event: its alert closes only once the amount was changed
        # and the forecast no longer exceeds it, else it would re-fire all period long.
        unchanged = alert.details.get("amount_usd") == money.to_string(budget.amount_usd)
        return unchanged or _forecast_exceeds(subject, status)
    return False


def _title(budget: Budget, candidate: Candidate) -> str:
    subject = candidate.subject
    who = f'Budget "{budget.name}"' + (f" for {dims(subject.split)}" if subject.split else "")
    if candidate.kind == THRESHOLD and candidate.threshold is not None:
        return (
            f"{who} crossed {percent(candidate.threshold)}: "
            f"{usd(subject.spent)} of {usd(budget.amount_usd)} spent"
        )
    if candidate.kind == FORECAST and subject.forecast and subject.forecast.exhaustion_date:
        day = subject.forecast.exhaustion_date.strftime("%Y-%m-%d")
        return f"{who} is forecast to run out on {day}, before the period ends"
    if candidate.kind == HARD_LIMIT:
        return f"{who} reached its hard limit: budget checks are now refused"
    if candidate.reason == "period_ended":
        return f"{who}: the period ended, alerts are re-armed for the new one"
    return f"{who} is back under its alert thresholds ({percent(subject.percent_used)} used)"


def _forecast_json(forecast: Forecast | None) -> dict[str, Any] | None:
    if forecast is None:
        return None
    return {
        "projected_spend_usd": money.to_string(forecast.projected_spend_usd),
        "lower_usd": money.to_string(forecast.lower_usd),
        "upper_usd": money.to_string(forecast.upper_usd),
        "exhaustion_date": forecast.exhaustion_date.isoformat() if forecast.exhaustion_date else None,
        "method": forecast.method,
    }


def _details(budget: Budget, candidate: Candidate) -> dict[str, Any]:
    subject = candidate.subject
    return {
        "scope": dict(budget.scope),
        "split": subject.split,
        "period": budget.period,
        "timezone": budget.timezone,
        "enforcement": budget.enforcement,
        "amount_usd": money.to_string(budget.amount_usd),
        "spent_usd": money.to_string(subject.spent),
        "reserved_usd": money.to_string(subject.reserved),
        "remaining_usd": money.to_string(subject.remaining),
        "percent_used": money.to_string(subject.percent_used),
        "threshold": threshold_key(candidate.threshold) if candidate.threshold is not None else None,
        "thresholds_crossed": [threshold_key(t) for t in subject.crossed],
        "forecast": _forecast_json(subject.forecast),
    }


def eligible_channels(budget: Budget, channels: dict[str, AlertChannel], severity: str) -> list[AlertChannel]:
    """The budget's channels that take this severity: enabled, not deleted, of the budget's tenant
    (a global budget may use any channel)."""
    out: list[AlertChannel] = []
    for channel_id in dict.fromkeys(budget.channel_ids):
        channel = channels.get(channel_id)
        if channel is None or channel.deleted_at is not None or not channel.enabled:
            continue
        if budget.tenant_id is not None and channel.tenant_id != budget.tenant_id:
            continue
        if severity_rank(severity) >= severity_rank(channel.min_severity):
            out.append(channel)
    return out


class Evaluation:
    """One budget's evaluation within one transaction; `record()` returns the alerts to deliver."""

    def __init__(self, session: AsyncSession, budget: Budget, *, now: datetime, max_attempts: int) -> None:
        self.session = session
        self.budget = budget
        self.now = now
        self.max_attempts = max_attempts
        self.to_deliver: list[str] = []
        self._channels: dict[str, AlertChannel] | None = None
        self._recent: set[tuple[str, str, str]] | None = None

    async def run(self) -> list[str]:
        budget = self.budget
        status = await budgets_service.budget_status(self.session, budget, now=self.now)
        subjects = subjects_of(budget, status)
        open_alerts = await alerts_repository.open_alerts(self.session, budget.id)
        await self._close_old_periods([a for a in open_alerts if a.period_start != status.period_start])
        current = await alerts_repository.period_alerts(self.session, budget.id, status.period_start)
        next_arm: dict[tuple[str, str, str], int] = defaultdict(int)
        open_now: dict[str, list[Alert]] = defaultdict(list)
        for alert in current:
            key = (alert.split_key, alert.kind, alert.threshold_key)
            next_arm[key] = max(next_arm[key], alert.arm + 1)
            if alert.kind != RESOLVED and alert.resolved_at is None:
                open_now[alert.split_key].append(alert)
        # Within the period: close alerts whose condition stopped holding (budget raised).
        for split_key, alerts in open_now.items():
            subject = subjects.get(split_key) or _quiet_subject(
                split_key, alerts[0].details.get("split"), budget
            )
            closing = [a for a in alerts if not _holds(a, budget, subject, status)]
            staying = [a for a in alerts if a not in closing]
            if not closing:
                continue
            for alert in closing:
                next_arm[(alert.split_key, alert.kind, alert.threshold_key)] = alert.arm + 1
            open_now[split_key] = staying
            resolution_id: str | None = None
            if not staying:  # everything is back to normal: say so
                resolved = Candidate(RESOLVED, subject, reason="below_threshold")
                arm = next_arm[resolved.key]
                resolution_id = await self._record(resolved, status.period_start, status.period_end, arm)
                next_arm[resolved.key] = arm + 1
            await alerts_repository.mark_resolved(
                self.session, [a.id for a in closing], at=self.now, by=resolution_id or ""
            )
        # New alerts for what holds now and is not open yet.
        for subject in subjects.values():
            open_keys = {(a.kind, a.threshold_key) for a in open_now.get(subject.split_key, [])}
            wanted: list[Candidate] = [Candidate(THRESHOLD, subject, threshold=t) for t in subject.crossed]
            if _forecast_exceeds(subject, status):
                wanted.append(Candidate(FORECAST, subject))
            if _hard_limited(budget, subject):
                wanted.append(Candidate(HARD_LIMIT, subject))
            fresh = [c for c in wanted if (c.kind, c.key[2]) not in open_keys]
            top = max(
                (c.threshold for c in fresh if c.kind == THRESHOLD and c.threshold is not None), default=None
            )
            for candidate in fresh:
                # One jump across several thresholds sends only the highest; the rest are recorded.
                if (
                    candidate.kind == THRESHOLD
                    and top is not None
                    and candidate.threshold is not None
                    and candidate.threshold < top
                ):
                    candidate.suppressed = "superseded"
                await self._record(candidate, status.period_start, status.period_end, next_arm[candidate.key])
        return self.to_deliver

    async def _close_old_periods(self, alerts: list[Alert]) -> None:
        """Close what is still open of past periods: one `resolved` alert per split and period."""
        groups: dict[tuple[datetime, str], list[Alert]] = defaultdict(list)
        for alert in alerts:
            groups[(alert.period_start, alert.split_key)].append(alert)
        resolved_arms: dict[datetime, dict[str, int]] = {}
        for (period_start, split_key), members in sorted(groups.items()):
            if period_start not in resolved_arms:
                arms: dict[str, int] = defaultdict(int)
                for past in await alerts_repository.period_alerts(self.session, self.budget.id, period_start):
                    if past.kind == RESOLVED:
                        arms[past.split_key] = max(arms[past.split_key], past.arm + 1)
                resolved_arms[period_start] = arms
            last = max(members, key=lambda a: (a.created_at, a.id))  # the latest figures known
            subject = Subject(
                split_key,
                last.details.get("split"),
                Decimal(last.details.get("spent_usd", "0")),
                Decimal(last.details.get("reserved_usd", "0")),
                Decimal(last.details.get("remaining_usd", "0")),
                Decimal(last.details.get("percent_used", "0")),
                [],
            )
            resolved = Candidate(RESOLVED, subject, reason="period_ended")
            arm = resolved_arms[period_start][split_key]
            resolution_id = await self._record(resolved, period_start, last.period_end, arm)
            await alerts_repository.mark_resolved(
                self.session, [a.id for a in members], at=self.now, by=resolution_id or ""
            )

    async def _record(
        self, candidate: Candidate, period_start: datetime, period_end: datetime | None, arm: int
    ) -> str | None:
        """Insert the alert (once, by its unique key) with its deliveries; its id, or None if it existed."""
        budget = self.budget
        if candidate.suppressed is None and candidate.key in await self._recently_sent():
            candidate.suppressed = "cooldown"
        channels: list[AlertChannel] = []
        if candidate.suppressed is None:
            if self._channels is None:
                self._channels = await alerts_repository.channels_by_id(self.session, budget.channel_ids)
            channels = eligible_channels(budget, self._channels, candidate.severity)
        status = "suppressed" if candidate.suppressed else "pending" if channels else "no_channels"
        alert_id = str(uuid.uuid4())
        split_key, kind, key = candidate.key
        inserted = await alerts_repository.insert_alert(
            self.session,
            {
                "id": alert_id,
                "tenant_id": budget.tenant_id,
                "budget_id": budget.id,
                "budget_name": budget.name,
                "split_key": split_key,
                "period_start": period_start,
                "period_end": period_end,
                "kind": kind,
                "threshold_key": key,
                "arm": arm,
                "severity": candidate.severity,
                "status": status,
                "reason": candidate.suppressed or candidate.reason,
                "title": _title(budget, candidate)[:300],
                "details": _details(budget, candidate),
                "created_at": self.now,
                # A resolution closes itself: only problems stay open.
                "resolved_at": self.now if kind == RESOLVED else None,
            },
        )
        if not inserted:
            return None
        if candidate.suppressed is None and self._recent is not None:
            self._recent.add(candidate.key)
        if channels:
            stamp = utcnow()  # deliveries run on the wall clock, whatever `now` evaluated
            await alerts_repository.add_deliveries(
                self.session,
                [
                    {
                        "alert_id": alert_id,
                        "channel_id": channel.id,
                        "channel_type": channel.type,
                        "status": "pending",
                        "attempts": 0,
                        "attempt_limit": self.max_attempts,
                        "next_attempt_at": stamp,
                        "progress": [],
                        "created_at": stamp,
                        "updated_at": stamp,
                    }
                    for channel in channels
                ],
            )
            self.to_deliver.append(alert_id)
            for channel in channels:
                metrics.ALERTS_RAISED.labels(channel=channel.type).inc()
        return alert_id

    async def _recently_sent(self) -> set[tuple[str, str, str]]:
        """Keys sent within the budget's cooldown: a repeat of one of them is recorded, not sent."""
        if self.budget.cooldown_seconds <= 0:
            return set()
        if self._recent is None:
            since = self.now - timedelta(seconds=self.budget.cooldown_seconds)
            self._recent = await alerts_repository.recently_sent(self.session, self.budget.id, since)
        return self._recent


async def evaluate_budget(
    session: AsyncSession, budget: Budget, *, now: datetime, max_attempts: int
) -> list[str]:
    """Evaluate one budget at `now`; the ids of new alerts that have deliveries to send."""
    return await Evaluation(session, budget, now=now, max_attempts=max_attempts).run()
