"""Replaying an event (alone, in batches, concurrently) stores and counts it exactly once."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory


async def _totals(client: httpx.AsyncClient, auth: TokenFactory, tenant: str) -> tuple[int, Decimal]:
    response = await client.get("/v1/costs", params={"tenant_id": tenant}, headers=auth("analyst", tenant))
    assert response.status_code == 200, response.text
    return response.json()["total"]["events"], Decimal(response.json()["total_cost_usd"])


class TestSingleReplay:
    async def test_a_replay_with_other_content_answers_the_first_stored_event(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        headers = auth("service", tenant)
        first = events(tenant_id=tenant, usage={"input_tokens": 1_000_000})
        changed = {**first, "usage": {"input_tokens": 2_000_000}, "service": "other"}
        created = await client.post("/v1/usage-events", json=first, headers=headers)
        replay = await client.post("/v1/usage-events", json=changed, headers=headers)
        assert (created.status_code, replay.status_code) == (201, 200)
        assert replay.json() == created.json()
        assert replay.json()["cost_usd"] == "0.15"  # 1M × gpt-4o-mini 0.15/M: the first payload's
        assert await _totals(client, auth, tenant) == (1, Decimal("0.15"))

    async def test_the_same_event_id_in_two_tenants_is_two_events(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        other = tenant + "-b"
        payload = events(tenant_id=tenant)
        one = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
        two = await client.post(
            "/v1/usage-events", json={**payload, "tenant_id": other}, headers=auth("service", other)
        )
        assert (one.status_code, two.status_code) == (201, 201)
        assert (await _totals(client, auth, tenant))[0] == 1
        assert (await _totals(client, auth, other))[0] == 1

    async def test_concurrent_replays_are_counted_once(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        headers = auth("service", tenant)
        payload = events(tenant_id=tenant, usage={"input_tokens": 1_000_000, "output_tokens": 1_000_000})
        responses = await asyncio.gather(
            *(client.post("/v1/usage-events", json=payload, headers=headers) for _ in range(8))
        )
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [200] * 7 + [201], [r.text for r in responses]
        assert len({r.json()["received_at"] for r in responses}) == 1  # all answer the one stored row
        assert await _totals(client, auth, tenant) == (1, Decimal("0.75"))


class TestBatchReplay:
    async def test_a_replayed_batch_is_all_duplicates(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        headers = auth("service", tenant)
        batch = [events(tenant_id=tenant) for _ in range(3)]
        first = await client.post("/v1/usage-events/batch", json={"events": batch}, headers=headers)
        again = await client.post("/v1/usage-events/batch", json={"events": batch}, headers=headers)
        assert (first.json()["accepted"], first.json()["duplicates"]) == (3, 0)
        assert (again.json()["accepted"], again.json()["duplicates"]) == (0, 3)
        assert [r["status"] for r in again.json()["results"]] == ["duplicate"] * 3
        assert [r["event"] for r in again.json()["results"]] == [r["event"] for r in first.json()["results"]]
        events_count, total = await _totals(client, auth, tenant)
        assert events_count == 3
        assert total == sum(Decimal(r["event"]["cost_usd"]) for r in first.json()["results"])

    async def test_a_single_event_replayed_inside_a_batch_is_a_duplicate(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        headers = auth("service", tenant)
        single = events(tenant_id=tenant)
        fresh = events(tenant_id=tenant)
        assert (await client.post("/v1/usage-events", json=single, headers=headers)).status_code == 201
        response = await client.post(
            "/v1/usage-events/batch", json={"events": [fresh, single]}, headers=headers
        )
        assert [(r["index"], r["status"]) for r in response.json()["results"]] == [
            (0, "created"),
            (1, "duplicate"),
        ]
        assert (await _totals(client, auth, tenant))[0] == 2

    async def test_repeats_inside_one_batch_count_once(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        one = events(tenant_id=tenant)
        response = await client.post(
            "/v1/usage-events/batch", json={"events": [one, one, one]}, headers=auth("service", tenant)
        )
        assert [r["status"] for r in response.json()["results"]] == ["created", "duplicate", "duplicate"]
        assert (await _totals(client, auth, tenant))[0] == 1

    async def test_concurrent_overlapping_batches_store_each_event_once(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        headers = auth("service", tenant)
        pool = [events(tenant_id=tenant, usage={"input_tokens": 1_000_000}) for _ in range(6)]
        batches: list[list[dict[str, Any]]] = [pool[0:4], pool[2:6], pool[::-1], pool[1:5]]
        responses = await asyncio.gather(
            *(client.post("/v1/usage-events/batch", json={"events": b}, headers=headers) for b in batches)
        )
        assert all(r.status_code == 200 for r in responses), [r.text for r in responses]
        assert sum(r.json()["accepted"] for r in responses) == 6
        assert sum(r.json()["duplicates"] for r in responses) == sum(len(b) for b in batches) - 6
        assert await _totals(client, auth, tenant) == (6, Decimal("0.9"))  # 6 × 1M × 0.15/M
