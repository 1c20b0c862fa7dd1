"""Alert channels (CRUD, test sends) and alerts (listing, detail, retry). Services never commit."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from finops.alerts import repository as alerts_repository
from finops.alerts.channels import registry
from finops.alerts.channels.base import AlertMessage, SendContext, SendResult
from finops.alerts.dispatcher import alert_status, link_for
from finops.alerts.schemas import ChannelIn, ChannelPatch
from finops.audit import service as audit_service
from finops.auth.dependencies import check_tenant_write
from finops.auth.tokens import Principal
from finops.config import Settings
from finops.kit.errors import Conflict, Forbidden, NotFound, Unprocessable
from finops.kit.time import utcnow
from finops.models import Alert, AlertChannel, AlertDelivery, DeliveryAttempt

# --- channels ---


def snapshot(channel: AlertChannel) -> dict[str, Any]:
    """What the audit log keeps of a channel: everything but secret values."""
    return {
        "name": channel.name,
        "type": channel.type,
        "tenant_id": channel.tenant_id,
        "config": channel.config,
        "secrets_set": sorted(channel.secrets),
        "min_severity": channel.min_severity,
        "enabled": channel.enabled,
    }


def _validated(
    type_: str, config: dict[str, Any], secrets: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    try:
        return registry.validate(type_, config, secrets)
    except registry.ChannelConfigError as exc:
        raise Unprocessable(exc.message, code="invalid_channel_config", details=exc.details) from None


def can_see(principal: Principal, tenant_id: str | None) -> bool:
    return principal.is_admin or (tenant_id is not None and tenant_id == principal.tenant_id)


async def get_visible_channel(session: AsyncSession, principal: Principal, channel_id: str) -> AlertChannel:
    channel = await alerts_repository.get_channel(session, channel_id)
    if channel is None or not can_see(principal, channel.tenant_id):
        raise NotFound(f"no alert channel {channel_id!r}", code="channel_not_found")
    return channel


async def create_channel(
    session: AsyncSession, principal: Principal, body: ChannelIn, *, now: datetime
) -> AlertChannel:
    tenant_id = body.tenant_id or principal.tenant_id
    if tenant_id is not None:
        check_tenant_write(principal, tenant_id)
    elif not principal.is_admin:  # pragma: no cover - non-admin tokens always carry a tenant
        raise Forbidden("only an admin may create a global channel", code="tenant_forbidden")
    config, secrets = _validated(body.type, body.config, body.secrets)
    channel = AlertChannel(
        id=str(uuid.uuid4()),
        tenant_id=tenant_id,
        name=body.name,
        type=body.type,
        config=config,
        secrets=secrets,
        min_severity=body.min_severity or registry.KINDS[body.type].default_min_severity,
        enabled=body.enabled,
        created_at=now,
        updated_at=now,
    )
    await alerts_repository.add_channel(session, channel)
    await audit_service.record(
        session,
        actor=principal.sub,
        action="alert_channel.create",
        entity_type="alert_channel",
        entity_id=channel.id,
        tenant_id=tenant_id,
        before=None,
        after=snapshot(channel),
    )
    return channel


def _merge(current: dict[str, Any], patch: dict[str, Any] | None) -> dict[str, Any]:
    if patch is None:
        return dict(current)
    merged = dict(current)
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


async def update_channel(
    session: AsyncSession, principal: Principal, channel: AlertChannel, patch: ChannelPatch, *, now: datetime
) -> AlertChannel:
    before = snapshot(channel)
    config, secrets = _validated(
        channel.type, _merge(channel.config, patch.config), _merge(channel.secrets, patch.secrets)
    )
    channel.config, channel.secrets = config, secrets
    if patch.name is not None:
        channel.name = patch.name
    if patch.min_severity is not None:
        channel.min_severity = patch.min_severity
    if patch.enabled is not None:
        channel.enabled = patch.enabled
    channel.updated_at = now
    await session.flush()
    await audit_service.record(
        session,
        actor=principal.sub,
        action="alert_channel.update",
        entity_type="alert_channel",
        entity_id=channel.id,
        tenant_id=channel.tenant_id,
        before=before,
        after=snapshot(channel),
    )
    return channel


async def delete_channel(
    session: AsyncSession, principal: Principal, channel: AlertChannel, *, now: datetime
) -> None:
    """Soft delete: pending deliveries to it fail with a clear error; past ones stay readable."""
    before = snapshot(channel)
    channel.deleted_at = now
    channel.enabled = False
    channel.updated_at = now
    await session.flush()
    await audit_service.record(
        session,
        actor=principal.sub,
        action="alert_channel.delete",
        entity_type="alert_channel",
        entity_id=channel.id,
        tenant_id=channel.tenant_id,
        before=before,
        after=None,
    )


@dataclass(frozen=True)
class TestOutcome:
    result: SendResult
    duration_ms: int
    tested_at: datetime


def test_message(channel: AlertChannel, settings: Settings, *, now: datetime) -> AlertMessage:
    test_id = f"test-{uuid.uuid4()}"
    return AlertMessage(
        alert_id=test_id,
        kind="test",
        severity="info",
        title=f'Test message for channel "{channel.name}": alerts will arrive here',
        created_at=now,
        tenant_id=channel.tenant_id,
        budget_id="(test)",
        budget_name="Example budget",
        scope={"tenant_id": channel.tenant_id} if channel.tenant_id else {},
        split=None,
        period_start=now,
        period_end=None,
        amount_usd=None,
        spent_usd=None,
        percent_used=None,
        threshold=None,
        forecast=None,
        reason=None,
        link=link_for(settings, test_id),
        test=True,
    )


async def test_channel(
    session: AsyncSession, channel: AlertChannel, settings: Settings, *, now: datetime
) -> TestOutcome:
    """Send a real test message now (whatever the channel's minimum severity) and keep the result."""
    message = test_message(channel, settings, now=now)
    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=settings.alerts_http_timeout_seconds) as client:
        # Sent even when the channel is disabled, so it can be checked before it is switched on.
        ctx = SendContext(http=client, settings=settings)
        result = await registry.send(channel.type, channel.config, channel.secrets, message, ctx)
    duration_ms = int((time.perf_counter() - started) * 1000)
    channel.last_test_at = now
    channel.last_test_ok = result.ok
    channel.last_test_status_code = result.status_code
    channel.last_test_error = result.error
    await session.flush()
    return TestOutcome(result, duration_ms, now)


# --- alerts ---


@dataclass
class AlertView:
    alert: Alert
    deliveries: list[AlertDelivery]
    attempts: dict[int, list[DeliveryAttempt]] | None = None


async def get_visible_alert(session: AsyncSession, principal: Principal, alert_id: str) -> Alert:
    alert = await alerts_repository.get_alert(session, alert_id)
    if alert is None or not can_see(principal, alert.tenant_id):
        raise NotFound(f"no alert {alert_id!r}", code="alert_not_found")
    return alert


async def views(
    session: AsyncSession, alerts: list[Alert], *, with_attempts: bool = False
) -> list[AlertView]:
    deliveries = await alerts_repository.deliveries_of(session, [a.id for a in alerts])
    by_alert: dict[str, list[AlertDelivery]] = {a.id: [] for a in alerts}
    for delivery in deliveries:
        by_alert[delivery.alert_id].append(delivery)
    attempts: dict[int, list[DeliveryAttempt]] | None = None
    if with_attempts:
        attempts = {d.id: [] for d in deliveries}
        for attempt in await alerts_repository.attempts_of(session, [d.id for d in deliveries]):
            attempts[attempt.delivery_id].append(attempt)
    return [AlertView(a, by_alert[a.id], attempts) for a in alerts]


async def list_alerts(
    session: AsyncSession,
    principal: Principal,
    *,
    tenant_id: str | None,
    filters: dict[str, str | None],
    start: datetime | None,
    end: datetime | None,
    cursor: str | None,
    limit: int,
) -> tuple[list[AlertView], str | None]:
    if not principal.is_admin:
        tenant_id = principal.tenant_id
    alerts = await alerts_repository.list_alerts(
        session,
        tenant_id=tenant_id,
        every_tenant=principal.is_admin and tenant_id is None,
        filters=filters,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit + 1,
    )
    page = alerts[:limit]
    next_cursor = alerts_repository.encode_cursor(page[-1]) if len(alerts) > limit else None
    return await views(session, page), next_cursor


async def retry_alert(session: AsyncSession, alert: Alert, settings: Settings) -> int:
    """Queue an alert's failed deliveries again, each with a fresh allowance of attempts."""
    if alert.status == "suppressed":
        raise Conflict("a suppressed alert has nothing to deliver", code="alert_suppressed")
    retried = await alerts_repository.reset_failed(
        session, alert.id, now=utcnow(), extra_attempts=settings.alerts_max_attempts
    )
    if retried == 0:
        raise Conflict("the alert has no failed delivery to retry", code="nothing_to_retry")
    alert.status = alert_status(await alerts_repository.delivery_statuses(session, alert.id))
    await session.flush()
    return retried
