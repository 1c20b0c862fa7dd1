"""Bad usage events get a 4xx with a stable code, on the single and the batch endpoint; never a 500."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from finops.app import create_app
from finops.config import Settings
from finops.kit.time import utcnow
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory

SMALL_BODY = 4096


@pytest.fixture(scope="module")
async def small_body_client(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """A client of an app whose body limit is 4 KiB (the limit is a setting, FINOPS_MAX_BODY_BYTES)."""
    app: FastAPI = create_app(settings.model_copy(update={"max_body_bytes": SMALL_BODY}))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://finops.test") as http:
            yield http


def _code(response: httpx.Response) -> tuple[int, str]:
    assert 400 <= response.status_code < 500, response.text
    return response.status_code, response.json()["error"]["code"]


def _cases(events: EventFactory, tenant: str) -> list[tuple[str, dict[str, Any], str]]:
    """(what, payload, code) for events the schema refuses."""
    now = utcnow()
    return [
        ("negative count", events(tenant_id=tenant, usage={"input_tokens": -1}), "negative_tokens"),
        (
            "cached > input",
            events(tenant_id=tenant, usage={"input_tokens": 10, "cached_input_tokens": 11}),
            "cached_exceeds_input",
        ),
        (
            "reasoning > output",
            events(tenant_id=tenant, usage={"output_tokens": 10, "reasoning_tokens": 11}),
            "inconsistent_usage",
        ),
        ("absurd count", events(tenant_id=tenant, usage={"input_tokens": 10**30}), "out_of_range"),
        ("unknown provider", events(tenant_id=tenant, provider="cohere"), "unknown_provider"),
        ("count as a string", events(tenant_id=tenant, usage={"input_tokens": "10"}), "invalid_type"),
        ("count as a float", events(tenant_id=tenant, usage={"input_tokens": 10.5}), "invalid_type"),
        ("batch as a string", events(tenant_id=tenant, batch="yes"), "invalid_type"),
        ("service as a number", events(tenant_id=tenant, service=5), "invalid_type"),
        ("tag value as a number", events(tenant_id=tenant, tags={"team": 1}), "invalid_type"),
        ("usage as a list", events(tenant_id=tenant, usage=[1]), "invalid_type"),  # type: ignore[arg-type]
        ("provider_usage as a list", events(tenant_id=tenant, provider_usage=[1]), "invalid_type"),  # type: ignore[arg-type]
        (
            "future timestamp",
            events(tenant_id=tenant, occurred_at=now + timedelta(minutes=10)),
            "future_timestamp",
        ),
        (
            "timestamp without offset",
            {**events(tenant_id=tenant), "occurred_at": "2026-01-05T10:00:00"},
            "invalid_timestamp",
        ),
        (
            "timestamp not a date",
            {**events(tenant_id=tenant), "occurred_at": "yesterday"},
            "invalid_timestamp",
        ),
        (
            "timestamp before 1970",
            {**events(tenant_id=tenant), "occurred_at": "0001-01-01T00:00:00+05:00"},
            "invalid_timestamp",
        ),
        (
            "timestamp as a number",
            {**events(tenant_id=tenant), "occurred_at": 1_700_000_000},
            "invalid_timestamp",
        ),
        (
            "both usages",
            {**events(tenant_id=tenant, provider_usage={"prompt_tokens": 1}), "usage": {}},
            "usage_conflict",
        ),
        ("no usage", {k: v for k, v in events(tenant_id=tenant).items() if k != "usage"}, "usage_conflict"),
        ("unknown top-level field", {**events(tenant_id=tenant), "cost": "1.00"}, "unknown_field"),
        (
            "unknown usage field",
            events(tenant_id=tenant, usage={"input_tokens": 1, "tokens": 2}),
            "unknown_field",
        ),
        (
            "missing event_id",
            {k: v for k, v in events(tenant_id=tenant).items() if k != "event_id"},
            "missing_field",
        ),
        ("empty event_id", {**events(tenant_id=tenant), "event_id": ""}, "invalid_length"),
        ("event_id too long", {**events(tenant_id=tenant), "event_id": "x" * 129}, "invalid_length"),
        ("NUL in event_id", {**events(tenant_id=tenant), "event_id": "a\u0000b"}, "invalid_characters"),
        ("NUL in service", {**events(tenant_id=tenant), "service": "a\u0000b"}, "invalid_characters"),
        ("NUL in model", {**events(tenant_id=tenant), "model": "gpt-4o\u0000"}, "invalid_characters"),
        ("NUL in a tag", {**events(tenant_id=tenant), "tags": {"k": "v\u0000"}}, "invalid_characters"),
        ("too many tags", events(tenant_id=tenant, tags={f"k{i}": "v" for i in range(21)}), "too_many_tags"),
        (
            "invalid provider_usage",
            events(tenant_id=tenant, provider_usage={"prompt_tokens": "1", "completion_tokens": 1}),
            "invalid_provider_usage",
        ),
    ]


class TestSingleEvent:
    async def test_each_bad_field_has_its_code(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        headers = auth("service", tenant)
        for what, payload, code in _cases(events, tenant):
            response = await client.post("/v1/usage-events", json=payload, headers=headers)
            assert _code(response) == (422, code), what
        listed = await client.get("/v1/usage-events", headers=auth("analyst", tenant))
        assert listed.json()["items"] == []  # nothing refused was stored

    async def test_a_timestamp_a_few_minutes_ahead_is_accepted(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        payload = events(tenant_id=tenant, occurred_at=utcnow() + timedelta(minutes=4))
        response = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
        assert response.status_code == 201, response.text

    @pytest.mark.parametrize("body", [b"{", b'{"event_id": "x",}', b"not json", b'{"a": 1} trailing'])
    async def test_malformed_json_is_400(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, body: bytes
    ) -> None:
        for path in ("/v1/usage-events", "/v1/usage-events/batch"):
            response = await client.post(
                path, content=body, headers={**auth("service", tenant), "content-type": "application/json"}
            )
            assert _code(response) == (400, "malformed_json")

    @pytest.mark.parametrize(
        ("body", "code"), [(b"[]", "invalid_type"), (b"null", "invalid_type"), (b"", "missing_field")]
    )
    async def test_a_body_that_is_not_an_object(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, body: bytes, code: str
    ) -> None:
        response = await client.post(
            "/v1/usage-events",
            content=body,
            headers={**auth("service", tenant), "content-type": "application/json"},
        )
        assert _code(response) == (422, code)

    async def test_an_admin_token_must_name_the_tenant(
        self, client: httpx.AsyncClient, auth: TokenFactory, events: EventFactory
    ) -> None:
        response = await client.post("/v1/usage-events", json=events(tenant_id=None), headers=auth("admin"))
        assert _code(response) == (422, "missing_field")

    async def test_never_a_500(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        weird: list[Any] = [
            {**events(tenant_id=tenant), "tags": {"": "empty key"}},
            {**events(tenant_id=tenant), "tags": ["a"]},
            {**events(tenant_id=tenant), "occurred_at": "9999-12-31T23:59:59-05:00"},
            {**events(tenant_id=tenant), "model": ""},
            {**events(tenant_id=tenant), "model": "m" * 257},
            {**events(tenant_id=tenant), "service_tier": "x" * 33},
            events(tenant_id=tenant, provider_usage={"usage": {"prompt_tokens": {"a": 1}}}),
            events(
                tenant_id=tenant,
                provider="gemini",
                provider_usage={"usageMetadata": "x", "promptTokenCount": 1},
            ),
            events(tenant_id=tenant, provider="bedrock", provider_usage={"inputTokens": 10**30}),
            events(
                tenant_id=tenant,
                provider="anthropic",
                provider_usage={"input_tokens": 1, "cache_creation": 5},
            ),
        ]
        for payload in weird:
            response = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
            assert response.status_code in (201, 400, 413, 422), (payload, response.text)


class TestBatch:
    async def test_each_bad_event_is_rejected_by_index_and_the_good_ones_are_stored(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        cases = _cases(events, tenant)
        good = [events(tenant_id=tenant), events(tenant_id=tenant)]
        batch: list[Any] = [good[0], *(payload for _, payload, _ in cases), good[1]]
        response = await client.post(
            "/v1/usage-events/batch", json={"events": batch}, headers=auth("service", tenant)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["accepted"], body["duplicates"]) == (2, 0)
        assert [(r["index"], r["code"]) for r in body["rejected"]] == [
            (i + 1, code) for i, (_, _, code) in enumerate(cases)
        ]
        assert [r["index"] for r in body["results"]] == [0, len(batch) - 1]
        listed = await client.get("/v1/usage-events", headers=auth("analyst", tenant))
        assert sorted(e["event_id"] for e in listed.json()["items"]) == sorted(g["event_id"] for g in good)

    async def test_items_that_are_not_objects_reject_only_themselves(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        good = events(tenant_id=tenant)
        response = await client.post(
            "/v1/usage-events/batch",
            json={"events": [1, "x", None, [], good]},
            headers=auth("service", tenant),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["accepted"] == 1
        assert [(r["index"], r["code"], r["event_id"]) for r in body["rejected"]] == [
            (0, "invalid_type", None),
            (1, "invalid_type", None),
            (2, "invalid_type", None),
            (3, "invalid_type", None),
        ]

    async def test_rejections_carry_the_event_id_when_there_is_one(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        bad = events(tenant_id=tenant, usage={"input_tokens": -1})
        response = await client.post(
            "/v1/usage-events/batch", json={"events": [bad]}, headers=auth("service", tenant)
        )
        body = response.json()
        assert (body["accepted"], body["results"]) == (0, [])
        assert body["rejected"] == [
            {
                "index": 0,
                "event_id": bad["event_id"],
                "code": "negative_tokens",
                "message": body["rejected"][0]["message"],
            }
        ]

    async def test_an_empty_batch_is_fine(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        response = await client.post(
            "/v1/usage-events/batch", json={"events": []}, headers=auth("service", tenant)
        )
        assert response.status_code == 200
        assert response.json() == {"accepted": 0, "duplicates": 0, "rejected": [], "results": []}

    @pytest.mark.parametrize(
        ("body", "code"),
        [
            ({}, "missing_field"),
            ({"events": "x"}, "invalid_type"),
            ({"events": [], "extra": 1}, "unknown_field"),
        ],
    )
    async def test_a_malformed_envelope_is_422(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, body: dict[str, Any], code: str
    ) -> None:
        response = await client.post("/v1/usage-events/batch", json=body, headers=auth("service", tenant))
        assert _code(response) == (422, code)

    async def test_more_than_1000_events_is_413(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        batch = [events(tenant_id=tenant) for _ in range(1001)]
        response = await client.post(
            "/v1/usage-events/batch", json={"events": batch}, headers=auth("service", tenant)
        )
        assert _code(response) == (413, "batch_too_large")
        listed = await client.get("/v1/usage-events", headers=auth("analyst", tenant))
        assert listed.json()["items"] == []


class TestBodyLimit:
    def _big_batch(self, events: EventFactory, tenant: str) -> bytes:
        body = json.dumps({"events": [events(tenant_id=tenant) for _ in range(40)]}).encode()
        assert len(body) > SMALL_BODY
        return body

    async def test_declared_length_over_the_limit_is_413(
        self, small_body_client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        response = await small_body_client.post(
            "/v1/usage-events/batch",
            content=self._big_batch(events, tenant),
            headers={**auth("service", tenant), "content-type": "application/json"},
        )
        assert _code(response) == (413, "body_too_large")

    async def test_chunked_body_over_the_limit_is_413(
        self, small_body_client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        body = self._big_batch(events, tenant)

        async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: the limit counts as it reads
            for start in range(0, len(body), 1000):
                yield body[start : start + 1000]

        response = await small_body_client.post(
            "/v1/usage-events/batch",
            content=chunks(),
            headers={**auth("service", tenant), "content-type": "application/json"},
        )
        assert "content-length" not in response.request.headers
        assert _code(response) == (413, "body_too_large")

    async def test_a_body_under_the_limit_passes(
        self, small_body_client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        response = await small_body_client.post(
            "/v1/usage-events", json=events(tenant_id=tenant), headers=auth("service", tenant)
        )
        assert response.status_code == 201, response.text
