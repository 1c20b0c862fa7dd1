"""Test fixtures: every database test runs on SQLite and, when FINOPS_TEST_DATABASE_URL is set,
on PostgreSQL too (each pytest run gets its own fresh, migrated PostgreSQL database)."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from fastapi import FastAPI

from finops.app import create_app
from finops.auth.tokens import mint
from finops.cli.db import upgrade_database
from finops.config import Settings, normalize_database_url
from tests.fixtures.events import EventFactory

JWT_SECRET = "test-secret-" + "x" * 32
PG_URL = os.environ.get("FINOPS_TEST_DATABASE_URL")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def _asyncpg_dsn(url: str) -> str:
    return normalize_database_url(url).replace("postgresql+asyncpg://", "postgresql://")


async def _create_pg_database(base_url: str) -> tuple[str, str]:
    name = f"finops_test_{uuid.uuid4().hex[:10]}"
    connection = await asyncpg.connect(_asyncpg_dsn(base_url))
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    base = normalize_database_url(base_url)
    return base.rsplit("/", 1)[0] + "/" + name, name


async def _drop_pg_database(base_url: str, name: str) -> None:
    connection = await asyncpg.connect(_asyncpg_dsn(base_url))
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
async def database_url(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[str]:
    """A migrated database with the default price catalog loaded, one per backend per run."""
    if request.param == "sqlite":
        path: Path = tmp_path_factory.mktemp("db") / "finops.db"
        url = f"sqlite+aiosqlite:///{path}"
        await upgrade_database(url)
        yield url
        return
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but FINOPS_TEST_DATABASE_URL is not set: PostgreSQL tests must run")
        pytest.skip("FINOPS_TEST_DATABASE_URL not set")
    try:
        url, name = await _create_pg_database(PG_URL)
    except (OSError, asyncpg.PostgresError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    await upgrade_database(url)
    yield url
    await _drop_pg_database(PG_URL, name)


@pytest.fixture(scope="session")
def settings(database_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings(
        env="test",
        database_url=database_url,
        jwt_secret=JWT_SECRET,
        data_dir=tmp_path_factory.mktemp("data"),
        run_background_jobs=False,
        catalog_refresh_seconds=0.0,
    )


@pytest.fixture(scope="session")
async def app(settings: Settings) -> AsyncIterator[FastAPI]:
    application = create_app(settings)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture(scope="session")
async def client(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://finops.test") as http:
        yield http


TokenFactory = Callable[..., dict[str, str]]


@pytest.fixture(scope="session")
def auth() -> TokenFactory:
    """auth(role, tenant) → Authorization headers with a freshly minted token."""

    def make(
        role: str = "admin", tenant: str | None = None, *, ttl: timedelta = timedelta(hours=1)
    ) -> dict[str, str]:
        token = mint(JWT_SECRET, sub=f"test-{role}", role=role, tenant_id=tenant, ttl=ttl)
        return {"Authorization": f"Bearer {token}"}

    return make


@pytest.fixture
def tenant() -> str:
    """A tenant id no other test uses, so tests never see each other's data."""
    return f"t-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def events() -> EventFactory:
    return EventFactory()


def pytest_collection_modifyitems(items: list[Any]) -> None:
    # Run all SQLite tests first, then all PostgreSQL tests (one database fixture alive at a time).
    items.sort(key=lambda item: "postgresql" in item.nodeid)
