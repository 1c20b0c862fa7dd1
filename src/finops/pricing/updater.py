"""Running a catalog sync end to end: fetch (outside any transaction), apply, record the run.

A failed or malformed download is retried with backoff inside the run; if it still fails the run is
recorded as failed and nothing else changes. After a sync that added prices, events stored unpriced
are re-priced (they may now resolve).
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from finops.config import Settings
from finops.kit.db import session_scope
from finops.kit.time import utcnow
from finops.models import PricingSyncRun
from finops.observability import metrics
from finops.pricing import repository as pricing_repository
from finops.pricing import reprice as reprice_service
from finops.pricing import sources, sync
from finops.pricing.reprice import RepriceFilter, RepriceReport
from finops.pricing.schemas import SyncRunOut, SyncStatusOut

log = logging.getLogger("finops.pricing.sync")
RETRY_BASE_SECONDS = 300.0


@dataclass(frozen=True)
class SyncResult:
    run: PricingSyncRun
    diff: sync.CatalogDiff | None
    repriced: RepriceReport | None


def _label(fmt: str, source: str) -> str:
    return f"sync {fmt} {source}"[:128]


async def run_sync(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    actor: str,
    source: str | None = None,
    fmt: str | None = None,
    attempts: int | None = None,
) -> SyncResult:
    source = source or settings.pricing_sync_url
    fmt = fmt or settings.pricing_sync_format
    started = utcnow()
    run = PricingSyncRun(
        started_at=started,
        finished_at=started,
        actor=actor[:256],
        source=source[:1024],
        format=fmt,
        status="failed",
        attempts=0,
        models_seen=0,
        added=0,
        changed=0,
        removed=0,
    )
    try:
        fetched = await sources.fetch(
            source,
            fmt,
            attempts=attempts or settings.pricing_sync_attempts,
            backoff_seconds=settings.pricing_sync_backoff_seconds,
            timeout=settings.pricing_sync_timeout_seconds,
            max_bytes=settings.pricing_sync_max_bytes,
        )
    except sources.CatalogUnavailable as exc:
        run.error = str(exc)[:4000]
        run.attempts = exc.attempts
        run.finished_at = utcnow()
        async with session_scope(sessionmaker) as session:
            pricing_repository.add_sync_run(session, run)
        log.warning("price catalog sync from %s failed: %s", source, exc)
        metrics.PRICE_SYNC_RUNS.labels(outcome="failed").inc()
        return SyncResult(run=run, diff=None, repriced=None)

    try:
        async with session_scope(sessionmaker) as session:
            # Lock first, then read the clock: a sync that waited for another must date its
            # versions after the other's, or it would see the old price as still in force.
            await pricing_repository.lock_catalog(session)
            now = utcnow()
            label = _label(fmt, source)
            diff = await sync.apply_catalog(session, fetched.data, now=now, source=label, actor=actor)
            run.attempts = fetched.attempts
            run.content_sha256 = fetched.sha256
            run.models_seen = len(fetched.data.models)
            run.added, run.changed, run.removed = len(diff.added), len(diff.changed), len(diff.removed)
            run.status = "unchanged" if diff.empty else "changed"
            run.diff = diff.as_json() if not diff.empty else None
            run.finished_at = utcnow()
            pricing_repository.add_sync_run(session, run)
    except Exception as exc:
        # The transaction rolled back: nothing changed. Record why, in a transaction of its own.
        log.exception("applying the price catalog from %s failed", source)
        failed = PricingSyncRun(
            started_at=started,
            finished_at=utcnow(),
            actor=actor[:256],
            source=source[:1024],
            format=fmt,
            status="failed",
            attempts=fetched.attempts,
            error=f"applying the catalog failed: {type(exc).__name__}: {exc}"[:4000],
            content_sha256=fetched.sha256,
            models_seen=len(fetched.data.models),
            added=0,
            changed=0,
            removed=0,
        )
        async with session_scope(sessionmaker) as session:
            pricing_repository.add_sync_run(session, failed)
        metrics.PRICE_SYNC_RUNS.labels(outcome="failed").inc()
        return SyncResult(run=failed, diff=None, repriced=None)

    metrics.PRICE_SYNC_RUNS.labels(outcome=run.status).inc()
    metrics.PRICE_SYNC_LAST_SUCCESS.set(time.time())

    repriced: RepriceReport | None = None
    if diff.added or diff.changed:
        # Models (or variants) that were missing may now price events stored unpriced.
        _, repriced = await reprice_service.reprice_in_chunks(
            sessionmaker,
            RepriceFilter(only_unpriced=True),
            actor=actor,
            reason=f"catalog sync run {run.id}: price events stored unpriced",
            audit_start=False,
        )
    return SyncResult(run=run, diff=diff, repriced=repriced)


def retry_delay(settings: Settings, failures: int) -> float:
    """After `failures` failed runs in a row, wait 5 min × 2^(failures−1), never beyond the interval."""
    return float(min(settings.pricing_sync_interval_seconds, RETRY_BASE_SECONDS * 2 ** max(failures - 1, 0)))


def next_due(settings: Settings, last: PricingSyncRun | None, failures: int) -> datetime | None:
    if last is None:
        return None  # never synced: due now
    wait = (
        retry_delay(settings, failures) if last.status == "failed" else settings.pricing_sync_interval_seconds
    )
    return last.started_at + timedelta(seconds=wait)


async def status(session: AsyncSession, settings: Settings) -> SyncStatusOut:
    recent = await pricing_repository.recent_sync_runs(session, 10)
    last = recent[0] if recent else None
    success = await pricing_repository.last_sync_run(session, succeeded=True)
    failures = await pricing_repository.failures_since_success(session)
    return SyncStatusOut(
        last_run=SyncRunOut.model_validate(last, from_attributes=True) if last else None,
        last_success=SyncRunOut.model_validate(success, from_attributes=True) if success else None,
        failures_since_success=failures,
        interval_seconds=settings.pricing_sync_interval_seconds,
        next_due_at=next_due(settings, last, failures) if settings.pricing_sync_enabled else None,
        source=settings.pricing_sync_url,
        format=settings.pricing_sync_format,
        enabled=settings.pricing_sync_enabled,
        # Diffs only on the two runs above: ten full diffs can be large.
        recent=[
            SyncRunOut.model_validate(r, from_attributes=True).model_copy(update={"diff": None})
            for r in recent
        ],
    )
