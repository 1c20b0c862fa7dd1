"""Shaping stored events into API answers."""

from __future__ import annotations

from types import SimpleNamespace

from finops.ingest.schemas import TokenCounts, UsageEventOut, decimal_map
from finops.models import UsageEvent
from finops.models.usage_event import TOKEN_COLUMNS


def event_out(event: UsageEvent | SimpleNamespace) -> UsageEventOut:
    """A stored event (ORM row) or the values just written (a namespace with the same attributes)."""
    return UsageEventOut(
        event_id=event.event_id,
        tenant_id=event.tenant_id,
        occurred_at=event.occurred_at,
        received_at=event.received_at,
        service=event.service,
        learner_id=event.learner_id or None,
        subject=event.subject or None,
        provider=event.provider,
        model=event.model,
        batch=event.batch,
        service_tier=event.service_tier,
        region=event.region,
        tags=event.tags,
        reservation_id=event.reservation_id,
        usage_source=event.usage_source,
        usage=TokenCounts(**{c: getattr(event, c) for c in TOKEN_COLUMNS}),
        priced=event.priced,
        price_id=event.price_id,
        catalog_model=event.catalog_model,
        price_variant=event.price_variant,
        cost_usd=event.cost_usd,
        list_cost_usd=event.list_cost_usd,
        tenant_rate_id=event.tenant_rate_id,
        cost_breakdown=decimal_map(event.cost_breakdown),
        pricing_notes=list(event.pricing_notes or []),
    )
