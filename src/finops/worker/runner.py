"""Start background jobs under leader election: leader-only jobs run only while this replica leads."""

from __future__ import annotations

import asyncio
from typing import Any

from finops.config import Settings
from finops.worker.leader import LeaderElector, default_replica_id
from finops.worker.loop import LoopService


def build_elector(settings: Settings, jobs: dict[str, LoopService]) -> LeaderElector:
    def wake_leader_jobs() -> None:
        # A replica that just became leader runs its jobs now rather than after a full interval.
        for job in jobs.values():
            if job.leader_only:
                job.wake()

    return LeaderElector(
        database_url=settings.effective_database_url,
        replica_id=settings.replica_id or default_replica_id(),
        lock_key=settings.leader_lock_key,
        renew_seconds=settings.leader_renew_seconds,
        on_acquired=wake_leader_jobs,
    )


def start_background(state: Any, settings: Settings) -> list[asyncio.Task[None]]:
    """Create `state.leader` and, when background jobs are on, the election and job tasks."""
    jobs: dict[str, LoopService] = state.jobs
    elector = build_elector(settings, jobs)
    state.leader = elector
    if not settings.run_background_jobs:
        return []
    tasks = [asyncio.create_task(elector.run(), name="leader-election")]
    for job in jobs.values():
        may_run = elector.may_run if job.leader_only else None
        tasks.append(asyncio.create_task(job.run_forever(may_run), name=job.name))
    return tasks
