"""Run a callback once the current transaction of a session commits (never on rollback)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger("finops.txn")


def after_commit(session: AsyncSession, callback: Callable[[], None]) -> None:
    """Call `callback` (synchronous and cheap: wake a job) right after the session's next commit.

    Background jobs learn about new rows only once other connections can see them; if the
    transaction rolls back instead, the callback is dropped. Errors in it are logged, never raised.
    """
    done = False

    def on_commit(_session: Any) -> None:
        nonlocal done
        if done:
            return
        done = True
        try:
            callback()
        except Exception:
            log.exception("after-commit callback failed")

    def on_rollback(_session: Any, _previous: Any) -> None:
        nonlocal done
        done = True

    # Listeners stay attached to this (short-lived) session object; the flag makes them one-shot.
    event.listen(session.sync_session, "after_commit", on_commit)
    event.listen(session.sync_session, "after_soft_rollback", on_rollback)
