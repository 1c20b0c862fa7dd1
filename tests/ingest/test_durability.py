"""Nothing is acknowledged that is not committed: the transaction commits before the answer."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from finops.auth.tokens import mint
from finops.config import Settings
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory
from tests.fixtures.servers import FinopsServer

HOUR = timedelta(hours=1)

FAIL_AT_COMMIT = [
    """
    CREATE OR REPLACE FUNCTION finops_test_fail_commit() RETURNS trigger AS $$
    BEGIN
      IF NEW.tenant_id LIKE 'commit-fails-%' THEN
        RAISE EXCEPTION 'simulated failure at commit';
      END IF;
      RETURN NULL;
    END $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS finops_test_fail_commit ON usage_events",
    """
    CREATE CONSTRAINT TRIGGER finops_test_fail_commit AFTER INSERT ON usage_events
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION finops_test_fail_commit()
    """,
]


@pytest.fixture
async def failing_commits(app: FastAPI) -> AsyncIterator[str]:
    """A tenant whose inserts pass every statement but fail at COMMIT (a deferred trigger)."""
    if app.state.engine.dialect.name != "postgresql":
        pytest.skip("deferred constraint triggers are PostgreSQL's")
    async with app.state.engine.begin() as connection:
        for statement in FAIL_AT_COMMIT:
            await connection.execute(text(statement))
    yield f"commit-fails-{uuid.uuid4().hex[:8]}"
    async with app.state.engine.begin() as connection:
        await connection.execute(text("DROP TRIGGER IF EXISTS finops_test_fail_commit ON usage_events"))


class TestAcknowledgedMeansCommitted:
    async def test_single_event_whose_commit_fails_is_not_acknowledged(
        self, client: httpx.AsyncClient, auth: TokenFactory, events: EventFactory, failing_commits: str
    ) -> None:
        payload = events(tenant_id=failing_commits)
        response = await client.post("/v1/usage-events", json=payload, headers=auth("admin"))
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "commit_failed"
        lookup = await client.get(
            f"/v1/usage-events/{payload['event_id']}",
            params={"tenant_id": failing_commits},
            headers=auth("admin"),
        )
        assert lookup.status_code == 404

    async def test_batch_whose_commit_fails_is_not_acknowledged(
        self, client: httpx.AsyncClient, auth: TokenFactory, events: EventFactory, failing_commits: str
    ) -> None:
        batch = [events(tenant_id=failing_commits) for _ in range(3)]
        response = await client.post("/v1/usage-events/batch", json={"events": batch}, headers=auth("admin"))
        assert response.status_code == 503, response.text
        costs = await client.get("/v1/costs", params={"tenant_id": failing_commits}, headers=auth("admin"))
        assert costs.json()["total"]["events"] == 0


class TestOverRealServer:
    """uvicorn sends a response as soon as the endpoint returns; only a dependency that commits
    before that (scope="function") keeps a failed commit from being acknowledged."""

    async def test_failed_commit_is_a_503_not_a_201(
        self, settings: Settings, tmp_path: Path, events: EventFactory, failing_commits: str
    ) -> None:
        assert settings.database_url is not None
        server = FinopsServer(
            database_url=settings.database_url,
            data_dir=tmp_path,
            name="durability",
            env={"FINOPS_RUN_BACKGROUND_JOBS": "false"},
        )
        server.start(migrate=False)
        try:
            token = mint(server.env["FINOPS_JWT_SECRET"], sub="t", role="admin", tenant_id=None, ttl=HOUR)
            with server.client(token) as http:
                response = http.post("/v1/usage-events", json=events(tenant_id=failing_commits))
                ok = http.post("/v1/usage-events", json=events(tenant_id=f"t-{uuid.uuid4().hex[:8]}"))
        finally:
            server.stop()
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "commit_failed"
        assert ok.status_code == 201, ok.text
