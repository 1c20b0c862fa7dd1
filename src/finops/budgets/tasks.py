"""Budget background jobs."""

from __future__ import annotations

import logging

from finops.budgets import reservations
from finops.kit.db import session_scope
from finops.kit.time import utcnow
from finops.worker.loop import LoopService

log = logging.getLogger("finops.budgets")


class ReservationExpiry(LoopService):
    """Mark reservations past their TTL as expired.

    Only bookkeeping: an expired reservation already stopped counting at `expires_at`, because
    every read filters on it. Safe on several replicas at once (an idempotent UPDATE)."""

    name = "budget_reservation_expiry"
    interval_seconds = 30.0
    leader_only = False

    async def run_once(self) -> None:
        async with session_scope(self.context.sessionmaker) as session:
            expired = await reservations.expire(session, now=utcnow())
        if expired:
            log.info("expired %d budget reservation lines", expired)
