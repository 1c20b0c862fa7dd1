"""Pricing: price a usage at an instant with the catalog in force, and keep the catalog loaded."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from genai_prices import __version__ as genai_prices_version
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from finops.kit import money
from finops.pricing import genai_source, tenant_rates, variants
from finops.pricing import repository as pricing_repository
from finops.pricing.catalog import Catalog, CatalogModel, PriceVersion
from finops.pricing.engine import BREAKDOWN_KEYS, compute_cost
from finops.pricing.rates import rates_from_json
from finops.pricing.tenant_rates import TenantRateBook, TenantRateVersion
from finops.pricing.usage import NormalizedUsage

DEFAULT_SOURCE = f"genai-prices {genai_prices_version}"
STANDARD_TIERS = variants.STANDARD_TIERS
requested_variant = variants.requested_variant


@dataclass(frozen=True)
class PricedUsage:
    """A priced usage. `cost_usd` and `breakdown` are what the tenant pays (its tenant rate applied);
    `list_cost_usd` is the same usage at list price. Without a tenant rate the two are equal."""

    priced: bool
    cost_usd: Decimal
    breakdown: dict[str, Decimal]
    price_id: int | None = None
    catalog_model: str | None = None
    variant: str | None = None
    notes: list[str] = field(default_factory=list)
    list_cost_usd: Decimal = money.ZERO
    tenant_rate_id: int | None = None

    def columns(self) -> dict[str, Any]:
        """The usage_events price columns this pricing fills (ingest writes them, re-pricing compares)."""
        return {
            "priced": self.priced,
            "price_id": self.price_id,
            "catalog_model": self.catalog_model,
            "price_variant": self.variant,
            "cost_usd": self.cost_usd,
            "list_cost_usd": self.list_cost_usd,
            "tenant_rate_id": self.tenant_rate_id,
            "cost_breakdown": {k: money.to_string(v) for k, v in self.breakdown.items()},
            "pricing_notes": self.notes,
        }


def _unpriced(note: str) -> PricedUsage:
    return PricedUsage(
        priced=False,
        cost_usd=money.ZERO,
        breakdown={k: money.ZERO for k in BREAKDOWN_KEYS},
        notes=[note],
    )


def price_usage(
    catalog: Catalog,
    *,
    provider: str,
    model: str,
    usage: NormalizedUsage,
    occurred_at: datetime,
    batch: bool = False,
    service_tier: str | None = None,
    tenant_id: str | None = None,
) -> PricedUsage:
    """Price a usage with the version in force at `occurred_at` and the tenant's rate, if any."""
    entry = catalog.resolve(provider, model)
    if entry is None:
        return _unpriced(f"model {model!r} is not in the price catalog for provider {provider!r}")
    return price_with_entry(
        catalog,
        entry,
        usage=usage,
        occurred_at=occurred_at,
        batch=batch,
        service_tier=service_tier,
        provider=provider,
        tenant_id=tenant_id,
    )


def price_with_entry(
    catalog: Catalog,
    entry: CatalogModel,
    *,
    usage: NormalizedUsage,
    occurred_at: datetime,
    batch: bool,
    service_tier: str | None,
    provider: str | None = None,
    tenant_id: str | None = None,
) -> PricedUsage:
    variant = variants.requested_variant(batch=batch, service_tier=service_tier)
    chosen = variants.list_rates(catalog, entry, variant, occurred_at)
    if chosen is None:
        return _unpriced(f"no price for {entry.model_id!r} in force at {occurred_at.isoformat()}")
    listed = compute_cost(usage, chosen.rates)
    notes = list(chosen.notes)
    breakdown, total = listed.breakdown, listed.total
    rate = catalog.tenant_rates.in_force(
        tenant_id, provider or entry.catalog_provider, entry.catalog_provider, entry.model_id, occurred_at
    )
    applied_rate: int | None = None
    if rate is not None and rate.kind == "discount" and rate.discount_percent is not None:
        breakdown = tenant_rates.discounted(listed.breakdown, rate.discount_percent)
        total = sum(breakdown.values(), money.ZERO)
        applied_rate = rate.id
    elif rate is not None and rate.kind == "price" and rate.rates and (rate.variant or "standard") == variant:
        effective = compute_cost(usage, tenant_rates.merged_rates(chosen.rates, rate.rates))
        breakdown, total = effective.breakdown, effective.total
        applied_rate = rate.id
    if applied_rate is not None and rate is not None:
        notes.append(rate.describe())
    return PricedUsage(
        priced=True,
        cost_usd=total,
        breakdown=breakdown,
        price_id=chosen.version.id,
        catalog_model=f"{entry.catalog_provider}/{entry.model_id}",
        variant=chosen.applied,
        notes=notes,
        list_cost_usd=listed.total,
        tenant_rate_id=applied_rate,
    )


async def build_catalog(session: AsyncSession) -> Catalog:
    revision = await pricing_repository.catalog_revision(session) or 0
    models: dict[str, list[CatalogModel]] = {}
    fallbacks: dict[str, list[str]] = {}
    for row in await pricing_repository.load_models(session):
        if row.catalog_provider.startswith(pricing_repository.FALLBACKS_SOURCE_PREFIX):
            provider = row.catalog_provider.removeprefix(pricing_repository.FALLBACKS_SOURCE_PREFIX)
            fallbacks[provider] = list(row.match.get("fallbacks", []))
            continue
        models.setdefault(row.catalog_provider, []).append(
            CatalogModel(row.catalog_provider, row.model_id, row.match)
        )
    versions: dict[tuple[str, str, str], list[PriceVersion]] = {}
    for price in await pricing_repository.load_prices(session):
        versions.setdefault((price.catalog_provider, price.model_id, price.variant), []).append(
            PriceVersion(
                id=price.id,
                catalog_provider=price.catalog_provider,
                model_id=price.model_id,
                variant=price.variant,
                effective_from=price.effective_from,
                effective_to=price.effective_to,
                rates=rates_from_json(price.rates),
            )
        )
    book = TenantRateBook.build(
        [
            TenantRateVersion(
                id=r.id,
                tenant_id=r.tenant_id,
                provider=r.provider,
                catalog_provider=r.catalog_provider,
                model_id=r.model_id,
                kind=r.kind,
                discount_percent=r.discount_percent,
                variant=r.variant,
                rates=rates_from_json(r.rates) if r.rates else None,
                effective_from=r.effective_from,
                effective_to=r.effective_to,
            )
            for r in await pricing_repository.load_tenant_rates(session)
        ]
    )
    return Catalog(
        revision=revision, models=models, fallbacks=fallbacks, versions=versions, tenant_rates=book
    )


async def ensure_default_catalog(session: AsyncSession) -> bool:
    """Load the bundled genai-prices catalog into an empty database. Returns True if it did."""
    if await pricing_repository.count_prices(session):
        return False
    await pricing_repository.replace_catalog(session, genai_source.bundled(), source=DEFAULT_SOURCE)
    return True


class CatalogCache:
    """The catalog in memory, reloaded when another process bumps the catalog revision."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], refresh_seconds: float) -> None:
        self._sessionmaker = sessionmaker
        self._refresh_seconds = refresh_seconds
        self._catalog: Catalog | None = None
        self._checked_at = 0.0
        self._lock = asyncio.Lock()

    async def get(self) -> Catalog:
        if self._catalog is not None and time.monotonic() - self._checked_at < self._refresh_seconds:
            return self._catalog
        async with self._lock:
            if self._catalog is not None and time.monotonic() - self._checked_at < self._refresh_seconds:
                return self._catalog
            async with self._sessionmaker() as session:
                revision = await pricing_repository.catalog_revision(session) or 0
                if self._catalog is None or revision != self._catalog.revision:
                    self._catalog = await build_catalog(session)
            self._checked_at = time.monotonic()
            return self._catalog

    def invalidate(self) -> None:
        self._checked_at = 0.0
