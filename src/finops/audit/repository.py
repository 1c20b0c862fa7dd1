"""All SQL of the audit log."""

from __future__ import annotations

import base64
from datetime import datetime

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.errors import BadRequest
from finops.models import AuditEntry


def add(session: AsyncSession, entry: AuditEntry) -> None:
    session.add(entry)


def encode_cursor(entry: AuditEntry) -> str:
    raw = f"{entry.occurred_at.isoformat()}|{entry.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, ident = base64.urlsafe_b64decode(padded).decode().split("|")
        return datetime.fromisoformat(stamp), int(ident)
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("cursor is not valid", code="invalid_cursor") from exc


async def list_entries(
    session: AsyncSession,
    *,
    tenant_id: str | None,
    entity_type: str | None,
    entity_id: str | None,
    action: str | None,
    actor: str | None,
    start: datetime | None,
    end: datetime | None,
    cursor: str | None,
    limit: int,
) -> list[AuditEntry]:
    """Entries newest first; `tenant_id` limits to that tenant's entries (None: all entries)."""
    stmt: Select[tuple[AuditEntry]] = select(AuditEntry)
    if tenant_id is not None:
        stmt = stmt.where(AuditEntry.tenant_id == tenant_id)
    if entity_type is not None:
        stmt = stmt.where(AuditEntry.entity_type == entity_type)
    if entity_id is not None:
        stmt = stmt.where(AuditEntry.entity_id == entity_id)
    if action is not None:
        stmt = stmt.where(AuditEntry.action == action)
    if actor is not None:
        stmt = stmt.where(AuditEntry.actor == actor)
    if start is not None:
        stmt = stmt.where(AuditEntry.occurred_at >= start)
    if end is not None:
        stmt = stmt.where(AuditEntry.occurred_at < end)
    if cursor:
        at, ident = _decode_cursor(cursor)
        stmt = stmt.where(
            or_(AuditEntry.occurred_at < at, and_(AuditEntry.occurred_at == at, AuditEntry.id < ident))
        )
    stmt = stmt.order_by(AuditEntry.occurred_at.desc(), AuditEntry.id.desc()).limit(limit)
    return list(await session.scalars(stmt))
