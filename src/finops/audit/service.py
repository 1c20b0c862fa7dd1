"""Recording changes in the audit log (in the caller's transaction: a rolled-back change leaves no entry)."""

from __future__ import annotations

import enum
import uuid
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.audit import repository as audit_repository
from finops.kit.time import utcnow
from finops.models import AuditEntry


def jsonable(value: Any) -> Any:
    """Plain JSON for before/after snapshots: Decimal → decimal string, datetime → ISO 8601."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return jsonable(value.value)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [jsonable(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    return str(value)


async def record(
    session: AsyncSession,
    *,
    actor: str,
    action: str,
    entity_type: str,
    entity_id: str,
    tenant_id: str | None,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    reason: str | None = None,
) -> None:
    """Add one audit entry to the session; the caller's transaction commits it with the change."""
    entry = AuditEntry(
        occurred_at=utcnow(),
        actor=actor[:256],
        action=action[:64],
        entity_type=entity_type[:64],
        entity_id=entity_id[:512],
        tenant_id=tenant_id,
        reason=reason,
        before=jsonable(before) if before is not None else None,
        after=jsonable(after) if after is not None else None,
    )
    audit_repository.add(session, entry)
