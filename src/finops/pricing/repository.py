"""All SQL of the price catalog."""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.time import utcnow
from finops.models import CatalogState, Price, PriceModel, TenantRate
from finops.pricing.genai_source import CatalogData
from finops.pricing.rates import rates_to_json

FALLBACKS_SOURCE_PREFIX = "fallbacks:"


async def catalog_revision(session: AsyncSession) -> int | None:
    return await session.scalar(select(CatalogState.revision).where(CatalogState.id == 1))


async def load_state(session: AsyncSession) -> CatalogState | None:
    return await session.get(CatalogState, 1)


async def load_models(session: AsyncSession) -> list[PriceModel]:
    result = await session.scalars(
        select(PriceModel).order_by(PriceModel.catalog_provider, PriceModel.position, PriceModel.id)
    )
    return list(result)


async def load_prices(session: AsyncSession) -> list[Price]:
    result = await session.scalars(
        select(Price).order_by(Price.catalog_provider, Price.model_id, Price.variant, Price.effective_from)
    )
    return list(result)


async def load_tenant_rates(session: AsyncSession) -> list[TenantRate]:
    result = await session.scalars(select(TenantRate).order_by(TenantRate.effective_from, TenantRate.id))
    return list(result)


async def count_prices(session: AsyncSession) -> int:
    return int(await session.scalar(select(func.count()).select_from(Price)) or 0)


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
    # Provider fallbacks (azure → openai, ...) travel as pseudo-models so they stay in the database.
    session.add_all(
        PriceModel(
            catalog_provider=FALLBACKS_SOURCE_PREFIX + provider,
            model_id="*",
            name=None,
            match={"fallbacks": targets},
            position=0,
            context_window=None,
            deprecated=False,
        )
        for provider, targets in sorted(data.fallbacks.items())
    )
    await bump_revision(session, source=source)


async def bump_revision(session: AsyncSession, *, source: str) -> None:
    state = await session.get(CatalogState, 1, with_for_update=True)
    if state is None:
        session.add(CatalogState(id=1, revision=1, source=source, updated_at=utcnow()))
    else:
        state.revision += 1
        state.source = source
        state.updated_at = utcnow()
    await session.flush()
