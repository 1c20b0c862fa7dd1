"""Alert jobs: evaluate budgets after ingest and every few minutes, and dispatch deliveries.

- `alerts.evaluate` (every replica): woken after an ingest commits, evaluates the budgets those
  events touch, so an alert leaves within a second of the spend that caused it;
- `alerts.monitor` (leader only): evaluates every active budget every `alerts_monitor_seconds`
  (default 5 minutes), catching what no ingest triggers: new periods, reservations, budget edits;
- `alerts.dispatch` (every replica): sends due deliveries; replicas claim disjoint rows.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from finops.alerts import evaluation
from finops.alerts import repository as alerts_repository
from finops.alerts.dispatcher import DispatchReport, dispatch_due
from finops.budgets import service as budgets_service
from finops.ingest import hooks as ingest_hooks
from finops.kit.db import session_scope
from finops.kit.time import utcnow
from finops.models import Budget
from finops.observability import metrics
from finops.worker.loop import JobContext, LoopService

log = logging.getLogger("finops.alerts")

EVALUATE = "alerts.evaluate"
MONITOR = "alerts.monitor"
DISPATCH = "alerts.dispatch"
MAX_PENDING = 10_000
DISPATCH_ROUNDS = 20


def _sibling(context: JobContext, name: str) -> LoopService | None:
    app = context.extras.get("app")
    jobs = getattr(getattr(app, "state", None), "jobs", None) or {}
    job = jobs.get(name)
    return job if isinstance(job, LoopService) else None


async def evaluate_budgets(context: JobContext, budgets: Sequence[Budget], *, now: datetime) -> int:
    """Evaluate each budget in its own transaction (one failing budget does not stop the rest);
    wake the dispatcher once the new alerts are committed. Returns the number of new alerts."""
    recorded = 0
    for budget in budgets:
        try:
            async with session_scope(context.sessionmaker) as session:
                ids = await evaluation.evaluate_budget(
                    session, budget, now=now, max_attempts=context.settings.alerts_max_attempts
                )
        except Exception:
            log.exception("evaluating budget %s failed", budget.id)
            metrics.BUDGET_EVALUATIONS.labels(outcome="error").inc()
            continue
        metrics.BUDGET_EVALUATIONS.labels(outcome="threshold_crossed" if ids else "ok").inc()
        recorded += len(ids)
    if recorded:
        dispatcher = _sibling(context, DISPATCH)
        if dispatcher is not None:
            dispatcher.wake()
    return recorded


class AlertEvaluator(LoopService):
    """Evaluates the budgets that freshly ingested events touch (woken by the ingest hook)."""

    name = EVALUATE
    interval_seconds = 60.0
    leader_only = False

    def __init__(self, context: JobContext) -> None:
        super().__init__(context)
        self._pending: dict[tuple[Any, ...], dict[str, Any]] = {}
        self._any_budget: bool | None = None
        self._any_budget_at = 0.0

    def notify(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Note the dimensions of newly stored events (deduplicated) and wake the job."""
        for row in rows:
            tags = row.get("tags") or {}
            key = (
                *(
                    row.get(k) or ""
                    for k in ("tenant_id", "service", "learner_id", "subject", "provider", "model")
                ),
                tuple(sorted(tags.items())),
            )
            if len(self._pending) < MAX_PENDING or key in self._pending:
                self._pending[key] = dict(row)
        self.wake()

    async def _any_active_budget(self) -> bool:
        """Whether any active budget exists, cached for `alerts_budget_cache_seconds`, so a stream
        of ingests into a deployment without budgets costs no queries. A first budget created
        within that window is picked up by the monitor (or the next ingest after the window)."""
        ttl = self.context.settings.alerts_budget_cache_seconds
        if self._any_budget is None or time.monotonic() - self._any_budget_at > ttl:
            async with session_scope(self.context.sessionmaker) as session:
                self._any_budget = await alerts_repository.any_active_budget(session)
            self._any_budget_at = time.monotonic()
        return self._any_budget

    def forget_budget_cache(self) -> None:
        self._any_budget = None

    async def run_once(self) -> None:
        await self.evaluate_pending()

    async def evaluate_pending(self, *, now: datetime | None = None) -> int:
        """Evaluate the budgets touched by the events noted since the last run."""
        rows, self._pending = list(self._pending.values()), {}
        if not rows or not await self._any_active_budget():
            return 0
        async with session_scope(self.context.sessionmaker) as session:
            budgets = await budgets_service.budgets_touched_by(session, rows)
        return await evaluate_budgets(self.context, budgets, now=now or utcnow())


class BudgetMonitor(LoopService):
    """Evaluates every active budget on a fixed interval (5 minutes by default)."""

    name = MONITOR
    leader_only = True

    def __init__(self, context: JobContext) -> None:
        super().__init__(context)
        self.interval_seconds = context.settings.alerts_monitor_seconds

    async def run_once(self) -> None:
        await self.evaluate_all()

    async def evaluate_all(self, *, now: datetime | None = None, tenant_id: str | None = None) -> int:
        async with session_scope(self.context.sessionmaker) as session:
            budgets = await budgets_service.list_active_budgets(session, tenant_id=tenant_id)
        return await evaluate_budgets(self.context, budgets, now=now or utcnow())


class AlertDispatcher(LoopService):
    """Sends due deliveries; woken when alerts are recorded, else polls for due retries."""

    name = DISPATCH
    leader_only = False

    def __init__(self, context: JobContext) -> None:
        super().__init__(context)
        self.interval_seconds = context.settings.alerts_dispatch_seconds

    async def run_once(self) -> None:
        await self.dispatch()

    async def dispatch(self, *, now: datetime | None = None, limit: int = 50) -> DispatchReport:
        """Send everything due (in rounds of `limit`) and report the totals."""
        total = DispatchReport()
        for _ in range(DISPATCH_ROUNDS):
            report = await dispatch_due(
                self.context.sessionmaker, self.context.settings, now=now, limit=limit
            )
            total.claimed += report.claimed
            total.sent += report.sent
            total.retrying += report.retrying
            total.failed += report.failed
            if report.claimed < limit:
                break
        return total


def _on_ingest(app: Any, rows: Sequence[Mapping[str, Any]]) -> None:
    jobs = getattr(getattr(app, "state", None), "jobs", None) or {}
    job = jobs.get(EVALUATE)
    if isinstance(job, AlertEvaluator):
        job.notify(rows)


ingest_hooks.register(_on_ingest)
