"""Background job: pull the published price catalog (daily by default), retrying failures sooner."""

from __future__ import annotations

import logging

from finops.kit.db import session_scope
from finops.kit.time import utcnow
from finops.pricing import repository as pricing_repository
from finops.pricing import updater
from finops.pricing.sync import SYNC_ACTOR
from finops.worker.loop import JobContext, JobFailed, LoopService

log = logging.getLogger("finops.pricing.sync")
# Wake this often to see whether a sync is due; the schedule itself lives in the database, so
# restarts and several replicas neither skip nor repeat a day's sync.
CHECK_SECONDS = 300.0


class PriceSyncJob(LoopService):
    name = "price_sync"
    leader_only = True

    def __init__(self, context: JobContext) -> None:
        super().__init__(context)
        self.interval_seconds = min(CHECK_SECONDS, context.settings.pricing_sync_interval_seconds)

    async def run_once(self) -> None:
        settings = self.context.settings
        if not settings.pricing_sync_enabled:
            return
        async with session_scope(self.context.sessionmaker) as session:
            last = await pricing_repository.last_sync_run(session)
            failures = await pricing_repository.failures_since_success(session)
        due = updater.next_due(settings, last, failures)
        if due is not None and utcnow() < due:
            return
        result = await updater.run_sync(self.context.sessionmaker, settings, actor=SYNC_ACTOR)
        app = self.context.extras.get("app")
        cache = getattr(getattr(app, "state", None), "catalog_cache", None)
        if cache is not None:
            cache.invalidate()
        if result.run.status == "failed":
            raise JobFailed(f"price catalog sync failed (run {result.run.id}): {result.run.error}")
