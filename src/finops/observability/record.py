"""Helpers that turn domain results into metric increments (so endpoints stay one line longer at most)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any, Protocol

from finops.observability import metrics


class _StoredLike(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def event(self) -> Any: ...


class _RejectedLike(Protocol):
    @property
    def code(self) -> str: ...


def ingest_results(stored: Sequence[_StoredLike], rejected: Iterable[_RejectedLike] = ()) -> None:
    """Count accepted/duplicate/rejected events, unpriced new events and the cost they added."""
    for item in stored:
        if item.status == "created":
            metrics.INGEST_EVENTS.labels(outcome="accepted").inc()
            event = item.event
            provider = str(getattr(event, "provider", ""))
            if not getattr(event, "priced", True):
                metrics.INGEST_UNPRICED.labels(provider=provider).inc()
            cost = getattr(event, "cost_usd", None)
            if isinstance(cost, Decimal) and cost > 0:
                metrics.INGEST_COST.labels(provider=provider).inc(float(cost))
        else:
            metrics.INGEST_EVENTS.labels(outcome="duplicate").inc()
    for reject in rejected:
        ingest_rejected(reject.code)


def ingest_rejected(code: str) -> None:
    metrics.INGEST_EVENTS.labels(outcome="rejected").inc()
    metrics.INGEST_REJECTIONS.labels(code=code).inc()


DELIVERY_OUTCOMES = {"sent": "delivered", "failed": "failed", "pending": "retry"}


def alert_delivery(channel: str, status: object, duration_ms: int) -> None:
    """One delivery attempt finished with the outbox row's new status (sent, failed, pending)."""
    outcome = DELIVERY_OUTCOMES.get(str(status), "failed")
    metrics.ALERT_DELIVERIES.labels(channel=channel, outcome=outcome).inc()
    metrics.ALERT_DELIVERY_DURATION.labels(channel=channel).observe(duration_ms / 1000)


def budget_check(allowed: bool, reason: str | None) -> None:
    """allow, warn (allowed but a soft budget would be exceeded) or deny."""
    if not allowed:
        decision = "deny"
    elif reason and "exceeded" in reason:
        decision = "warn"
    else:
        decision = "allow"
    metrics.BUDGET_CHECKS.labels(decision=decision).inc()
