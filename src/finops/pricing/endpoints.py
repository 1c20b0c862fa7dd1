"""Pricing endpoints: estimates, the catalog, tenant rates, catalog sync and re-pricing."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, BackgroundTasks, Depends, Path, Query, Request
from pydantic import AwareDatetime
from sqlalchemy.ext.asyncio import AsyncSession

from finops.app_state import CatalogDep, SessionDep
from finops.auth.dependencies import Admin, AnyRole, require, tenant_filter
from finops.auth.tokens import Principal
from finops.ingest.schemas import ProviderName, TokenCounts
from finops.kit.errors import BadRequest, FinopsError
from finops.kit.time import utcnow
from finops.models import PricingSyncRun, TenantRate
from finops.pricing import browse, overrides, updater
from finops.pricing import repository as pricing_repository
from finops.pricing import reprice as reprice_service
from finops.pricing import service as pricing_service
from finops.pricing.catalog import Catalog
from finops.pricing.providers import registry as usage_parsers
from finops.pricing.reprice import RepriceFilter, RepriceReport
from finops.pricing.schemas import (
    CatalogModelDetail,
    CatalogModelPage,
    EstimateIn,
    EstimateOut,
    RepriceIn,
    RepriceModelOut,
    RepriceOut,
    SyncIn,
    SyncRunOut,
    SyncStatusOut,
    TenantRateIn,
    TenantRateList,
    TenantRateOut,
)
from finops.pricing.usage import NormalizedUsage

router = APIRouter(prefix="/v1/pricing", tags=["pricing"])
Session = SessionDep
RateReader = Annotated[Principal, Depends(require("admin", "tenant_admin"))]


class SyncFailed(FinopsError):
    status_code = 502
    code = "sync_failed"


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


# --- catalog ----------------------------------------------------------------------------------
@router.get("/models", response_model=CatalogModelPage)
async def list_models(
    _principal: AnyRole,
    session: Session,
    catalog: CatalogDep,
    provider: str | None = None,
    search: Annotated[str | None, Query(max_length=128)] = None,
    include_removed: bool = False,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> CatalogModelPage:
    """Catalog models with the price of each variant in force now (filter by provider, search ids/names)."""
    return await browse.list_models(
        session,
        provider=provider,
        search=search,
        include_removed=include_removed,
        limit=limit,
        offset=offset,
        at=utcnow(),
        revision=catalog.revision,
    )


@router.get("/models/{provider}/{model:path}", response_model=CatalogModelDetail)
async def get_model(
    provider: str, model: str, _principal: AnyRole, session: Session, catalog: CatalogDep
) -> CatalogModelDetail:
    """One model: its versions in force now and its whole price history (model ids may hold / and :)."""
    return await browse.model_detail(session, catalog, provider=provider, model=model, at=utcnow())


# --- tenant rates -----------------------------------------------------------------------------
def _rate_out(rate: TenantRate) -> TenantRateOut:
    return TenantRateOut(
        id=rate.id,
        tenant_id=rate.tenant_id,
        provider=rate.provider,
        model=f"{rate.catalog_provider}/{rate.model_id}" if rate.model_id else None,
        kind=rate.kind,
        discount_percent=rate.discount_percent,
        variant=rate.variant,
        rates=rate.rates,
        effective_from=rate.effective_from,
        effective_to=rate.effective_to,
        note=rate.note,
        created_by=rate.created_by,
        created_at=rate.created_at,
    )


def _refresh_catalog(request: Request, tasks: BackgroundTasks) -> None:
    # After the response (and so after the commit): this replica reloads at once; others notice the
    # revision bump within catalog_refresh_seconds.
    tasks.add_task(request.app.state.catalog_cache.invalidate)


@router.get("/tenants/{tenant_id}/rates", response_model=TenantRateList)
async def list_tenant_rates(
    tenant_id: str,
    principal: RateReader,
    session: Session,
    provider: ProviderName | None = None,
    active_at: AwareDatetime | None = None,
) -> TenantRateList:
    """A tenant's negotiated rates, every version (or those in force at `active_at`)."""
    tenant_filter(principal, tenant_id)
    rates = await pricing_repository.list_tenant_rates(
        session, tenant_id=tenant_id, provider=provider, active_at=active_at
    )
    return TenantRateList(items=[_rate_out(r) for r in rates])


async def _put_rate(
    request: Request,
    tasks: BackgroundTasks,
    session: AsyncSession,
    catalog: Catalog,
    principal: Principal,
    *,
    tenant_id: str,
    provider: str,
    model: str | None,
    body: TenantRateIn,
) -> TenantRateOut:
    rate = await overrides.set_rate(
        session,
        catalog,
        actor=principal.sub,
        tenant_id=tenant_id,
        provider=provider,
        model=model,
        kind=body.kind,
        discount_percent=body.discount_percent,
        variant=body.variant,
        rates=body.rates_json(),
        effective_from=body.effective_from,
        note=body.note,
    )
    _refresh_catalog(request, tasks)
    return _rate_out(rate)


@router.put("/tenants/{tenant_id}/rates/{provider}", response_model=TenantRateOut)
async def put_provider_rate(
    tenant_id: Annotated[str, Path(min_length=1, max_length=128)],
    provider: ProviderName,
    body: TenantRateIn,
    principal: Admin,
    session: Session,
    catalog: CatalogDep,
    request: Request,
    tasks: BackgroundTasks,
) -> TenantRateOut:
    """Set a tenant's rate on a whole provider (a new version from `effective_from`; audited)."""
    if body.kind == "price":
        raise BadRequest("a negotiated price is set per model", code="price_needs_model")
    return await _put_rate(
        request,
        tasks,
        session,
        catalog,
        principal,
        tenant_id=tenant_id,
        provider=provider,
        model=None,
        body=body,
    )


@router.put("/tenants/{tenant_id}/rates/{provider}/{model:path}", response_model=TenantRateOut)
async def put_model_rate(
    tenant_id: Annotated[str, Path(min_length=1, max_length=128)],
    provider: ProviderName,
    model: str,
    body: TenantRateIn,
    principal: Admin,
    session: Session,
    catalog: CatalogDep,
    request: Request,
    tasks: BackgroundTasks,
) -> TenantRateOut:
    """Set a tenant's rate on one model (a discount or a negotiated price; a new version; audited)."""
    return await _put_rate(
        request,
        tasks,
        session,
        catalog,
        principal,
        tenant_id=tenant_id,
        provider=provider,
        model=model,
        body=body,
    )


@router.delete("/tenants/{tenant_id}/rates/{provider}", response_model=TenantRateOut)
async def delete_provider_rate(
    tenant_id: str,
    provider: ProviderName,
    principal: Admin,
    session: Session,
    catalog: CatalogDep,
    request: Request,
    tasks: BackgroundTasks,
    effective_to: AwareDatetime | None = None,
) -> TenantRateOut:
    """End a tenant's provider-wide rate (from `effective_to`, default now); list prices apply again."""
    rate = await overrides.end_rate(
        session,
        catalog,
        actor=principal.sub,
        tenant_id=tenant_id,
        provider=provider,
        model=None,
        at=effective_to,
    )
    _refresh_catalog(request, tasks)
    return _rate_out(rate)


@router.delete("/tenants/{tenant_id}/rates/{provider}/{model:path}", response_model=TenantRateOut)
async def delete_model_rate(
    tenant_id: str,
    provider: ProviderName,
    model: str,
    principal: Admin,
    session: Session,
    catalog: CatalogDep,
    request: Request,
    tasks: BackgroundTasks,
    effective_to: AwareDatetime | None = None,
) -> TenantRateOut:
    """End a tenant's rate on one model (from `effective_to`, default now)."""
    rate = await overrides.end_rate(
        session,
        catalog,
        actor=principal.sub,
        tenant_id=tenant_id,
        provider=provider,
        model=model,
        at=effective_to,
    )
    _refresh_catalog(request, tasks)
    return _rate_out(rate)


# --- sync -------------------------------------------------------------------------------------
def sync_run_out(run: PricingSyncRun, repriced: int | None = None) -> SyncRunOut:
    out = SyncRunOut.model_validate(run, from_attributes=True)
    out.repriced_events = repriced
    return out


@router.post("/sync", response_model=SyncRunOut)
async def sync_catalog(principal: Admin, request: Request, body: SyncIn | None = None) -> SyncRunOut:
    """Pull the published catalog now: changed prices become versions from now; 502 if it failed."""
    settings = request.app.state.settings
    result = await updater.run_sync(
        request.app.state.sessionmaker,
        settings,
        actor=principal.sub,
        source=body.source if body else None,
        fmt=body.format if body else None,
    )
    request.app.state.catalog_cache.invalidate()
    if result.run.status == "failed":
        raise SyncFailed(
            f"the catalog sync failed; nothing changed: {result.run.error}",
            details={"run_id": result.run.id, "attempts": result.run.attempts},
        )
    return sync_run_out(result.run, result.repriced.affected if result.repriced else None)


@router.get("/sync-status", response_model=SyncStatusOut)
async def sync_status(_principal: AnyRole, session: Session, request: Request) -> SyncStatusOut:
    """The last catalog sync (time, result, diff counts), the last success and when the next is due."""
    return await updater.status(session, request.app.state.settings)


# --- re-pricing -------------------------------------------------------------------------------
@router.post("/reprice", response_model=RepriceOut)
async def reprice_events(
    body: RepriceIn, principal: Admin, session: Session, request: Request, tasks: BackgroundTasks
) -> RepriceOut:
    """Re-price stored events with the prices in force at their time: dry run (default) or apply,
    events and rollups in one transaction, audited with who and why. Idempotent."""
    catalog = await pricing_service.build_catalog(session)
    filters = RepriceFilter(
        tenant_id=body.tenant_id,
        provider=body.provider,
        model=body.model,
        catalog_model=body.catalog_model,
        start=body.start,
        end=body.end,
        only_unpriced=body.only_unpriced,
    )
    run_id, report = await reprice_service.reprice(
        session, catalog, filters, apply=not body.dry_run, actor=principal.sub, reason=body.reason
    )
    return reprice_out(run_id, report, dry_run=body.dry_run)


def reprice_out(run_id: str, report: RepriceReport, *, dry_run: bool) -> RepriceOut:
    return RepriceOut(
        run_id=run_id,
        dry_run=dry_run,
        events_scanned=report.scanned,
        events_affected=report.affected,
        newly_priced=report.newly_priced,
        kept=report.kept,
        old_cost_usd=report.old_cost_usd,
        new_cost_usd=report.new_cost_usd,
        delta_cost_usd=report.delta_cost_usd,
        old_list_cost_usd=report.old_list_cost_usd,
        new_list_cost_usd=report.new_list_cost_usd,
        by_model=[
            RepriceModelOut(
                provider=p,
                model=m,
                events=d.events,
                old_cost_usd=d.old_cost_usd,
                new_cost_usd=d.new_cost_usd,
                delta_cost_usd=d.new_cost_usd - d.old_cost_usd,
            )
            for (p, m), d in sorted(report.by_model.items())
        ],
    )
