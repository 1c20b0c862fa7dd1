"""Ingest throughput over HTTP into PostgreSQL, beside a raw COPY of the same rows into the same table.

Prints: batch ingest events/s (1,000-event batches, 4 concurrent clients), COPY rows/s, their ratio
(goal ≥ 25,000 events/s and ≥ 0.35x COPY), and single-event ingest req/s with 32 concurrent clients
(goal ≥ 3,000 req/s).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import uuid
from datetime import timedelta
from typing import Any

import asyncpg
import httpx

from bench.common import dsn, machine, private_database, server, token
from finops.auth.tokens import Principal
from finops.demo import generate
from finops.ingest import service as ingest_service
from finops.ingest.schemas import UsageEventIn
from finops.kit.db import create_engine, create_sessionmaker
from finops.kit.time import utcnow
from finops.models import UsageEvent
from finops.pricing import service as pricing_service

BATCH_EVENTS = int(os.environ.get("BENCH_BATCH_EVENTS", "100000"))
SINGLE_EVENTS = int(os.environ.get("BENCH_SINGLE_EVENTS", "15000"))
WORKERS = int(os.environ.get("BENCH_WORKERS", "2"))
JSON_COLUMNS = ("tags", "provider_usage", "cost_breakdown", "pricing_notes")


def _payloads(n: int, seed: int) -> list[dict[str, Any]]:
    per_day = max(1, n // 10)
    events = list(generate(days=14, events_per_day=per_day, seed=seed, end=utcnow() - timedelta(hours=1)))
    return events[:n]


async def _http_batches(base: str, payloads: list[dict[str, Any]], concurrency: int = 4) -> float:
    bodies = [json.dumps({"events": payloads[i : i + 1000]}).encode() for i in range(0, len(payloads), 1000)]
    headers = {"Authorization": f"Bearer {token()}", "content-type": "application/json"}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    accepted = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal accepted
        while not queue.empty():
            body = queue.get_nowait()
            response = await client.post(
                base + "/v1/usage-events/batch?results=compact", content=body, headers=headers
            )
            response.raise_for_status()
            accepted += response.json()["accepted"]

    async with httpx.AsyncClient(timeout=120) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    assert accepted == len(payloads), (accepted, len(payloads))
    return len(payloads) / elapsed


async def _http_singles(base: str, payloads: list[dict[str, Any]], clients: int = 32) -> float:
    headers = {"Authorization": f"Bearer {token()}", "content-type": "application/json"}
    bodies = [json.dumps(p).encode() for p in payloads]
    index = 0

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal index
        while index < len(bodies):
            body = bodies[index]
            index += 1
            response = await client.post(base + "/v1/usage-events", content=body, headers=headers)
            assert response.status_code == 201, response.text

    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(clients)))
        elapsed = time.perf_counter() - started
    return len(bodies) / elapsed


WRK_SCRIPT = r"""
local counter = 0
local tid = 0
local threads = 0
function setup(thread)
  thread:set("tid", threads)
  threads = threads + 1
end
function request()
  counter = counter + 1
  local body = string.format(
    '{"event_id":"wrk-%s-%d-%d","occurred_at":"%s","tenant_id":"bench-t","service":"tutor-chat",' ..
    '"learner_id":"l-%d","subject":"math","provider":"openai","model":"gpt-4o-mini",' ..
    '"provider_usage":{"prompt_tokens":%d,"completion_tokens":200,' ..
    '"prompt_tokens_details":{"cached_tokens":100}}}',
    RUN, tid, counter, OCCURRED, counter % 200, 1000 + counter % 500)
  return wrk.format("POST", "/v1/usage-events", nil, body)
end
"""


def _wrk_singles(base: str, seconds: int = 15, clients: int = 32) -> tuple[float, str] | None:
    """Single-event ingest driven by wrk (a C load generator, so the client does not starve the
    server of the machine's two cores). None when wrk is not installed."""
    if shutil.which("wrk") is None:
        return None
    script = WRK_SCRIPT.replace("RUN", f'"{uuid.uuid4().hex[:8]}"').replace(
        "OCCURRED", f'"{(utcnow() - timedelta(minutes=1)).isoformat()}"'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    command = [
        "wrk",
        "-t2",
        f"-c{clients}",
        f"-d{seconds}s",
        "-s",
        handle.name,
        "--latency",
        "-H",
        f"Authorization: Bearer {token()}",
        "-H",
        "content-type: application/json",
        base,
    ]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    os.unlink(handle.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    p99 = re.search(r"99%\s+(\S+)", output)
    note = f"non-2xx {errors.group(1) if errors else 0}, client p99 {p99.group(1) if p99 else '?'}"
    return rate, note


async def _copy_rate(url: str, payloads: list[dict[str, Any]]) -> float:
    """Price the same payloads into rows (untimed), then time a raw COPY into usage_events."""
    engine = create_engine(url)
    async with create_sessionmaker(engine)() as session:
        catalog = await pricing_service.build_catalog(session)
    await engine.dispose()
    admin = Principal(sub="bench", role="admin", tenant_id=None)
    columns = [c.name for c in UsageEvent.__table__.columns if c.name != "id"]
    records = []
    for payload in payloads:
        row = ingest_service.build_row(UsageEventIn.model_validate(payload), admin, catalog)
        row["event_id"] = "copy-" + row["event_id"]
        records.append(
            tuple(
                json.dumps(row[c])
                if c in ("tags", "provider_usage", "cost_breakdown", "pricing_notes")
                else row[c]
                for c in columns
            )
        )
    connection = await asyncpg.connect(dsn(url))
    try:
        started = time.perf_counter()
        await connection.copy_records_to_table("usage_events", records=records, columns=columns)
        elapsed = time.perf_counter() - started
    finally:
        await connection.close()
    return len(records) / elapsed


async def _main() -> None:
    print(f"   machine: {machine()}")
    async with private_database() as url:
        batch_payloads = _payloads(BATCH_EVENTS, seed=101)
        single_payloads = _payloads(SINGLE_EVENTS, seed=202)
        with server(url, workers=WORKERS) as base:
            await _http_batches(base, batch_payloads[:2000])  # warm-up (catalog load, connections)
            http_rate = await _http_batches(base, batch_payloads[2000:])
            wrk = _wrk_singles(base)
            if wrk is None:
                single_rate, single_note = await _http_singles(base, single_payloads), "httpx client (no wrk)"
            else:
                single_rate, single_note = wrk[0], "wrk, " + wrk[1]
        copy_rate = await _copy_rate(url, batch_payloads[2000:])
    print(f"   batch ingest over HTTP ({WORKERS} workers, 1,000/batch, 4 clients): {http_rate:,.0f} events/s")
    print(f"   raw COPY of the same rows into usage_events:        {copy_rate:,.0f} rows/s")
    print(f"   ratio HTTP / COPY: {http_rate / copy_rate:.2f}x   (goal >= 25,000 events/s and >= 0.35x)")
    print(
        f"   single-event ingest, 32 concurrent clients: {single_rate:,.0f} req/s",
        f"(goal >= 3,000; {single_note})",
    )


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
