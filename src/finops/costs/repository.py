"""All SQL of rollups and cost queries."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, and_, case, func, select, type_coerce, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit import pg_bulk
from finops.kit.db import dialect_name, insert_for
from finops.models import CostRollup, UsageEvent
from finops.models.cost_rollup import ROLLUP_DIMENSIONS, ROLLUP_SUMS

_ROLLUP_COLUMNS = ("grain", "bucket_start", *ROLLUP_DIMENSIONS, *ROLLUP_SUMS)


async def apply_deltas(session: AsyncSession, deltas: Sequence[dict[str, Any]]) -> None:
    if not deltas:
        return
    table = CostRollup.__table__
    if dialect_name(session) == "postgresql":
        key = ", ".join(("grain", "bucket_start", *ROLLUP_DIMENSIONS))
        updates = ", ".join(f"{n} = cost_rollups.{n} + EXCLUDED.{n}" for n in ROLLUP_SUMS)
        await pg_bulk.unnest_insert(
            session, table, _ROLLUP_COLUMNS, deltas, f"ON CONFLICT ({key}) DO UPDATE SET {updates}"
        )
        return
    stmt = insert_for(dialect_name(session), table)
    stmt = stmt.on_conflict_do_update(
        index_elements=["grain", "bucket_start", *ROLLUP_DIMENSIONS],
        set_={name: table.c[name] + stmt.excluded[name] for name in ROLLUP_SUMS},
    )
    connection = await session.connection()
    await connection.execute(stmt, list(deltas))


def _sum_columns(source: Any, sign: int = 1) -> list[Any]:
    """SUM of every rollup measure over `source` (usage events or rollups), negated when sign < 0."""
    exprs: dict[str, Any] = {}
    if source is UsageEvent:
        exprs["events"] = type_coerce(func.count(), BigInteger())
        exprs["unpriced_events"] = func.sum(case((UsageEvent.priced.is_(False), 1), else_=0))
    else:
        exprs["events"] = func.sum(CostRollup.events)
        exprs["unpriced_events"] = func.sum(CostRollup.unpriced_events)
    for name in ROLLUP_SUMS:
        if name not in exprs:
            exprs[name] = func.sum(getattr(source, name))
    if sign < 0:  # a piece subtracted from a larger one (see planner.signed_pieces)
        return [type_coerce(-expr, expr.type).label(name) for name, expr in exprs.items()]
    return [expr.label(name) for name, expr in exprs.items()]


def _piece_select(
    source: str,
    start: datetime,
    end: datetime,
    sign: int,
    *,
    group_by: Sequence[str],
    by_bucket: bool,
    filters: dict[str, str],
    tag_filters: dict[str, str],
    tag_keys: Sequence[str],
) -> Any:
    if source == "raw":
        model: Any = UsageEvent
        time_col = UsageEvent.occurred_at
        where = [UsageEvent.occurred_at >= start, UsageEvent.occurred_at < end]
        where.extend(UsageEvent.tags[k].as_string() == v for k, v in tag_filters.items())
    else:
        if tag_filters or tag_keys:
            raise ValueError("tags are only on raw events")
        model = CostRollup
        time_col = CostRollup.bucket_start
        where = [CostRollup.grain == source, CostRollup.bucket_start >= start, CostRollup.bucket_start < end]
    where.extend(getattr(model, dim) == value for dim, value in filters.items())
    keys: list[Any] = [getattr(model, dim).label(dim) for dim in group_by]
    keys.extend(UsageEvent.tags[tag].as_string().label(f"tag:{tag}") for tag in tag_keys)
    if by_bucket:
        keys.append(time_col.label("bucket"))
    stmt = select(*keys, *_sum_columns(model, sign)).where(and_(*where))
    return stmt.group_by(*keys) if keys else stmt


async def aggregate(
    session: AsyncSession,
    *,
    pieces: Sequence[tuple[str, datetime, datetime, int]],
    group_by: Sequence[str],
    by_bucket: bool,
    filters: dict[str, str],
    tag_filters: dict[str, str],
    tag_keys: Sequence[str] = (),
) -> list[dict[str, Any]]:
    """Sums grouped by dimensions (and each source's own time bucket) over consecutive pieces of a
    range, in ONE statement: each piece reads its source, UNION ALL, and an outer GROUP BY merges
    them, so the database (not Python) adds the pieces up.

    A piece's source is a rollup grain ("hour", "day:tl", ...) or "raw" (usage events, whose bucket
    is the event's own timestamp); its sign is -1 for a part subtracted from a larger piece. Tags
    live only on events, so tag filters and groups need "raw".
    """
    if not pieces:
        return []
    selects = [
        _piece_select(
            source,
            start,
            end,
            sign,
            group_by=group_by,
            by_bucket=by_bucket,
            filters=filters,
            tag_filters=tag_filters,
            tag_keys=tag_keys,
        )
        for source, start, end, sign in pieces
    ]
    if len(selects) == 1:
        stmt = selects[0]
    else:
        merged = union_all(*selects).subquery("pieces")
        names = [*group_by, *(f"tag:{t}" for t in tag_keys), *(["bucket"] if by_bucket else [])]
        keys = [merged.c[name] for name in names]
        stmt = select(*keys, *(func.sum(merged.c[n]).label(n) for n in ROLLUP_SUMS))
        if keys:
            stmt = stmt.group_by(*keys)
    result = await session.execute(stmt)
    return [dict(row._mapping) for row in result]


def _utc_day(session: AsyncSession, column: Any) -> Any:
    """The UTC calendar day of a timestamp column, as YYYY-MM-DD text on either backend."""
    if dialect_name(session) == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD").label("day")
    return func.strftime("%Y-%m-%d", column).label("day")


Totals = dict[tuple[Any, ...], dict[str, Any]]


async def _totals(session: AsyncSession, model: Any, time_column: Any, *where: Any) -> Totals:
    keys: list[Any] = [getattr(model, d) for d in ROLLUP_DIMENSIONS]
    keys.append(_utc_day(session, time_column))
    result = await session.execute(select(*keys, *_sum_columns(model)).where(*where).group_by(*keys))
    return {tuple(row[: len(keys)]): dict(row._mapping) for row in result}


async def raw_totals(session: AsyncSession) -> Totals:
    """Sums of raw events per dimension key and UTC day, straight from usage_events."""
    return await _totals(session, UsageEvent, UsageEvent.occurred_at)


async def rollup_totals(session: AsyncSession, *, grain: str) -> Totals:
    """Sums of one rollup grain per dimension key and UTC day."""
    return await _totals(session, CostRollup, CostRollup.bucket_start, CostRollup.grain == grain)
