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
