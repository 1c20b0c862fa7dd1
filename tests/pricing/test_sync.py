"""Catalog sync from a local HTTP server: one changed price → one new version, a diff and an audit
entry; a broken download changes nothing, is retried with backoff and shows in the status."""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from finops.config import Settings
from finops.costs.reconcile import reconcile
from finops.kit.db import session_scope
from finops.pricing import repository as pricing_repository
from finops.pricing import updater
from finops.pricing.tasks import PriceSyncJob
from finops.worker.loop import JobContext
from tests.conftest import TokenFactory
from tests.fixtures.catalog import dumps, find_model, published_catalog
from tests.fixtures.events import EventFactory
from tests.pricing.conftest import CatalogServer, Route

PATH = "/prices/data.json"


@pytest.fixture
def sync_settings(app: FastAPI, catalog_server: CatalogServer) -> Iterator[Settings]:
    """The app's settings pointed at the local catalog server, with no backoff sleeps."""
    original = app.state.settings
    settings: Settings = original.model_copy(
        update={"pricing_sync_url": catalog_server.url(PATH), "pricing_sync_backoff_seconds": 0.0}
    )
    app.state.settings = settings
    try:
        yield settings
    finally:
        app.state.settings = original


async def _counts(app: FastAPI) -> tuple[int, int]:
    async with session_scope(app.state.sessionmaker) as session:
        return await pricing_repository.count_prices(session), await pricing_repository.catalog_revision(
            session
        ) or 0


async def _audit(client: httpx.AsyncClient, auth: TokenFactory, action: str) -> list[dict[str, Any]]:
    response = await client.get("/v1/audit", params={"action": action, "limit": 500}, headers=auth("admin"))
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def _with_price(doc: list[Any], provider: str, model: str, **prices: str) -> list[Any]:
    edited = copy.deepcopy(doc)
    find_model(edited, provider, model)["prices"].update(prices)
    return edited


@pytest.mark.usefixtures("restore_catalog")
class TestChangedPrice:
    async def test_one_changed_price_makes_one_version_a_diff_and_an_audit_entry(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalog_server: CatalogServer,
        sync_settings: Settings,
    ) -> None:
        doc = _with_price(published_catalog(), "anthropic", "claude-2", input_mtok="9.99")
        catalog_server.routes[PATH] = Route(body=dumps(doc))
        before = (
            await client.get("/v1/pricing/models/anthropic/claude-2", headers=auth("analyst", "t"))
        ).json()
        prices_before, revision_before = await _counts(app)
        audits_before = len(await _audit(client, auth, "pricing.sync"))

        response = await client.post("/v1/pricing/sync", headers=auth("admin"))

        assert response.status_code == 200, response.text
        run = response.json()
        assert (run["status"], run["added"], run["changed"], run["removed"]) == ("changed", 0, 1, 0)
        [change] = run["diff"]["changed"]
        assert change["model"] == "anthropic/claude-2"
        assert change["variant"] == "standard"
        assert change["before"] == {"input_mtok": "8", "output_mtok": "24"}
        assert change["after"] == {"input_mtok": "9.99", "output_mtok": "24"}
        prices_after, revision_after = await _counts(app)
        assert prices_after == prices_before + 1
        assert revision_after == revision_before + 1

        after = (
            await client.get("/v1/pricing/models/anthropic/claude-2", headers=auth("analyst", "t"))
        ).json()
        assert len(after["history"]) == len(before["history"]) + 1
        old, new = after["history"][-2], after["history"][-1]
        assert old["effective_to"] == new["effective_from"]
        assert new["effective_to"] is None
        assert after["current"][0]["rates"]["input_mtok"] == "9.99"

        audits = await _audit(client, auth, "pricing.sync")
        assert len(audits) == audits_before + 1
        assert audits[0]["after"]["changed"] == run["diff"]["changed"]
        assert audits[0]["actor"] == "test-admin"

        status = (await client.get("/v1/pricing/sync-status", headers=auth("analyst", "t"))).json()
        assert status["last_run"]["id"] == run["id"]
        assert status["last_success"]["id"] == run["id"]
        assert status["failures_since_success"] == 0

        again = await client.post("/v1/pricing/sync", headers=auth("admin"))
        assert again.json()["status"] == "unchanged"
        assert await _counts(app) == (prices_after, revision_after)
        assert len(await _audit(client, auth, "pricing.sync")) == audits_before + 1

    async def test_events_keep_the_version_in_force_at_their_time(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        events: EventFactory,
        catalog_server: CatalogServer,
        sync_settings: Settings,
    ) -> None:
        headers = auth("service", tenant)
        usage = {"input_tokens": 1_000_000, "output_tokens": 0}
        early = await client.post(
            "/v1/usage-events",
            json=events(tenant_id=tenant, provider="anthropic", model="claude-2.1", usage=usage),
            headers=headers,
        )
        assert early.json()["cost_usd"] == "8"
        doc = _with_price(published_catalog(), "anthropic", "claude-2", input_mtok="5")
        catalog_server.routes[PATH] = Route(body=dumps(doc))
        assert (await client.post("/v1/pricing/sync", headers=auth("admin"))).status_code == 200
        from finops.kit.time import utcnow

        late = await client.post(
            "/v1/usage-events",
            json=events(
                tenant_id=tenant, provider="anthropic", model="claude-2.1", usage=usage, occurred_at=utcnow()
            ),
            headers=headers,
        )
        assert late.json()["cost_usd"] == "5"
        assert late.json()["price_id"] != early.json()["price_id"]
        # History is not rewritten by the sync: a re-price keeps the early event at the old version.
        dry = await client.post(
            "/v1/pricing/reprice", json={"tenant_id": tenant, "dry_run": True}, headers=auth("admin")
        )
        assert dry.json()["events_affected"] == 0


@pytest.mark.usefixtures("restore_catalog")
class TestConcurrentSyncs:
    async def test_two_syncs_at_once_add_one_version(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalog_server: CatalogServer,
        sync_settings: Settings,
    ) -> None:
        doc = _with_price(published_catalog(), "anthropic", "claude-2", output_mtok="30")
        catalog_server.routes[PATH] = Route(body=dumps(doc))
        prices_before, _ = await _counts(app)
        runs = await asyncio.gather(
            client.post("/v1/pricing/sync", headers=auth("admin")),
            client.post("/v1/pricing/sync", headers=auth("admin")),
        )
        assert sorted(r.json()["status"] for r in runs) == ["changed", "unchanged"]
        assert (await _counts(app))[0] == prices_before + 1


@pytest.mark.usefixtures("restore_catalog")
class TestAddedAndRemoved:
    async def test_an_added_model_prices_events_stored_unpriced(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        events: EventFactory,
        catalog_server: CatalogServer,
        sync_settings: Settings,
    ) -> None:
        probe = f"finops-probe-{uuid.uuid4().hex[:10]}"
        payload = events(tenant_id=tenant, model=probe, usage={"input_tokens": 1_000, "output_tokens": 200})
        stored = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
        assert stored.json()["priced"] is False

        doc = published_catalog()
        openai = next(p for p in doc if p["id"] == "openai")
        openai["models"].append(
            {"id": probe, "match": {"equals": probe}, "prices": {"input_mtok": "1", "output_mtok": "2"}}
        )
        catalog_server.routes[PATH] = Route(body=dumps(doc))
        run = (await client.post("/v1/pricing/sync", headers=auth("admin"))).json()

        assert (run["added"], run["changed"], run["removed"]) == (1, 0, 0)
        assert run["diff"]["added"] == [
            {"model": f"openai/{probe}", "variants": {"standard": {"input_mtok": "1", "output_mtok": "2"}}}
        ]
        assert run["repriced_events"] >= 1
        event = (
            await client.get(f"/v1/usage-events/{payload['event_id']}", headers=auth("analyst", tenant))
        ).json()
        # 1,000 × $1/1M + 200 × $2/1M = 0.001 + 0.0004 = 0.0014
        assert (event["priced"], event["cost_usd"], event["list_cost_usd"]) == (True, "0.0014", "0.0014")
        costs = (
            await client.get("/v1/costs", params={"tenant_id": tenant}, headers=auth("analyst", tenant))
        ).json()
        assert costs["total"]["unpriced_events"] == 0
        assert Decimal(costs["total_cost_usd"]) == Decimal("0.0014")
        async with app.state.sessionmaker() as session:
            differences = [d for d in await reconcile(session) if d.key[0] == tenant]
        assert differences == []

    async def test_a_removed_model_is_marked_and_keeps_its_price(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        events: EventFactory,
        catalog_server: CatalogServer,
        sync_settings: Settings,
    ) -> None:
        doc = published_catalog()
        anthropic = next(p for p in doc if p["id"] == "anthropic")
        anthropic["models"] = [m for m in anthropic["models"] if m["id"] != "claude-2"]
        catalog_server.routes[PATH] = Route(body=dumps(doc))
        run = (await client.post("/v1/pricing/sync", headers=auth("admin"))).json()

        assert run["diff"]["removed"] == [{"model": "anthropic/claude-2"}]
        model = (await client.get("/v1/pricing/models/anthropic/claude-2", headers=auth("admin"))).json()
        assert model["removed_at"] is not None
        assert model["current"][0]["rates"] == {"input_mtok": "8", "output_mtok": "24"}
        listed = await client.get(
            "/v1/pricing/models",
            params={"provider": "anthropic", "search": "claude-2"},
            headers=auth("admin"),
        )
        assert "claude-2" not in [m["model_id"] for m in listed.json()["items"]]
        payload = events(tenant_id=tenant, provider="anthropic", model="claude-2.1")
        stored = await client.post("/v1/usage-events", json=payload, headers=auth("service", tenant))
        assert stored.json()["priced"] is True


class TestBrokenDownloads:
    @pytest.mark.parametrize(
        ("route", "attempts"),
        [
            pytest.param(Route(failures=10, fail_status=503), 3, id="server-error-retried"),
            pytest.param(Route(status=404), 1, id="not-found-not-retried"),
            pytest.param(Route(body=b'[{"id": "openai", "models": ['), 3, id="truncated-json"),
            pytest.param(Route(body=b'{"not": "a provider list"}'), 3, id="wrong-shape"),
            pytest.param(Route(body=b"[]"), 3, id="empty-catalog"),
            pytest.param(
                Route(body=json.dumps([{"id": "openai", "name": "OpenAI", "models": [{"id": 1}]}]).encode()),
                3,
                id="invalid-model",
            ),
        ],
    )
    async def test_nothing_changes_and_the_failure_shows_in_status(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalog_server: CatalogServer,
        sync_settings: Settings,
        route: Route,
        attempts: int,
    ) -> None:
        catalog_server.routes[PATH] = route
        if route.failures:
            route.body = dumps(published_catalog())
        before = await _counts(app)
        audits_before = len(await _audit(client, auth, "pricing.sync"))

        response = await client.post("/v1/pricing/sync", headers=auth("admin"))

        assert response.status_code == 502, response.text
        error = response.json()["error"]
        assert error["code"] == "sync_failed"
        assert error["details"]["attempts"] == attempts
        assert catalog_server.hits[PATH] == attempts
        assert await _counts(app) == before
        assert len(await _audit(client, auth, "pricing.sync")) == audits_before
        status = (await client.get("/v1/pricing/sync-status", headers=auth("admin"))).json()
        assert status["last_run"]["status"] == "failed"
        assert status["last_run"]["id"] == error["details"]["run_id"]
        assert status["last_run"]["error"]
        assert status["failures_since_success"] >= 1
        assert status["next_due_at"] is not None

    async def test_a_transient_failure_is_retried_then_succeeds(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        catalog_server: CatalogServer,
        sync_settings: Settings,
    ) -> None:
        catalog_server.routes[PATH] = Route(body=dumps(published_catalog()), failures=1)
        response = await client.post("/v1/pricing/sync", headers=auth("admin"))
        assert response.status_code == 200, response.text
        assert (response.json()["status"], response.json()["attempts"]) == ("unchanged", 2)
        status = (await client.get("/v1/pricing/sync-status", headers=auth("admin"))).json()
        assert status["failures_since_success"] == 0


class TestPermissionsAndInput:
    async def test_only_admins_sync(self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str) -> None:
        for role in ("tenant_admin", "analyst", "service"):
            response = await client.post("/v1/pricing/sync", headers=auth(role, tenant))
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "insufficient_role"

    async def test_the_api_syncs_from_urls_only(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        response = await client.post(
            "/v1/pricing/sync", json={"source": "/etc/passwd"}, headers=auth("admin")
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_source"


class TestJob:
    async def test_the_job_syncs_when_due_and_backs_off_after_a_failure(
        self, app: FastAPI, catalog_server: CatalogServer, sync_settings: Settings
    ) -> None:
        settings = sync_settings.model_copy(update={"pricing_sync_interval_seconds": 0.001})
        job = PriceSyncJob(
            JobContext(settings=settings, sessionmaker=app.state.sessionmaker, extras={"app": app})
        )
        assert job.name == "price_sync"
        catalog_server.routes[PATH] = Route(body=dumps(published_catalog()))
        await job.tick()
        assert job.status.last_error is None
        assert catalog_server.hits[PATH] == 1

        catalog_server.routes[PATH] = Route(status=500)
        await job.tick()
        assert job.status.last_error is not None
        assert "sync failed" in job.status.last_error
        hits = catalog_server.hits[PATH]
        # With the daily interval, a failed run is retried after a backoff (5 minutes, doubling),
        # not on the next wake-up and not a day later.
        job.context.settings = sync_settings.model_copy(update={"pricing_sync_interval_seconds": 86400.0})
        assert updater.retry_delay(job.context.settings, 1) == 300.0
        assert updater.retry_delay(job.context.settings, 3) == 1200.0
        await job.tick()
        assert catalog_server.hits[PATH] == hits
        assert job.status.last_error is None

    def test_the_job_is_registered(self) -> None:
        from finops.worker.registry import JOB_FACTORIES

        assert PriceSyncJob in JOB_FACTORIES
