"""Re-pricing history: dry run, apply, idempotence, rollups kept equal to events, audit, chunks."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from finops.costs.reconcile import reconcile
from finops.kit.db import session_scope
from finops.kit.time import utcnow
from finops.pricing import reprice as reprice_service
from finops.pricing import service as pricing_service
from finops.pricing.reprice import RepriceFilter
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory


async def _ingest(
    client: httpx.AsyncClient, auth: TokenFactory, events: EventFactory, tenant: str
) -> list[dict[str, Any]]:
    """Seven events over three days: five gpt-4o-mini, two gpt-4o (list prices)."""
    now = utcnow()
    payloads = [
        events(
            tenant_id=tenant,
            model="gpt-4o-mini",
            occurred_at=now - timedelta(hours=5 + 11 * i),
            usage={"input_tokens": 100_000 * (i + 1), "output_tokens": 10_000},
            learner_id=f"learner-{i % 2}",
        )
        for i in range(5)
    ] + [
        events(
            tenant_id=tenant,
            model="gpt-4o",
            occurred_at=now - timedelta(days=2, minutes=i),
            usage={"input_tokens": 50_000, "cached_input_tokens": 20_000, "output_tokens": 3_000},
        )
        for i in range(2)
    ]
    response = await client.post(
        "/v1/usage-events/batch", json={"events": payloads}, headers=auth("service", tenant)
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 7
    return payloads


async def _totals(client: httpx.AsyncClient, auth: TokenFactory, tenant: str) -> tuple[Decimal, Decimal]:
    now = utcnow()
    params = {
        "tenant_id": tenant,
        "start": (now - timedelta(days=10)).isoformat(),
        "end": (now + timedelta(hours=1)).isoformat(),
    }
    body = (await client.get("/v1/costs", params=params, headers=auth("analyst", tenant))).json()
    return Decimal(body["total"]["cost_usd"]), Decimal(body["total"]["list_cost_usd"])


async def _backdated_discount(
    client: httpx.AsyncClient, auth: TokenFactory, tenant: str, percent: str
) -> None:
    response = await client.put(
        f"/v1/pricing/tenants/{tenant}/rates/openai",
        json={
            "kind": "discount",
            "discount_percent": percent,
            "effective_from": (utcnow() - timedelta(days=30)).isoformat(),
            "note": "contract signed last month",
        },
        headers=auth("admin"),
    )
    assert response.status_code == 200, response.text


async def _no_differences(app: FastAPI, tenant: str) -> None:
    async with app.state.sessionmaker() as session:
        differences = [d for d in await reconcile(session) if d.key[0] == tenant]
    assert differences == []


class TestDryRunThenApply:
    async def test_apply_moves_totals_by_exactly_the_dry_run_figure_and_a_rerun_changes_nothing(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        await _ingest(client, auth, events, tenant)
        cost_before, list_before = await _totals(client, auth, tenant)
        assert cost_before == list_before > 0
        await _backdated_discount(client, auth, tenant, "12.5")

        dry = await client.post(
            "/v1/pricing/reprice", json={"tenant_id": tenant, "dry_run": True}, headers=auth("admin")
        )
        assert dry.status_code == 200, dry.text
        report = dry.json()
        assert (report["dry_run"], report["events_scanned"], report["events_affected"]) == (True, 7, 7)
        assert Decimal(report["old_cost_usd"]) == cost_before
        assert Decimal(report["new_cost_usd"]) == cost_before * Decimal("0.875")
        assert Decimal(report["delta_cost_usd"]) == Decimal(report["new_cost_usd"]) - cost_before
        assert Decimal(report["new_list_cost_usd"]) == list_before
        assert [(m["model"], m["events"]) for m in report["by_model"]] == [("gpt-4o", 2), ("gpt-4o-mini", 5)]
        assert await _totals(client, auth, tenant) == (cost_before, list_before)  # a dry run writes nothing

        applied = await client.post(
            "/v1/pricing/reprice",
            json={"tenant_id": tenant, "dry_run": False, "reason": "12.5% contract discount, backdated"},
            headers=auth("admin"),
        )
        assert applied.status_code == 200, applied.text
        assert {k: v for k, v in applied.json().items() if k not in ("run_id", "dry_run")} == {
            k: v for k, v in report.items() if k not in ("run_id", "dry_run")
        }
        cost_after, list_after = await _totals(client, auth, tenant)
        assert cost_after - cost_before == Decimal(report["delta_cost_usd"])
        assert list_after == list_before
        await _no_differences(app, tenant)

        again = await client.post(
            "/v1/pricing/reprice",
            json={"tenant_id": tenant, "dry_run": False, "reason": "run it again"},
            headers=auth("admin"),
        )
        assert (again.json()["events_scanned"], again.json()["events_affected"]) == (7, 0)
        assert await _totals(client, auth, tenant) == (cost_after, list_after)

        audit = await client.get(
            "/v1/audit", params={"action": "pricing.reprice", "tenant_id": tenant}, headers=auth("admin")
        )
        [entry] = audit.json()["items"]  # the no-op rerun leaves no entry
        assert (entry["actor"], entry["reason"], entry["entity_id"]) == (
            "test-admin",
            "12.5% contract discount, backdated",
            applied.json()["run_id"],
        )
        assert Decimal(entry["before"]["cost_usd"]) == cost_before
        assert Decimal(entry["after"]["new_cost_usd"]) == cost_after
        assert entry["after"]["filters"] == {"tenant_id": tenant}
        # The tenant admin sees its own tenant's re-price in the audit log.
        mine = await client.get(
            "/v1/audit", params={"action": "pricing.reprice"}, headers=auth("tenant_admin", tenant)
        )
        assert [e["entity_id"] for e in mine.json()["items"]] == [entry["entity_id"]]

    async def test_events_carry_the_list_and_the_effective_cost(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        payloads = await _ingest(client, auth, events, tenant)
        await _backdated_discount(client, auth, tenant, "20")
        await client.post(
            "/v1/pricing/reprice",
            json={"tenant_id": tenant, "dry_run": False, "reason": "x"},
            headers=auth("admin"),
        )
        event = (
            await client.get(f"/v1/usage-events/{payloads[0]['event_id']}", headers=auth("analyst", tenant))
        ).json()
        # 100,000 × 0.15/1M = 0.015; 10,000 × 0.60/1M = 0.006 → list 0.021; 20 % off → 0.0168
        assert (event["list_cost_usd"], event["cost_usd"]) == ("0.021", "0.0168")
        assert event["tenant_rate_id"] is not None
        assert any("20% off" in note for note in event["pricing_notes"])


class TestFilters:
    async def test_only_matching_events_move(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        await _ingest(client, auth, events, tenant)
        await _backdated_discount(client, auth, tenant, "10")
        now = utcnow()
        by_model = await client.post(
            "/v1/pricing/reprice",
            json={"tenant_id": tenant, "model": "gpt-4o", "dry_run": False, "reason": "only 4o"},
            headers=auth("admin"),
        )
        assert by_model.json()["events_affected"] == 2
        recent = await client.post(
            "/v1/pricing/reprice",
            json={
                "tenant_id": tenant,
                "start": (now - timedelta(hours=20)).isoformat(),
                "end": now.isoformat(),
                "dry_run": True,
            },
            headers=auth("admin"),
        )
        # gpt-4o-mini events at −5 h and −16 h are in range; the gpt-4o ones were already re-priced.
        assert (recent.json()["events_scanned"], recent.json()["events_affected"]) == (2, 2)
        await _no_differences(app, tenant)

    async def test_bad_requests(self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str) -> None:
        no_reason = await client.post("/v1/pricing/reprice", json={"dry_run": False}, headers=auth("admin"))
        assert (no_reason.status_code, no_reason.json()["error"]["code"]) == (422, "reason_required")
        now = utcnow().isoformat()
        bad_range = await client.post(
            "/v1/pricing/reprice", json={"start": now, "end": now}, headers=auth("admin")
        )
        assert (bad_range.status_code, bad_range.json()["error"]["code"]) == (422, "invalid_range")
        for role in ("tenant_admin", "analyst"):
            forbidden = await client.post(
                "/v1/pricing/reprice", json={"tenant_id": tenant}, headers=auth(role, tenant)
            )
            assert forbidden.status_code == 403


class TestChunks:
    async def test_chunked_apply_is_resumable_and_ends_where_one_transaction_would(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        await _ingest(client, auth, events, tenant)
        cost_before, _ = await _totals(client, auth, tenant)
        await _backdated_discount(client, auth, tenant, "25")
        filters = RepriceFilter(tenant_id=tenant)

        class Interrupted(Exception):
            pass

        def crash(_chunk: reprice_service.RepriceReport) -> None:
            raise Interrupted

        with pytest.raises(Interrupted):
            await reprice_service.reprice_in_chunks(
                app.state.sessionmaker,
                filters,
                actor="cli",
                reason="resume test",
                chunk_size=3,
                on_chunk=crash,
            )
        partial, _ = await _totals(client, auth, tenant)
        assert cost_before > partial > cost_before * Decimal("0.75")  # the first chunk was committed
        await _no_differences(app, tenant)

        seen: list[int] = []
        _, report = await reprice_service.reprice_in_chunks(
            app.state.sessionmaker,
            filters,
            actor="cli",
            reason="resume test",
            chunk_size=3,
            on_chunk=lambda chunk: seen.append(chunk.scanned),
        )
        assert seen == [3, 3, 1]
        assert report.affected == 4  # three were done before the interruption
        assert await _totals(client, auth, tenant) == (cost_before * Decimal("0.75"), cost_before)
        await _no_differences(app, tenant)


class TestConcurrency:
    async def test_two_concurrent_applies_change_each_event_once(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        await _ingest(client, auth, events, tenant)
        cost_before, _ = await _totals(client, auth, tenant)
        await _backdated_discount(client, auth, tenant, "40")
        body = {"tenant_id": tenant, "dry_run": False, "reason": "concurrent"}
        first, second = await asyncio.gather(
            client.post("/v1/pricing/reprice", json=body, headers=auth("admin")),
            client.post("/v1/pricing/reprice", json=body, headers=auth("admin")),
        )
        assert (first.status_code, second.status_code) == (200, 200)
        assert sorted([first.json()["events_affected"], second.json()["events_affected"]]) == [0, 7]
        assert (await _totals(client, auth, tenant))[0] == cost_before * Decimal("0.6")
        await _no_differences(app, tenant)

    async def test_a_second_apply_waits_for_the_first_and_then_finds_nothing_to_do(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        await _ingest(client, auth, events, tenant)
        cost_before, _ = await _totals(client, auth, tenant)
        await _backdated_discount(client, auth, tenant, "50")
        filters = RepriceFilter(tenant_id=tenant)

        async def second() -> reprice_service.RepriceReport:
            async with session_scope(app.state.sessionmaker) as session:
                catalog = await pricing_service.build_catalog(session)
                _, report = await reprice_service.reprice(
                    session, catalog, filters, apply=True, actor="b", reason="second"
                )
                return report

        async with session_scope(app.state.sessionmaker) as session:
            catalog = await pricing_service.build_catalog(session)
            _, first = await reprice_service.reprice(
                session, catalog, filters, apply=True, actor="a", reason="first"
            )
            # The first transaction holds its row locks (PostgreSQL) or the write lock (SQLite) while
            # the second starts; it must wait and then see the re-priced rows, not apply them again.
            other = asyncio.create_task(second())
            await asyncio.sleep(0.3)
        later = await other
        assert (first.affected, later.affected) == (7, 0)
        assert (await _totals(client, auth, tenant))[0] == cost_before * Decimal("0.5")
        await _no_differences(app, tenant)
