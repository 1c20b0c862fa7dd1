"""Tenant rate overrides: effective-dated versions per (tenant, provider[, model]), audited.

Setting a rate closes the version in force (effective_to = the new effective_from) and adds one;
deleting closes it. Versions are never rewritten, so events keep pointing at the rate that priced
them; a re-price applies a backdated change to history.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.audit import service as audit_service
from finops.kit.errors import Conflict, NotFound
from finops.kit.time import utcnow
from finops.models import TenantRate
from finops.pricing import repository as pricing_repository
from finops.pricing.catalog import Catalog


def snapshot(rate: TenantRate) -> dict[str, Any]:
    return {
        "id": rate.id,
        "tenant_id": rate.tenant_id,
        "provider": rate.provider,
        "model": f"{rate.catalog_provider}/{rate.model_id}" if rate.model_id else None,
        "kind": rate.kind,
        "discount_percent": rate.discount_percent,
        "variant": rate.variant,
        "rates": rate.rates,
        "effective_from": rate.effective_from,
        "effective_to": rate.effective_to,
        "note": rate.note,
    }


def _entity(tenant_id: str, provider: str, model: str | None) -> str:
    return f"{tenant_id}:{provider}:{model or '*'}"


def resolve_scope(catalog: Catalog, provider: str, model: str | None) -> tuple[str, str]:
    """(catalog_provider, model_id) for a model as callers send it, ("", "") for the whole provider."""
    if model is None:
        return "", ""
    entry = catalog.resolve(provider, model)
    if entry is None:
        raise NotFound(f"model {model!r} is not in the price catalog for {provider!r}", code="unknown_model")
    return entry.catalog_provider, entry.model_id


async def set_rate(
    session: AsyncSession,
    catalog: Catalog,
    *,
    actor: str,
    tenant_id: str,
    provider: str,
    model: str | None,
    kind: str,
    discount_percent: Decimal | None,
    variant: str | None,
    rates: dict[str, Any] | None,
    effective_from: datetime | None,
    note: str | None,
) -> TenantRate:
    catalog_provider, model_id = resolve_scope(catalog, provider, model)
    start = effective_from or utcnow()
    versions = await pricing_repository.tenant_rate_versions(
        session, tenant_id=tenant_id, provider=provider, catalog_provider=catalog_provider, model_id=model_id
    )
    latest = versions[-1] if versions else None
    if latest is not None and start < latest.effective_from:
        raise Conflict(
            f"a version of this rate starts at {latest.effective_from.isoformat()}; a new one must not start "
            "earlier (versions never overlap)",
            code="rate_out_of_order",
        )
    before = None
    if latest is not None and (latest.effective_to is None or latest.effective_to > start):
        before = snapshot(latest)
        latest.effective_to = start
    rate = TenantRate(
        tenant_id=tenant_id,
        provider=provider,
        catalog_provider=catalog_provider,
        model_id=model_id,
        kind=kind,
        discount_percent=discount_percent,
        variant=variant if kind == "price" else None,
        rates=rates,
        effective_from=start,
        effective_to=None,
        note=note,
        created_by=actor[:256],
        created_at=utcnow(),
    )
    await pricing_repository.add_tenant_rate(session, rate)
    await pricing_repository.bump_revision(session, source=f"tenant rate {tenant_id}")
    await audit_service.record(
        session,
        actor=actor,
        action="tenant_rate.set",
        entity_type="tenant_rate",
        entity_id=_entity(tenant_id, provider, f"{catalog_provider}/{model_id}" if model_id else None),
        tenant_id=tenant_id,
        before=before,
        after=snapshot(rate),
        reason=note,
    )
    return rate


async def end_rate(
    session: AsyncSession,
    catalog: Catalog,
    *,
    actor: str,
    tenant_id: str,
    provider: str,
    model: str | None,
    at: datetime | None,
) -> TenantRate:
    """Close the version in force (from `at`, default now): list prices apply again from then on."""
    catalog_provider, model_id = resolve_scope(catalog, provider, model)
    end = at or utcnow()
    versions = await pricing_repository.tenant_rate_versions(
        session, tenant_id=tenant_id, provider=provider, catalog_provider=catalog_provider, model_id=model_id
    )
    open_version = next(
        (v for v in reversed(versions) if v.effective_to is None or v.effective_to > end), None
    )
    if open_version is None or open_version.effective_from > end:
        raise NotFound("no tenant rate in force for this scope", code="rate_not_found")
    before = snapshot(open_version)
    open_version.effective_to = end
    await session.flush()
    await pricing_repository.bump_revision(session, source=f"tenant rate {tenant_id}")
    await audit_service.record(
        session,
        actor=actor,
        action="tenant_rate.end",
        entity_type="tenant_rate",
        entity_id=_entity(tenant_id, provider, f"{catalog_provider}/{model_id}" if model_id else None),
        tenant_id=tenant_id,
        before=before,
        after=snapshot(open_version),
    )
    return open_version
