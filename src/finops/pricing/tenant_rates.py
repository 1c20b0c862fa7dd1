"""Tenant rates in memory: the negotiated rate in force for a tenant's request, and its effect.

Two kinds, effective-dated like list prices:
- "discount": `percent` off the list cost of every bucket (on a whole provider or one model);
- "price": absolute rates for one model and one variant, replacing the list rates they name
  (rates they do not name keep the list price).
A model-scoped rate wins over a provider-wide one. Costs keep both figures: the list cost and
the effective cost (what the tenant pays).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from finops.kit import money
from finops.kit.time import in_force as version_in_force
from finops.pricing.rates import Rates

HUNDRED = Decimal(100)


@dataclass(frozen=True, slots=True)
class TenantRateVersion:
    id: int
    tenant_id: str
    provider: str
    catalog_provider: str  # "" for a provider-wide rate
    model_id: str  # "" for a provider-wide rate
    kind: str  # "discount" or "price"
    discount_percent: Decimal | None
    variant: str | None
    rates: Rates | None
    effective_from: datetime
    effective_to: datetime | None

    def describe(self) -> str:
        scope = f"{self.catalog_provider}/{self.model_id}" if self.model_id else f"provider {self.provider}"
        if self.kind == "discount":
            return (
                f"tenant rate #{self.id}: {money.to_string(self.discount_percent or money.ZERO)}% off {scope}"
            )
        return f"tenant rate #{self.id}: negotiated {self.variant or 'standard'} price for {scope}"


ScopeKey = tuple[str, str, str]  # (provider, catalog_provider, model_id)


@dataclass
class TenantRateBook:
    """Every tenant's rate versions, indexed for the ingest hot path: two dict lookups and a bisect."""

    by_tenant: dict[str, dict[ScopeKey, list[TenantRateVersion]]]

    @classmethod
    def build(cls, versions: list[TenantRateVersion]) -> TenantRateBook:
        by_tenant: dict[str, dict[ScopeKey, list[TenantRateVersion]]] = {}
        for version in sorted(versions, key=lambda v: (v.effective_from, v.id)):
            scopes = by_tenant.setdefault(version.tenant_id, {})
            scopes.setdefault((version.provider, version.catalog_provider, version.model_id), []).append(
                version
            )
        return cls(by_tenant)

    def in_force(
        self, tenant_id: str | None, provider: str, catalog_provider: str, model_id: str, at: datetime
    ) -> TenantRateVersion | None:
        if tenant_id is None:
            return None
        scopes = self.by_tenant.get(tenant_id)
        if not scopes:
            return None
        for key in ((provider, catalog_provider, model_id), (provider, "", "")):
            found = version_in_force(scopes.get(key), at)
            if found is not None:
                return found
        return None

    def all_versions(self) -> list[TenantRateVersion]:
        return [v for scopes in self.by_tenant.values() for vs in scopes.values() for v in vs]


def discounted(breakdown: dict[str, Decimal], percent: Decimal) -> dict[str, Decimal]:
    """Each bucket less `percent` %, rounded per bucket so the buckets still add up to the total."""
    factor = (HUNDRED - percent) / HUNDRED
    return {key: money.quantize(value * factor) if value else value for key, value in breakdown.items()}


def merged_rates(list_rates: Rates, negotiated: Rates) -> Rates:
    out = dict(list_rates)
    out.update(negotiated)
    return out
