"""Pricing endpoints (the catalog lifecycle adds more here)."""

from __future__ import annotations

from fastapi import APIRouter

from finops.app_state import CatalogDep
from finops.auth.dependencies import AnyRole, tenant_filter
from finops.ingest.schemas import TokenCounts
from finops.kit.time import utcnow
from finops.pricing import service as pricing_service
from finops.pricing.providers import registry as usage_parsers
from finops.pricing.schemas import EstimateIn, EstimateOut
from finops.pricing.usage import NormalizedUsage

router = APIRouter(prefix="/v1/pricing", tags=["pricing"])


@router.post("/estimate", response_model=EstimateOut)
async def estimate(body: EstimateIn, principal: AnyRole, catalog: CatalogDep) -> EstimateOut:
    """Price a usage (normalized or provider-native) without recording it."""
    if body.provider_usage is not None:
        usage, source = usage_parsers.parse(body.provider, body.provider_usage)
    else:
        assert body.usage is not None
        usage, source = NormalizedUsage(**body.usage.model_dump()), "normalized"
    at = body.occurred_at or utcnow()
    priced = pricing_service.price_usage(
        catalog,
        provider=body.provider,
        model=body.model,
        usage=usage,
        occurred_at=at,
        batch=body.batch,
        service_tier=body.service_tier,
        tenant_id=tenant_filter(principal, body.tenant_id),
    )
    return EstimateOut(
        provider=body.provider,
        model=body.model,
        occurred_at=at,
        usage=TokenCounts(**usage.as_dict()),
        usage_source=source,
        priced=priced.priced,
        price_id=priced.price_id,
        catalog_model=priced.catalog_model,
        price_variant=priced.variant,
        cost_usd=priced.cost_usd,
        list_cost_usd=priced.list_cost_usd,
        tenant_rate_id=priced.tenant_rate_id,
        cost_breakdown=priced.breakdown,
        pricing_notes=priced.notes,
    )
