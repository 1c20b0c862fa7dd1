"""Usage event endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request, Response

from finops.app_state import CatalogDep, SessionDep
from finops.auth.dependencies import Ingestor, Reader, tenant_filter
from finops.ingest import hooks as ingest_hooks
from finops.ingest import repository as ingest_repository
from finops.ingest import service as ingest_service
from finops.ingest.schemas import (
    BatchIn,
    BatchOut,
    IngestResult,
    Rejection,
    UsageEventIn,
    UsageEventOut,
    UsageEventPage,
)
from finops.ingest.views import event_out
from finops.kit.errors import Conflict, FinopsError, NotFound, PayloadTooLarge
from finops.kit.time import utc_param
from finops.observability import metrics, record

router = APIRouter(prefix="/v1/usage-events", tags=["usage events"])
Session = SessionDep


@router.post("", response_model=UsageEventOut, status_code=201, responses={200: {"model": UsageEventOut}})
async def create_usage_event(
    event: UsageEventIn,
    principal: Ingestor,
    session: Session,
    catalog: CatalogDep,
    response: Response,
    request: Request,
) -> UsageEventOut:
    """Record one usage event: 201 when new, 200 with the stored event when its id was seen before."""
    try:
        stored = await ingest_service.ingest_one(session, catalog, principal, event)
    except FinopsError as exc:
        record.ingest_rejected(exc.code)
        raise
    record.ingest_results([stored])
    if stored.status == "duplicate":
        response.status_code = 200
    else:
        ingest_hooks.notify_after_commit(session, request.app, [stored.event])
    return event_out(stored.event)


@router.post("/batch", response_model=BatchOut)
async def create_usage_events_batch(
    body: BatchIn,
    principal: Ingestor,
    session: Session,
    catalog: CatalogDep,
    request: Request,
    results: Annotated[
        Literal["full", "compact"], Query(description="compact: per event only id, status, cost")
    ] = "full",
) -> BatchOut:
    """Record up to 1,000 events; good events are stored even when others are rejected."""
    limit: int = request.app.state.settings.max_batch_events
    if len(body.events) > limit:
        raise PayloadTooLarge(f"a batch holds at most {limit} events", code="batch_too_large")
    stored, rejected = await ingest_service.ingest_batch(session, catalog, principal, body.events)
    record.ingest_results(stored, rejected)
    ingest_hooks.notify_after_commit(session, request.app, [s.event for s in stored if s.status == "created"])
    metrics.INGEST_BATCH_SIZE.observe(len(body.events))
    return BatchOut(
        accepted=sum(1 for s in stored if s.status == "created"),
        duplicates=sum(1 for s in stored if s.status == "duplicate"),
        rejected=[
            Rejection(index=r.index, event_id=r.event_id, code=r.code, message=r.message) for r in rejected
        ],
        results=[
            IngestResult(
                index=s.index,
                status=s.status,
                event_id=s.event.event_id,
                priced=s.event.priced,
                cost_usd=s.event.cost_usd,
                event=event_out(s.event) if results == "full" else None,
            )
            for s in stored
        ],
    )


@router.get("", response_model=UsageEventPage)
async def list_usage_events(
    principal: Reader,
    session: Session,
    tenant_id: str | None = None,
    service: str | None = None,
    learner_id: str | None = None,
    subject: str | None = None,
    provider: str | None = None,
    model: str | None = None,
    priced: bool | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> UsageEventPage:
    """Usage events, newest first, with cursor pagination (`next_cursor`)."""
    filters = {
        "tenant_id": tenant_filter(principal, tenant_id),
        "service": service,
        "learner_id": learner_id,
        "subject": subject,
        "provider": provider,
        "model": model,
    }
    events = await ingest_repository.list_events(
        session,
        filters=filters,
        start=utc_param(start, "start") if start is not None else None,
        end=utc_param(end, "end") if end is not None else None,
        priced=priced,
        cursor=cursor,
        limit=limit + 1,
    )
    page = events[:limit]
    next_cursor = ingest_repository.encode_cursor(page[-1]) if len(events) > limit else None
    return UsageEventPage(items=[event_out(e) for e in page], next_cursor=next_cursor)


@router.get("/{event_id}", response_model=UsageEventOut)
async def get_usage_event(
    event_id: str, principal: Reader, session: Session, tenant_id: str | None = None
) -> UsageEventOut:
    """One usage event by its id (admins may pass tenant_id when ids repeat across tenants)."""
    found = await ingest_repository.find_by_event_id(session, event_id, tenant_filter(principal, tenant_id))
    if not found:
        raise NotFound(f"no usage event {event_id!r}", code="event_not_found")
    if len(found) > 1:
        raise Conflict("several tenants use this event id: pass tenant_id", code="ambiguous_event_id")
    return event_out(found[0])
