"""Two `finops serve` replicas on one PostgreSQL database with background jobs on: spend crosses
budget thresholds through both, the leader is SIGKILLed, and the survivor takes over.

Shown: every event is counted once (duplicates sent to the other replica, rollups reconciled with
the raw events), leader-only jobs continue on the survivor (/v1/status says it leads), and each
alert reaches the webhook exactly once.
"""

from __future__ import annotations

import subprocess
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx

from finops.auth.tokens import mint
from finops.cli.db import upgrade_database
from tests.fixtures.events import EventFactory
from tests.fixtures.servers import FINOPS, FinopsServer, WebhookReceiver, wait_for

SECRET = "e2e-secret-" + "x" * 32
TENANT = "replicas"


def status(server: FinopsServer, token: str) -> dict[str, Any]:
    with server.client(token) as api:
        body: dict[str, Any] = api.get("/v1/status").json()
        return body


def job(body: dict[str, Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(j for j in body["jobs"] if j["name"] == name)
    return found


def alert_key(delivery: dict[str, Any]) -> tuple[str, str | None]:
    return delivery["kind"], delivery["threshold"]


def outbox_empty(server: FinopsServer) -> bool:
    text = httpx.get(f"{server.url}/metrics", timeout=5).text
    depth = [line for line in text.splitlines() if line.startswith("finops_alert_outbox_depth{")]
    return bool(depth) and all(float(line.rsplit(" ", 1)[1]) == 0 for line in depth)


class TestTwoReplicas:
    async def test_failover_counts_once_and_delivers_once(self, pg_url: str, tmp_path: Path) -> None:
        await upgrade_database(pg_url)  # as the migration Job does; the replicas start with --no-migrate
        a = FinopsServer(database_url=pg_url, data_dir=tmp_path, name="replica-a")
        b = FinopsServer(database_url=pg_url, data_dir=tmp_path, name="replica-b")
        token = mint(SECRET, sub="ops", role="admin", tenant_id=None, ttl=timedelta(hours=1))
        events = EventFactory()
        sent: dict[str, dict[str, Any]] = {}
        with WebhookReceiver() as receiver:
            try:
                a.start(migrate=False)
                wait_for(
                    lambda: status(a, token)["leader"]["is_leader"], timeout=15, what="replica-a to lead"
                )
                b.start(migrate=False)
                before = status(b, token)
                assert before["leader"]["leader_replica_id"] == "replica-a"
                assert before["leader"]["is_leader"] is False
                assert job(before, "alerts.monitor")["runs_here"] is False

                with a.client(token) as api_a, b.client(token) as api_b:
                    channel = api_a.post(
                        "/v1/alert-channels",
                        json={
                            "tenant_id": TENANT,
                            "name": "hook",
                            "type": "webhook",
                            "config": {"url": receiver.url},
                            "secrets": {"signing_secret": "s" * 32},
                        },
                    )
                    assert channel.status_code == 201, channel.text
                    budget = api_b.post(
                        "/v1/budgets",
                        json={
                            "name": "replicas",
                            "scope": {"tenant_id": TENANT},
                            "amount_usd": "0.09",
                            "period": "monthly",
                            "thresholds": ["25", "50", "75", "100"],
                            "channel_ids": [channel.json()["id"]],
                            "cooldown_seconds": 0,  # every threshold alerts, however close together
                        },
                    )
                    assert budget.status_code == 201, budget.text

                    def ingest(api: httpx.Client, payloads: list[dict[str, Any]]) -> dict[str, Any]:
                        response = api.post("/v1/usage-events/batch", json={"events": payloads})
                        assert response.status_code == 200, response.text
                        for result in response.json()["results"]:
                            sent[result["event"]["event_id"]] = result["event"]
                        body: dict[str, Any] = response.json()
                        return body

                    # Phase 1: both replicas take traffic; each also receives the other's events again.
                    first = [events(tenant_id=TENANT, model="gpt-4o") for _ in range(6)]
                    second = [events(tenant_id=TENANT, model="gpt-4o") for _ in range(6)]
                    assert ingest(api_a, first)["accepted"] == 6
                    assert ingest(api_b, second)["accepted"] == 6
                    assert ingest(api_b, first[:3])["duplicates"] == 3
                    assert ingest(api_a, second[:3])["duplicates"] == 3
                    # 12 of the 20 events the budget holds: 54 %. Thresholds crossed together alert
                    # once, for the highest (the alerts domain suppresses the lower ones).
                    wait_for(
                        lambda: ("threshold_crossed", "50") in {alert_key(d) for d in receiver.snapshot()},
                        timeout=20,
                        what="the 50 % alert",
                    )
                    # Kill only with nothing in flight: a delivery sent but not yet recorded when its
                    # sender dies is re-sent after its lease (at-least-once), which is not this test.
                    wait_for(lambda: outbox_empty(a) and outbox_empty(b), timeout=20, what="an empty outbox")

                    a.kill()  # SIGKILL the leader

                    # Phase 2: the survivor takes all traffic, including retries of phase-1 events.
                    third = [events(tenant_id=TENANT, model="gpt-4o") for _ in range(12)]
                    assert ingest(api_b, third)["accepted"] == 12
                    assert ingest(api_b, first + second)["duplicates"] == 12

                wait_for(
                    lambda: status(b, token)["leader"]["leader_replica_id"] == "replica-b",
                    timeout=20,
                    what="replica-b to take the leader lock",
                )
                runs_at_takeover = job(status(b, token), "alerts.monitor")["runs"]
                wait_for(
                    lambda: job(status(b, token), "alerts.monitor")["runs"] > runs_at_takeover,
                    timeout=20,
                    what="the leader-only monitor job to run on replica-b",
                )
                wait_for(
                    lambda: ("threshold_crossed", "100") in {alert_key(d) for d in receiver.snapshot()},
                    timeout=20,
                    what="the 100 % alert from the survivor",
                )
                wait_for(lambda: outbox_empty(b), timeout=20, what="an empty outbox")
                time.sleep(2)  # several more dispatch and monitor rounds: nothing may be re-sent

                after = status(b, token)
                assert after["leader"]["is_leader"] is True
                monitor = job(after, "alerts.monitor")
                assert monitor["runs_here"] is True
                assert monitor["last_result"] == "ok"
                assert job(after, "price_sync")["runs_here"] is True

                # No alert delivered twice: one POST per alert id, one alert per (kind, threshold).
                deliveries = receiver.snapshot()
                per_alert = Counter(d["id"] for d in deliveries)
                assert per_alert
                assert max(per_alert.values()) == 1, per_alert
                per_key = Counter(alert_key(d) for d in deliveries)
                assert max(per_key.values()) == 1, per_key
                with b.client(token) as api_b:
                    listed = api_b.get("/v1/alerts", params={"tenant_id": TENANT, "limit": 100})
                alerts = listed.json()["items"]
                delivered = {a["id"] for a in alerts if a["status"] == "delivered"}
                assert set(per_alert) == delivered  # every delivered alert arrived, and nothing else
                assert {("threshold_crossed", "50"), ("threshold_crossed", "100")} <= set(per_key)

                # Every event counted once: totals equal the distinct events, rollups equal raw events.
                now = datetime.now(UTC)
                with b.client(token) as api_b:
                    summary = api_b.get(
                        "/v1/costs/summary",
                        params={
                            "tenant_id": TENANT,
                            "start": (now - timedelta(days=1)).isoformat(),
                            "end": (now + timedelta(hours=1)).isoformat(),
                        },
                    ).json()
                assert len(sent) == 24
                assert summary["total"]["events"] == 24
                assert Decimal(summary["total_cost_usd"]) == sum(
                    Decimal(e["cost_usd"]) for e in sent.values()
                )
                reconcile = subprocess.run(
                    [str(FINOPS), "reconcile"],
                    env=b.env,
                    capture_output=True,
                    text=True,
                    check=False,
                    timeout=60,
                )
                assert reconcile.returncode == 0, reconcile.stdout + reconcile.stderr
                metrics = httpx.get(f"{b.url}/metrics", timeout=5).text
                assert f'finops_usage_events_stored_total{{tenant="{TENANT}"}} 24.0' in metrics
                assert "finops_leader 1.0" in metrics
            finally:
                a.kill()
                b.stop()
