"""GET /v1/status: what an operator checks first: version, database, migrations, catalog, jobs, leader."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from sqlalchemy.ext.asyncio import AsyncSession

from finops import __version__
from finops.app_state import SessionDep
from finops.auth.dependencies import Reader
from finops.kit import migrate
from finops.observability import repository as obs_repository
from finops.observability.schemas import (
    CatalogStatus,
    DatabaseStatus,
    JobStatusOut,
    LeaderStatus,
    MigrationStatus,
    StatusOut,
)
from finops.worker.leader import APPLICATION_PREFIX, LeaderElector, lock_parts
from finops.worker.loop import LoopService

router = APIRouter(prefix="/v1", tags=["operations"])
Session = SessionDep

# The pricing lifecycle's catalog sync job (whichever of these names it registers under).
PRICE_SYNC_JOB_NAMES = ("price_sync", "price-sync", "pricing_sync", "catalog_sync")


def _when(epoch: float | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, UTC) if epoch is not None else None


def _result(job: LoopService) -> Literal["ok", "error", "never"]:
    if job.status.runs == 0:
        return "never"
    return "error" if job.status.last_error else "ok"


def job_status(job: LoopService, *, running: bool, leader: LeaderElector | None) -> JobStatusOut:
    runs_here = running and (not job.leader_only or (leader is not None and leader.is_leader))
    return JobStatusOut(
        name=job.name,
        leader_only=job.leader_only,
        interval_seconds=job.interval_seconds,
        runs=job.status.runs,
        failures=job.status.failures,
        last_started_at=_when(job.status.last_started),
        last_finished_at=_when(job.status.last_finished),
        last_duration_seconds=job.status.last_duration,
        last_result=_result(job),
        last_error=job.status.last_error,
        runs_here=runs_here,
    )


async def _leader_status(session: AsyncSession, leader: LeaderElector | None) -> LeaderStatus:
    if leader is None:
        return LeaderStatus(mode="single_process", replica_id="", is_leader=False, leader_replica_id=None)
    holder: str | None = leader.replica_id if leader.is_leader else None
    error = leader.last_error
    if not leader.single_process:
        classid, objid = lock_parts(leader.lock_key)
        try:
            async with session.begin_nested():  # a failed lookup must not abort the request's transaction
                application = await obs_repository.leader_application(session, classid=classid, objid=objid)
        except Exception as exc:  # the status page must answer even when this lookup fails
            error = f"{type(exc).__name__}: {exc}"
        else:
            holder = application.removeprefix(APPLICATION_PREFIX) if application else None
    return LeaderStatus(
        mode="single_process" if leader.single_process else "advisory_lock",
        replica_id=leader.replica_id,
        is_leader=leader.is_leader,
        leader_replica_id=holder,
        error=error,
    )


async def gather_status(session: AsyncSession, *, state: Any) -> StatusOut:
    """Assemble the status document from the app state and one read of the database."""
    engine = state.engine
    database = DatabaseStatus(dialect=engine.dialect.name, status="ok")
    current: str | None = None
    try:
        current = await migrate.current_revision(engine)
        catalog_row = await obs_repository.catalog_state(session)
        last_run = await obs_repository.last_sync_run(session)
    except Exception as exc:  # report, don't fail: this is the page people read when things are broken
        database = DatabaseStatus(dialect=engine.dialect.name, status="error", error=type(exc).__name__)
        catalog_row = None
        last_run = None
    head = migrate.head_revision()
    jobs: dict[str, LoopService] = getattr(state, "jobs", {})
    leader: LeaderElector | None = getattr(state, "leader", None)
    running = bool(state.settings.run_background_jobs)
    sync_job = next((jobs[name] for name in PRICE_SYNC_JOB_NAMES if name in jobs), None)
    now = datetime.now(UTC)
    catalog = CatalogStatus(
        revision=catalog_row.revision if catalog_row else None,
        source=catalog_row.source if catalog_row else None,
        updated_at=catalog_row.updated_at if catalog_row else None,
        age_seconds=(now - catalog_row.updated_at).total_seconds() if catalog_row else None,
        last_sync_at=_when(sync_job.status.last_finished) if sync_job else None,
        last_sync_result=_result(sync_job) if sync_job else "never",
        last_sync_error=sync_job.status.last_error if sync_job else None,
    )
    if last_run is not None:  # the database knows the last sync whichever replica ran it
        catalog.last_sync_at = last_run.finished_at
        catalog.last_sync_result = "error" if last_run.status == "failed" else "ok"
        catalog.last_sync_error = last_run.error
    return StatusOut(
        version=__version__,
        database=database,
        migrations=MigrationStatus(current=current, head=head, up_to_date=current == head),
        catalog=catalog,
        leader=await _leader_status(session, leader),
        background_jobs_enabled=running,
        jobs=[job_status(job, running=running, leader=leader) for job in jobs.values()],
    )


@router.get("/status", response_model=StatusOut)
async def status(request: Request, principal: Reader, session: Session) -> StatusOut:
    """Version, database, migration head, catalog age and sync, background jobs and the leader replica."""
    return await gather_status(session, state=request.app.state)
