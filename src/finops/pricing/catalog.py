"""The price catalog held in memory: model resolution and the version in force at an instant."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from finops.kit.time import in_force
from finops.pricing.matching import candidate_ids, is_match
from finops.pricing.providers import CATALOG_PROVIDERS
from finops.pricing.rates import Rates
from finops.pricing.tenant_rates import TenantRateBook


@dataclass(frozen=True, slots=True)
class PriceVersion:
    id: int
    catalog_provider: str
    model_id: str
    variant: str
    effective_from: datetime
    effective_to: datetime | None
    rates: Rates


@dataclass(frozen=True, slots=True)
class CatalogModel:
    catalog_provider: str
    model_id: str
    match: dict[str, Any]


@dataclass
class Catalog:
    revision: int
    models: dict[str, list[CatalogModel]]  # by catalog provider, in match order
    fallbacks: dict[str, list[str]]
    versions: dict[tuple[str, str, str], list[PriceVersion]]  # (provider, model, variant) → by start
    tenant_rates: TenantRateBook = field(default_factory=lambda: TenantRateBook({}))
    _resolved: dict[tuple[str, str], CatalogModel | None] = field(default_factory=dict)

    def resolve(self, provider: str, model: str) -> CatalogModel | None:
        key = (provider, model)
        if key not in self._resolved:
            self._resolved[key] = self._resolve(provider, model)
        return self._resolved[key]

    def _resolve(self, provider: str, model: str) -> CatalogModel | None:
        searched: list[str] = []
        for catalog_provider in CATALOG_PROVIDERS.get(provider, ()):
            searched.append(catalog_provider)
            searched.extend(self.fallbacks.get(catalog_provider, []))
        for ref in candidate_ids(provider, model):
            for catalog_provider in dict.fromkeys(searched):
                for entry in self.models.get(catalog_provider, []):
                    if is_match(entry.match, ref):
                        return entry
        return None

    def version_at(self, entry: CatalogModel, variant: str, at: datetime) -> PriceVersion | None:
        return in_force(self.versions.get((entry.catalog_provider, entry.model_id, variant)), at)
