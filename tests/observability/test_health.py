"""GET /healthz (alive) and GET /readyz (database reachable, schema at the migration head)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx

from finops.app import create_app
from finops.config import Settings
from finops.kit import migrate


@asynccontextmanager
async def _client_for(database: Path) -> AsyncIterator[httpx.AsyncClient]:
    settings = Settings(
        env="test",
        database_url=f"sqlite+aiosqlite:///{database}",
        jwt_secret="health-" + "z" * 40,
        data_dir=database.parent,
        run_background_jobs=False,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://finops.test") as http:
            yield http


class TestHealth:
    async def test_healthz_needs_no_token(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/healthz")
        assert (response.status_code, response.json()) == (200, {"status": "ok"})

    async def test_readyz_on_a_migrated_database(self, client: httpx.AsyncClient) -> None:
        response = await client.get("/readyz")
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["status"], body["database"]) == ("ok", "ok")
        assert body["migration"] == body["head"] == migrate.head_revision()

    async def test_request_ids_are_echoed_or_made(self, client: httpx.AsyncClient) -> None:
        echoed = await client.get("/healthz", headers={"X-Request-ID": "abc-123"})
        made = await client.get("/healthz")
        assert echoed.headers["x-request-id"] == "abc-123"
        assert len(made.headers["x-request-id"]) == 32


class TestNotReady:
    async def test_unmigrated_database_is_503(self, tmp_path: Path) -> None:
        async with _client_for(tmp_path / "empty.db") as http:
            response = await http.get("/readyz")
        assert response.status_code == 503
        assert (response.json()["status"], response.json()["migration"]) == ("migrations_pending", None)

    async def test_unreachable_database_is_503(self, tmp_path: Path) -> None:
        async with _client_for(tmp_path / "no" / "such" / "dir" / "x.db") as http:
            response = await http.get("/readyz")
            alive = await http.get("/healthz")
        assert (response.status_code, response.json()["database"]) == (503, "error")
        assert alive.status_code == 200
