"""Leader election: one leader per database, failover when its session dies, SQLite always leads."""

from __future__ import annotations

import asyncio
import contextlib

import asyncpg
import pytest

from finops.config import Settings
from finops.worker.leader import LeaderElector, lock_parts
from finops.worker.loop import JobContext, LoopService
from finops.worker.runner import start_background

KEY = 0x5E57_0001


def elector(url: str, replica: str, **kwargs: object) -> LeaderElector:
    return LeaderElector(database_url=url, replica_id=replica, lock_key=KEY, renew_seconds=0.2, **kwargs)  # type: ignore[arg-type]


async def holder_pid(url: str) -> int | None:
    classid, objid = lock_parts(KEY)
    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        pid: int | None = await connection.fetchval(
            "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND classid = $1 AND objid = $2 AND objsubid = 1"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            classid,
            objid,
        )
        return pid
    finally:
        await connection.close()


class TestLockParts:
    def test_splits_a_bigint_key_as_pg_locks_shows_it(self) -> None:
        assert lock_parts(0x0000_0001_0000_0002) == (1, 2)
        assert lock_parts(-1) == (0xFFFFFFFF, 0xFFFFFFFF)


class TestPostgresElection:
    async def test_exactly_one_leader(self, pg_url: str) -> None:
        a, b = elector(pg_url, "a"), elector(pg_url, "b")
        try:
            await a.step()
            await b.step()
            await a.step()
            assert (a.is_leader, b.is_leader) == (True, False)
            assert await holder_pid(pg_url) is not None
        finally:
            await a.dispose()
            await b.dispose()

    async def test_failover_when_the_leader_session_dies(self, pg_url: str) -> None:
        acquired: list[str] = []
        a = elector(pg_url, "a", on_acquired=lambda: acquired.append("a"))
        b = elector(pg_url, "b", on_acquired=lambda: acquired.append("b"))
        try:
            await a.step()
            await b.step()
            assert a.is_leader
            assert not b.is_leader
            # Kill the leader's database session, as a crashed replica's would disappear.
            pid = await holder_pid(pg_url)
            admin = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
            try:
                assert await admin.fetchval("SELECT pg_terminate_backend($1)", pid)
            finally:
                await admin.close()
            for _ in range(50):
                await a.step()
                await b.step()
                if b.is_leader:
                    break
                await asyncio.sleep(0.05)
            assert b.is_leader
            assert not a.is_leader  # the old leader noticed and stepped down
            assert acquired == ["a", "b"]
        finally:
            await a.dispose()
            await b.dispose()

    async def test_graceful_stop_releases_the_lock(self, pg_url: str) -> None:
        a, b = elector(pg_url, "a"), elector(pg_url, "b")
        task = asyncio.create_task(a.run())
        try:
            for _ in range(100):
                if a.is_leader:
                    break
                await asyncio.sleep(0.02)
            assert a.is_leader
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
            assert not a.is_leader
            await b.step()
            assert b.is_leader
        finally:
            await b.dispose()

    async def test_unreachable_database_means_not_leader(self) -> None:
        lost = elector("postgresql://nobody@127.0.0.1:1/none", "x")
        await lost.step()
        assert not lost.is_leader
        assert lost.last_error is not None
        await lost.dispose()


class _Counter(LoopService):
    interval_seconds = 3600.0

    def __init__(self, context: JobContext, *, leader_only: bool, name: str) -> None:
        super().__init__(context)
        self.leader_only = leader_only
        self.name = name
        self.ran = asyncio.Event()

    async def run_once(self) -> None:
        self.ran.set()


class TestJobsFollowLeadership:
    async def test_leader_only_jobs_wait_for_leadership(
        self, pg_url: str, tmp_path: pytest.TempPathFactory
    ) -> None:
        settings = Settings(
            database_url=pg_url,
            jwt_secret="x" * 40,
            leader_lock_key=KEY,
            leader_renew_seconds=0.1,
            data_dir=tmp_path,
        )
        blocker = elector(pg_url, "blocker")
        await blocker.step()
        assert blocker.is_leader

        class State:
            jobs: dict[str, LoopService]

        state = State()
        context = JobContext(settings=settings, sessionmaker=None)  # type: ignore[arg-type]
        everywhere = _Counter(context, leader_only=False, name="everywhere")
        leader_only = _Counter(context, leader_only=True, name="leader_only")
        state.jobs = {job.name: job for job in (everywhere, leader_only)}
        tasks = start_background(state, settings)
        try:
            await asyncio.wait_for(everywhere.ran.wait(), timeout=10)
            await asyncio.sleep(0.5)  # several election rounds while someone else leads
            assert not leader_only.ran.is_set()
            await blocker.dispose()  # the other leader goes away
            await asyncio.wait_for(leader_only.ran.wait(), timeout=10)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


class TestSqlite:
    async def test_a_single_process_always_leads(self, tmp_path: pytest.TempPathFactory) -> None:
        single = elector(f"sqlite+aiosqlite:///{tmp_path}/f.db", "solo")
        assert single.mode == "single_process"
        task = asyncio.create_task(single.run())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        assert single.is_leader
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
