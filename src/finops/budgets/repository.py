"""All SQL of budgets and reservations."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import (
    String,
    Table,
    and_,
    bindparam,
    case,
    column,
    exists,
    func,
    literal,
    or_,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.db import Money, UTCDateTime, dialect_name
from finops.models import Budget, BudgetReservation, CostRollup, UsageEvent
from finops.models.budget_reservation import EXPIRED, HELD, RELEASED, SETTLED


def _visible() -> Any:
    return Budget.deleted_at.is_(None)


async def add_budget(session: AsyncSession, budget: Budget) -> Budget:
    session.add(budget)
    await session.flush()
    return budget


async def get_budget(session: AsyncSession, budget_id: str) -> Budget | None:
    return await session.scalar(select(Budget).where(Budget.id == budget_id, _visible()))


async def list_budgets(
    session: AsyncSession,
    *,
    tenant_id: str | None,
    only_tenant: bool,
    active: bool | None = None,
    enforcement: str | None = None,
    period: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[Budget], int]:
    """Budgets, oldest first. `only_tenant` limits to `tenant_id` exactly (None = global budgets);
    otherwise `tenant_id=None` means every budget."""
    where: list[Any] = [_visible()]
    if only_tenant or tenant_id is not None:
        where.append(Budget.tenant_id.is_(None) if tenant_id is None else Budget.tenant_id == tenant_id)
    if active is not None:
        where.append(Budget.active.is_(active))
    if enforcement is not None:
        where.append(Budget.enforcement == enforcement)
    if period is not None:
        where.append(Budget.period == period)
    total = await session.scalar(select(func.count()).select_from(Budget).where(*where)) or 0
    stmt = select(Budget).where(*where).order_by(Budget.created_at, Budget.id).limit(limit).offset(offset)
    return list(await session.scalars(stmt)), total


async def active_budgets(session: AsyncSession, *, tenant_id: str | None) -> list[Budget]:
    """Active budgets of one tenant (its own, not global ones), or of everyone when None."""
    stmt = select(Budget).where(Budget.active.is_(True), _visible())
    if tenant_id is not None:
        stmt = stmt.where(Budget.tenant_id == tenant_id)
    return list(await session.scalars(stmt.order_by(Budget.id)))


async def candidate_budgets(session: AsyncSession, tenant_ids: Sequence[str]) -> list[Budget]:
    """Active budgets that could apply to events of these tenants: theirs and the global ones."""
    stmt = select(Budget).where(
        Budget.active.is_(True),
        _visible(),
        or_(Budget.tenant_id.in_(list(tenant_ids)), Budget.tenant_id.is_(None)),
    )
    return list(await session.scalars(stmt.order_by(Budget.id)))


def lock_key(budget_id: str, split_key: str) -> int:
    """A signed 64-bit advisory-lock key for one (budget, split)."""
    digest = hashlib.blake2b(f"finops.budget:{budget_id}:{split_key}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


async def lock_splits(session: AsyncSession, keys: Sequence[tuple[str, str]]) -> None:
    """Serialize reserving checks per (budget, split) until the transaction ends.

    PostgreSQL: transaction-scoped advisory locks taken in ascending key order (one statement),
    so two checks that touch the same budgets can never deadlock. SQLite needs nothing: every
    write transaction there starts with BEGIN IMMEDIATE and so already runs alone.
    """
    if dialect_name(session) != "postgresql" or not keys:
        return
    ordered = sorted({lock_key(b, s) for b, s in keys})
    if len(ordered) == 1:
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": ordered[0]})
        return
    # unnest() yields the array in order, and the locks are taken as the rows are produced.
    await session.execute(
        text("SELECT pg_advisory_xact_lock(k) FROM unnest(CAST(:keys AS bigint[])) AS k"), {"keys": ordered}
    )


@dataclass(frozen=True, slots=True)
class Settled:
    key: tuple[str, str]
    closed_at: datetime
    amount: Decimal


_RESERVATIONS = cast(Table, BudgetReservation.__table__)

# One static statement (compiled once): held, unexpired lines summed per (budget, split), and the
# lines settled after :since one by one. The IN lists are a superset of the wanted pairs.
_RESERVATION_STATE = (
    text(
        """
        SELECT budget_id, split_key, status, max(closed_at) AS closed_at, sum(amount_usd) AS amount
        FROM budget_reservations
        WHERE budget_id IN :budget_ids AND split_key IN :split_keys
          AND ((status = :held AND expires_at > :now) OR (status = :settled AND closed_at > :since))
        GROUP BY budget_id, split_key, status, CASE WHEN status = :settled THEN id ELSE 0 END
        """
    )
    .bindparams(
        bindparam("budget_ids", expanding=True),
        bindparam("split_keys", expanding=True),
        bindparam("now", type_=UTCDateTime()),
        bindparam("since", type_=UTCDateTime()),
    )
    .columns(
        column("budget_id", String),
        column("split_key", String),
        column("status", String),
        column("closed_at", UTCDateTime()),
        column("amount", Money()),
    )
)


async def reservation_state(
    session: AsyncSession,
    keys: Sequence[tuple[str, str]],
    *,
    now: datetime,
    settled_since: datetime | None = None,
) -> tuple[dict[tuple[str, str], Decimal], list[Settled]]:
    """Held, unexpired reservations per (budget_id, split_key), and (when `settled_since` is
    given) the lines settled after that instant, in one statement."""
    if not keys:
        return {}, []
    wanted = set(keys)
    params = {
        "budget_ids": sorted({b for b, _ in wanted}),
        "split_keys": sorted({k for _, k in wanted}),
        "held": HELD,
        "settled": SETTLED,
        "now": now,
        "since": settled_since,
    }
    held: dict[tuple[str, str], Decimal] = {}
    settled: list[Settled] = []
    for budget_id, split_key, status, closed_at, amount in await session.execute(_RESERVATION_STATE, params):
        key = (budget_id, split_key)
        if key not in wanted:
            continue
        if status == HELD:
            held[key] = held.get(key, Decimal(0)) + (amount or Decimal(0))
        else:
            settled.append(Settled(key, closed_at or now, amount or Decimal(0)))
    return held, settled


async def reserved_by_split(session: AsyncSession, budget_id: str, *, now: datetime) -> dict[str, Decimal]:
    """Held, unexpired reservations of one budget, per split key."""
    stmt = (
        select(BudgetReservation.split_key, func.sum(BudgetReservation.amount_usd))
        .where(
            BudgetReservation.budget_id == budget_id,
            BudgetReservation.status == HELD,
            BudgetReservation.expires_at > now,
        )
        .group_by(BudgetReservation.split_key)
    )
    return {row[0]: Decimal(row[1] or 0) for row in await session.execute(stmt)}


async def add_reservations(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(_RESERVATIONS.insert(), list(rows))


async def settle(
    session: AsyncSession, settlements: Sequence[tuple[str, str, str, Decimal]], *, now: datetime
) -> int:
    """Mark held lines of these (tenant_id, reservation_id) as settled by (event_id, cost), in one
    statement. Lines already settled, released or expired are left alone."""
    if not settlements:
        return 0
    by_reservation = {(t, r): (e, c) for t, r, e, c in reversed(settlements)}  # first event wins
    event_case = case(
        {r: literal(e) for (_, r), (e, _) in by_reservation.items()}, value=BudgetReservation.reservation_id
    )
    cost_case = case(
        {r: literal(c, Money()) for (_, r), (_, c) in by_reservation.items()},
        value=BudgetReservation.reservation_id,
    )
    stmt = (
        update(BudgetReservation)
        .where(
            tuple_(BudgetReservation.tenant_id, BudgetReservation.reservation_id).in_(sorted(by_reservation)),
            BudgetReservation.status == HELD,
        )
        .values(status=SETTLED, closed_at=now, event_id=event_case, settled_cost_usd=cost_case)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def release(session: AsyncSession, reservation_id: str, *, tenant_id: str | None, now: datetime) -> int:
    stmt = update(BudgetReservation).where(
        BudgetReservation.reservation_id == reservation_id, BudgetReservation.status == HELD
    )
    if tenant_id is not None:
        stmt = stmt.where(BudgetReservation.tenant_id == tenant_id)
    stmt = stmt.values(status=RELEASED, closed_at=now).execution_options(synchronize_session=False)
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def reservation_lines(
    session: AsyncSession, reservation_id: str, *, tenant_id: str | None
) -> list[BudgetReservation]:
    stmt = select(BudgetReservation).where(BudgetReservation.reservation_id == reservation_id)
    if tenant_id is not None:
        stmt = stmt.where(BudgetReservation.tenant_id == tenant_id)
    return list(await session.scalars(stmt.order_by(BudgetReservation.id)))


async def expire(session: AsyncSession, *, now: datetime, limit: int = 5000) -> int:
    """Mark held lines past their expiry as expired (they already stopped counting at expires_at)."""
    ids = (
        select(BudgetReservation.id)
        .where(BudgetReservation.status == HELD, BudgetReservation.expires_at <= now)
        .limit(limit)
    )
    stmt = (
        update(BudgetReservation)
        .where(BudgetReservation.id.in_(ids.scalar_subquery()))
        .values(status=EXPIRED, closed_at=now)
        .execution_options(synchronize_session=False)
    )
    result = await session.execute(stmt)
    return int(getattr(result, "rowcount", 0) or 0)


async def scope_seen(
    session: AsyncSession, *, filters: dict[str, str], tag_filters: dict[str, str], since: datetime
) -> bool:
    """Whether any event since `since` matches these filters (daily rollups; raw events for tags)."""
    if tag_filters:
        where: list[Any] = [UsageEvent.occurred_at >= since]
        where.extend(getattr(UsageEvent, k) == v for k, v in filters.items())
        where.extend(UsageEvent.tags[k].as_string() == v for k, v in tag_filters.items())
        return bool(await session.scalar(select(exists().where(and_(*where)))))
    where = [CostRollup.grain == "day", CostRollup.bucket_start >= since]
    where.extend(getattr(CostRollup, k) == v for k, v in filters.items())
    return bool(await session.scalar(select(exists().where(and_(*where)))))
