"""Budget endpoints: CRUD, status, forecast, history, splits, the pre-flight check and releases."""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response

from finops.app_state import CatalogDep, SessionDep
from finops.auth.dependencies import Ingestor, Reader, require, tenant_filter
from finops.auth.tokens import Principal
from finops.budgets import check as budgets_check
from finops.budgets import repository as budgets_repository
from finops.budgets import reservations
from finops.budgets import service as budgets_service
from finops.budgets.cache import CheckCache
from finops.budgets.schemas import (
    BudgetIn,
    BudgetOut,
    BudgetPage,
    BudgetPatch,
    BudgetStatusOut,
    CheckIn,
    CheckOut,
    Enforcement,
    ForecastOut,
    HistoryOut,
    HistoryRow,
    PeriodName,
    ReleaseOut,
    SplitPage,
    StatusPage,
)
from finops.budgets.views import budget_out, check_out, forecast_out, split_out, status_out
from finops.kit.time import utcnow
from finops.observability import metrics, record

router = APIRouter(prefix="/v1/budgets", tags=["budgets"])
Session = SessionDep
Writer = Annotated[Principal, Depends(require("admin", "tenant_admin"))]


def check_cache(request: Request) -> CheckCache:
    """The process's check memo, made on first use from the settings."""
    cache: CheckCache | None = getattr(request.app.state, "budget_check_cache", None)
    if cache is None:
        cache = CheckCache(request.app.state.settings.budget_check_cache_seconds)
        request.app.state.budget_check_cache = cache
    return cache


Cache = Annotated[CheckCache, Depends(check_cache)]


@router.post("", response_model=BudgetOut, status_code=201)
async def create_budget(body: BudgetIn, principal: Writer, session: Session, cache: Cache) -> BudgetOut:
    """Create a budget (tenant admins within their own tenant; an empty scope is global, admin only)."""
    budget = await budgets_service.create_budget(session, principal, body, now=utcnow())
    cache.invalidate_budgets()  # a check racing this commit may keep the old list for one TTL at most
    return budget_out(budget)


@router.get("", response_model=BudgetPage)
async def list_budgets(
    principal: Reader,
    session: Session,
    tenant_id: str | None = None,
    active: bool | None = None,
    enforcement: Enforcement | None = None,
    period: PeriodName | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> BudgetPage:
    """Budgets visible to the caller, oldest first (admins see every tenant's and global ones)."""
    tenant = tenant_filter(principal, tenant_id)
    budgets, total = await budgets_repository.list_budgets(
        session,
        tenant_id=tenant,
        only_tenant=not principal.is_admin,
        active=active,
        enforcement=enforcement,
        period=period,
        limit=limit,
        offset=offset,
    )
    return BudgetPage(items=[budget_out(b) for b in budgets], total=total)


@router.get("/status", response_model=StatusPage)
async def all_statuses(
    principal: Reader,
    session: Session,
    tenant_id: str | None = None,
    forecast: bool = True,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> StatusPage:
    """Every active budget at a glance: spent, remaining, thresholds crossed, forecast."""
    tenant = tenant_filter(principal, tenant_id)
    budgets, total = await budgets_repository.list_budgets(
        session, tenant_id=tenant, only_tenant=not principal.is_admin, active=True, limit=limit, offset=offset
    )
    now = utcnow()
    items = [
        status_out(b, await budgets_service.budget_status(session, b, now=now, with_forecast=forecast))
        for b in budgets
    ]
    return StatusPage(items=items, total=total)


@router.post("/check", response_model=CheckOut)
async def check_budgets(
    body: CheckIn, principal: Ingestor, session: Session, catalog: CatalogDep, cache: Cache
) -> CheckOut:
    """Pre-flight: would this call fit every budget it falls under? `reserve` holds the estimate."""
    started = time.perf_counter()
    result = await budgets_check.check(session, catalog, principal, body, now=utcnow(), cache=cache)
    metrics.BUDGET_CHECK_DURATION.observe(time.perf_counter() - started)
    record.budget_check(result.allowed, result.reason)
    return check_out(result)


@router.post("/reservations/{reservation_id}/release", response_model=ReleaseOut)
async def release_reservation(reservation_id: str, principal: Ingestor, session: Session) -> ReleaseOut:
    """Release a reservation that will not be used (settled or expired ones are left as they are)."""
    tenant = None if principal.is_admin else principal.tenant_id
    released, status = await reservations.release(session, reservation_id, tenant_id=tenant, now=utcnow())
    return ReleaseOut(reservation_id=reservation_id, released=released, status=status)


@router.get("/{budget_id}", response_model=BudgetOut)
async def get_budget(budget_id: str, principal: Reader, session: Session) -> BudgetOut:
    """One budget."""
    return budget_out(await budgets_service.get_visible(session, principal, budget_id))


@router.patch("/{budget_id}", response_model=BudgetOut)
async def update_budget(
    budget_id: str, patch: BudgetPatch, principal: Writer, session: Session, cache: Cache
) -> BudgetOut:
    """Change a budget's fields; absent fields keep their value."""
    budget = await budgets_service.get_visible(session, principal, budget_id)
    updated = await budgets_service.update_budget(session, principal, budget, patch, now=utcnow())
    cache.invalidate_budgets()
    return budget_out(updated)


@router.delete("/{budget_id}", status_code=204)
async def delete_budget(budget_id: str, principal: Writer, session: Session, cache: Cache) -> Response:
    """Delete a budget: it stops applying at once (the record stays for alerts that name it)."""
    budget = await budgets_service.get_visible(session, principal, budget_id)
    await budgets_service.delete_budget(session, budget, now=utcnow())
    cache.invalidate_budgets()
    return Response(status_code=204)


@router.get("/{budget_id}/status", response_model=BudgetStatusOut)
async def get_status(budget_id: str, principal: Reader, session: Session) -> BudgetStatusOut:
    """Spent, reserved, remaining, percent used, period bounds, thresholds crossed and forecast."""
    budget = await budgets_service.get_visible(session, principal, budget_id)
    return status_out(budget, await budgets_service.budget_status(session, budget, now=utcnow()))


@router.get("/{budget_id}/forecast", response_model=ForecastOut)
async def get_forecast(budget_id: str, principal: Reader, session: Session) -> ForecastOut:
    """Projected spend at the period end with an 80 % interval, exhaustion date and method."""
    budget = await budgets_service.get_visible(session, principal, budget_id)
    status = await budgets_service.budget_status(session, budget, now=utcnow())
    out = forecast_out(status)
    assert out is not None  # the current period always contains now
    return out


@router.get("/{budget_id}/history", response_model=HistoryOut)
async def get_history(
    budget_id: str, principal: Reader, session: Session, periods: Annotated[int, Query(ge=1, le=36)] = 12
) -> HistoryOut:
    """The current period and past ones, newest first: spent vs amount."""
    budget = await budgets_service.get_visible(session, principal, budget_id)
    rows = await budgets_service.history(session, budget, now=utcnow(), count=periods)
    return HistoryOut(
        budget_id=budget.id,
        items=[
            HistoryRow(
                current=row.current,
                period_start=row.period.start,
                period_end=row.period.end,
                amount_usd=budget.amount_usd,
                spent_usd=row.spent,
                percent_used=budgets_service.percent(row.spent, budget.amount_usd),
                exceeded=row.spent > budget.amount_usd,
                events=row.events,
                top_split=row.top_split,
                splits_exceeded=row.splits_exceeded,
            )
            for row in rows
        ],
    )


@router.get("/{budget_id}/splits", response_model=SplitPage)
async def get_splits(
    budget_id: str,
    principal: Reader,
    session: Session,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> SplitPage:
    """Every split of a split budget this period, most spent first (empty for other budgets)."""
    budget = await budgets_service.get_visible(session, principal, budget_id)
    period, splits = await budgets_service.all_splits(session, budget, now=utcnow())
    return SplitPage(
        budget_id=budget.id,
        period_start=period.start,
        period_end=period.end,
        split_by=budget.split_by,
        items=[split_out(s) for s in splits[offset : offset + limit]],
        total=len(splits),
    )
