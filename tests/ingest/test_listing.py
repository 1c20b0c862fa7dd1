"""GET /v1/usage-events (filters, cursor pagination) and GET /v1/usage-events/{event_id}."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import httpx
import pytest

from finops.kit.time import floor_hour, utcnow
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory


async def _store(
    client: httpx.AsyncClient, auth: TokenFactory, tenant: str, batch: list[dict[str, Any]]
) -> None:
    response = await client.post(
        "/v1/usage-events/batch", json={"events": batch}, headers=auth("service", tenant)
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == len(batch), response.text


async def _all_pages(
    client: httpx.AsyncClient, headers: dict[str, str], params: dict[str, Any]
) -> tuple[list[str], int]:
    ids: list[str] = []
    pages = 0
    cursor: str | None = None
    while True:
        response = await client.get(
            "/v1/usage-events", params={**params, **({"cursor": cursor} if cursor else {})}, headers=headers
        )
        assert response.status_code == 200, response.text
        pages += 1
        ids.extend(e["event_id"] for e in response.json()["items"])
        cursor = response.json()["next_cursor"]
        if cursor is None:
            return ids, pages


class TestPagination:
    async def test_pages_cover_every_event_once_newest_first_even_with_equal_timestamps(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        base = floor_hour(utcnow()) - timedelta(hours=2)
        same = base + timedelta(minutes=30)
        stamps = [base, same, same, same, base + timedelta(minutes=40), base + timedelta(minutes=5), same]
        batch = [
            events(tenant_id=tenant, occurred_at=at, event_id=f"{tenant}-{i}") for i, at in enumerate(stamps)
        ]
        await _store(client, auth, tenant, batch)
        headers = auth("analyst", tenant)

        whole = await client.get("/v1/usage-events", headers=headers)
        expected = [e["event_id"] for e in whole.json()["items"]]
        assert (len(expected), whole.json()["next_cursor"]) == (7, None)
        occurred = [e["occurred_at"] for e in whole.json()["items"]]
        assert occurred == sorted(occurred, reverse=True)

        ids, pages = await _all_pages(client, headers, {"limit": 2})
        assert ids == expected
        assert pages == 4

    async def test_filters_combine_with_paging(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        base = floor_hour(utcnow()) - timedelta(hours=5)
        batch = [
            events(
                tenant_id=tenant, occurred_at=base + timedelta(minutes=i), service="quiz" if i % 2 else "chat"
            )
            for i in range(9)
        ]
        await _store(client, auth, tenant, batch)
        ids, _ = await _all_pages(client, auth("analyst", tenant), {"service": "quiz", "limit": 3})
        assert ids == [e["event_id"] for e in reversed(batch) if e["service"] == "quiz"]

    @pytest.mark.parametrize(
        "cursor",
        [
            "%%%",
            "bm90LWEtY3Vyc29y",
            base64.urlsafe_b64encode(b"2026-01-01T00:00:00+00:00|x").decode(),
            base64.urlsafe_b64encode(b"0001-01-01T00:00:00+05:00|5").decode(),
        ],
    )
    async def test_a_bad_cursor_is_400(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, cursor: str
    ) -> None:
        response = await client.get(
            "/v1/usage-events", params={"cursor": cursor}, headers=auth("analyst", tenant)
        )
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_cursor")

    @pytest.mark.parametrize(
        ("limit", "code"), [(0, "out_of_range"), (501, "out_of_range"), ("x", "invalid_type")]
    )
    async def test_limit_out_of_bounds_is_422(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, limit: Any, code: str
    ) -> None:
        response = await client.get(
            "/v1/usage-events", params={"limit": limit}, headers=auth("analyst", tenant)
        )
        assert (response.status_code, response.json()["error"]["code"]) == (422, code)


class TestFilters:
    async def test_each_filter(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        base = floor_hour(utcnow()) - timedelta(hours=3)
        a = events(
            tenant_id=tenant,
            occurred_at=base,
            service="chat",
            learner_id="l1",
            subject="math",
            provider="openai",
            model="gpt-4o",
        )
        b = events(
            tenant_id=tenant,
            occurred_at=base + timedelta(hours=1),
            service="quiz",
            learner_id="l2",
            subject="art",
            provider="anthropic",
            model="claude-haiku-4-5",
        )
        c = events(tenant_id=tenant, occurred_at=base + timedelta(hours=2), model="not-a-real-model")
        await _store(client, auth, tenant, [a, b, c])
        headers = auth("analyst", tenant)
        cases: list[tuple[dict[str, Any], list[dict[str, Any]]]] = [
            ({"service": "chat"}, [a]),
            ({"learner_id": "l2"}, [b]),
            ({"subject": "math"}, [a]),
            ({"provider": "anthropic"}, [b]),
            ({"model": "gpt-4o"}, [a]),
            ({"priced": "false"}, [c]),
            ({"priced": "true"}, [b, a]),
            ({"start": (base + timedelta(minutes=30)).isoformat()}, [c, b]),
            ({"end": (base + timedelta(hours=1)).isoformat()}, [a]),  # end is exclusive
            (
                {
                    "start": (base + timedelta(hours=1)).isoformat(),
                    "end": (base + timedelta(hours=2)).isoformat(),
                },
                [b],
            ),
        ]
        for params, expected in cases:
            response = await client.get("/v1/usage-events", params=params, headers=headers)
            assert response.status_code == 200, response.text
            assert [e["event_id"] for e in response.json()["items"]] == [e["event_id"] for e in expected], (
                params
            )

    async def test_a_bad_filter_value_is_a_4xx(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        headers = auth("analyst", tenant)
        cases: list[tuple[str, dict[str, str], int, str]] = [
            ("/v1/usage-events", {"priced": "maybe"}, 422, "invalid_type"),
            ("/v1/usage-events", {"start": "yesterday"}, 422, "invalid_timestamp"),
            ("/v1/usage-events", {"start": "0001-01-01T00:00:00+05:00"}, 400, "invalid_timestamp"),
            ("/v1/usage-events", {"end": "9999-12-31T23:59:59-05:00"}, 400, "invalid_timestamp"),
            ("/v1/usage-events", {"model": "gpt\x00"}, 400, "invalid_characters"),
            ("/v1/usage-events/ev%00x", {}, 400, "invalid_characters"),
        ]
        for path, params, status, code in cases:
            response = await client.get(path, params=params, headers=headers)
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), params


class TestGetOne:
    async def test_by_event_id(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        payload = events(tenant_id=tenant, learner_id="l1", tags={"feature": "hints"})
        created = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
        got = await client.get(f"/v1/usage-events/{payload['event_id']}", headers=auth("analyst", tenant))
        assert got.status_code == 200
        assert got.json() == created.json()
        assert got.json()["tags"] == {"feature": "hints"}

    async def test_unknown_id_is_404(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        response = await client.get("/v1/usage-events/nope", headers=auth("analyst", tenant))
        assert (response.status_code, response.json()["error"]["code"]) == (404, "event_not_found")

    async def test_an_id_used_by_two_tenants_needs_a_tenant_for_an_admin(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        other = tenant + "-b"
        payload = events(tenant_id=tenant)
        await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
        await client.post(
            "/v1/usage-events", json={**payload, "tenant_id": other}, headers=auth("service", other)
        )
        path = f"/v1/usage-events/{payload['event_id']}"
        ambiguous = await client.get(path, headers=auth("admin"))
        assert (ambiguous.status_code, ambiguous.json()["error"]["code"]) == (409, "ambiguous_event_id")
        chosen = await client.get(path, params={"tenant_id": other}, headers=auth("admin"))
        assert (chosen.status_code, chosen.json()["tenant_id"]) == (200, other)
        own = await client.get(path, headers=auth("analyst", tenant))
        assert (own.status_code, own.json()["tenant_id"]) == (200, tenant)
