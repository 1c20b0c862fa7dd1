"""All SQL of usage events."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, or_, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit import pg_bulk
from finops.kit.db import dialect_name, insert_for
from finops.kit.errors import BadRequest
from finops.kit.time import as_utc
from finops.models import UsageEvent

INSERT_CHUNK = 500
_EVENT_COLUMNS = tuple(c.name for c in UsageEvent.__table__.columns if c.name != "id")


async def insert_new(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> set[tuple[str, str]]:
    """Insert rows whose (tenant_id, event_id) is new; return the keys actually inserted.

    ON CONFLICT DO NOTHING makes a concurrent duplicate wait for the first writer and then skip,
    so an event is stored, and counted, exactly once.
    """
    inserted: set[tuple[str, str]] = set()
    if not rows:
        return inserted
    if dialect_name(session) == "postgresql":
        records = await pg_bulk.unnest_insert(
            session,
            UsageEvent.__table__,
            _EVENT_COLUMNS,
            rows,
            "ON CONFLICT (tenant_id, event_id) DO NOTHING RETURNING tenant_id, event_id",
        )
        inserted.update((r["tenant_id"], r["event_id"]) for r in records)
        return inserted
    stmt = (
        insert_for(dialect_name(session), UsageEvent.__table__)
        .on_conflict_do_nothing(index_elements=["tenant_id", "event_id"])
        .returning(UsageEvent.tenant_id, UsageEvent.event_id)
    )
    # executemany: one cached statement, batched by SQLAlchemy's insertmanyvalues.
    connection = await session.connection()
    result = await connection.execute(stmt, list(rows))
    inserted.update((r.tenant_id, r.event_id) for r in result)
    return inserted


async def get_many(
    session: AsyncSession, keys: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], UsageEvent]:
    found: dict[tuple[str, str], UsageEvent] = {}
    for start in range(0, len(keys), INSERT_CHUNK):
        chunk = list(keys[start : start + INSERT_CHUNK])
        result = await session.scalars(
            select(UsageEvent).where(tuple_(UsageEvent.tenant_id, UsageEvent.event_id).in_(chunk))
        )
        found.update({(e.tenant_id, e.event_id): e for e in result})
    return found


async def find_by_event_id(session: AsyncSession, event_id: str, tenant_id: str | None) -> list[UsageEvent]:
    stmt = select(UsageEvent).where(UsageEvent.event_id == event_id)
    if tenant_id is not None:
        stmt = stmt.where(UsageEvent.tenant_id == tenant_id)
    return list(await session.scalars(stmt.limit(2)))


def encode_cursor(event: UsageEvent) -> str:
    raw = f"{event.occurred_at.isoformat()}|{event.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, ident = base64.urlsafe_b64decode(padded).decode().split("|")
        return as_utc(datetime.fromisoformat(stamp)), int(ident)
    except (ValueError, UnicodeDecodeError, OverflowError) as exc:
        raise BadRequest("cursor is not valid", code="invalid_cursor") from exc


async def list_events(
    session: AsyncSession,
    *,
    filters: dict[str, Any],
    start: datetime | None,
    end: datetime | None,
    priced: bool | None,
    cursor: str | None,
    limit: int,
) -> list[UsageEvent]:
    stmt: Select[tuple[UsageEvent]] = select(UsageEvent)
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(UsageEvent, column) == value)
    if start is not None:
        stmt = stmt.where(UsageEvent.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(UsageEvent.occurred_at < end)
    if priced is not None:
        stmt = stmt.where(UsageEvent.priced == priced)
    if cursor:
        at, ident = _decode_cursor(cursor)
        stmt = stmt.where(
            or_(UsageEvent.occurred_at < at, and_(UsageEvent.occurred_at == at, UsageEvent.id < ident))
        )
    stmt = stmt.order_by(UsageEvent.occurred_at.desc(), UsageEvent.id.desc()).limit(limit)
    return list(await session.scalars(stmt))
