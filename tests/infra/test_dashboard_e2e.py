"""The Grafana dashboard against the real thing: a real Prometheus scrapes a running `finops serve`
(loopback only); after real traffic every PromQL expression in the dashboard must parse and return
data through Prometheus' HTTP API, and every SQL panel must run on the migrated PostgreSQL schema."""

from __future__ import annotations

import json
import re
import time
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
import pytest
import yaml

from finops.auth.tokens import mint
from tests.fixtures.events import EventFactory
from tests.fixtures.prometheus import require_binary
from tests.fixtures.servers import FinopsServer, Prometheus, WebhookReceiver, wait_for
from tests.infra.conftest import ROOT

DASHBOARD = ROOT / "infra" / "grafana" / "dashboards" / "finops-dashboard.json"
DATASOURCES = ROOT / "infra" / "grafana" / "provisioning" / "datasources" / "datasources.yaml"
SECRET = "e2e-secret-" + "x" * 32


def dashboard_targets() -> list[tuple[str, str, dict[str, Any]]]:
    """(panel title, datasource uid, target) for every query in the dashboard."""
    out = []
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel.get("targets", []):
            uid = (target.get("datasource") or panel["datasource"])["uid"]
            out.append((panel["title"], uid, target))
    return out


def expand_sql_macros(sql: str, start: datetime, end: datetime) -> str:
    """The Grafana PostgreSQL macros the dashboard uses, expanded as Grafana does."""
    if re.search(r"\$__(?!timeFilter\()", sql) or re.search(r"\$(?!__)", sql):
        raise AssertionError(f"unsupported macro or variable in: {sql}")
    return re.sub(
        r"\$__timeFilter\((\w+)\)",
        lambda m: f"{m.group(1)} BETWEEN '{start.isoformat()}' AND '{end.isoformat()}'",
        sql,
    )


class TestDashboardFile:
    def test_datasources_match_the_provisioning_file(self) -> None:
        provisioned = {d["uid"]: d["type"] for d in yaml.safe_load(DATASOURCES.read_text())["datasources"]}
        for panel in json.loads(DASHBOARD.read_text())["panels"]:
            if panel["type"] == "row":
                continue
            assert provisioned[panel["datasource"]["uid"]] == panel["datasource"]["type"], panel["title"]

    def test_learner_figures_never_come_from_prometheus(self) -> None:
        for title, uid, target in dashboard_targets():
            if uid == "finops-prometheus":
                assert "learner" not in target["expr"], title
                assert "subject" not in target["expr"], title
        learner_panels = [t for t in dashboard_targets() if "learner" in t[0].lower()]
        assert learner_panels
        assert all(uid == "finops-postgres" for _, uid, _ in learner_panels)

    def test_covers_what_the_issue_asks_for(self) -> None:
        titles = " | ".join(title.lower() for title, _, _ in dashboard_targets())
        for topic in (
            "spend rate",
            "provider",
            "model",
            "services",
            "budget",
            "alert",
            "ingest",
            "learners",
            "forecast",
        ):
            assert topic in titles, topic


@pytest.mark.usefixtures("pg_url")
class TestAgainstRealPrometheus:
    async def test_every_query_returns_data(self, pg_url: str, tmp_path: Path) -> None:
        prometheus_binary = require_binary("prometheus")
        server = FinopsServer(database_url=pg_url, data_dir=tmp_path, name="e2e")
        prometheus = Prometheus(
            prometheus_binary, targets=[f"127.0.0.1:{server.port}"], workdir=tmp_path, interval="1s"
        )
        token = mint(SECRET, sub="e2e", role="admin", tenant_id=None, ttl=timedelta(hours=1))
        tenant = "e2e-tenant"
        events = EventFactory()
        with WebhookReceiver() as receiver:
            try:
                server.start()
                prometheus.start()
                with server.client(token) as api:
                    channel = api.post(
                        "/v1/alert-channels",
                        json={
                            "tenant_id": tenant,
                            "name": "hook",
                            "type": "webhook",
                            "config": {"url": receiver.url},
                            "secrets": {"signing_secret": "s" * 32},
                        },
                    )
                    assert channel.status_code == 201, channel.text
                    budget = api.post(
                        "/v1/budgets",
                        json={
                            "name": "e2e",
                            "scope": {"tenant_id": tenant},
                            "amount_usd": "0.02",
                            "period": "monthly",
                            "thresholds": ["50", "100"],
                            "channel_ids": [channel.json()["id"]],
                        },
                    )
                    assert budget.status_code == 201, budget.text
                    batch = [
                        events(
                            tenant_id=tenant,
                            service=f"svc-{i % 3}",
                            learner_id=f"learner-{i % 4}",
                            subject=f"subject-{i % 2}",
                            model="gpt-4o",
                        )
                        for i in range(12)
                    ]
                    batch.append(events(tenant_id=tenant, provider="not-a-provider"))
                    ingested = api.post("/v1/usage-events/batch", json={"events": batch})
                    assert ingested.status_code == 200, ingested.text
                    assert ingested.json()["accepted"] == 12
                    assert (
                        api.post(
                            "/v1/budgets/check",
                            json={
                                "tenant_id": tenant,
                                "service": "svc-0",
                                "provider": "openai",
                                "model": "gpt-4o",
                                "estimated_usage": {"input_tokens": 10, "output_tokens": 10},
                            },
                        ).status_code
                        == 200
                    )
                    assert api.get("/v1/costs/summary", params={"tenant_id": tenant}).status_code == 200

                wait_for(lambda: len(receiver.snapshot()) >= 1, timeout=20, what="an alert delivery")

                def scraped_everything() -> bool:
                    needed = (
                        "finops_budget_alerts_active",
                        "finops_price_sync_age_seconds",
                        "finops_budget_forecast_usd",
                    )
                    return all(prometheus.query(name)["data"]["result"] for name in needed) and bool(
                        prometheus.query(
                            'finops_alert_deliveries_total{channel="webhook", outcome="delivered"} > 0'
                        )["data"]["result"]
                    )

                wait_for(
                    scraped_everything, timeout=30, what="Prometheus to scrape the traffic", interval=0.5
                )

                def failing_queries() -> list[str]:
                    failures = []
                    for title, uid, target in dashboard_targets():
                        if uid != "finops-prometheus":
                            continue
                        answer = prometheus.query(target["expr"])
                        if answer.get("status") != "success":
                            failures.append(f"{title}: {target['expr']}: {answer.get('error')}")
                        elif not answer["data"]["result"]:
                            failures.append(f"{title}: {target['expr']}: no data")
                    return failures

                # rate() needs two scrapes that include the traffic: poll (bounded), then judge.
                failures = failing_queries()
                deadline = time.monotonic() + 15
                while failures and time.monotonic() < deadline:
                    time.sleep(0.5)
                    failures = failing_queries()
                assert failures == []

                # The all-time cost Prometheus shows is the database's exact total (to float precision).
                total = prometheus.query(f'max(finops_total_cost_usd{{tenant="{tenant}"}})')["data"]["result"]
                costs = [Decimal(r["event"]["cost_usd"]) for r in ingested.json()["results"]]
                assert float(total[0]["value"][1]) == pytest.approx(float(sum(costs)))

                # SQL panels run against the migrated schema and find the learners we sent.
                now = datetime.now(UTC)
                connection = await asyncpg.connect(pg_url.replace("postgresql+asyncpg://", "postgresql://"))
                try:
                    for title, uid, target in dashboard_targets():
                        if uid != "finops-postgres":
                            continue
                        rows = await connection.fetch(
                            expand_sql_macros(
                                target["rawSql"], now - timedelta(days=2), now + timedelta(hours=1)
                            )
                        )
                        assert rows, f"{title}: no rows"
                        if "learner" in title.lower() and "learner" in rows[0]:
                            assert {r["learner"] for r in rows} == {f"learner-{i}" for i in range(4)}
                finally:
                    await connection.close()
            finally:
                prometheus.stop()
                server.stop()
