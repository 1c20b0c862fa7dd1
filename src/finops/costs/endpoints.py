"""Cost query endpoints."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Depends, Query, Response
from sqlalchemy.ext.asyncio import AsyncSession

from finops.app_state import SessionDep
from finops.auth.dependencies import Reader, tenant_filter
from finops.costs import service as costs_service
from finops.costs.schemas import CostsOut, SummaryOut, Sums, TopOut, TopRow
from finops.costs.service import MONEY_SUMS
from finops.kit import money
from finops.kit.errors import BadRequest
from finops.kit.time import as_utc, utcnow

router = APIRouter(prefix="/v1/costs", tags=["costs"])
Session = SessionDep
DEFAULT_DAYS = 30
MAX_ROWS = 10_000


class Filters:
    """Dimension filters shared by every cost endpoint."""

    def __init__(
        self,
        tenant_id: str | None = None,
        service: str | None = None,
        learner_id: str | None = None,
        subject: str | None = None,
        provider: str | None = None,
        model: str | None = None,
        tag: Annotated[list[str] | None, Query(description="key=value, repeatable")] = None,
        start: Annotated[datetime | None, Query(description="Default: 30 days before end")] = None,
        end: Annotated[datetime | None, Query(description="Default: now")] = None,
    ) -> None:
        self.values = {
            "tenant_id": tenant_id,
            "service": service,
            "learner_id": learner_id,
            "subject": subject,
            "provider": provider,
            "model": model,
        }
        self.tags: list[tuple[str, str]] = []
        for item in tag or []:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise BadRequest("tag filters look like key=value", code="invalid_filter")
            self.tags.append((key, value))
        if (start is not None and start.tzinfo is None) or (end is not None and end.tzinfo is None):
            raise BadRequest("start and end need a UTC offset", code="invalid_timestamp")
        try:  # year 1 with a positive offset, or year 9999 with a negative one, has no UTC instant
            self.end = as_utc(end) if end is not None else utcnow()
            self.start = as_utc(start) if start is not None else self.end - timedelta(days=DEFAULT_DAYS)
        except OverflowError as exc:
            raise BadRequest("start or end is out of range", code="invalid_timestamp") from exc

    def query(self, principal: Any, **kwargs: Any) -> costs_service.CostQuery:
        values = dict(self.values)
        values["tenant_id"] = tenant_filter(principal, values["tenant_id"])
        return costs_service.CostQuery(
            start=self.start,
            end=self.end,
            filters=tuple((k, v) for k, v in values.items() if v is not None),
            tag_filters=tuple(self.tags),
            **kwargs,
        )


def _row_json(row: costs_service.CostRow) -> dict[str, Any]:
    out: dict[str, Any] = {
        name: money.to_string(value) if name in MONEY_SUMS else int(value) for name, value in row.sums.items()
    }
    out["bucket_start"] = row.bucket_start.isoformat().replace("+00:00", "Z") if row.bucket_start else None
    out.update(row.keys)
    return out


def _sums(sums: dict[str, Any]) -> Sums:
    return Sums(**sums)


def _top(report: costs_service.CostReport, dimension: str, limit: int) -> tuple[list[TopRow], Decimal]:
    total: Decimal = report.total["cost_usd"]
    ranked = sorted(report.rows, key=lambda r: (-r.sums["cost_usd"], r.keys[dimension] or ""))
    rows = [
        TopRow(
            key=r.keys[dimension],
            cost_usd=r.sums["cost_usd"],
            events=r.sums["events"],
            share=(r.sums["cost_usd"] / total).quantize(Decimal("0.0001")) if total else Decimal(0),
        )
        for r in ranked[:limit]
    ]
    other = total - sum((r.cost_usd for r in rows), Decimal(0))
    return rows, other


@router.get("", response_model=CostsOut)
async def get_costs(
    principal: Reader,
    session: Session,
    filters: Annotated[Filters, Depends()],
    group_by: Annotated[list[str] | None, Query(description="Repeat or comma-separate")] = None,
    granularity: str = "none",
    tz: str = "UTC",
    limit: Annotated[int, Query(ge=1, le=MAX_ROWS)] = 1000,
) -> Response:
    """Cost and tokens by any dimensions and time bucket (buckets computed in `tz`)."""
    groups = tuple(g.strip() for item in group_by or [] for g in item.split(",") if g.strip())
    query = filters.query(principal, group_by=groups, granularity=granularity, tz=tz)
    report = await costs_service.query_costs(session, query)
    envelope = CostsOut(
        start=query.start,
        end=query.end,
        granularity=granularity,
        tz=tz,
        group_by=list(groups),
        rows=[],
        total_cost_usd=report.total["cost_usd"],
        total=_sums(report.total),
        truncated=len(report.rows) > limit,
    ).model_dump(mode="json")
    # Rows are serialized directly (thousands of rows through Pydantic cost more than the query);
    # the shape is CostRowOut's, which the OpenAPI document and the tests hold it to.
    envelope["rows"] = [_row_json(row) for row in report.rows[:limit]]
    return Response(orjson.dumps(envelope), media_type="application/json")


async def _top_report(
    principal: Any, session: AsyncSession, filters: Filters, dimension: str, limit: int
) -> TopOut:
    query = filters.query(principal, group_by=(dimension,))
    report = await costs_service.query_costs(session, query)
    rows, other = _top(report, dimension, limit)
    return TopOut(
        dimension=dimension,
        start=query.start,
        end=query.end,
        rows=rows,
        other_cost_usd=other,
        total_cost_usd=report.total["cost_usd"],
    )


@router.get("/summary", response_model=SummaryOut)
async def get_summary(
    principal: Reader, session: Session, filters: Annotated[Filters, Depends()]
) -> SummaryOut:
    """Totals for the range, with the split by provider and by service."""
    by_provider = await _top_report(principal, session, filters, "provider", 50)
    report = await costs_service.query_costs(session, filters.query(principal))
    by_service = await _top_report(principal, session, filters, "service", 50)
    return SummaryOut(
        start=filters.start,
        end=filters.end,
        total=_sums(report.total),
        total_cost_usd=report.total["cost_usd"],
        by_provider=by_provider.rows,
        by_service=by_service.rows,
    )


Limit = Annotated[int, Query(ge=1, le=1000)]


@router.get("/by-service", response_model=TopOut)
async def get_by_service(
    principal: Reader, session: Session, filters: Annotated[Filters, Depends()], limit: Limit = 10
) -> TopOut:
    """Top services by cost, with the rest summed as `other_cost_usd`."""
    return await _top_report(principal, session, filters, "service", limit)


@router.get("/by-learner", response_model=TopOut)
async def get_by_learner(
    principal: Reader, session: Session, filters: Annotated[Filters, Depends()], limit: Limit = 10
) -> TopOut:
    """Top learners by cost, with the rest summed as `other_cost_usd`."""
    return await _top_report(principal, session, filters, "learner_id", limit)


@router.get("/by-subject", response_model=TopOut)
async def get_by_subject(
    principal: Reader, session: Session, filters: Annotated[Filters, Depends()], limit: Limit = 10
) -> TopOut:
    """Top subjects by cost, with the rest summed as `other_cost_usd`."""
    return await _top_report(principal, session, filters, "subject", limit)
