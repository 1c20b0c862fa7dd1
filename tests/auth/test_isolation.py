"""Tenant isolation and roles on every endpoint: a token never reaches another tenant's data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from finops.kit.time import floor_hour, utcnow
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory

READS = [
    "/v1/usage-events",
    "/v1/costs",
    "/v1/costs/summary",
    "/v1/costs/by-service",
    "/v1/costs/by-learner",
    "/v1/costs/by-subject",
]


@dataclass
class TwoTenants:
    a: str
    b: str
    a_events: list[dict[str, Any]]
    b_events: list[dict[str, Any]]
    start: datetime
    end: datetime

    @property
    def window(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


@pytest.fixture
async def two_tenants(
    client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
) -> TwoTenants:
    """Tenants a and b with the SAME service/learner/subject names, so any leak shows in the sums."""
    a, b = tenant + "-a", tenant + "-b"
    at = floor_hour(utcnow()) - timedelta(hours=2)

    def make(owner: str, tokens: int) -> dict[str, Any]:
        return events(
            tenant_id=owner,
            occurred_at=at + timedelta(minutes=tokens % 50),
            service="tutor-chat",
            learner_id="learner-1",
            subject="math",
            usage={"input_tokens": tokens * 1000},
        )

    a_events = [make(a, 1), make(a, 2)]
    b_events = [make(b, 10), make(b, 20), make(b, 30)]
    for owner, batch in ((a, a_events), (b, b_events)):
        response = await client.post(
            "/v1/usage-events/batch", json={"events": batch}, headers=auth("service", owner)
        )
        assert response.json()["accepted"] == len(batch), response.text
    return TwoTenants(a, b, a_events, b_events, at - timedelta(hours=1), at + timedelta(hours=2))


def _cost(batch: list[dict[str, Any]]) -> Decimal:
    # gpt-4o-mini input 0.15/M
    return sum((Decimal(e["usage"]["input_tokens"]) * Decimal("0.15") / 1_000_000 for e in batch), Decimal(0))


def _error(response: httpx.Response) -> tuple[int, str]:
    return response.status_code, response.json()["error"]["code"]


class TestWrites:
    async def test_single_event_for_another_tenant_is_403(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        for role in ("service", "tenant_admin"):
            response = await client.post(
                "/v1/usage-events", json=events(tenant_id=tenant + "-other"), headers=auth(role, tenant)
            )
            assert _error(response) == (403, "tenant_forbidden"), role
        admin = await client.get(
            "/v1/usage-events", params={"tenant_id": tenant + "-other"}, headers=auth("admin")
        )
        assert admin.json()["items"] == []

    async def test_the_tenant_defaults_to_the_tokens(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        response = await client.post(
            "/v1/usage-events", json=events(tenant_id=None), headers=auth("service", tenant)
        )
        assert (response.status_code, response.json()["tenant_id"]) == (201, tenant)

    async def test_batch_rejects_only_the_other_tenants_events(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        mine, theirs, defaulted = (
            events(tenant_id=tenant),
            events(tenant_id=tenant + "-other"),
            events(tenant_id=None),
        )
        response = await client.post(
            "/v1/usage-events/batch",
            json={"events": [mine, theirs, defaulted]},
            headers=auth("service", tenant),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["accepted"] == 2
        assert [(r["index"], r["code"], r["event_id"]) for r in body["rejected"]] == [
            (1, "tenant_forbidden", theirs["event_id"])
        ]
        assert {r["event"]["tenant_id"] for r in body["results"]} == {tenant}
        admin = await client.get(
            "/v1/usage-events", params={"tenant_id": tenant + "-other"}, headers=auth("admin")
        )
        assert admin.json()["items"] == []

    async def test_an_admin_writes_for_any_tenant(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        response = await client.post("/v1/usage-events", json=events(tenant_id=tenant), headers=auth("admin"))
        assert (response.status_code, response.json()["tenant_id"]) == (201, tenant)

    @pytest.mark.parametrize("path", ["/v1/usage-events", "/v1/usage-events/batch"])
    async def test_an_analyst_cannot_ingest(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory, path: str
    ) -> None:
        payload: Any = events(tenant_id=tenant)
        body = payload if path.endswith("events") else {"events": [payload]}
        response = await client.post(path, json=body, headers=auth("analyst", tenant))
        assert _error(response) == (403, "insufficient_role")


class TestReads:
    @pytest.mark.parametrize("path", READS)
    async def test_another_tenants_data_is_403(
        self, client: httpx.AsyncClient, auth: TokenFactory, two_tenants: TwoTenants, path: str
    ) -> None:
        for role in ("analyst", "tenant_admin"):
            response = await client.get(
                path,
                params={**two_tenants.window, "tenant_id": two_tenants.b},
                headers=auth(role, two_tenants.a),
            )
            assert _error(response) == (403, "tenant_forbidden"), (path, role)

    @pytest.mark.parametrize("path", READS)
    async def test_a_service_token_cannot_read(
        self, client: httpx.AsyncClient, auth: TokenFactory, two_tenants: TwoTenants, path: str
    ) -> None:
        response = await client.get(path, params=two_tenants.window, headers=auth("service", two_tenants.a))
        assert _error(response) == (403, "insufficient_role")

    async def test_event_listing_shows_only_the_callers_tenant(
        self, client: httpx.AsyncClient, auth: TokenFactory, two_tenants: TwoTenants
    ) -> None:
        for params in (
            {},
            {"tenant_id": two_tenants.a},
            {"service": "tutor-chat", "learner_id": "learner-1"},
        ):
            response = await client.get(
                "/v1/usage-events", params=params, headers=auth("analyst", two_tenants.a)
            )
            assert sorted(e["event_id"] for e in response.json()["items"]) == sorted(
                e["event_id"] for e in two_tenants.a_events
            ), params

    async def test_an_event_of_another_tenant_is_not_found(
        self, client: httpx.AsyncClient, auth: TokenFactory, two_tenants: TwoTenants
    ) -> None:
        path = f"/v1/usage-events/{two_tenants.b_events[0]['event_id']}"
        assert _error(await client.get(path, headers=auth("analyst", two_tenants.a))) == (
            404,
            "event_not_found",
        )
        forbidden = await client.get(
            path, params={"tenant_id": two_tenants.b}, headers=auth("analyst", two_tenants.a)
        )
        assert _error(forbidden) == (403, "tenant_forbidden")
        own = await client.get(path, headers=auth("analyst", two_tenants.b))
        assert own.status_code == 200

    async def test_costs_count_only_the_callers_tenant(
        self, client: httpx.AsyncClient, auth: TokenFactory, two_tenants: TwoTenants
    ) -> None:
        headers = auth("analyst", two_tenants.a)
        costs = await client.get(
            "/v1/costs",
            params={**two_tenants.window, "group_by": "tenant_id,service,learner_id"},
            headers=headers,
        )
        assert costs.status_code == 200, costs.text
        rows = costs.json()["rows"]
        assert [(r["tenant_id"], r["events"]) for r in rows] == [(two_tenants.a, 2)]
        assert Decimal(costs.json()["total_cost_usd"]) == _cost(two_tenants.a_events)

        summary = await client.get("/v1/costs/summary", params=two_tenants.window, headers=headers)
        assert summary.json()["total"]["events"] == 2
        assert Decimal(summary.json()["total_cost_usd"]) == _cost(two_tenants.a_events)

        for path, key in (
            ("/v1/costs/by-service", "tutor-chat"),
            ("/v1/costs/by-learner", "learner-1"),
            ("/v1/costs/by-subject", "math"),
        ):
            top = await client.get(path, params=two_tenants.window, headers=headers)
            assert top.status_code == 200, top.text
            assert [(r["key"], r["events"]) for r in top.json()["rows"]] == [(key, 2)], path
            assert Decimal(top.json()["total_cost_usd"]) == _cost(two_tenants.a_events), path

    async def test_an_admin_sees_every_tenant_and_can_filter(
        self, client: httpx.AsyncClient, auth: TokenFactory, two_tenants: TwoTenants
    ) -> None:
        headers = auth("admin")
        costs = await client.get(
            "/v1/costs", params={**two_tenants.window, "group_by": "tenant_id"}, headers=headers
        )
        by_tenant = {r["tenant_id"]: (r["events"], Decimal(r["cost_usd"])) for r in costs.json()["rows"]}
        assert by_tenant[two_tenants.a] == (2, _cost(two_tenants.a_events))
        assert by_tenant[two_tenants.b] == (3, _cost(two_tenants.b_events))

        only_b = await client.get(
            "/v1/costs", params={**two_tenants.window, "tenant_id": two_tenants.b}, headers=headers
        )
        assert (only_b.json()["total"]["events"], Decimal(only_b.json()["total_cost_usd"])) == (
            3,
            _cost(two_tenants.b_events),
        )
        listed = await client.get("/v1/usage-events", params={"tenant_id": two_tenants.b}, headers=headers)
        assert len(listed.json()["items"]) == 3
        for path in READS[2:]:
            response = await client.get(
                path, params={**two_tenants.window, "tenant_id": two_tenants.b}, headers=headers
            )
            assert Decimal(response.json()["total_cost_usd"]) == _cost(two_tenants.b_events), path

    async def test_tenant_admin_reads_its_own_tenant(
        self, client: httpx.AsyncClient, auth: TokenFactory, two_tenants: TwoTenants
    ) -> None:
        response = await client.get(
            "/v1/costs", params=two_tenants.window, headers=auth("tenant_admin", two_tenants.b)
        )
        assert response.json()["total"]["events"] == 3
