"""Time from an ingest's answer to the alert's webhook delivery (goal: <= 1 s), on PostgreSQL.

A real `finops serve` (one uvicorn worker, background jobs on) on a private database, a webhook
receiver on 127.0.0.1 that verifies each signature, and one budget split by learner with a 50 %
threshold: every event for a new learner crosses it, so every ingest causes exactly one alert.
Ingests run one at a time; each sample is the time from the ingest's HTTP answer to the moment
the receiver has the matching, correctly signed alert. Bounded to ~30 s (BENCH_ALERT_SECONDS).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

from bench.common import free_port, machine, percentile, private_database, run, server, token
from finops.kit.time import utcnow

SECRET = "bench-webhook-secret-0123456789"
SAMPLES = int(os.environ.get("BENCH_ALERT_SAMPLES", "60"))
BUDGET_SECONDS = float(os.environ.get("BENCH_ALERT_SECONDS", "20"))
TIMEOUT = 10.0
TENANT = "bench-alerts"


class Receiver:
    """Webhook receiver: records (arrival time, payload) of every correctly signed alert."""

    def __init__(self) -> None:
        self.port = free_port()
        self.arrivals: dict[str, float] = {}
        self.bad_signatures = 0
        self.duplicates = 0
        self.changed = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                arrived = time.perf_counter()
                stamp = self.headers.get("X-Finops-Timestamp", "")
                expected = (
                    "sha256="
                    + hmac.new(SECRET.encode(), stamp.encode() + b"." + body, hashlib.sha256).hexdigest()
                )
                ok = hmac.compare_digest(self.headers.get("X-Finops-Signature", ""), expected)
                self.send_response(200 if ok else 401)
                self.send_header("Content-Length", "0")
                self.end_headers()
                payload = json.loads(body)
                with receiver.changed:
                    if not ok:
                        receiver.bad_signatures += 1
                    elif payload.get("kind") == "threshold_crossed" and payload.get("split"):
                        learner = str(payload["split"].get("learner_id"))
                        if learner in receiver.arrivals:
                            receiver.duplicates += 1
                        receiver.arrivals.setdefault(learner, arrived)
                    receiver.changed.notify_all()

            def log_message(self, format: str, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def wait_for(self, learner: str, timeout: float) -> float | None:
        deadline = time.perf_counter() + timeout
        with self.changed:
            while learner not in self.arrivals:
                left = deadline - time.perf_counter()
                if left <= 0:
                    return None
                self.changed.wait(left)
            return self.arrivals[learner]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _measure(base: str, receiver: Receiver) -> tuple[list[float], int]:
    admin = {"Authorization": f"Bearer {token('tenant_admin', TENANT)}"}
    service = {"Authorization": f"Bearer {token('service', TENANT)}"}
    with httpx.Client(base_url=base, timeout=TIMEOUT) as http:
        channel = http.post(
            "/v1/alert-channels",
            json={
                "name": "bench receiver",
                "type": "webhook",
                "config": {"url": f"http://127.0.0.1:{receiver.port}/finops"},
                "secrets": {"signing_secret": SECRET},
            },
            headers=admin,
        )
        channel.raise_for_status()
        budget = http.post(
            "/v1/budgets",
            json={
                "name": "each learner",
                "amount_usd": "0.15",
                "period": "monthly",
                "split_by": ["learner_id"],
                "thresholds": [50],
                "cooldown_seconds": 0,
                "channel_ids": [channel.json()["id"]],
            },
            headers=admin,
        )
        budget.raise_for_status()
        # The evaluator caches "is there any budget" for a moment; let that pass.
        time.sleep(2.5)
        latencies: list[float] = []
        missed = 0
        started = time.monotonic()
        for i in range(SAMPLES):
            if time.monotonic() - started > BUDGET_SECONDS:
                break
            learner = f"learner-{i}"
            event = {
                "event_id": f"bench-{i}",
                "occurred_at": (utcnow() - timedelta(seconds=1)).isoformat(),
                "service": "tutor-chat",
                "provider": "openai",
                "model": "gpt-4o-mini",
                "learner_id": learner,
                "usage": {"input_tokens": 1_000_000, "output_tokens": 0},  # $0.15: 100 % of this learner's
            }
            answer = http.post("/v1/usage-events", json=event, headers=service)
            answered = time.perf_counter()
            answer.raise_for_status()
            arrived = receiver.wait_for(learner, TIMEOUT)
            if arrived is None:
                missed += 1
                continue
            latencies.append(max(arrived - answered, 0.0))
        return latencies, missed


async def _bench() -> None:
    async with private_database("finops_bench_alerts") as url:
        receiver = Receiver()
        os.environ.setdefault("FINOPS_ALERTS_PUBLIC_URL", "http://127.0.0.1")
        try:
            with server(url, jobs=True) as base:
                latencies, missed = _measure(base, receiver)
        finally:
            receiver.stop()
    print(f"   machine: {machine()}")
    print("   ingest answer → signed webhook delivered (one alert per ingest, sequential, PostgreSQL)")
    if latencies:
        ms = [v * 1000 for v in latencies]
        print(
            f"   samples {len(ms)}: p50 {percentile(ms, 50):.0f} ms, p90 {percentile(ms, 90):.0f} ms, "
            f"p99 {percentile(ms, 99):.0f} ms, max {max(ms):.0f} ms (goal <= 1000 ms)"
        )
    print(
        f"   missed (> {TIMEOUT:.0f} s): {missed}; duplicates: {receiver.duplicates}; "
        f"bad signatures: {receiver.bad_signatures}"
    )
    verdict = "MET" if latencies and not missed and percentile(latencies, 99) <= 1.0 else "NOT MET"
    print(f"   goal p99 <= 1 s: {verdict}")


def main() -> None:
    run(_bench())


if __name__ == "__main__":
    main()
