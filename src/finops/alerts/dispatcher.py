"""Dispatcher: send due deliveries from the outbox, retrying with exponential backoff and jitter.

A delivery is claimed in one short transaction (status `sending`, a claim token and a lease),
sent with no transaction open, and its outcome recorded in another. If a process dies mid-send,
the lease runs out and any replica takes the delivery again; receivers deduplicate on the alert
id (Idempotency-Key for webhooks), so a crash can at worst repeat a message, never lose one.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

import httpx
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from finops.alerts import repository as alerts_repository
from finops.alerts.channels import registry
from finops.alerts.channels.base import AlertMessage, SendContext, SendResult
from finops.config import Settings
from finops.kit.db import session_scope
from finops.kit.time import utcnow
from finops.models import Alert, AlertChannel, AlertDelivery, DeliveryAttempt
from finops.observability import record

CONCURRENCY = 16


@dataclass
class DispatchReport:
    claimed: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def backoff_seconds(attempts: int, *, base: float, cap: float) -> float:
    """Exponential backoff with "equal jitter": half the delay fixed, half random, so retries from
    many deliveries spread out but still grow (base, 2·base, 4·base, ... up to cap)."""
    delay = min(cap, base * 2.0 ** max(attempts - 1, 0))
    return delay / 2 + random.uniform(0, delay / 2)


def link_for(settings: Settings, alert_id: str) -> str:
    return f"{settings.alerts_public_url.rstrip('/')}/v1/alerts/{alert_id}"


def _decimal(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def message_for(alert: Alert, settings: Settings) -> AlertMessage:
    details = alert.details
    return AlertMessage(
        alert_id=alert.id,
        kind=alert.kind,
        severity=alert.severity,
        title=alert.title,
        created_at=alert.created_at,
        tenant_id=alert.tenant_id,
        budget_id=alert.budget_id,
        budget_name=alert.budget_name,
        scope=dict(details.get("scope") or {}),
        split=details.get("split"),
        period_start=alert.period_start,
        period_end=alert.period_end,
        amount_usd=_decimal(details.get("amount_usd")),
        spent_usd=_decimal(details.get("spent_usd")),
        percent_used=_decimal(details.get("percent_used")),
        threshold=_decimal(details.get("threshold")),
        forecast=details.get("forecast"),
        reason=alert.reason,
        link=link_for(settings, alert.id),
    )


def alert_status(statuses: list[str]) -> str:
    if any(s in ("pending", "sending") for s in statuses):
        return "pending"
    if statuses and all(s == "sent" for s in statuses):
        return "delivered"
    return "failed" if statuses else "no_channels"


async def send_to_channel(
    channel: AlertChannel | None, message: AlertMessage, ctx: SendContext
) -> SendResult:
    if channel is None or channel.deleted_at is not None:
        return SendResult(ok=False, error="the channel was deleted", retryable=False)
    if not channel.enabled:
        return SendResult(ok=False, error="the channel is disabled", retryable=False)
    return await registry.send(channel.type, channel.config, channel.secrets, message, ctx)


@dataclass
class _Outcome:
    delivery: AlertDelivery
    result: SendResult
    started_at: datetime
    duration_ms: int


async def _refresh_alerts(session: AsyncSession, alert_ids: set[str]) -> None:
    for alert_id in sorted(alert_ids):
        statuses = await alerts_repository.delivery_statuses(session, alert_id)
        await alerts_repository.set_alert_status(session, alert_id, alert_status(statuses))


async def dispatch_due(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    *,
    now: datetime | None = None,
    limit: int = 50,
) -> DispatchReport:
    """Claim up to `limit` due deliveries, send them concurrently and record every attempt."""
    clock = now or utcnow()
    token = str(uuid.uuid4())
    lease = clock + timedelta(seconds=settings.alerts_http_timeout_seconds * 3 + 30)
    report = DispatchReport()
    async with session_scope(sessionmaker) as session:
        claimed = await alerts_repository.claim_due(
            session, now=clock, lease_until=lease, token=token, limit=limit
        )
        if not claimed:
            return report
        alerts = {
            a.id: a for a in await alerts_repository.alerts_by_id(session, [d.alert_id for d in claimed])
        }
        channels = await alerts_repository.channels_by_id(session, [d.channel_id for d in claimed])
    report.claimed = len(claimed)
    gate = asyncio.Semaphore(CONCURRENCY)

    async def one(delivery: AlertDelivery, client: httpx.AsyncClient) -> _Outcome:
        async with gate:
            started_at, started = utcnow(), time.perf_counter()
            ctx = SendContext(http=client, settings=settings, progress=frozenset(delivery.progress or []))
            message = message_for(alerts[delivery.alert_id], settings)
            result = await send_to_channel(channels.get(delivery.channel_id), message, ctx)
            return _Outcome(delivery, result, started_at, int((time.perf_counter() - started) * 1000))

    async with httpx.AsyncClient(timeout=settings.alerts_http_timeout_seconds) as client:
        outcomes = await asyncio.gather(*(one(d, client) for d in claimed))

    done_at = now or utcnow()
    async with session_scope(sessionmaker) as session:
        for outcome in outcomes:
            delivery, result = outcome.delivery, outcome.result
            attempts = delivery.attempts + 1
            values: dict[str, object] = {
                "attempts": attempts,
                "last_status_code": result.status_code,
                "last_error": result.error,
                "progress": sorted(set(delivery.progress or []) | set(result.progress)),
                "lease_until": None,
                "claim_token": None,
                "updated_at": done_at,
            }
            if result.ok:
                values.update(status="sent", sent_at=done_at)
                report.sent += 1
            elif not result.retryable or attempts >= delivery.attempt_limit:
                values.update(status="failed")
                report.failed += 1
            else:
                delay = backoff_seconds(
                    attempts,
                    base=settings.alerts_backoff_base_seconds,
                    cap=settings.alerts_backoff_max_seconds,
                )
                values.update(status="pending", next_attempt_at=done_at + timedelta(seconds=delay))
                report.retrying += 1
            if not await alerts_repository.finish_delivery(session, delivery.id, token, values):
                continue  # our lease ran out and another sender took over: its outcome counts
            record.alert_delivery(delivery.channel_type, values["status"], outcome.duration_ms)
            await alerts_repository.add_attempt(
                session,
                DeliveryAttempt(
                    delivery_id=delivery.id,
                    number=attempts,
                    started_at=outcome.started_at,
                    duration_ms=outcome.duration_ms,
                    ok=result.ok,
                    status_code=result.status_code,
                    error=result.error,
                ),
            )
        await _refresh_alerts(session, {o.delivery.alert_id for o in outcomes})
    return report
