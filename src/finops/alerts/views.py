"""ORM rows → API answers (secrets never leave here)."""

from __future__ import annotations

from decimal import Decimal

from finops.alerts.schemas import AlertOut, AttemptOut, ChannelOut, ChannelTestOut, DeliveryOut
from finops.alerts.service import AlertView
from finops.models import AlertChannel, AlertDelivery, DeliveryAttempt


def channel_out(channel: AlertChannel) -> ChannelOut:
    last_test = None
    if channel.last_test_at is not None:
        last_test = ChannelTestOut(
            ok=bool(channel.last_test_ok),
            status_code=channel.last_test_status_code,
            error=channel.last_test_error,
            duration_ms=0,
            tested_at=channel.last_test_at,
        )
    return ChannelOut(
        id=channel.id,
        tenant_id=channel.tenant_id,
        name=channel.name,
        type=channel.type,
        config=channel.config,
        secrets_set=sorted(channel.secrets),
        min_severity=channel.min_severity,
        enabled=channel.enabled,
        created_at=channel.created_at,
        updated_at=channel.updated_at,
        last_test=last_test,
    )


def attempt_out(attempt: DeliveryAttempt) -> AttemptOut:
    return AttemptOut(
        number=attempt.number,
        started_at=attempt.started_at,
        duration_ms=attempt.duration_ms,
        ok=attempt.ok,
        status_code=attempt.status_code,
        error=attempt.error,
    )


def delivery_out(delivery: AlertDelivery, attempts: list[DeliveryAttempt] | None) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        channel_id=delivery.channel_id,
        channel_type=delivery.channel_type,
        status=delivery.status,
        attempts=delivery.attempts,
        attempt_limit=delivery.attempt_limit,
        next_attempt_at=delivery.next_attempt_at if delivery.status == "pending" else None,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        sent_at=delivery.sent_at,
        created_at=delivery.created_at,
        updated_at=delivery.updated_at,
        attempt_log=None if attempts is None else [attempt_out(a) for a in attempts],
    )


def alert_out(view: AlertView) -> AlertOut:
    alert = view.alert
    return AlertOut(
        id=alert.id,
        tenant_id=alert.tenant_id,
        budget_id=alert.budget_id,
        budget_name=alert.budget_name,
        split=alert.details.get("split"),
        period_start=alert.period_start,
        period_end=alert.period_end,
        kind=alert.kind,
        threshold=Decimal(alert.threshold_key) if alert.threshold_key else None,
        severity=alert.severity,
        status=alert.status,
        reason=alert.reason,
        title=alert.title,
        details=alert.details,
        created_at=alert.created_at,
        resolved_at=alert.resolved_at,
        resolved_by=alert.resolved_by,
        deliveries=[
            delivery_out(d, None if view.attempts is None else view.attempts.get(d.id, []))
            for d in view.deliveries
        ],
    )
