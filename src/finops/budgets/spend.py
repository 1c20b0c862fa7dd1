"""A budget's spend, always through the cost query engine (`costs.service.query_costs`) with the
budget's scope as filters and its period as the range, so it equals GET /v1/costs by construction."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from finops.budgets import periods
from finops.budgets.periods import Period
from finops.costs import service as costs_service
from finops.costs.service import CostQuery, CostReport
from finops.kit.time import zone
from finops.models import Budget

# Events may be stamped up to 5 minutes in the future; an open-ended (total) period reads that far.
FUTURE_SKEW = timedelta(minutes=10)


def current_period(budget: Budget, now: datetime) -> Period:
    return periods.period_at(
        budget.period, zone(budget.timezone), now, start=budget.period_start, end=budget.period_end
    )


def query_end(period: Period, now: datetime) -> datetime:
    return period.end if period.end is not None else max(now + FUTURE_SKEW, period.start + FUTURE_SKEW)


def cost_query(
    budget: Budget,
    *,
    start: datetime,
    end: datetime,
    extra: Mapping[str, str] | None = None,
    group_by: tuple[str, ...] = (),
    granularity: str = "none",
    tz: str | None = None,
) -> CostQuery:
    """The cost query of this budget's scope (plus `extra` dimension values, e.g. one split)."""
    values = {**budget.scope, **(extra or {})}
    return CostQuery(
        start=start,
        end=end,
        group_by=group_by,
        granularity=granularity,
        tz=tz or budget.timezone,
        filters=tuple(sorted((k, v) for k, v in values.items() if not k.startswith("tag:"))),
        tag_filters=tuple(sorted((k[4:], v) for k, v in values.items() if k.startswith("tag:"))),
    )


async def period_spend(
    session: AsyncSession,
    budget: Budget,
    period: Period,
    *,
    now: datetime,
    extra: Mapping[str, str] | None = None,
    group_by: tuple[str, ...] = (),
) -> CostReport:
    query = cost_query(budget, start=period.start, end=query_end(period, now), extra=extra, group_by=group_by)
    return await costs_service.query_costs(session, query)
