"""PostgreSQL bulk writes through unnest(): one statement whose parameters are column arrays.

SQLAlchemy's executemany spends ~50 µs per row building parameters; the ingest path writes about
five rows per event (the event and its rollups), so on PostgreSQL it sends each column as one
array instead and lets the server unnest them. Used only on the hot ingest path.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

import orjson
from sqlalchemy import JSON, BigInteger, Boolean, Integer, String
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit import money
from finops.kit.db import Money, UTCDateTime
from finops.kit.time import as_utc


def _array_type(column: Any) -> tuple[str, str]:
    """(the PostgreSQL array type of the parameter, a cast applied to the unnested value)."""
    kind = column.type
    if isinstance(kind, JSON):
        return "text[]", "::json"
    if isinstance(kind, Money):
        return "numeric[]", ""
    if isinstance(kind, UTCDateTime):
        return "timestamptz[]", ""
    if isinstance(kind, Boolean):
        return "bool[]", ""
    if isinstance(kind, BigInteger | Integer):
        return "int8[]", ""
    if isinstance(kind, String):
        return "text[]", ""
    raise TypeError(f"no unnest mapping for column {column.name} of type {kind!r}")


def _converter(column: Any) -> Any:
    kind = column.type
    if isinstance(kind, JSON):
        return lambda v: None if v is None else orjson.dumps(v).decode()
    if isinstance(kind, Money):
        return lambda v: None if v is None else money.quantize(Decimal(v))
    if isinstance(kind, UTCDateTime):
        return lambda v: None if v is None else as_utc(v)
    return lambda v: v


@lru_cache(maxsize=64)
def _converters(table: Any, columns: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(name, _converter(table.c[name])) for name in columns]


@lru_cache(maxsize=64)
def statement(table: Any, columns: tuple[str, ...], tail: str) -> str:
    casts = [_array_type(table.c[name]) for name in columns]
    params = ", ".join(f"${i + 1}::{array}" for i, (array, _) in enumerate(casts))
    values = ", ".join(f"c{i}{cast}" for i, (_, cast) in enumerate(casts))
    aliases = ", ".join(f"c{i}" for i in range(len(columns)))
    return (
        f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT {values} "
        f"FROM unnest({params}) AS t({aliases}) {tail}"
    )


async def unnest_insert(
    session: AsyncSession, table: Any, columns: Sequence[str], rows: Sequence[Any], tail: str
) -> list[Any]:
    """Run INSERT ... SELECT FROM unnest(...) <tail> on the session's connection and transaction."""
    arrays = [[convert(row[name]) for row in rows] for name, convert in _converters(table, tuple(columns))]
    # Through SQLAlchemy (not the bare driver) so the statement runs inside the session's
    # transaction: the driver connection alone would autocommit it.
    connection = await session.connection()
    result = await connection.exec_driver_sql(statement(table, tuple(columns), tail), tuple(arrays))
    return list(result.mappings()) if result.returns_rows else []
