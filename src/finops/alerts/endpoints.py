"""Alert endpoints: alerts (list, detail, retry) and alert channels (CRUD and a test send)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request, Response
from sqlalchemy.ext.asyncio import AsyncSession

from finops.alerts import repository as alerts_repository
from finops.alerts import service as alerts_service
from finops.alerts.schemas import (
    AlertKind,
    AlertOut,
    AlertPage,
    AlertStatus,
    ChannelIn,
    ChannelOut,
    ChannelPage,
    ChannelPatch,
    ChannelTestOut,
    ChannelType,
    RetryOut,
    Severity,
)
from finops.alerts.tasks import DISPATCH
from finops.alerts.views import alert_out, channel_out
from finops.app_state import SessionDep
from finops.auth.dependencies import Reader, require, tenant_filter
from finops.auth.tokens import Principal
from finops.kit.time import utcnow
from finops.kit.txn import after_commit

router = APIRouter(tags=["alerts"])
# scope="function": commit before the answer is sent (the default "request" scope would commit
# after the response went out, so a client could see a change that then fails to commit).
Session = SessionDep
Writer = Annotated[Principal, Depends(require("admin", "tenant_admin"))]


def _wake_dispatcher(request: Request, session: AsyncSession) -> None:
    job = getattr(request.app.state, "jobs", {}).get(DISPATCH)
    if job is not None:
        after_commit(session, job.wake)


@router.get("/v1/alerts", response_model=AlertPage)
async def list_alerts(
    principal: Reader,
    session: Session,
    tenant_id: str | None = None,
    budget_id: str | None = None,
    kind: AlertKind | None = None,
    severity: Severity | None = None,
    status: AlertStatus | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AlertPage:
    """Alerts, newest first; filters: budget, kind, severity, status, time (created_at in [start, end))."""
    views, next_cursor = await alerts_service.list_alerts(
        session,
        principal,
        tenant_id=tenant_filter(principal, tenant_id),
        filters={"budget_id": budget_id, "kind": kind, "severity": severity, "status": status},
        start=start,
        end=end,
        cursor=cursor,
        limit=limit,
    )
    return AlertPage(items=[alert_out(v) for v in views], next_cursor=next_cursor)


@router.get("/v1/alerts/{alert_id}", response_model=AlertOut)
async def get_alert(alert_id: str, principal: Reader, session: Session) -> AlertOut:
    """One alert with its deliveries and every delivery attempt (status code or error of each)."""
    alert = await alerts_service.get_visible_alert(session, principal, alert_id)
    (view,) = await alerts_service.views(session, [alert], with_attempts=True)
    return alert_out(view)


@router.post("/v1/alerts/{alert_id}/retry", response_model=RetryOut)
async def retry_alert(alert_id: str, principal: Writer, session: Session, request: Request) -> RetryOut:
    """Queue the alert's failed deliveries again (each gets a fresh allowance of attempts)."""
    alert = await alerts_service.get_visible_alert(session, principal, alert_id)
    retried = await alerts_service.retry_alert(session, alert, request.app.state.settings)
    _wake_dispatcher(request, session)
    return RetryOut(alert_id=alert.id, retried=retried, status=alert.status)


@router.post("/v1/alert-channels", response_model=ChannelOut, status_code=201)
async def create_channel(body: ChannelIn, principal: Writer, session: Session) -> ChannelOut:
    """Create an alert channel (email, slack, webhook or sms); secrets are write-only."""
    channel = await alerts_service.create_channel(session, principal, body, now=utcnow())
    return channel_out(channel)


@router.get("/v1/alert-channels", response_model=ChannelPage)
async def list_channels(
    principal: Reader,
    session: Session,
    tenant_id: str | None = None,
    type: ChannelType | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0)] = 0,
) -> ChannelPage:
    """Alert channels visible to the caller, oldest first (admins see every tenant's)."""
    tenant = tenant_filter(principal, tenant_id)
    channels, total = await alerts_repository.list_channels(
        session,
        tenant_id=tenant,
        every_tenant=principal.is_admin and tenant is None,
        type_=type,
        limit=limit,
        offset=offset,
    )
    return ChannelPage(items=[channel_out(c) for c in channels], total=total)


@router.get("/v1/alert-channels/{channel_id}", response_model=ChannelOut)
async def get_channel(channel_id: str, principal: Reader, session: Session) -> ChannelOut:
    """One alert channel (secret names only, never their values)."""
    return channel_out(await alerts_service.get_visible_channel(session, principal, channel_id))


@router.patch("/v1/alert-channels/{channel_id}", response_model=ChannelOut)
async def update_channel(
    channel_id: str, body: ChannelPatch, principal: Writer, session: Session
) -> ChannelOut:
    """Change a channel; config and secrets merge key by key (null removes a key)."""
    channel = await alerts_service.get_visible_channel(session, principal, channel_id)
    return channel_out(await alerts_service.update_channel(session, principal, channel, body, now=utcnow()))


@router.delete("/v1/alert-channels/{channel_id}", status_code=204)
async def delete_channel(channel_id: str, principal: Writer, session: Session) -> Response:
    """Delete a channel; deliveries still queued for it fail, past ones stay readable."""
    channel = await alerts_service.get_visible_channel(session, principal, channel_id)
    await alerts_service.delete_channel(session, principal, channel, now=utcnow())
    return Response(status_code=204)


@router.post("/v1/alert-channels/{channel_id}/test", response_model=ChannelTestOut)
async def test_channel(
    channel_id: str, principal: Writer, session: Session, request: Request
) -> ChannelTestOut:
    """Send a real test message through the channel now and report what the receiver answered."""
    channel = await alerts_service.get_visible_channel(session, principal, channel_id)
    outcome = await alerts_service.test_channel(session, channel, request.app.state.settings, now=utcnow())
    return ChannelTestOut(
        ok=outcome.result.ok,
        status_code=outcome.result.status_code,
        error=outcome.result.error,
        duration_ms=outcome.duration_ms,
        tested_at=outcome.tested_at,
    )
