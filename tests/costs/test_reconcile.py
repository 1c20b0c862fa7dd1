"""Reconciliation: rollups equal the raw events after a mixed ingest, and a drift is reported."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx
from fastapi import FastAPI
from sqlalchemy import delete, update

from finops.costs.reconcile import reconcile
from finops.costs.rollups import GRAINS, split_grain
from finops.kit.time import floor_hour, utcnow
from finops.models import CostRollup, UsageEvent
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory


async def _mixed_ingest(
    client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
) -> None:
    """Every provider, native and normalized usage, single and batch, replays, unpriced, tags."""
    hour = floor_hour(utcnow()) - timedelta(hours=30)
    headers = auth("service", tenant)
    batch = [
        events(tenant_id=tenant, occurred_at=hour, learner_id="l1", subject="math", tags={"team": "a"}),
        events(
            tenant_id=tenant,
            occurred_at=hour + timedelta(minutes=59, seconds=59),
            provider="gemini",
            model="models/gemini-2.5-pro",
            provider_usage={"promptTokenCount": 250_000, "candidatesTokenCount": 10, "thoughtsTokenCount": 5},
        ),
        events(
            tenant_id=tenant,
            occurred_at=hour + timedelta(hours=1),
            provider="bedrock",
            model="us.anthropic.claude-haiku-4-5-20251001-v1:0",
            provider_usage={"inputTokens": 10, "outputTokens": 5, "cacheReadInputTokens": 100},
        ),
        events(
            tenant_id=tenant,
            occurred_at=hour + timedelta(hours=20),  # next UTC day for most of the hours
            provider="anthropic",
            model="claude-sonnet-4-5",
            batch=True,
            provider_usage={"input_tokens": 7, "cache_creation_input_tokens": 3, "output_tokens": 2},
        ),
        events(tenant_id=tenant, occurred_at=hour, model="unknown-model"),
        events(tenant_id=tenant, usage={"input_tokens": -1}),  # rejected
    ]
    response = await client.post(
        "/v1/usage-events/batch", json={"events": batch + batch[:2]}, headers=headers
    )
    assert (response.json()["accepted"], response.json()["duplicates"]) == (5, 2), response.text
    single = events(
        tenant_id=tenant, provider="openai", model="o3", usage={"input_tokens": 5, "output_tokens": 1}
    )
    for _ in range(2):
        await client.post("/v1/usage-events", json=single, headers=headers)


class TestReconcile:
    async def test_no_difference_after_a_mixed_ingest(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        await _mixed_ingest(client, auth, tenant, events)
        async with app.state.sessionmaker() as session:
            assert await reconcile(session) == []  # the whole test database, every tenant

    async def test_a_drifted_rollup_is_reported(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        await _mixed_ingest(client, auth, tenant, events)
        async with app.state.sessionmaker() as session:
            try:
                await session.execute(
                    update(CostRollup)
                    .where(
                        CostRollup.tenant_id == tenant,
                        CostRollup.grain == "hour",
                        CostRollup.model == "gpt-4o-mini",
                    )
                    .values(cost_usd=CostRollup.cost_usd + Decimal("0.000001"), events=CostRollup.events + 1)
                )
                differences = await reconcile(session)
            finally:
                await session.rollback()  # the drift never leaves this transaction
        mine = [d for d in differences if tenant in d.key]
        assert {(d.grain, d.field) for d in mine} == {("hour", "cost_usd"), ("hour", "events")}
        cost = next(d for d in mine if d.field == "cost_usd")
        assert Decimal(cost.rollup) - Decimal(cost.raw) == Decimal("0.000001")
        assert all(tenant in d.key for d in differences)

    async def test_a_missing_raw_event_is_reported_in_every_grain(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        await _mixed_ingest(client, auth, tenant, events)
        async with app.state.sessionmaker() as session:
            try:
                await session.execute(
                    delete(UsageEvent).where(UsageEvent.tenant_id == tenant, UsageEvent.model == "o3")
                )
                differences = await reconcile(session)
            finally:
                await session.rollback()
        assert {d.grain for d in differences} == set(GRAINS)
        assert all(tenant in d.key for d in differences)
        # Cubes that keep the model name it; the tenant+learner cube collapses it to "*".
        assert all("o3" in d.key for d in differences if "model" in split_grain(d.grain)[1])
