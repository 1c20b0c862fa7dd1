"""Leader election across replicas with a PostgreSQL session-level advisory lock.

The leader holds `pg_try_advisory_lock(key)` on a dedicated connection and checks every
`renew_seconds` that it still holds it. The lock belongs to that database session, so when the
leader dies (crash, SIGKILL, lost network) PostgreSQL drops the session and the lock with it, and
the next replica to try takes over. Leader-only jobs run while `may_run` is set.

On SQLite there is one process by construction: it is always the leader.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.pool import NullPool

from finops.config import normalize_database_url
from finops.observability import metrics

log = logging.getLogger("finops.leader")
APPLICATION_PREFIX = "finops-leader:"


def default_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def lock_parts(key: int) -> tuple[int, int]:
    """How pg_locks shows a bigint advisory key: (classid, objid) = (high, low) 32 bits."""
    unsigned = key & 0xFFFFFFFFFFFFFFFF
    return unsigned >> 32, unsigned & 0xFFFFFFFF


class LeaderElector:
    """Competes for the leader lock; `may_run` is set exactly while this replica leads."""

    def __init__(
        self,
        *,
        database_url: str,
        replica_id: str,
        lock_key: int,
        renew_seconds: float = 5.0,
        on_acquired: Callable[[], None] | None = None,
    ) -> None:
        self.url = normalize_database_url(database_url)
        self.replica_id = replica_id
        self.lock_key = lock_key
        self.renew_seconds = renew_seconds
        self.on_acquired = on_acquired
        self.may_run = asyncio.Event()
        self.single_process = not self.url.startswith("postgresql")
        self.last_error: str | None = None
        self._engine: AsyncEngine | None = None
        self._connection: AsyncConnection | None = None

    @property
    def is_leader(self) -> bool:
        return self.may_run.is_set()

    @property
    def mode(self) -> str:
        return "single_process" if self.single_process else "advisory_lock"

    async def run(self) -> None:
        """Run until cancelled; on exit the lock is released by closing its connection."""
        try:
            if self.single_process:
                self._gain()
                await asyncio.Event().wait()
            while True:
                await self.step()
                await asyncio.sleep(self.renew_seconds)
        finally:
            self._lose()
            await self.dispose()

    async def step(self) -> None:
        """One round: connect if needed, then try to take the lock or check it is still held."""
        try:
            connection = await self._connect()
            if self.is_leader:
                if not await self._still_held(connection):
                    log.warning("leader lock lost", extra={"replica": self.replica_id})
                    self._lose()
            elif await connection.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": self.lock_key}):
                self._gain()
            self.last_error = None
        except (OSError, SQLAlchemyError, TimeoutError) as exc:
            # Without a healthy connection we cannot know we still hold the lock: step down.
            self.last_error = f"{type(exc).__name__}: {exc}"
            log.warning("leader election: %s", self.last_error, extra={"replica": self.replica_id})
            self._lose()
            await self._close()

    async def _connect(self) -> AsyncConnection:
        if self._connection is not None and not self._connection.closed and not self._connection.invalidated:
            return self._connection
        self._lose()
        await self._close()
        if self._engine is None:
            timeout = self.renew_seconds * 2
            self._engine = create_async_engine(
                self.url,
                poolclass=NullPool,
                connect_args={
                    "timeout": timeout,
                    "command_timeout": timeout,
                    "server_settings": {"application_name": (APPLICATION_PREFIX + self.replica_id)[:63]},
                },
            )
        connection = await self._engine.connect()
        # Autocommit: the lock lives in the session, and no transaction stays open on this connection.
        self._connection = await connection.execution_options(isolation_level="AUTOCOMMIT")
        return self._connection

    async def _still_held(self, connection: AsyncConnection) -> bool:
        classid, objid = lock_parts(self.lock_key)
        held = await connection.scalar(
            text(
                "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted"
                " AND pid = pg_backend_pid() AND classid = :classid AND objid = :objid AND objsubid = 1"
            ),
            {"classid": classid, "objid": objid},
        )
        return bool(held)

    def _gain(self) -> None:
        if self.is_leader:
            return
        self.may_run.set()
        metrics.LEADER.set(1)
        metrics.LEADER_TRANSITIONS.labels(outcome="acquired").inc()
        log.info("this replica is now the leader", extra={"replica": self.replica_id})
        if self.on_acquired is not None:
            self.on_acquired()

    def _lose(self) -> None:
        if not self.is_leader:
            return
        self.may_run.clear()
        metrics.LEADER.set(0)
        metrics.LEADER_TRANSITIONS.labels(outcome="lost").inc()
        log.info("this replica is no longer the leader", extra={"replica": self.replica_id})

    async def _close(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(connection.close(), timeout=self.renew_seconds)

    async def dispose(self) -> None:
        await self._close()
        if self._engine is not None:
            await self._engine.dispose()
            self._engine = None
