"""Migration 0002 on a database that already holds events: list cost = cost, and back down again."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import inspect, text

from finops.kit.db import create_engine
from finops.kit.migrate import alembic_config
from tests.conftest import PG_URL, _create_pg_database, _drop_pg_database

EVENT = """
INSERT INTO usage_events (tenant_id, event_id, occurred_at, received_at, service, learner_id, subject,
  provider, model, batch, tags, usage_source, input_tokens, cached_input_tokens, cache_write_tokens,
  cache_write_1h_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens,
  image_input_tokens, priced, cost_usd, cost_breakdown, pricing_notes)
VALUES ('t1', 'e1', '2026-01-01 10:00:00', '2026-01-01 10:00:01', 's', '', '', 'openai', 'gpt-4o', false,
  '{}', 'normalized', 1000, 0, 0, 0, 100, 0, 0, 0, 0, true, :cost, '{}', '[]')
"""
ROLLUP = """
INSERT INTO cost_rollups (grain, bucket_start, tenant_id, service, learner_id, subject, provider, model,
  events, unpriced_events, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
  reasoning_tokens, audio_input_tokens, audio_output_tokens, image_input_tokens, cost_usd)
VALUES ('hour', '2026-01-01 10:00:00', 't1', 's', '', '', 'openai', 'gpt-4o', 1, 0, 1000, 0, 0, 100,
  0, 0, 0, 0,
  :cost)
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


async def test_existing_rows_get_their_cost_as_list_cost_and_the_downgrade_works(empty_database: str) -> None:
    config = alembic_config(empty_database)
    await asyncio.to_thread(command.upgrade, config, "0001")
    engine = create_engine(empty_database)
    sqlite = empty_database.startswith("sqlite")
    # 0.0035 USD, stored as picodollars on SQLite and as NUMERIC on PostgreSQL.
    cost = 3_500_000_000 if sqlite else Decimal("0.0035")
    try:
        async with engine.begin() as connection:
            await connection.execute(text(EVENT), {"cost": cost})
            await connection.execute(text(ROLLUP), {"cost": cost})

        await asyncio.to_thread(command.upgrade, config, "0002")
        async with engine.connect() as connection:
            event = (
                await connection.execute(
                    text("SELECT cost_usd, list_cost_usd, tenant_rate_id FROM usage_events")
                )
            ).one()
            rollup = (
                await connection.execute(text("SELECT cost_usd, list_cost_usd FROM cost_rollups"))
            ).one()
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert event[0] == event[1] == cost
        assert event[2] is None
        assert rollup[0] == rollup[1] == cost
        assert {"audit_entries", "tenant_rates", "pricing_sync_runs"} <= tables

        await asyncio.to_thread(command.downgrade, config, "0001")
        async with engine.connect() as connection:
            columns = await connection.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("usage_events")}
            )
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert "list_cost_usd" not in columns
        assert not {"audit_entries", "tenant_rates", "pricing_sync_runs"} & tables
    finally:
        await engine.dispose()
