"""Migration 0003 (budgets): its tables match the models, reservation lines go with their budget,
and it goes down and up again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from finops.kit.db import create_engine
from finops.kit.migrate import alembic_config
from finops.models import Base
from tests.conftest import PG_URL, _create_pg_database, _drop_pg_database

BUDGET_TABLES = {"budgets", "budget_reservations"}
BUDGET = """
INSERT INTO budgets (id, tenant_id, name, scope, split_by, amount_usd, period, timezone, thresholds,
  enforcement, channel_ids, cooldown_seconds, active, created_by, created_at, updated_at)
VALUES ('bud_1', 't1', 'b', '{}', '[]', 1, 'monthly', 'UTC', '[]', 'hard', '[]', 0, true, '',
  '2026-01-01 00:00:00', '2026-01-01 00:00:00')
"""
RESERVATION = """
INSERT INTO budget_reservations (reservation_id, tenant_id, budget_id, split_key, amount_usd, status,
  created_at, expires_at)
VALUES ('res_1', 't1', 'bud_1', '', 1, 'held', '2026-01-01 00:00:00', '2026-01-01 00:10:00')
"""


@pytest.fixture(params=["sqlite", "postgresql"])
async def empty_database(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'migrate.db'}"
        return
    if not PG_URL:
        pytest.skip("FINOPS_TEST_DATABASE_URL not set")
    url, name = await _create_pg_database(PG_URL)
    yield url
    await _drop_pg_database(PG_URL, name)


def _budget_diffs(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [
        d for d in compare_metadata(context, Base.metadata) if "budget" in repr(d) and "alert" not in repr(d)
    ]


async def test_budget_tables_match_the_models_cascade_and_downgrade(empty_database: str) -> None:
    config = alembic_config(empty_database)
    await asyncio.to_thread(command.upgrade, config, "0003")
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert tables >= BUDGET_TABLES
            assert await connection.run_sync(_budget_diffs) == []
        async with engine.begin() as connection:
            await connection.execute(
                text(BUDGET.replace("true", "1" if "sqlite" in empty_database else "true"))
            )
            await connection.execute(text(RESERVATION))
            await connection.execute(text("DELETE FROM budgets WHERE id = 'bud_1'"))
            left = await connection.scalar(text("SELECT count(*) FROM budget_reservations"))
        assert left == 0

        await asyncio.to_thread(command.downgrade, config, "0002")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not (BUDGET_TABLES & tables)
        assert "usage_events" in tables
        await asyncio.to_thread(command.upgrade, config, "head")
    finally:
        await engine.dispose()
