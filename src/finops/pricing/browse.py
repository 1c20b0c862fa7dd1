"""Reading the catalog: models with the version in force now, and one model's whole history."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.errors import NotFound
from finops.models import Price, PriceModel
from finops.pricing import repository as pricing_repository
from finops.pricing.catalog import Catalog
from finops.pricing.providers import CATALOG_PROVIDERS
from finops.pricing.schemas import CatalogModelDetail, CatalogModelOut, CatalogModelPage, PriceVersionOut


def catalog_providers(provider: str | None) -> list[str] | None:
    """Our provider names (gemini, bedrock, azure_openai) map to the catalog's; catalog ids pass through."""
    if provider is None:
        return None
    if provider in CATALOG_PROVIDERS:
        return [CATALOG_PROVIDERS[provider][0]]
    return [provider]


def _version(price: Price) -> PriceVersionOut:
    return PriceVersionOut(
        price_id=price.id,
        variant=price.variant,
        effective_from=price.effective_from,
        effective_to=price.effective_to,
        rates=price.rates,
        source=price.source,
    )


def _in_force(prices: list[Price], at: datetime) -> list[PriceVersionOut]:
    current: dict[str, Price] = {}
    for price in prices:  # oldest first: a later start wins
        if price.effective_from <= at and (price.effective_to is None or at < price.effective_to):
            current[price.variant] = price
    return [_version(current[v]) for v in sorted(current, key=lambda v: (v != "standard", v))]


def _model_out(model: PriceModel, prices: list[Price], at: datetime) -> CatalogModelOut:
    return CatalogModelOut(
        provider=model.catalog_provider,
        model_id=model.model_id,
        name=model.name,
        context_window=model.context_window,
        deprecated=model.deprecated,
        removed_at=model.removed_at,
        current=_in_force(prices, at),
    )


async def list_models(
    session: AsyncSession,
    *,
    provider: str | None,
    search: str | None,
    include_removed: bool,
    limit: int,
    offset: int,
    at: datetime,
    revision: int,
) -> CatalogModelPage:
    models, total = await pricing_repository.search_models(
        session,
        providers=catalog_providers(provider),
        search=search,
        include_removed=include_removed,
        limit=limit,
        offset=offset,
    )
    by_model: dict[tuple[str, str], list[Price]] = defaultdict(list)
    for price in await pricing_repository.prices_of(
        session, [(m.catalog_provider, m.model_id) for m in models]
    ):
        by_model[(price.catalog_provider, price.model_id)].append(price)
    items = [_model_out(m, by_model[(m.catalog_provider, m.model_id)], at) for m in models]
    return CatalogModelPage(items=items, total=total, revision=revision)


async def model_detail(
    session: AsyncSession, catalog: Catalog, *, provider: str, model: str, at: datetime
) -> CatalogModelDetail:
    """A catalog model by its catalog id, or by any id callers send that resolves to one."""
    found: PriceModel | None = None
    for catalog_provider in catalog_providers(provider) or []:
        found = await pricing_repository.get_model(session, catalog_provider, model)
        if found is not None:
            break
    if found is None and provider in CATALOG_PROVIDERS:
        entry = catalog.resolve(provider, model)
        if entry is not None:
            found = await pricing_repository.get_model(session, entry.catalog_provider, entry.model_id)
    if found is None:
        raise NotFound(f"no catalog model {model!r} for provider {provider!r}", code="unknown_model")
    prices = await pricing_repository.prices_of(session, [(found.catalog_provider, found.model_id)])
    out = _model_out(found, prices, at)
    return CatalogModelDetail(**out.model_dump(), match=found.match, history=[_version(p) for p in prices])
