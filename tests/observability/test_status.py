"""GET /v1/status: what an operator checks first."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from finops import __version__
from finops.kit import migrate
from finops.worker.loop import JobContext, LoopService
from tests.conftest import TokenFactory


class _Probe(LoopService):
    name = "status_probe"
    interval_seconds = 60.0

    async def run_once(self) -> None:
        raise RuntimeError("probe failed on purpose")


class TestStatus:
    async def test_requires_a_reader(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        assert (await client.get("/v1/status")).status_code == 401
        forbidden = await client.get("/v1/status", headers=auth("service", tenant))
        assert forbidden.status_code == 403
        assert (await client.get("/v1/status", headers=auth("analyst", tenant))).status_code == 200

    async def test_reports_version_database_migrations_catalog(
        self, client: httpx.AsyncClient, auth: TokenFactory, app: FastAPI
    ) -> None:
        body = (await client.get("/v1/status", headers=auth("admin"))).json()
        assert body["version"] == __version__
        assert body["database"] == {"dialect": app.state.engine.dialect.name, "status": "ok", "error": None}
        assert body["migrations"] == {
            "current": migrate.head_revision(),
            "head": migrate.head_revision(),
            "up_to_date": True,
        }
        assert body["catalog"]["revision"] >= 1
        assert body["catalog"]["age_seconds"] >= 0
        assert body["leader"]["mode"] in ("advisory_lock", "single_process")

    async def test_lists_every_job_with_its_last_result(
        self, client: httpx.AsyncClient, auth: TokenFactory, app: FastAPI, settings: object
    ) -> None:
        probe = _Probe(JobContext(settings=app.state.settings, sessionmaker=app.state.sessionmaker))
        app.state.jobs[probe.name] = probe
        try:
            before = (await client.get("/v1/status", headers=auth("admin"))).json()
            listed = {job["name"]: job for job in before["jobs"]}
            assert set(listed) == set(app.state.jobs)
            assert listed["status_probe"]["last_result"] == "never"
            await probe.tick()
            after = (await client.get("/v1/status", headers=auth("admin"))).json()
            job = next(j for j in after["jobs"] if j["name"] == "status_probe")
            assert job["last_result"] == "error"
            assert job["runs"] == 1
            assert job["failures"] == 1
            assert "probe failed on purpose" in job["last_error"]
            assert job["last_finished_at"] is not None
            # Background jobs are off in tests: nothing runs here.
            assert job["runs_here"] is False
        finally:
            del app.state.jobs[probe.name]
