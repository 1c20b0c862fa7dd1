"""Tenant rates over HTTP: effective-dated versions, list vs effective cost, permissions, audit."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import httpx

from finops.kit.time import utcnow
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory

SONNET_US = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"


async def _event(
    client: httpx.AsyncClient, auth: TokenFactory, events: EventFactory, tenant: str, **kw: object
) -> dict[str, object]:
    payload = events(tenant_id=tenant, occurred_at=utcnow(), **kw)
    response = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
    assert response.status_code == 201, response.text
    body: dict[str, object] = response.json()
    return body


class TestDiscount:
    async def test_a_provider_discount_prices_new_events_at_once(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        response = await client.put(
            f"/v1/pricing/tenants/{tenant}/rates/openai",
            json={"kind": "discount", "discount_percent": "10", "note": "enterprise agreement"},
            headers=auth("admin"),
        )
        assert response.status_code == 200, response.text
        rate = response.json()
        assert (rate["kind"], rate["discount_percent"], rate["model"], rate["effective_to"]) == (
            "discount",
            "10",
            None,
            None,
        )
        event = await _event(
            client, auth, events, tenant, usage={"input_tokens": 1_000_000, "output_tokens": 0}
        )
        # gpt-4o-mini: 1M × $0.15 = 0.15 list; 10 % off → 0.135
        assert (event["list_cost_usd"], event["cost_usd"], event["tenant_rate_id"]) == (
            "0.15",
            "0.135",
            rate["id"],
        )
        other = await _event(
            client, auth, events, f"{tenant}-x", usage={"input_tokens": 1_000_000, "output_tokens": 0}
        )
        assert other["cost_usd"] == "0.15"  # another tenant pays list

        costs = (
            await client.get(
                "/v1/costs",
                params={"tenant_id": tenant, "group_by": "model"},
                headers=auth("analyst", tenant),
            )
        ).json()
        assert (costs["total"]["cost_usd"], costs["total"]["list_cost_usd"]) == ("0.135", "0.15")
        assert (costs["rows"][0]["cost_usd"], costs["rows"][0]["list_cost_usd"]) == ("0.135", "0.15")

    async def test_estimates_apply_the_callers_tenant_rate(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        await client.put(
            f"/v1/pricing/tenants/{tenant}/rates/openai/gpt-4o",
            json={"kind": "discount", "discount_percent": "50"},
            headers=auth("admin"),
        )
        body = {"provider": "openai", "model": "gpt-4o-2024-08-06", "usage": {"input_tokens": 1_000_000}}
        mine = (await client.post("/v1/pricing/estimate", json=body, headers=auth("analyst", tenant))).json()
        assert (mine["list_cost_usd"], mine["cost_usd"]) == ("2.5", "1.25")
        admin = await client.post(
            "/v1/pricing/estimate", json={**body, "tenant_id": tenant}, headers=auth("admin")
        )
        assert admin.json()["cost_usd"] == "1.25"
        listed = (await client.post("/v1/pricing/estimate", json=body, headers=auth("admin"))).json()
        assert listed["cost_usd"] == "2.5"


class TestVersions:
    async def test_a_new_rate_closes_the_previous_version_and_is_audited(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        path = f"/v1/pricing/tenants/{tenant}/rates/bedrock/{SONNET_US}"
        first = await client.put(
            path,
            json={"kind": "price", "rates": {"input_mtok": "3", "output_mtok": "15"}, "note": "match global"},
            headers=auth("admin"),
        )
        assert first.status_code == 200, first.text
        assert first.json()["model"] == "aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0"
        event = await _event(
            client,
            auth,
            events,
            tenant,
            provider="bedrock",
            model=SONNET_US,
            usage={"input_tokens": 1_000_000, "output_tokens": 1_000_000},
        )
        # Negotiated 3 + 15 = 18 instead of the regional list 3.30 + 16.50 = 19.80
        assert (event["cost_usd"], event["list_cost_usd"]) == ("18", "19.8")

        second = await client.put(
            path, json={"kind": "discount", "discount_percent": "5"}, headers=auth("admin")
        )
        assert second.status_code == 200
        listed = (
            await client.get(f"/v1/pricing/tenants/{tenant}/rates", headers=auth("tenant_admin", tenant))
        ).json()["items"]
        assert [r["kind"] for r in listed] == ["price", "discount"]
        assert listed[0]["effective_to"] == listed[1]["effective_from"]
        active = (
            await client.get(
                f"/v1/pricing/tenants/{tenant}/rates",
                params={"active_at": utcnow().isoformat()},
                headers=auth("admin"),
            )
        ).json()["items"]
        assert [r["id"] for r in active] == [second.json()["id"]]

        audit = (
            await client.get(
                "/v1/audit", params={"entity_type": "tenant_rate", "tenant_id": tenant}, headers=auth("admin")
            )
        ).json()["items"]
        assert [e["action"] for e in audit] == ["tenant_rate.set", "tenant_rate.set"]
        assert audit[0]["before"]["kind"] == "price"
        assert audit[0]["after"]["kind"] == "discount"
        assert audit[1]["before"] is None
        assert audit[1]["reason"] == "match global"

        earlier = await client.put(
            path,
            json={"kind": "discount", "discount_percent": "1", "effective_from": "2020-01-01T00:00:00Z"},
            headers=auth("admin"),
        )
        assert (earlier.status_code, earlier.json()["error"]["code"]) == (409, "rate_out_of_order")

    async def test_deleting_ends_the_rate(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        path = f"/v1/pricing/tenants/{tenant}/rates/gemini"
        await client.put(path, json={"kind": "discount", "discount_percent": "30"}, headers=auth("admin"))
        ended = await client.delete(path, headers=auth("admin"))
        assert ended.status_code == 200, ended.text
        assert ended.json()["effective_to"] is not None
        event = await _event(
            client,
            auth,
            events,
            tenant,
            provider="gemini",
            model="gemini-2.0-flash",
            usage={"input_tokens": 1_000_000},
        )
        assert event["cost_usd"] == event["list_cost_usd"] == "0.1"
        again = await client.delete(path, headers=auth("admin"))
        assert (again.status_code, again.json()["error"]["code"]) == (404, "rate_not_found")
        actions = [
            e["action"]
            for e in (
                await client.get(
                    "/v1/audit",
                    params={"entity_type": "tenant_rate", "tenant_id": tenant},
                    headers=auth("admin"),
                )
            ).json()["items"]
        ]
        assert actions == ["tenant_rate.end", "tenant_rate.set"]

    async def test_a_backdated_rate_does_not_rewrite_history_by_itself(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        event = await _event(client, auth, events, tenant, usage={"input_tokens": 1_000_000})
        await client.put(
            f"/v1/pricing/tenants/{tenant}/rates/openai",
            json={
                "kind": "discount",
                "discount_percent": "50",
                "effective_from": (utcnow() - timedelta(days=1)).isoformat(),
            },
            headers=auth("admin"),
        )
        stored = (
            await client.get(f"/v1/usage-events/{event['event_id']}", headers=auth("analyst", tenant))
        ).json()
        assert stored["cost_usd"] == "0.15"  # until a re-price applies it
        dry = await client.post("/v1/pricing/reprice", json={"tenant_id": tenant}, headers=auth("admin"))
        assert Decimal(dry.json()["delta_cost_usd"]) == Decimal("-0.075")


class TestRules:
    async def test_permissions(self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str) -> None:
        body = {"kind": "discount", "discount_percent": "10"}
        path = f"/v1/pricing/tenants/{tenant}/rates/openai"
        for role in ("tenant_admin", "analyst", "service"):
            assert (await client.put(path, json=body, headers=auth(role, tenant))).status_code == 403
            assert (await client.delete(path, headers=auth(role, tenant))).status_code == 403
        mine = await client.get(f"/v1/pricing/tenants/{tenant}/rates", headers=auth("tenant_admin", tenant))
        assert mine.status_code == 200
        theirs = await client.get(
            f"/v1/pricing/tenants/{tenant}-b/rates", headers=auth("tenant_admin", tenant)
        )
        assert (theirs.status_code, theirs.json()["error"]["code"]) == (403, "tenant_forbidden")
        analyst = await client.get(f"/v1/pricing/tenants/{tenant}/rates", headers=auth("analyst", tenant))
        assert analyst.status_code == 403

    async def test_bad_rates_are_refused_with_a_code(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        base = f"/v1/pricing/tenants/{tenant}/rates"
        cases = [
            (f"{base}/openai", {"kind": "discount", "discount_percent": "0"}, 422, "out_of_range"),
            (f"{base}/openai", {"kind": "discount", "discount_percent": "150"}, 422, "out_of_range"),
            (f"{base}/openai", {"kind": "discount"}, 422, "invalid_rate"),
            (
                f"{base}/openai/gpt-4o",
                {"kind": "price", "rates": {"input_mtok": "1", "bogus_mtok": "1"}},
                422,
                "unknown_price_key",
            ),
            (f"{base}/openai/gpt-4o", {"kind": "price", "rates": {"input_mtok": "-1"}}, 422, "out_of_range"),
            (
                f"{base}/openai/gpt-4o",
                {"kind": "discount", "discount_percent": "5", "rates": {"input_mtok": "1"}},
                422,
                "invalid_rate",
            ),
            (f"{base}/openai", {"kind": "price", "rates": {"input_mtok": "1"}}, 400, "price_needs_model"),
            (
                f"{base}/openai/no-such-model-xyz",
                {"kind": "discount", "discount_percent": "5"},
                404,
                "unknown_model",
            ),
            (f"{base}/cohere", {"kind": "discount", "discount_percent": "5"}, 422, "unknown_provider"),
        ]
        for path, body, status, code in cases:
            response = await client.put(path, json=body, headers=auth("admin"))
            assert (response.status_code, response.json()["error"]["code"]) == (status, code), (path, body)
