"""All SQL behind the database-derived metrics and the status endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.db import UTCDateTime
from finops.models import CatalogState, CostRollup, PricingSyncRun

TOKEN_KINDS = (
    "input",
    "cached_input",
    "cache_write",
    "output",
    "reasoning",
    "audio_input",
    "audio_output",
    "image_input",
)


@dataclass(frozen=True)
class RollupTotals:
    """All-time sums for one (tenant, service, provider, model): learners and subjects folded in."""

    tenant_id: str
    service: str
    provider: str
    model: str
    events: int
    unpriced_events: int
    cost_usd: Decimal
    tokens: dict[str, int]


async def rollup_totals(session: AsyncSession) -> list[RollupTotals]:
    """Sum the day rollups over all time by the bounded dimensions (never by learner or subject)."""
    r = CostRollup
    token_columns = [func.coalesce(func.sum(getattr(r, f"{kind}_tokens")), 0) for kind in TOKEN_KINDS]
    stmt = (
        select(
            r.tenant_id,
            r.service,
            r.provider,
            r.model,
            func.coalesce(func.sum(r.events), 0),
            func.coalesce(func.sum(r.unpriced_events), 0),
            func.coalesce(func.sum(r.cost_usd), 0),
            *token_columns,
        )
        .where(r.grain == "day")
        .group_by(r.tenant_id, r.service, r.provider, r.model)
    )
    out: list[RollupTotals] = []
    # SUM and COALESCE keep the Money type, so amounts arrive as exact Decimals on every backend.
    for row in await session.execute(stmt):
        out.append(
            RollupTotals(
                tenant_id=row[0],
                service=row[1],
                provider=row[2],
                model=row[3],
                events=int(row[4]),
                unpriced_events=int(row[5]),
                cost_usd=Decimal(row[6]),
                tokens={kind: int(value) for kind, value in zip(TOKEN_KINDS, row[7:], strict=True)},
            )
        )
    return out


async def cost_since(session: AsyncSession, since: datetime) -> dict[str, Decimal]:
    """Cost by tenant from the hour rollups starting at or after `since` (an hour boundary)."""
    r = CostRollup
    stmt = (
        select(r.tenant_id, func.sum(r.cost_usd).label("cost"))
        .where(r.grain == "hour", r.bucket_start >= since)
        .group_by(r.tenant_id)
    )
    return {row[0]: Decimal(row[1]) for row in await session.execute(stmt)}


async def catalog_state(session: AsyncSession) -> CatalogState | None:
    return (
        await session.execute(select(CatalogState).order_by(CatalogState.id).limit(1))
    ).scalar_one_or_none()


async def leader_application(session: AsyncSession, *, classid: int, objid: int) -> str | None:
    """The application_name of the PostgreSQL session holding the leader advisory lock, if any."""
    stmt = text(
        "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid"
        " WHERE l.locktype = 'advisory' AND l.granted AND l.classid = :classid AND l.objid = :objid"
        " AND l.objsubid = 1"
        # Advisory locks belong to one database: other databases' finops instances hold their own.
        " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1"
    )
    value = (await session.execute(stmt, {"classid": classid, "objid": objid})).scalar_one_or_none()
    return str(value) if value is not None else None


async def active_alerts(session: AsyncSession, *, now: datetime) -> list[tuple[str, str, int]]:
    """(tenant, budget id, count) of unresolved alerts whose period is still running."""
    stmt = text(
        "SELECT COALESCE(tenant_id, ''), budget_id, COUNT(*) FROM alerts"
        " WHERE resolved_at IS NULL AND status <> 'suppressed'"
        " AND (period_end IS NULL OR period_end > :now)"
        " GROUP BY COALESCE(tenant_id, ''), budget_id"
    )
    bound = stmt.bindparams(bindparam("now", type_=UTCDateTime()))
    return [(str(r[0]), str(r[1]), int(r[2])) for r in await session.execute(bound, {"now": now})]


async def outbox_depth(session: AsyncSession) -> list[tuple[str, int]]:
    """(channel type, deliveries not yet sent or given up) from the alert outbox."""
    stmt = text(
        "SELECT channel_type, COUNT(*) FROM alert_deliveries"
        " WHERE status IN ('pending', 'sending') GROUP BY channel_type"
    )
    return [(str(r[0]), int(r[1])) for r in await session.execute(stmt)]


async def last_sync_runs(session: AsyncSession) -> dict[str, PricingSyncRun]:
    """The latest successful and the latest failed price sync run."""
    out: dict[str, PricingSyncRun] = {}
    for outcome, condition in (
        ("success", PricingSyncRun.status != "failed"),
        ("failure", PricingSyncRun.status == "failed"),
    ):
        stmt = (
            select(PricingSyncRun)
            .where(condition)
            .order_by(PricingSyncRun.finished_at.desc(), PricingSyncRun.id.desc())
            .limit(1)
        )
        run = await session.scalar(stmt)
        if run is not None:
            out[outcome] = run
    return out


async def last_sync_run(session: AsyncSession) -> PricingSyncRun | None:
    stmt = (
        select(PricingSyncRun).order_by(PricingSyncRun.finished_at.desc(), PricingSyncRun.id.desc()).limit(1)
    )
    return await session.scalar(stmt)
