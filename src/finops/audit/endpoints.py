"""Audit log endpoints."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from finops.app_state import SessionDep
from finops.audit import repository as audit_repository
from finops.audit.schemas import AuditEntryOut, AuditPage
from finops.auth.dependencies import require, tenant_filter
from finops.auth.tokens import Principal

router = APIRouter(prefix="/v1/audit", tags=["audit"])
Session = SessionDep
AuditReader = Annotated[Principal, Depends(require("admin", "tenant_admin"))]


@router.get("", response_model=AuditPage)
async def list_audit_entries(
    principal: AuditReader,
    session: Session,
    tenant_id: str | None = None,
    entity_type: str | None = None,
    entity_id: str | None = None,
    action: str | None = None,
    actor: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> AuditPage:
    """Audit entries, newest first (admin: all; tenant_admin: its tenant's), cursor-paginated."""
    entries = await audit_repository.list_entries(
        session,
        tenant_id=tenant_filter(principal, tenant_id),
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        actor=actor,
        start=start,
        end=end,
        cursor=cursor,
        limit=limit + 1,
    )
    page = entries[:limit]
    next_cursor = audit_repository.encode_cursor(page[-1]) if len(entries) > limit else None
    return AuditPage(
        items=[AuditEntryOut.model_validate(e, from_attributes=True) for e in page], next_cursor=next_cursor
    )
