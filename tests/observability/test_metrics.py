"""GET /metrics: the declared catalogue, database-derived figures, bounded labels, promtool."""

from __future__ import annotations

import subprocess
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from finops.observability import metrics
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory
from tests.fixtures.prometheus import require_binary

ROOT = Path(__file__).resolve().parents[2]


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    out = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return out


def value(text: str, name: str, **labels: str) -> float | None:
    return samples(text).get((name, frozenset(labels.items())))


def exposed_names() -> set[str]:
    names = {m._name for m in metrics.process_metrics()}
    return names | {spec.name for spec in metrics.DB_METRICS}


class TestCatalogue:
    def test_at_least_twenty_metrics_all_prefixed(self) -> None:
        names = exposed_names()
        assert len(names) >= 20
        assert all(name.startswith("finops_") for name in names)

    def test_required_metrics_declared(self) -> None:
        names = exposed_names()
        for required in (
            "finops_total_cost_usd",
            "finops_cost_by_provider_usd",
            "finops_budget_percentage_used",
            "finops_budget_alerts_active",
            "finops_tokens",
        ):
            assert required in names

    def test_no_unbounded_labels(self) -> None:
        label_sets = [set(m._labelnames) for m in metrics.process_metrics()]
        label_sets += [set(spec.labels) for spec in metrics.DB_METRICS]
        for labels in label_sets:
            assert not labels & metrics.FORBIDDEN_LABELS

    def test_every_metric_documented(self) -> None:
        doc = (ROOT / "docs" / "metrics.md").read_text()
        for metric in metrics.process_metrics():
            exposed = metric._name + ("_total" if metric._type == "counter" else "")
            assert f"`{exposed}`" in doc, exposed
            for label in metric._labelnames:
                assert f"`{label}`" in doc
        for spec in metrics.DB_METRICS:
            exposed = spec.name + ("_total" if spec.kind == "counter" else "")
            assert f"`{exposed}`" in doc, exposed


class TestEndpoint:
    async def test_cost_and_tokens_come_from_the_database(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        events: EventFactory,
        fresh_metrics: None,
    ) -> None:
        batch = [
            events(tenant_id=tenant, service="tutor", learner_id="learner-do-not-export", model="gpt-4o"),
            events(tenant_id=tenant, service="grader", model="gpt-4o-mini"),
        ]
        response = await client.post("/v1/usage-events/batch", json={"events": batch}, headers=auth("admin"))
        assert response.status_code == 200, response.text
        costs = {r["event"]["service"]: Decimal(r["event"]["cost_usd"]) for r in response.json()["results"]}

        text = (await client.get("/metrics")).text
        assert value(text, "finops_total_cost_usd", tenant=tenant) == pytest.approx(
            float(sum(costs.values()))
        )
        assert value(text, "finops_cost_by_service_usd", tenant=tenant, service="tutor") == pytest.approx(
            float(costs["tutor"])
        )
        assert value(text, "finops_usage_events_stored_total", tenant=tenant) == 2
        assert value(text, "finops_unpriced_events", tenant=tenant) == 0
        assert value(text, "finops_database_up") == 1
        assert "learner-do-not-export" not in text
        assert value(text, "finops_tokens_total", provider="openai", model="gpt-4o", kind="input") >= 1000

    async def test_ingest_outcomes_are_counted(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        before = (await client.get("/metrics")).text
        first = events(tenant_id=tenant)
        bad = events(tenant_id=tenant, provider="not-a-provider")
        unknown_model = events(tenant_id=tenant, model="no-such-model-anywhere")
        body = {"events": [first, first, bad, unknown_model]}
        response = await client.post("/v1/usage-events/batch", json=body, headers=auth("admin"))
        assert response.status_code == 200, response.text
        code = response.json()["rejected"][0]["code"]
        after = (await client.get("/metrics")).text

        def delta(name: str, **labels: str) -> float:
            return (value(after, name, **labels) or 0) - (value(before, name, **labels) or 0)

        assert delta("finops_ingest_events_total", outcome="accepted") == 2
        assert delta("finops_ingest_events_total", outcome="duplicate") == 1
        assert delta("finops_ingest_events_total", outcome="rejected") == 1
        assert delta("finops_ingest_rejections_total", code=code) == 1
        assert delta("finops_ingest_unpriced_events_total", provider="openai") == 1
        assert delta("finops_ingest_duration_seconds_count", kind="batch") == 1
        assert (
            delta("finops_http_requests_total", method="POST", route="/v1/usage-events/batch", code="200")
            == 1
        )

    async def test_route_labels_are_templates(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        await client.get("/v1/usage-events/some-unique-event-id-123", headers=auth("admin"))
        text = (await client.get("/metrics")).text
        assert "some-unique-event-id-123" not in text
        assert value(
            text, "finops_http_requests_total", method="GET", route="/v1/usage-events/{event_id}", code="404"
        )

    async def test_database_figures_are_cached_between_scrapes(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        app.state.db_metrics.ttl = 3600.0
        try:
            await client.get("/metrics")  # fills the cache
            await client.post("/v1/usage-events", json=events(tenant_id=tenant), headers=auth("admin"))
            cached = (await client.get("/metrics")).text
            assert value(cached, "finops_total_cost_usd", tenant=tenant) is None
            app.state.db_metrics.ttl = 0.0
            fresh = (await client.get("/metrics")).text
            assert value(fresh, "finops_total_cost_usd", tenant=tenant)
        finally:
            app.state.db_metrics.ttl = 0.0

    async def test_promtool_accepts_the_output(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        events: EventFactory,
        fresh_metrics: None,
    ) -> None:
        promtool = require_binary("promtool")
        await client.post("/v1/usage-events", json=events(tenant_id=tenant), headers=auth("admin"))
        text = (await client.get("/metrics")).text
        result = subprocess.run(
            [promtool, "check", "metrics"], input=text, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        # No lint warnings either (promtool prints them and still exits 0 for some).
        assert result.stdout.strip() == "", result.stdout
        assert result.stderr.strip() == "", result.stderr


class TestMetricsToken:
    async def test_token_required_when_configured(self, app: FastAPI, client: httpx.AsyncClient) -> None:
        settings = app.state.settings
        original = settings.metrics_token
        settings.metrics_token = "scrape-me-" + "z" * 20
        try:
            assert (await client.get("/metrics")).status_code == 401
            wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
            assert wrong.status_code == 401
            assert wrong.json()["error"]["code"] == "invalid_token"
            ok = await client.get("/metrics", headers={"Authorization": f"Bearer {settings.metrics_token}"})
            assert ok.status_code == 200
            assert ok.headers["content-type"].startswith("text/plain")
        finally:
            settings.metrics_token = original


class TestBudgetMetrics:
    async def test_budget_gauges_match_the_budget_status(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        events: EventFactory,
        fresh_metrics: None,
    ) -> None:
        headers = auth("admin")
        created = await client.post(
            "/v1/budgets",
            json={
                "name": "metrics",
                "scope": {"tenant_id": tenant},
                "amount_usd": "0.01",
                "period": "monthly",
            },
            headers=headers,
        )
        assert created.status_code == 201, created.text
        budget_id = created.json()["id"]
        batch = {"events": [events(tenant_id=tenant, model="gpt-4o") for _ in range(3)]}
        assert (await client.post("/v1/usage-events/batch", json=batch, headers=headers)).status_code == 200
        status = (await client.get(f"/v1/budgets/{budget_id}/status", headers=headers)).json()
        text = (await client.get("/metrics")).text
        labels = {"tenant": tenant, "budget": budget_id}
        assert value(text, "finops_budget_percentage_used", **labels) == pytest.approx(
            float(status["percent_used"])
        )
        assert value(text, "finops_budget_spend_usd", **labels) == pytest.approx(float(status["spent_usd"]))
        assert value(text, "finops_budget_limit_usd", **labels) == pytest.approx(0.01)
        assert float(status["percent_used"]) > 0
