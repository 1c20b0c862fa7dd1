"""POST /v1/budgets/check latency and throughput on PostgreSQL (goal: p99 <= 2 ms server-side,
>= 5,000 checks/s).

Seeds a private database with ~30 days of demo usage (real ingest: events and rollups) and budgets
so that every check falls under four of them: tenant monthly (America/New_York), per-learner split
monthly (hard), per-service daily (soft) and per-model monthly (soft), plus 50 noise budgets on
other tenants. Two tenants differ in one thing:
- "one hard budget": the tenant-wide budget is hard, so every reserving check of the tenant
  serializes on that one budget's lock (the worst case);
- "per-learner hard": the tenant-wide budget is soft; only each learner's split is hard, so checks
  of different learners run in parallel (the usual "each learner gets $2 a month").
Every check prices an estimated usage through the catalog and reserves it.

Prints server-side latency (time inside the ASGI app: auth, pricing, SQL, JSON) for sequential
checks with spend read live and with the 1 s spend memo (the default), in-process throughput with
32 concurrent checks (one process, one event loop), and throughput over real HTTP against
`finops serve --workers 2` with 32 client connections (client on the same machine).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from decimal import Decimal
from typing import Any

import httpx
from starlette.types import ASGIApp, Receive, Scope, Send

from bench.common import SECRET, machine, percentile, private_database, server, token
from finops.app import create_app
from finops.auth.tokens import Principal
from finops.budgets import service as budgets_service
from finops.budgets.schemas import BudgetIn, Enforcement
from finops.config import Settings
from finops.demo import SERVICES, generate
from finops.ingest import service as ingest_service
from finops.ingest.schemas import UsageEventIn
from finops.kit.db import create_engine, create_sessionmaker, session_scope
from finops.kit.time import utcnow
from finops.pricing import service as pricing_service

EVENTS_PER_DAY = int(os.environ.get("BENCH_CHECK_EVENTS_PER_DAY", "600"))
SEQUENTIAL = int(os.environ.get("BENCH_CHECK_SEQUENTIAL", "500"))
SECONDS = float(os.environ.get("BENCH_CHECK_SECONDS", "4"))
CLIENTS = 32
ONE_HARD = "school-northfield"  # tenant-wide budget hard
PER_LEARNER = "school-riverside"  # tenant-wide budget soft, each learner's split hard
ADMIN = Principal(sub="bench", role="admin", tenant_id=None)


def _budgets(tenant: str, tenant_enforcement: Enforcement) -> list[BudgetIn]:
    return [
        BudgetIn(
            name="school month",
            scope={"tenant_id": tenant},
            amount_usd=Decimal(10**6),
            enforcement=tenant_enforcement,
            timezone="America/New_York",
        ),
        BudgetIn(
            name="each learner",
            scope={"tenant_id": tenant},
            amount_usd=Decimal(1000),
            enforcement="hard",
            split_by=["learner_id"],
        ),
        *(
            BudgetIn(
                name=f"{s} daily",
                scope={"tenant_id": tenant, "service": s},
                amount_usd=Decimal(5000),
                period="daily",
            )
            for s in SERVICES
        ),
        *(
            BudgetIn(name=f"{m} month", scope={"tenant_id": tenant, "model": m}, amount_usd=Decimal(10**5))
            for options in SERVICES.values()
            for _, m, _ in options
        ),
    ]


async def _seed(url: str) -> dict[str, list[str]]:
    """Demo usage for the last 30 days and the budgets; returns each tenant's learners."""
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    async with sessionmaker() as session:
        catalog = await pricing_service.build_catalog(session)
    payloads = list(generate(days=30, events_per_day=EVENTS_PER_DAY, seed=11))
    for start in range(0, len(payloads), 1000):
        rows = [
            (i, ingest_service.build_row(UsageEventIn.model_validate(p), ADMIN, catalog))
            for i, p in enumerate(payloads[start : start + 1000])
        ]
        async with session_scope(sessionmaker) as session:
            await ingest_service.store(session, rows)
    budgets = [
        *_budgets(ONE_HARD, "hard"),
        *_budgets(PER_LEARNER, "soft"),
        *(
            BudgetIn(name=f"noise {i}", scope={"tenant_id": f"other-{i}"}, amount_usd=Decimal(100))
            for i in range(50)
        ),
    ]
    async with session_scope(sessionmaker) as session:
        for body in budgets:
            await budgets_service.create_budget(session, ADMIN, body, now=utcnow())
    await engine.dispose()
    print(f"   seeded {len(payloads):,} events and {len(budgets)} budgets; each check matches 4 budgets")
    return {
        t: sorted({p["learner_id"] for p in payloads if p["tenant_id"] == t}) for t in (ONE_HARD, PER_LEARNER)
    }


def _bodies(learners: list[str], n: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    services = list(SERVICES)
    out = []
    for _ in range(n):
        service = rng.choice(services)
        provider, model, _ = rng.choice(SERVICES[service])
        out.append(
            {
                "service": service,
                "learner_id": rng.choice(learners),
                "subject": "math",
                "provider": provider,
                "model": model,
                "estimated_usage": {
                    "input_tokens": rng.randint(500, 4000),
                    "output_tokens": rng.randint(50, 800),
                },
                "reserve": True,
                # Calls finish and settle within seconds; a short TTL keeps the held lines, which
                # this bench never settles, to a realistic number.
                "ttl_seconds": 30,
            }
        )
    return out


class ServerTimer:
    """Time each check inside the ASGI app, from the call to the end of the response body."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.samples: list[float] = []

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        await self.app(scope, receive, send)
        if scope["type"] == "http" and scope["path"] == "/v1/budgets/check":
            self.samples.append(time.perf_counter() - started)


def _ms(values: list[float], q: float) -> str:
    return f"{percentile(values, q) * 1000:.1f}"


async def _storm(post: Any, bodies: list[dict[str, Any]], seconds: float) -> tuple[int, float, list[float]]:
    """CLIENTS concurrent loops posting checks for `seconds`: (checks, elapsed, client latencies)."""
    index = 0
    latencies: list[float] = []
    deadline = time.perf_counter() + seconds

    async def worker() -> None:
        nonlocal index
        while time.perf_counter() < deadline:
            body = bodies[index % len(bodies)]
            index += 1
            started = time.perf_counter()
            (await post(body)).raise_for_status()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CLIENTS)))
    return len(latencies), time.perf_counter() - started, latencies


async def _floor(client: httpx.AsyncClient) -> None:
    """What any one-row read costs through the same stack (auth, session, pool, JSON), for scale."""
    headers = {"Authorization": f"Bearer {token()}"}
    budget_id = (await client.get("/v1/budgets", params={"limit": 1}, headers=headers)).json()["items"][0][
        "id"
    ]
    samples = []
    for _ in range(400):
        started = time.perf_counter()
        (await client.get(f"/v1/budgets/{budget_id}", headers=headers)).raise_for_status()
        samples.append(time.perf_counter() - started)
    print(
        f"   for scale: GET /v1/budgets/{{id}} (one indexed row) p50 {_ms(samples[100:], 50)} ms in-process"
    )


async def _in_process(url: str, learners: dict[str, list[str]], memo_seconds: float) -> None:
    settings = Settings(
        env="test",
        database_url=url,
        jwt_secret=SECRET,
        run_background_jobs=False,
        log_level="WARNING",
        db_pool_size=20,
        budget_check_cache_seconds=memo_seconds,
    )
    app = create_app(settings)
    timer = ServerTimer(app)
    mode = f"spend memo {memo_seconds:g} s" if memo_seconds else "spend read live"
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=timer), base_url="http://bench") as client,
    ):
        if not memo_seconds:
            await _floor(client)
        for tenant, label in ((ONE_HARD, "one hard budget"), (PER_LEARNER, "per-learner hard")):
            headers = {"Authorization": f"Bearer {token('service', tenant)}"}

            async def post(body: dict[str, Any], headers: dict[str, str] = headers) -> httpx.Response:
                return await client.post("/v1/budgets/check", json=body, headers=headers)

            for body in _bodies(learners[tenant], 100, seed=1):  # warm-up: catalog, pool, caches
                (await post(body)).raise_for_status()
            timer.samples.clear()
            for body in _bodies(learners[tenant], SEQUENTIAL, seed=2):
                (await post(body)).raise_for_status()
            sequential = list(timer.samples)
            count, elapsed, _ = await _storm(post, _bodies(learners[tenant], 50_000, seed=3), SECONDS)
            print(
                f"   in-process, {mode:<16} {label:<17} sequential server-side"
                f" p50 {_ms(sequential, 50)} ms, p99 {_ms(sequential, 99)} ms;"
                f" {CLIENTS} concurrent: {count / elapsed:,.0f} checks/s"
            )


async def _over_http(url: str, learners: dict[str, list[str]]) -> None:
    with server(url, workers=2) as base:
        limits = httpx.Limits(max_connections=CLIENTS, max_keepalive_connections=CLIENTS)
        async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
            for tenant, label in ((ONE_HARD, "one hard budget"), (PER_LEARNER, "per-learner hard")):
                headers = {"Authorization": f"Bearer {token('service', tenant)}"}

                async def post(body: dict[str, Any], headers: dict[str, str] = headers) -> httpx.Response:
                    return await client.post("/v1/budgets/check", json=body, headers=headers)

                for body in _bodies(learners[tenant], 100, seed=4):
                    (await post(body)).raise_for_status()
                count, elapsed, latencies = await _storm(
                    post, _bodies(learners[tenant], 50_000, seed=5), SECONDS
                )
                print(
                    f"   HTTP, 2 workers, memo 1 s, {label:<17} {CLIENTS} clients:"
                    f" {count / elapsed:,.0f} checks/s, client-observed"
                    f" p50 {_ms(latencies, 50)} ms, p99 {_ms(latencies, 99)} ms"
                )


async def _main() -> None:
    print(f"   machine: {machine()}")
    async with private_database("finops_bench_budgets") as url:
        learners = await _seed(url)
        await _in_process(url, learners, 0.0)
        await _in_process(url, learners, 1.0)
        await _over_http(url, learners)
    print("   goal: p99 <= 2 ms server-side, >= 5,000 checks/s")


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
