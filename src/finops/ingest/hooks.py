"""Post-commit ingest hooks: other domains (alerts) learn which events an ingest stored, once the
transaction has committed, without adding work to the ingest request itself."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.kit.txn import after_commit

log = logging.getLogger("finops.ingest.hooks")

# hook(app, rows): must be cheap and synchronous (note the rows, wake a job); rows carry the event
# dimensions: tenant_id, service, learner_id, subject, provider, model, tags.
IngestHook = Callable[[Any, Sequence[Mapping[str, Any]]], None]
_HOOKS: list[IngestHook] = []


def register(hook: IngestHook) -> None:
    if hook not in _HOOKS:
        _HOOKS.append(hook)


def _row(event: Any) -> dict[str, Any]:
    return {
        "tenant_id": event.tenant_id,
        "service": event.service,
        "learner_id": event.learner_id,
        "subject": event.subject,
        "provider": event.provider,
        "model": event.model,
        "tags": dict(event.tags or {}),
    }


def notify_after_commit(session: AsyncSession, app: Any, events: Sequence[Any]) -> None:
    """Call every hook with the new events' dimensions after the session's transaction commits."""
    if not _HOOKS or not events:
        return
    rows = [_row(e) for e in events]

    def fire() -> None:
        for hook in list(_HOOKS):
            try:
                hook(app, rows)
            except Exception:
                log.exception("ingest hook %r failed", hook)

    after_commit(session, fire)
