"""Cost queries: sums by any dimension and time bucket, answered from rollups (raw events only
for partial hours and tags), so they stay fast at tens of millions of events."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.costs import planner
from finops.costs import repository as costs_repository
from finops.kit.errors import BadRequest
from finops.kit.time import as_utc, bucket_start, zone
from finops.models.cost_rollup import ROLLUP_DIMENSIONS, ROLLUP_SUMS

DIMENSIONS = ROLLUP_DIMENSIONS
GRANULARITIES = ("none", "hour", "day", "week", "month")
MAX_RANGE_DAYS = 3660


@dataclass(frozen=True)
class CostQuery:
    start: datetime
    end: datetime
    group_by: tuple[str, ...] = ()
    granularity: str = "none"
    tz: str = "UTC"
    filters: tuple[tuple[str, str], ...] = ()
    tag_filters: tuple[tuple[str, str], ...] = ()


@dataclass
class CostRow:
    keys: dict[str, str | None]
    bucket_start: datetime | None
    sums: dict[str, Any]


@dataclass
class CostReport:
    rows: list[CostRow]
    total: dict[str, Any]


def _empty_sums() -> dict[str, Any]:
    sums: dict[str, Any] = {name: 0 for name in ROLLUP_SUMS}
    sums["cost_usd"] = Decimal(0)
    sums["list_cost_usd"] = Decimal(0)
    return sums


MONEY_SUMS = frozenset({"cost_usd", "list_cost_usd"})


def _typed(row: dict[str, Any]) -> dict[str, Any]:
    """Sums as the API types them: Decimal money, int counts (PostgreSQL's SUM(bigint) is numeric)."""
    return {
        name: (row.get(name) or Decimal(0)) if name in MONEY_SUMS else int(row.get(name) or 0)
        for name in ROLLUP_SUMS
    }


def _add(acc: dict[str, Any], row: dict[str, Any]) -> None:
    for name in ROLLUP_SUMS:
        value = row.get(name)
        if value is not None:
            acc[name] += value


def validate(query: CostQuery) -> None:
    if query.start >= query.end:
        raise BadRequest("start must be before end", code="invalid_range")
    if (query.end - query.start).days > MAX_RANGE_DAYS:
        raise BadRequest("the range may span at most 10 years", code="invalid_range")
    if query.granularity not in GRANULARITIES:
        raise BadRequest(f"granularity must be one of {', '.join(GRANULARITIES)}", code="invalid_granularity")
    for key in query.group_by:
        if key not in DIMENSIONS and not (key.startswith("tag:") and len(key) > 4):
            raise BadRequest(
                f"cannot group by {key!r}: use {', '.join(DIMENSIONS)} or tag:<key>", code="invalid_group_by"
            )
    for dim, _ in query.filters:
        if dim not in DIMENSIONS:
            raise BadRequest(f"cannot filter by {dim!r}", code="invalid_filter")


async def query_costs(session: AsyncSession, query: CostQuery) -> CostReport:
    validate(query)
    tz = zone(query.tz)
    start, end = as_utc(query.start), as_utc(query.end)
    dims = [g for g in query.group_by if not g.startswith("tag:")]
    tag_keys = [g[4:] for g in query.group_by if g.startswith("tag:")]
    uses_tags = bool(tag_keys or query.tag_filters)
    coarsest = planner.coarsest_source(query.granularity, tz, start, end, tags=uses_tags)
    by_bucket = query.granularity != "none"
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    cube = planner.cube_for({*dims, *(dim for dim, _ in query.filters)})
    rows = await costs_repository.aggregate(
        session,
        pieces=[
            (planner.grain_for(source, cube), piece_start, piece_end, sign)
            for source, piece_start, piece_end, sign in planner.signed_pieces(start, end, coarsest)
        ],
        group_by=dims,
        by_bucket=by_bucket,
        filters=dict(query.filters),
        tag_filters=dict(query.tag_filters),
        tag_keys=tag_keys,
    )
    for row in rows:
        if not row.get("events"):
            continue
        bucket = bucket_start(row["bucket"], query.granularity, tz) if by_bucket else None
        key = (*(row[d] for d in dims), *(row[f"tag:{t}"] for t in tag_keys), bucket)
        if by_bucket:  # several stored buckets may fall in one requested bucket
            _add(merged.setdefault(key, _empty_sums()), _typed(row))
        else:  # the database already returned one row per key
            merged[key] = _typed(row)
    names = [*dims, *(f"tag:{t}" for t in tag_keys)]
    out: list[CostRow] = []
    total = _empty_sums()
    for key, sums in merged.items():
        if not sums["events"]:  # only in pieces that cancel out (a day minus its outside hours)
            continue
        _add(total, sums)
        keys = {name: (value or None) for name, value in zip(names, key[:-1], strict=True)}
        out.append(CostRow(keys=keys, bucket_start=key[-1], sums=sums))
    out.sort(
        key=lambda r: (
            r.bucket_start or start,
            -r.sums["cost_usd"],
            tuple(v or "" for v in r.keys.values()),
        )
    )
    return CostReport(rows=out, total=total)
