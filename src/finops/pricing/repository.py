"""All SQL of the price catalog."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.time import utcnow
from finops.models import CatalogState, Price, PriceModel, PricingSyncRun, TenantRate, UsageEvent
from finops.pricing.genai_source import CatalogData, ModelRecord, PriceRecord
from finops.pricing.rates import rates_to_json

if TYPE_CHECKING:
    from finops.pricing.reprice import RepriceFilter

FALLBACKS_SOURCE_PREFIX = "fallbacks:"


async def catalog_revision(session: AsyncSession) -> int | None:
    return await session.scalar(select(CatalogState.revision).where(CatalogState.id == 1))


async def load_models(session: AsyncSession) -> list[PriceModel]:
    result = await session.scalars(
        select(PriceModel).order_by(PriceModel.catalog_provider, PriceModel.position, PriceModel.id)
    )
    return list(result)


async def load_prices(session: AsyncSession) -> list[Price]:
    result = await session.scalars(
        select(Price).order_by(
            Price.catalog_provider, Price.model_id, Price.variant, Price.effective_from, Price.id
        )
    )
    return list(result)


async def load_tenant_rates(session: AsyncSession) -> list[TenantRate]:
    result = await session.scalars(select(TenantRate).order_by(TenantRate.effective_from, TenantRate.id))
    return list(result)


async def count_prices(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Price)) or 0)


def _fallback_row(provider: str, targets: list[str]) -> PriceModel:
    """Provider fallbacks (azure → openai, ...) travel as pseudo-models so they stay in the database."""
    return PriceModel(
        catalog_provider=FALLBACKS_SOURCE_PREFIX + provider,
        model_id="*",
        name=None,
        match={"fallbacks": targets},
        position=0,
        context_window=None,
        deprecated=False,
    )


async def replace_catalog(session: AsyncSession, data: CatalogData, *, source: str) -> None:
    """Write a whole catalog (first load). Later changes add versions instead (pricing lifecycle)."""
    now = utcnow()
    await session.execute(delete(PriceModel))
    await session.execute(delete(Price))
    session.add_all(
        PriceModel(
            catalog_provider=m.catalog_provider,
            model_id=m.model_id,
            name=m.name,
            match=m.match,
            position=m.position,
            context_window=m.context_window,
            deprecated=m.deprecated,
        )
        for m in data.models
    )
    session.add_all(
        Price(
            catalog_provider=p.catalog_provider,
            model_id=p.model_id,
            variant=p.variant,
            effective_from=p.effective_from,
            effective_to=p.effective_to,
            rates=rates_to_json(p.rates),
            source=source,
            created_at=now,
        )
        for p in data.prices
    )
    session.add_all(_fallback_row(provider, targets) for provider, targets in sorted(data.fallbacks.items()))
    await bump_revision(session, source=source)


async def bump_revision(session: AsyncSession, *, source: str) -> None:
    state = await session.get(CatalogState, 1, with_for_update=True)
    source = source[:128]
    if state is None:
        session.add(CatalogState(id=1, revision=1, source=source, updated_at=utcnow()))
    else:
        state.revision += 1
        state.source = source
        state.updated_at = utcnow()
    await session.flush()


async def lock_catalog(session: AsyncSession) -> CatalogState | None:
    """Take the catalog row lock (PostgreSQL; SQLite's write transaction already serializes)."""
    return await session.get(CatalogState, 1, with_for_update=True, populate_existing=True)


def add_model(session: AsyncSession, model: ModelRecord) -> None:
    session.add(
        PriceModel(
            catalog_provider=model.catalog_provider,
            model_id=model.model_id,
            name=model.name,
            match=model.match,
            position=model.position,
            context_window=model.context_window,
            deprecated=model.deprecated,
        )
    )


def update_model(stored: PriceModel, model: ModelRecord) -> None:
    stored.name = model.name
    stored.match = model.match
    stored.position = model.position
    stored.context_window = model.context_window
    stored.deprecated = model.deprecated
    stored.removed_at = None


def add_price(session: AsyncSession, record: PriceRecord, *, source: str, created_at: datetime) -> None:
    session.add(
        Price(
            catalog_provider=record.catalog_provider,
            model_id=record.model_id,
            variant=record.variant,
            effective_from=record.effective_from,
            effective_to=record.effective_to,
            rates=rates_to_json(record.rates),
            source=source[:128],
            created_at=created_at,
        )
    )


async def replace_fallbacks(session: AsyncSession, fallbacks: dict[str, list[str]]) -> bool:
    """Store provider fallbacks (pseudo-models); True when they changed."""
    rows = {
        m.catalog_provider.removeprefix(FALLBACKS_SOURCE_PREFIX): m
        for m in await load_models(session)
        if m.catalog_provider.startswith(FALLBACKS_SOURCE_PREFIX)
    }
    current = {provider: list(row.match.get("fallbacks", [])) for provider, row in rows.items()}
    if current == fallbacks:
        return False
    for provider, row in rows.items():
        if provider not in fallbacks:
            await session.delete(row)
    for provider, targets in sorted(fallbacks.items()):
        if provider in rows:
            rows[provider].match = {"fallbacks": targets}
        else:
            session.add(_fallback_row(provider, targets))
    return True


def add_sync_run(session: AsyncSession, run: PricingSyncRun) -> None:
    session.add(run)


async def recent_sync_runs(session: AsyncSession, limit: int) -> list[PricingSyncRun]:
    result = await session.scalars(
        select(PricingSyncRun)
        .order_by(PricingSyncRun.started_at.desc(), PricingSyncRun.id.desc())
        .limit(limit)
    )
    return list(result)


async def last_sync_run(session: AsyncSession, *, succeeded: bool | None = None) -> PricingSyncRun | None:
    stmt = select(PricingSyncRun)
    if succeeded is True:
        stmt = stmt.where(PricingSyncRun.status != "failed")
    elif succeeded is False:
        stmt = stmt.where(PricingSyncRun.status == "failed")
    stmt = stmt.order_by(PricingSyncRun.started_at.desc(), PricingSyncRun.id.desc()).limit(1)
    return await session.scalar(stmt)


async def failures_since_success(session: AsyncSession) -> int:
    success = await last_sync_run(session, succeeded=True)
    stmt = select(func.count()).select_from(PricingSyncRun).where(PricingSyncRun.status == "failed")
    if success is not None:
        stmt = stmt.where(PricingSyncRun.started_at > success.started_at)
    return int(await session.scalar(stmt) or 0)


def _reprice_where(filters: RepriceFilter) -> list[Any]:
    where: list[Any] = []
    if filters.tenant_id is not None:
        where.append(UsageEvent.tenant_id == filters.tenant_id)
    if filters.provider is not None:
        where.append(UsageEvent.provider == filters.provider)
    if filters.model is not None:
        where.append(UsageEvent.model == filters.model)
    if filters.catalog_model is not None:
        where.append(UsageEvent.catalog_model == filters.catalog_model)
    if filters.start is not None:
        where.append(UsageEvent.occurred_at >= filters.start)
    if filters.end is not None:
        where.append(UsageEvent.occurred_at < filters.end)
    if filters.only_unpriced:
        where.append(UsageEvent.priced.is_(False))
    return where


async def count_events_to_reprice(session: AsyncSession, filters: RepriceFilter) -> int:
    stmt = select(func.count()).select_from(UsageEvent).where(*_reprice_where(filters))
    return int(await session.scalar(stmt) or 0)


async def events_to_reprice(
    session: AsyncSession, filters: RepriceFilter, *, after_id: int, limit: int, lock: bool
) -> list[UsageEvent]:
    """The next events by id; `lock` takes row locks (PostgreSQL) so a concurrent re-price of the
    same events waits instead of applying the same rollup delta twice."""
    stmt = (
        select(UsageEvent)
        .where(UsageEvent.id > after_id, *_reprice_where(filters))
        .order_by(UsageEvent.id)
        .limit(limit)
    )
    if lock:
        stmt = stmt.with_for_update()
    result = await session.scalars(stmt.execution_options(populate_existing=True))
    return list(result)


async def update_event_prices(session: AsyncSession, updates: list[dict[str, Any]]) -> None:
    """Bulk UPDATE by primary key (one executemany)."""
    await session.execute(update(UsageEvent), updates)


async def tenant_rate_versions(
    session: AsyncSession, *, tenant_id: str, provider: str, catalog_provider: str, model_id: str
) -> list[TenantRate]:
    """Every version of one scope, oldest first, locked for the caller's change."""
    stmt = (
        select(TenantRate)
        .where(
            TenantRate.tenant_id == tenant_id,
            TenantRate.provider == provider,
            TenantRate.catalog_provider == catalog_provider,
            TenantRate.model_id == model_id,
        )
        .order_by(TenantRate.effective_from, TenantRate.id)
        .with_for_update()
    )
    return list(await session.scalars(stmt))


async def add_tenant_rate(session: AsyncSession, rate: TenantRate) -> None:
    session.add(rate)
    await session.flush()


async def list_tenant_rates(
    session: AsyncSession, *, tenant_id: str, provider: str | None, active_at: datetime | None
) -> list[TenantRate]:
    stmt = select(TenantRate).where(TenantRate.tenant_id == tenant_id)
    if provider is not None:
        stmt = stmt.where(TenantRate.provider == provider)
    if active_at is not None:
        stmt = stmt.where(
            TenantRate.effective_from <= active_at,
            (TenantRate.effective_to.is_(None)) | (TenantRate.effective_to > active_at),
        )
    stmt = stmt.order_by(
        TenantRate.provider,
        TenantRate.catalog_provider,
        TenantRate.model_id,
        TenantRate.effective_from,
        TenantRate.id,
    )
    return list(await session.scalars(stmt))


async def search_models(
    session: AsyncSession,
    *,
    providers: list[str] | None,
    search: str | None,
    include_removed: bool,
    limit: int,
    offset: int,
) -> tuple[list[PriceModel], int]:
    where: list[Any] = [~PriceModel.catalog_provider.startswith(FALLBACKS_SOURCE_PREFIX)]
    if providers is not None:
        where.append(PriceModel.catalog_provider.in_(providers))
    if search:
        pattern = f"%{search.lower().replace('%', '').replace('_', '')}%"
        where.append(
            func.lower(PriceModel.model_id).like(pattern)
            | func.lower(func.coalesce(PriceModel.name, "")).like(pattern)
        )
    if not include_removed:
        where.append(PriceModel.removed_at.is_(None))
    total = int(await session.scalar(select(func.count()).select_from(PriceModel).where(*where)) or 0)
    stmt = (
        select(PriceModel)
        .where(*where)
        .order_by(PriceModel.catalog_provider, PriceModel.model_id)
        .limit(limit)
        .offset(offset)
    )
    return list(await session.scalars(stmt)), total


async def get_model(session: AsyncSession, catalog_provider: str, model_id: str) -> PriceModel | None:
    stmt = select(PriceModel).where(
        PriceModel.catalog_provider == catalog_provider, PriceModel.model_id == model_id
    )
    return await session.scalar(stmt)


async def prices_of(session: AsyncSession, keys: list[tuple[str, str]]) -> list[Price]:
    """Every version of these models' prices, oldest first."""
    if not keys:
        return []
    stmt = (
        select(Price)
        .where(tuple_(Price.catalog_provider, Price.model_id).in_(keys))
        .order_by(Price.catalog_provider, Price.model_id, Price.variant, Price.effective_from, Price.id)
    )
    return list(await session.scalars(stmt))
