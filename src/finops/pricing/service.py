"""Pricing: price a usage at an instant with the catalog in force, and keep the catalog loaded."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from genai_prices import __version__ as genai_prices_version
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from finops.kit import money
from finops.pricing import genai_source
from finops.pricing import repository as pricing_repository
from finops.pricing.catalog import Catalog, CatalogModel, PriceVersion
from finops.pricing.engine import BREAKDOWN_KEYS, compute_cost
from finops.pricing.rates import Rates, Tiered, rates_from_json
from finops.pricing.usage import NormalizedUsage

DEFAULT_SOURCE = f"genai-prices {genai_prices_version}"
STANDARD_TIERS = {None, "", "default", "standard", "auto", "on_demand"}
# Batch APIs of these providers bill 50 % of on-demand input and output (their published rule);
# used only when the catalog has no batch rate for a model.
BATCH_DISCOUNT_PROVIDERS = {"openai", "azure", "anthropic", "google", "aws"}
HALF = Decimal("0.5")


@dataclass(frozen=True)
class PricedUsage:
    priced: bool
    cost_usd: Decimal
    breakdown: dict[str, Decimal]
    price_id: int | None = None
    catalog_model: str | None = None
    variant: str | None = None
    notes: list[str] = field(default_factory=list)


def _unpriced(note: str) -> PricedUsage:
    return PricedUsage(
        priced=False,
        cost_usd=money.ZERO,
        breakdown={k: money.ZERO for k in BREAKDOWN_KEYS},
        notes=[note],
    )


def _halve_batch(rates: Rates) -> Rates:
    out = dict(rates)
    for key in ("input_mtok", "output_mtok"):
        value = out.get(key)
        if isinstance(value, Tiered):
            out[key] = value.scaled(HALF)
        elif value is not None:
            out[key] = value * HALF
    return out


def requested_variant(*, batch: bool, service_tier: str | None) -> str:
    if batch:
        return "batch"
    tier = (service_tier or "").lower()
    return "standard" if tier in STANDARD_TIERS else tier


def price_usage(
    catalog: Catalog,
    *,
    provider: str,
    model: str,
    usage: NormalizedUsage,
    occurred_at: datetime,
    batch: bool = False,
    service_tier: str | None = None,
) -> PricedUsage:
    entry = catalog.resolve(provider, model)
    if entry is None:
        return _unpriced(f"model {model!r} is not in the price catalog for provider {provider!r}")
    return price_with_entry(
        catalog, entry, usage=usage, occurred_at=occurred_at, batch=batch, service_tier=service_tier
    )


def price_with_entry(
    catalog: Catalog,
    entry: CatalogModel,
    *,
    usage: NormalizedUsage,
    occurred_at: datetime,
    batch: bool,
    service_tier: str | None,
) -> PricedUsage:
    variant = requested_variant(batch=batch, service_tier=service_tier)
    notes: list[str] = []
    version: PriceVersion | None = catalog.version_at(entry, variant, occurred_at)
    rates: Rates | None = version.rates if version else None
    applied = variant
    if version is None and variant != "standard":
        version = catalog.version_at(entry, "standard", occurred_at)
        if version is not None:
            rates = version.rates
            if variant == "batch" and entry.catalog_provider in BATCH_DISCOUNT_PROVIDERS:
                rates = _halve_batch(version.rates)
                applied = "batch_rule"
                notes.append("no batch rate in the catalog: 50% of standard input and output applied")
            else:
                applied = "standard"
                notes.append(f"no {variant!r} rate in the catalog: standard rate applied")
    if version is None or rates is None:
        return _unpriced(f"no price for {entry.model_id!r} in force at {occurred_at.isoformat()}")
    cost = compute_cost(usage, rates)
    return PricedUsage(
        priced=True,
        cost_usd=cost.total,
        breakdown=cost.breakdown,
        price_id=version.id,
        catalog_model=f"{entry.catalog_provider}/{entry.model_id}",
        variant=applied,
        notes=notes,
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
    return Catalog(revision=revision, models=models, fallbacks=fallbacks, versions=versions)


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
