"""Migration 0004 (alerts): its tables match the models, the once-only key holds, and it goes down."""

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
from sqlalchemy.exc import IntegrityError

from finops.kit.db import create_engine
from finops.kit.migrate import alembic_config
from finops.models import Base
from tests.conftest import PG_URL, _create_pg_database, _drop_pg_database

ALERT_TABLES = {"alerts", "alert_channels", "alert_deliveries", "alert_delivery_attempts"}
ALERT = """
INSERT INTO alerts (id, tenant_id, budget_id, budget_name, split_key, period_start, kind, threshold_key,
  arm, severity, status, title, details, created_at)
VALUES (:id, 't1', 'bud_1', 'b', '', '2026-01-01 00:00:00', 'threshold_crossed', '50', 0, 'info',
  'pending', 'x', '{}', '2026-01-02 00:00:00')
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


def _alert_diffs(connection: Any) -> list[Any]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return [d for d in compare_metadata(context, Base.metadata) if "alert" in repr(d)]


async def test_alert_tables_match_the_models_enforce_once_and_downgrade(empty_database: str) -> None:
    config = alembic_config(empty_database)
    await asyncio.to_thread(command.upgrade, config, "0004")
    engine = create_engine(empty_database)
    try:
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
            assert tables >= ALERT_TABLES
            assert await connection.run_sync(_alert_diffs) == []
        async with engine.begin() as connection:
            await connection.execute(text(ALERT), {"id": "a1"})
        with pytest.raises(IntegrityError):
            async with engine.begin() as connection:
                await connection.execute(text(ALERT), {"id": "a2"})  # same budget/split/period/threshold/arm

        await asyncio.to_thread(command.downgrade, config, "0003")
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert not (ALERT_TABLES & tables)
        assert "budgets" in tables
        await asyncio.to_thread(command.upgrade, config, "head")
    finally:
        await engine.dispose()
