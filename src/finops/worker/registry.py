"""Every background job, registered in one place. Each domain declares its jobs in its tasks.py."""

from __future__ import annotations

from finops.alerts.tasks import AlertDispatcher, AlertEvaluator, BudgetMonitor
from finops.budgets.tasks import ReservationExpiry
from finops.pricing.tasks import PriceSyncJob
from finops.worker.loop import JobContext, LoopService

JOB_FACTORIES: list[type[LoopService]] = [
    ReservationExpiry,
    PriceSyncJob,
    AlertEvaluator,
    BudgetMonitor,
    AlertDispatcher,
]


def build_jobs(context: JobContext) -> list[LoopService]:
    return [factory(context) for factory in JOB_FACTORIES]
