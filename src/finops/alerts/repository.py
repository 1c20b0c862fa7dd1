"""All SQL of alerts, alert channels, deliveries and delivery attempts."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.db import dialect_name, insert_for
from finops.kit.errors import BadRequest
from finops.models import Alert, AlertChannel, AlertDelivery, Budget, DeliveryAttempt

# --- channels ---


async def add_channel(session: AsyncSession, channel: AlertChannel) -> None:
    session.add(channel)
    await session.flush()


async def get_channel(session: AsyncSession, channel_id: str) -> AlertChannel | None:
    return await session.scalar(
        select(AlertChannel).where(AlertChannel.id == channel_id, AlertChannel.deleted_at.is_(None))
    )


async def list_channels(
    session: AsyncSession,
    *,
    tenant_id: str | None,
    every_tenant: bool,
    type_: str | None,
    limit: int,
    offset: int,
) -> tuple[list[AlertChannel], int]:
    where: list[Any] = [AlertChannel.deleted_at.is_(None)]
    if not every_tenant:
        where.append(
            AlertChannel.tenant_id.is_(None) if tenant_id is None else AlertChannel.tenant_id == tenant_id
        )
    if type_ is not None:
        where.append(AlertChannel.type == type_)
    total = await session.scalar(select(func.count()).select_from(AlertChannel).where(*where)) or 0
    stmt = select(AlertChannel).where(*where).order_by(AlertChannel.created_at, AlertChannel.id)
    return list(await session.scalars(stmt.limit(limit).offset(offset))), total


async def channels_by_id(session: AsyncSession, ids: Sequence[str]) -> dict[str, AlertChannel]:
    """Channels by id, deleted ones included (a delivery to a deleted channel must learn why it failed)."""
    if not ids:
        return {}
    rows = await session.scalars(select(AlertChannel).where(AlertChannel.id.in_(sorted(set(ids)))))
    return {c.id: c for c in rows}


# --- alerts ---


async def insert_alert(session: AsyncSession, row: dict[str, Any]) -> bool:
    """Insert an alert unless one with the same (budget, split, period, kind, threshold, arm)
    exists: the unique constraint decides, so concurrent evaluators record it exactly once."""
    stmt = (
        insert_for(dialect_name(session), Alert.__table__)
        .values(**row)
        .on_conflict_do_nothing(
            index_elements=["budget_id", "split_key", "period_start", "kind", "threshold_key", "arm"]
        )
        .returning(Alert.id)
    )
    return (await session.execute(stmt)).scalar_one_or_none() is not None


async def open_alerts(session: AsyncSession, budget_id: str) -> list[Alert]:
    """Alerts of a budget not yet resolved (resolutions themselves excluded)."""
    stmt = select(Alert).where(
        Alert.budget_id == budget_id, Alert.resolved_at.is_(None), Alert.kind != "resolved"
    )
    return list(await session.scalars(stmt))


async def period_alerts(session: AsyncSession, budget_id: str, period_start: datetime) -> list[Alert]:
    """Every alert of one budget in one period (all splits, kinds and arms)."""
    stmt = select(Alert).where(Alert.budget_id == budget_id, Alert.period_start == period_start)
    return list(await session.scalars(stmt))


async def recently_sent(session: AsyncSession, budget_id: str, since: datetime) -> set[tuple[str, str, str]]:
    """(split_key, kind, threshold_key) of this budget's alerts recorded (not suppressed) since `since`."""
    stmt = select(Alert.split_key, Alert.kind, Alert.threshold_key).where(
        Alert.budget_id == budget_id, Alert.created_at >= since, Alert.status != "suppressed"
    )
    return {(r.split_key, r.kind, r.threshold_key) for r in await session.execute(stmt)}


async def mark_resolved(session: AsyncSession, ids: Sequence[str], *, at: datetime, by: str) -> None:
    if ids:
        await session.execute(
            update(Alert)
            .where(Alert.id.in_(list(ids)), Alert.resolved_at.is_(None))
            .values(resolved_at=at, resolved_by=by)
        )


async def get_alert(session: AsyncSession, alert_id: str) -> Alert | None:
    return await session.get(Alert, alert_id)


def encode_cursor(alert: Alert) -> str:
    raw = f"{alert.created_at.isoformat()}|{alert.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, ident = base64.urlsafe_b64decode(padded).decode().split("|")
        return datetime.fromisoformat(stamp), ident
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest("cursor is not valid", code="invalid_cursor") from exc


async def list_alerts(
    session: AsyncSession,
    *,
    tenant_id: str | None,
    every_tenant: bool,
    filters: dict[str, str | None],
    start: datetime | None,
    end: datetime | None,
    cursor: str | None,
    limit: int,
) -> list[Alert]:
    stmt: Select[tuple[Alert]] = select(Alert)
    if not every_tenant:
        stmt = stmt.where(Alert.tenant_id.is_(None) if tenant_id is None else Alert.tenant_id == tenant_id)
    for column, value in filters.items():
        if value is not None:
            stmt = stmt.where(getattr(Alert, column) == value)
    if start is not None:
        stmt = stmt.where(Alert.created_at >= start)
    if end is not None:
        stmt = stmt.where(Alert.created_at < end)
    if cursor:
        at, ident = _decode_cursor(cursor)
        stmt = stmt.where(or_(Alert.created_at < at, and_(Alert.created_at == at, Alert.id < ident)))
    stmt = stmt.order_by(Alert.created_at.desc(), Alert.id.desc()).limit(limit)
    return list(await session.scalars(stmt))


async def set_alert_status(session: AsyncSession, alert_id: str, status: str) -> None:
    await session.execute(update(Alert).where(Alert.id == alert_id).values(status=status))


# --- deliveries ---


async def add_deliveries(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert_for(dialect_name(session), AlertDelivery.__table__), list(rows))


async def deliveries_of(session: AsyncSession, alert_ids: Sequence[str]) -> list[AlertDelivery]:
    if not alert_ids:
        return []
    stmt = select(AlertDelivery).where(AlertDelivery.alert_id.in_(list(alert_ids))).order_by(AlertDelivery.id)
    return list(await session.scalars(stmt))


async def attempts_of(session: AsyncSession, delivery_ids: Sequence[int]) -> list[DeliveryAttempt]:
    if not delivery_ids:
        return []
    stmt = (
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id.in_(list(delivery_ids)))
        .order_by(DeliveryAttempt.delivery_id, DeliveryAttempt.number)
    )
    return list(await session.scalars(stmt))


async def claim_due(
    session: AsyncSession, *, now: datetime, lease_until: datetime, token: str, limit: int
) -> list[AlertDelivery]:
    """Take up to `limit` deliveries that are due (or whose sender's lease ran out) for this sender.

    PostgreSQL: FOR UPDATE SKIP LOCKED, so replicas claim disjoint rows without waiting on each
    other. SQLite: the transaction holds the database's single write lock (BEGIN IMMEDIATE), so
    one process claims at a time."""
    due = or_(
        and_(AlertDelivery.status == "pending", AlertDelivery.next_attempt_at <= now),
        and_(AlertDelivery.status == "sending", AlertDelivery.lease_until < now),
    )
    stmt = (
        select(AlertDelivery.id)
        .where(due)
        .order_by(AlertDelivery.next_attempt_at, AlertDelivery.id)
        .limit(limit)
    )
    if dialect_name(session) == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)
    ids = list(await session.scalars(stmt))
    if not ids:
        return []
    # The UPDATE repeats the due condition: should two senders ever read the same rows, the
    # second one's UPDATE (re-checked after the first commits) finds them no longer due.
    claimed = await session.scalars(
        update(AlertDelivery)
        .where(AlertDelivery.id.in_(ids), due)
        .values(status="sending", lease_until=lease_until, claim_token=token, updated_at=now)
        .returning(AlertDelivery.id)
    )
    claimed_ids = list(claimed)
    if not claimed_ids:
        return []
    rows = await session.scalars(
        select(AlertDelivery)
        .where(AlertDelivery.id.in_(claimed_ids))
        .execution_options(populate_existing=True)
    )
    return sorted(rows, key=lambda d: d.id)


async def finish_delivery(
    session: AsyncSession, delivery_id: int, token: str, values: dict[str, Any]
) -> bool:
    """Record a send's outcome, only if this sender still holds the claim."""
    result = await session.execute(
        update(AlertDelivery)
        .where(
            AlertDelivery.id == delivery_id,
            AlertDelivery.claim_token == token,
            AlertDelivery.status == "sending",
        )
        .values(**values)
    )
    return bool(getattr(result, "rowcount", 0))


async def add_attempt(session: AsyncSession, attempt: DeliveryAttempt) -> None:
    session.add(attempt)
    await session.flush()


async def delivery_statuses(session: AsyncSession, alert_id: str) -> list[str]:
    return list(await session.scalars(select(AlertDelivery.status).where(AlertDelivery.alert_id == alert_id)))


async def reset_failed(session: AsyncSession, alert_id: str, *, now: datetime, extra_attempts: int) -> int:
    result = await session.execute(
        update(AlertDelivery)
        .where(AlertDelivery.alert_id == alert_id, AlertDelivery.status == "failed")
        .values(
            status="pending",
            next_attempt_at=now,
            attempt_limit=AlertDelivery.attempts + extra_attempts,
            lease_until=None,
            claim_token=None,
            updated_at=now,
        )
    )
    return int(getattr(result, "rowcount", 0))


async def alerts_by_id(session: AsyncSession, ids: Sequence[str]) -> list[Alert]:
    if not ids:
        return []
    return list(await session.scalars(select(Alert).where(Alert.id.in_(sorted(set(ids))))))


async def any_active_budget(session: AsyncSession) -> bool:
    """One cheap indexed probe: does any active budget exist at all?"""
    probe = exists().where(Budget.active.is_(True), Budget.deleted_at.is_(None))
    return bool(await session.scalar(select(probe)))
