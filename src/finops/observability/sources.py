"""Database readers behind the scrape-time metrics: rollups and catalog (collector.py), budgets,
alerts and price sync (here). Each runs in its own savepoint, so one failing source (say, a table a
pending migration adds) leaves the others' figures intact."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from finops.budgets import service as budgets_service
from finops.observability import metrics
from finops.observability import repository as obs_repository
from finops.observability.collector import CORE_SOURCES, Snapshot, Source

# Budget figures are computed per budget at scrape time (cached): cap the work one scrape may do.
MAX_BUDGETS = 500


async def budget_source(session: AsyncSession, snapshot: Snapshot) -> None:
    specs = (
        metrics.BUDGET_PERCENTAGE_USED,
        metrics.BUDGET_SPEND,
        metrics.BUDGET_LIMIT,
        metrics.BUDGET_FORECAST,
    )
    for spec in specs:
        snapshot.values[spec] = {}
    now = datetime.now(UTC)
    for budget in (await budgets_service.list_active_budgets(session))[:MAX_BUDGETS]:
        status = await budgets_service.budget_status(session, budget, now=now, with_forecast=True)
        labels = (budget.tenant_id or "", budget.id)
        snapshot.set(metrics.BUDGET_PERCENTAGE_USED, labels, status.percent_used)
        snapshot.set(metrics.BUDGET_SPEND, labels, status.spent_usd)
        snapshot.set(metrics.BUDGET_LIMIT, labels, status.amount_usd)
        if status.forecast is not None:
            snapshot.set(metrics.BUDGET_FORECAST, labels, status.forecast.projected_spend_usd)


async def alert_source(session: AsyncSession, snapshot: Snapshot) -> None:
    snapshot.values[metrics.ALERTS_ACTIVE] = {}
    snapshot.values[metrics.OUTBOX_DEPTH] = {}
    for tenant, budget, count in await obs_repository.active_alerts(session, now=datetime.now(UTC)):
        snapshot.set(metrics.ALERTS_ACTIVE, (tenant, budget), count)
    for channel in metrics.CHANNELS:  # an empty outbox reads 0, not "no data"
        snapshot.set(metrics.OUTBOX_DEPTH, (channel,), 0)
    for channel, count in await obs_repository.outbox_depth(session):
        snapshot.set(metrics.OUTBOX_DEPTH, (channel,), count)


async def price_sync_source(session: AsyncSession, snapshot: Snapshot) -> None:
    snapshot.values[metrics.PRICE_SYNC_AGE] = {}
    now = datetime.now(UTC)
    for outcome, run in (await obs_repository.last_sync_runs(session)).items():
        snapshot.set(metrics.PRICE_SYNC_AGE, (outcome,), (now - run.finished_at).total_seconds())


ALL_SOURCES: tuple[Source, ...] = (*CORE_SOURCES, budget_source, alert_source, price_sync_source)
