"""POST /v1/pricing/estimate: the same price an event would get, without recording anything."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory
from tests.fixtures.pricing import breakdown, ingest


class TestEstimate:
    async def test_normalized_usage(self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str) -> None:
        response = await client.post(
            "/v1/pricing/estimate",
            json={
                "provider": "openai",
                "model": "gpt-4o",
                "usage": {"input_tokens": 10_000, "cached_input_tokens": 4_000, "output_tokens": 1_000},
            },
            headers=auth("analyst", tenant),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        # 6,000 × 2.50/M + 4,000 × 1.25/M + 1,000 × 10/M
        assert body["cost_usd"] == "0.03"
        assert body["cost_breakdown"] == breakdown(input="0.015", cached_input="0.005", output="0.01")
        assert (body["priced"], body["catalog_model"], body["usage_source"]) == (
            True,
            "openai/gpt-4o",
            "normalized",
        )

    async def test_provider_usage_matches_what_ingest_stores_and_nothing_is_recorded(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "input_tokens": 1_000,
            "cache_creation_input_tokens": 4_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 1_000, "ephemeral_1h_input_tokens": 3_000},
            "cache_read_input_tokens": 20_000,
            "output_tokens": 800,
        }
        estimate = await client.post(
            "/v1/pricing/estimate",
            json={"provider": "anthropic", "model": "claude-sonnet-4-5", "provider_usage": usage},
            headers=auth("service", tenant),
        )
        assert estimate.status_code == 200, estimate.text
        listed = await client.get("/v1/usage-events", headers=auth("analyst", tenant))
        assert listed.json()["items"] == []

        stored = await ingest(
            client,
            auth("service", tenant),
            events(tenant_id=tenant, provider="anthropic", model="claude-sonnet-4-5", provider_usage=usage),
        )
        assert estimate.json()["cost_usd"] == stored["cost_usd"] == "0.04275"
        assert estimate.json()["cost_breakdown"] == stored["cost_breakdown"]
        assert estimate.json()["price_id"] == stored["price_id"]

    async def test_occurred_at_picks_the_price_in_force(
        self, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        request = {"provider": "openai", "model": "o3", "usage": {"input_tokens": 1_000_000}}
        old = await client.post(
            "/v1/pricing/estimate",
            json={**request, "occurred_at": datetime(2025, 6, 1, tzinfo=UTC).isoformat()},
            headers=auth(),
        )
        new = await client.post("/v1/pricing/estimate", json=request, headers=auth())
        assert (old.json()["cost_usd"], new.json()["cost_usd"]) == ("10", "2")
        assert old.json()["price_id"] != new.json()["price_id"]

    async def test_unknown_model_is_unpriced(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        response = await client.post(
            "/v1/pricing/estimate",
            json={"provider": "openai", "model": "my-finetune", "usage": {"input_tokens": 5}},
            headers=auth(),
        )
        assert response.status_code == 200
        assert (response.json()["priced"], response.json()["cost_usd"]) == (False, "0")
        assert response.json()["pricing_notes"]

    async def test_bad_requests(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        cases = [
            ({"provider": "openai", "model": "gpt-4o"}, 422, "usage_conflict"),
            (
                {
                    "provider": "openai",
                    "model": "gpt-4o",
                    "usage": {},
                    "provider_usage": {"prompt_tokens": 1},
                },
                422,
                "usage_conflict",
            ),
            ({"provider": "cohere", "model": "x", "usage": {}}, 422, "unknown_provider"),
            (
                {"provider": "openai", "model": "gpt-4o", "usage": {"input_tokens": -1}},
                422,
                "negative_tokens",
            ),
            (
                {"provider": "openai", "model": "gpt-4o", "provider_usage": {"prompt_tokens": "1"}},
                422,
                "invalid_provider_usage",
            ),
            ({"provider": "openai", "model": "gpt-4o", "usage": {}, "extra": 1}, 422, "unknown_field"),
            (
                {"provider": "openai", "model": "gpt-4o", "usage": {}, "occurred_at": "2026-01-01T00:00:00"},
                422,
                "invalid_timestamp",
            ),
        ]
        for payload, status, code in cases:
            response = await client.post("/v1/pricing/estimate", json=payload, headers=auth())
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), payload

    async def test_needs_a_token(self, client: httpx.AsyncClient) -> None:
        response = await client.post(
            "/v1/pricing/estimate", json={"provider": "openai", "model": "gpt-4o", "usage": {}}
        )
        assert (response.status_code, response.json()["error"]["code"]) == (401, "missing_token")
