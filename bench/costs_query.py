"""GET /v1/costs grouped by learner over 30 days at 1M and 10M events (goal p95 <= 50 ms).

Events are generated inside PostgreSQL (generate_series) with realistic shapes: 3 tenants, 2,000
learners each using a few services, subjects and models; rollups are then built from them with
GROUP BY, exactly as ingest would have. The "limit" printed beside the API figure is the same
aggregate run directly in PostgreSQL over the daily rollups, measured in the same run.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from datetime import timedelta

import asyncpg
import httpx

from bench.common import dsn, machine, percentile, private_database, server, token
from finops.costs.rollups import COLLAPSED, GRAINS, split_grain
from finops.kit.time import utcnow
from finops.models.cost_rollup import ROLLUP_DIMENSIONS

SIZES = [int(s) for s in os.environ.get("BENCH_QUERY_SIZES", "1000000,10000000").split(",")]
RUNS = int(os.environ.get("BENCH_QUERY_RUNS", "40"))
LEARNERS = 2000
SERVICES = ["tutor-chat", "essay-feedback", "quiz-generator", "reading-coach", "math-reasoner"]
MODELS = [
    ("openai", "gpt-4o-mini"),
    ("openai", "gpt-4o"),
    ("gemini", "gemini-2.5-flash"),
    ("gemini", "gemini-2.5-pro"),
    ("anthropic", "claude-sonnet-4-5"),
    ("anthropic", "claude-haiku-4-5"),
    ("bedrock", "amazon.nova-lite-v1:0"),
    ("openai", "o4-mini"),
]

INSERT_EVENTS = """
INSERT INTO usage_events (tenant_id, event_id, occurred_at, received_at, service, learner_id, subject,
  provider, model, batch, tags, usage_source, input_tokens, cached_input_tokens, cache_write_tokens,
  cache_write_1h_tokens, output_tokens, reasoning_tokens, audio_input_tokens, audio_output_tokens,
  image_input_tokens, priced, cost_usd, cost_breakdown, pricing_notes, list_cost_usd)
SELECT 'bench-t' || (l % 3), 'q-' || g, $3::timestamptz + g * ($4::interval / $5), now(),
  (ARRAY{services})[1 + (l + g % 3) % 5], 'learner-' || l, 'subject-' || ((l + g % 2) % 6),
  (ARRAY{providers})[1 + ((l + g % 3) % 5 * 2 + g % 2) % 8],
  (ARRAY{models})[1 + ((l + g % 3) % 5 * 2 + g % 2) % 8],
  false, '{{}}', 'normalized', 500 + g % 1500, (g % 4) * 100, 0, 0, 80 + g % 400, 0, 0, 0, 0, true,
  ((500 + g % 1500) * 0.00000015 + (80 + g % 400) * 0.0000006)::numeric(30,12), '{{}}', '[]',
  ((500 + g % 1500) * 0.00000015 + (80 + g % 400) * 0.0000006)::numeric(30,12)
FROM generate_series($1::bigint, $2::bigint) AS g, LATERAL (SELECT (g * 7919) % {learners} AS l) AS x
"""


def _rollup_sql(grain: str) -> str:
    """Build one rollup grain from the raw events with GROUP BY, as ingest would have."""
    time_grain, kept = split_grain(grain)
    dims = ", ".join(d if d in kept else f"'{COLLAPSED}'" for d in ROLLUP_DIMENSIONS)
    return f"""
INSERT INTO cost_rollups (grain, bucket_start, tenant_id, service, learner_id, subject, provider, model,
  events, unpriced_events, input_tokens, cached_input_tokens, cache_write_tokens, output_tokens,
  reasoning_tokens, audio_input_tokens, audio_output_tokens, image_input_tokens, cost_usd, list_cost_usd)
SELECT '{grain}', date_trunc('{time_grain}', occurred_at AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', {dims},
  count(*), 0, sum(input_tokens), sum(cached_input_tokens), sum(cache_write_tokens), sum(output_tokens),
  sum(reasoning_tokens), 0, 0, 0, sum(cost_usd), sum(list_cost_usd)
FROM usage_events WHERE event_id LIKE 'q-%' GROUP BY 2, 3, 4, 5, 6, 7, 8
"""


def _array(values: list[str]) -> str:
    return "['" + "','".join(values) + "']"


async def _load(url: str, start_n: int, end_n: int, total: int, window_start: object) -> None:
    sql = INSERT_EVENTS.format(
        services=_array(SERVICES),
        providers=_array([p for p, _ in MODELS]),
        models=_array([m for _, m in MODELS]),
        learners=LEARNERS,
    )
    connection = await asyncpg.connect(dsn(url))
    try:
        step = 1_000_000
        for lo in range(start_n, end_n + 1, step):
            hi = min(end_n, lo + step - 1)
            await connection.execute(sql, lo, hi, window_start, timedelta(days=30), total)
        await connection.execute("DELETE FROM cost_rollups")
        for grain in GRAINS:
            await connection.execute(_rollup_sql(grain))
        await connection.execute("ANALYZE")
    finally:
        await connection.close()


async def _sql_limit(url: str, start: object, end: object, tenant: str | None) -> float:
    connection = await asyncpg.connect(dsn(url))
    sql = (
        "SELECT learner_id, sum(cost_usd), sum(events) FROM cost_rollups WHERE grain = 'day:tl' "
        "AND bucket_start >= $1 AND bucket_start < $2"
        + (" AND tenant_id = $3" if tenant else "")
        + " GROUP BY 1"
    )
    args = [start, end] + ([tenant] if tenant else [])
    times = []
    try:
        for _ in range(RUNS):
            t0 = time.perf_counter()
            await connection.fetch(sql, *args)
            times.append((time.perf_counter() - t0) * 1000)
    finally:
        await connection.close()
    return percentile(times, 95)


async def _api(base: str, params: dict[str, str], tenant: str | None) -> tuple[float, float, int]:
    headers = {"Authorization": f"Bearer {token('analyst', tenant) if tenant else token()}"}
    times = []
    rows = 0
    async with httpx.AsyncClient(timeout=60) as client:
        await client.get(base + "/v1/costs", params=params, headers=headers)  # warm-up
        for _ in range(RUNS):
            t0 = time.perf_counter()
            response = await client.get(base + "/v1/costs", params=params, headers=headers)
            times.append((time.perf_counter() - t0) * 1000)
            response.raise_for_status()
            rows = len(response.json()["rows"])
    return statistics.median(times), percentile(times, 95), rows


async def _main() -> None:
    print(f"   machine: {machine()}")
    end = utcnow().replace(second=17, microsecond=0)
    window_start = end - timedelta(days=30)
    params = {
        "group_by": "learner_id",
        "start": window_start.isoformat(),
        "end": end.isoformat(),
        "limit": "10000",
    }
    async with private_database() as url:
        loaded = 0
        for size in SIZES:
            t0 = time.perf_counter()
            await _load(url, loaded + 1, size, size, window_start)
            loaded = size
            print(f"   loaded {size:,} events + rollups in {time.perf_counter() - t0:.0f} s")
            with server(url, workers=1) as base:
                for tenant in (None, "bench-t1"):
                    p50, p95, rows = await _api(
                        base, {**params, **({"tenant_id": tenant} if tenant else {})}, tenant
                    )
                    limit = await _sql_limit(url, window_start, end, tenant)
                    scope = f"tenant {tenant}" if tenant else "all tenants"
                    print(
                        f"   {size:>11,} events, {scope:<16} by learner over 30 days: p50 {p50:6.1f} ms, "
                        f"p95 {p95:6.1f} ms ({rows} rows; goal p95 <= 50 ms); SQL alone p95 "
                        f"{limit:6.1f} ms -> API/SQL {p95 / limit:.1f}x"
                    )


def main() -> None:
    asyncio.run(_main())


if __name__ == "__main__":
    main()
