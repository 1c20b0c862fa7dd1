from __future__ import annotations

from collections.abc import AsyncIterator

import asyncpg
import pytest

from tests.conftest import IN_CI, PG_URL, _create_pg_database, _drop_pg_database


@pytest.fixture
async def pg_url() -> AsyncIterator[str]:
    """A fresh, empty PostgreSQL database for this test (leader election needs PostgreSQL)."""
    if not PG_URL:
        if IN_CI:
            pytest.fail("CI=true but FINOPS_TEST_DATABASE_URL is not set: leader election must be tested")
        pytest.skip("FINOPS_TEST_DATABASE_URL not set")
    try:
        url, name = await _create_pg_database(PG_URL)
    except (OSError, asyncpg.PostgresError) as exc:
        if IN_CI:
            pytest.fail(f"PostgreSQL unreachable in CI: {exc}")
        pytest.skip(f"PostgreSQL unreachable: {exc}")
    yield url
    await _drop_pg_database(PG_URL, name)
