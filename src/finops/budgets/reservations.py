"""Reservation lifecycle after the check: settle by a usage event, release by the caller, expire."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.budgets import repository as budgets_repository
from finops.kit.errors import NotFound
from finops.kit.time import utcnow


async def settle_events(session: AsyncSession, rows: Iterable[Mapping[str, Any]]) -> int:
    """Settle the reservations named by newly stored events (one statement for the whole batch).

    The event's real cost already entered the rollups in this same transaction, so the estimate
    stops counting as reserved exactly when the real cost starts counting as spent. A pre-flight
    check reads reservations before spend, so a settlement committing in between is counted
    twice (conservative) and never zero times."""
    settlements = [
        (str(r["tenant_id"]), str(r["reservation_id"]), str(r["event_id"]), r["cost_usd"])
        for r in rows
        if r.get("reservation_id")
    ]
    if not settlements:
        return 0
    return await budgets_repository.settle(session, settlements, now=utcnow())


async def release(
    session: AsyncSession, reservation_id: str, *, tenant_id: str | None, now: datetime
) -> tuple[int, str]:
    """Release a reservation's held lines; answers (lines released, resulting status)."""
    lines = await budgets_repository.reservation_lines(session, reservation_id, tenant_id=tenant_id)
    if not lines:
        raise NotFound(f"no reservation {reservation_id!r}", code="reservation_not_found")
    released = await budgets_repository.release(session, reservation_id, tenant_id=tenant_id, now=now)
    if released:
        return released, "released"
    held_expired = any(line.status == "held" and line.expires_at <= now for line in lines)
    return 0, "expired" if held_expired else lines[0].status


async def expire(session: AsyncSession, *, now: datetime) -> int:
    return await budgets_repository.expire(session, now=now)
