"""Usage event ingest over HTTP: pricing on store, idempotency, batches, bad input, isolation."""

from __future__ import annotations

from decimal import Decimal

import httpx

from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory


class TestSingleEvent:
    async def test_new_event_is_priced_and_stored(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        payload = events(tenant_id=tenant, usage={"input_tokens": 1_000_000, "output_tokens": 1_000_000})
        response = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
        assert response.status_code == 201, response.text
        body = response.json()
        # gpt-4o-mini list price: $0.15 / M input, $0.60 / M output.
        assert body["cost_usd"] == "0.75"
        assert body["cost_breakdown"]["input"] == "0.15"
        assert body["cost_breakdown"]["output"] == "0.6"
        assert body["priced"] is True
        assert isinstance(body["price_id"], int)
        assert body["catalog_model"] == "openai/gpt-4o-mini"

    async def test_replay_answers_200_with_the_stored_event_and_counts_once(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        headers = auth("service", tenant)
        payload = events(tenant_id=tenant)
        first = await client.post("/v1/usage-events", json=payload, headers=headers)
        again = await client.post("/v1/usage-events", json=payload, headers=headers)
        assert (first.status_code, again.status_code) == (201, 200)
        assert again.json() == first.json()
        costs = await client.get("/v1/costs", params={"tenant_id": tenant}, headers=auth("analyst", tenant))
        assert costs.json()["total"]["events"] == 1
        assert Decimal(costs.json()["total_cost_usd"]) == Decimal(first.json()["cost_usd"])

    async def test_unknown_model_is_stored_unpriced(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        payload = events(tenant_id=tenant, model="my-finetune-xyz")
        response = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
        assert response.status_code == 201
        assert response.json()["priced"] is False
        assert response.json()["cost_usd"] == "0"
        listed = await client.get(
            "/v1/usage-events", params={"priced": "false"}, headers=auth("analyst", tenant)
        )
        assert [e["event_id"] for e in listed.json()["items"]] == [payload["event_id"]]


class TestBatch:
    async def test_partial_rejection_keeps_good_events(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        good = events(tenant_id=tenant)
        negative = events(tenant_id=tenant, usage={"input_tokens": -1})
        bad_provider = events(tenant_id=tenant, provider="cohere")
        response = await client.post(
            "/v1/usage-events/batch",
            json={"events": [good, negative, bad_provider, good]},
            headers=auth("service", tenant),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["accepted"], body["duplicates"]) == (1, 1)
        assert [(r["index"], r["code"]) for r in body["rejected"]] == [
            (1, "negative_tokens"),
            (2, "unknown_provider"),
        ]
        assert [(r["index"], r["status"]) for r in body["results"]] == [(0, "created"), (3, "duplicate")]
