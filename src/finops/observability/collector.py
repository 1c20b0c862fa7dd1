"""Scrape-time metrics: figures read from the database (cached briefly) and the connection pool."""

from __future__ import annotations

import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from prometheus_client import CollectorRegistry
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from finops import __version__
from finops.kit.db import session_scope
from finops.observability import metrics
from finops.observability import repository as obs_repository
from finops.observability.metrics import MetricSpec

log = logging.getLogger("finops.metrics")

LabelValues = tuple[str, ...]


@dataclass
class Snapshot:
    """Values per metric spec and label values, as of `taken_at` (monotonic seconds)."""

    values: dict[MetricSpec, dict[LabelValues, float]] = field(default_factory=lambda: defaultdict(dict))
    taken_at: float = 0.0
    ok: bool = False

    def set(self, spec: MetricSpec, labels: LabelValues, value: float | Decimal | int) -> None:
        self.values[spec][labels] = float(value)

    def add(self, spec: MetricSpec, labels: LabelValues, value: float | Decimal | int) -> None:
        current = self.values[spec].get(labels, 0.0)
        self.values[spec][labels] = current + float(value)


# A source adds its figures to the snapshot from one read-only session. Budgets, alerts and pricing
# figures are read by sources registered in finops.observability.sources.
Source = Callable[[AsyncSession, Snapshot], Awaitable[None]]


async def rollup_source(session: AsyncSession, snapshot: Snapshot) -> None:
    for spec in (
        metrics.TOTAL_COST,
        metrics.COST_BY_PROVIDER,
        metrics.COST_BY_MODEL,
        metrics.COST_BY_SERVICE,
        metrics.TOKENS,
        metrics.EVENTS_STORED,
        metrics.UNPRICED_EVENTS,
        metrics.COST_TODAY,
    ):
        snapshot.values[spec] = {}
    for row in await obs_repository.rollup_totals(session):
        snapshot.add(metrics.TOTAL_COST, (row.tenant_id,), row.cost_usd)
        snapshot.add(metrics.COST_BY_PROVIDER, (row.provider,), row.cost_usd)
        snapshot.add(metrics.COST_BY_MODEL, (row.provider, row.model), row.cost_usd)
        snapshot.add(metrics.COST_BY_SERVICE, (row.tenant_id, row.service), row.cost_usd)
        snapshot.add(metrics.EVENTS_STORED, (row.tenant_id,), row.events)
        snapshot.add(metrics.UNPRICED_EVENTS, (row.tenant_id,), row.unpriced_events)
        for kind, count in row.tokens.items():
            if count:
                snapshot.add(metrics.TOKENS, (row.provider, row.model, kind), count)
    now = datetime.now(UTC)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    for tenant, cost in (await obs_repository.cost_since(session, midnight)).items():
        snapshot.set(metrics.COST_TODAY, (tenant,), cost)


async def catalog_source(session: AsyncSession, snapshot: Snapshot) -> None:
    state = await obs_repository.catalog_state(session)
    if state is not None:
        snapshot.set(metrics.CATALOG_REVISION, (), state.revision)
        snapshot.set(metrics.CATALOG_AGE, (), (datetime.now(UTC) - state.updated_at).total_seconds())


CORE_SOURCES: tuple[Source, ...] = (rollup_source, catalog_source)


class DatabaseMetrics:
    """Database-derived metrics, refreshed at most every `ttl` seconds so scrapes stay cheap."""

    def __init__(
        self,
        sessionmaker: async_sessionmaker[AsyncSession],
        *,
        ttl: float,
        sources: Iterable[Source] = CORE_SOURCES,
    ) -> None:
        self.sessionmaker = sessionmaker
        self.ttl = ttl
        self.sources = tuple(sources)
        self.snapshot = Snapshot()
        self._lock = asyncio.Lock()

    async def refresh_if_stale(self) -> None:
        async with self._lock:
            if self.snapshot.ok and time.monotonic() - self.snapshot.taken_at < self.ttl:
                return
            started = time.monotonic()
            fresh = Snapshot()
            try:
                async with session_scope(self.sessionmaker) as session:
                    for source in self.sources:
                        await self._read(session, source, fresh)
            except Exception:
                metrics.SCRAPE_DB_ERRORS.inc()
                log.exception("refreshing database metrics failed; serving the previous values")
                self.snapshot.ok = False
                return
            finally:
                metrics.SCRAPE_DB_DURATION.observe(time.monotonic() - started)
            fresh.ok = True
            fresh.taken_at = time.monotonic()
            self.snapshot = fresh

    async def _read(self, session: AsyncSession, source: Source, snapshot: Snapshot) -> None:
        """One source in its own savepoint; a failing optional source keeps the others' figures."""
        try:
            async with session.begin_nested():
                await source(session, snapshot)
        except Exception:
            if source in CORE_SOURCES:
                raise
            metrics.SCRAPE_DB_ERRORS.inc()
            log.exception("database metrics source %s failed", getattr(source, "__name__", source))

    def families(self) -> Iterator[Metric]:
        values = self.snapshot.values
        for spec in metrics.DB_METRICS:
            if spec in (metrics.BUILD_INFO, metrics.DB_UP) or spec.name.startswith("finops_db_pool"):
                continue
            yield _family(spec, values.get(spec, {}))
        yield _family(metrics.DB_UP, {(): 1.0 if self.snapshot.ok else 0.0})


class ScrapeCollector(Collector):
    """Joins the process metrics with the database snapshot and the pool, for one app."""

    def __init__(self, database: DatabaseMetrics, engine: AsyncEngine) -> None:
        self.database = database
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        yield from metrics.REGISTRY.collect()
        yield _family(metrics.BUILD_INFO, {(__version__,): 1.0})
        yield from self.database.families()
        yield from _pool_families(self.engine)


def build_registry(database: DatabaseMetrics, engine: AsyncEngine) -> CollectorRegistry:
    registry = CollectorRegistry(auto_describe=False)
    registry.register(ScrapeCollector(database, engine))
    return registry


def _family(spec: MetricSpec, samples: dict[LabelValues, float]) -> Metric:
    family: GaugeMetricFamily | CounterMetricFamily
    if spec.kind == "counter":
        family = CounterMetricFamily(spec.name, spec.help, labels=spec.labels)
    else:
        family = GaugeMetricFamily(spec.name, spec.help, labels=spec.labels)
    for labels, value in sorted(samples.items()):
        family.add_metric(list(labels), value)
    return family


def _pool_families(engine: AsyncEngine) -> Iterator[Metric]:
    pool = engine.pool
    # QueuePool-style pools report their size; SQLite's may not: report what exists.
    figures = {
        metrics.DB_POOL_SIZE: getattr(pool, "size", None),
        metrics.DB_POOL_CHECKED_OUT: getattr(pool, "checkedout", None),
        metrics.DB_POOL_OVERFLOW: getattr(pool, "overflow", None),
    }
    for spec, getter in figures.items():
        value = float(getter()) if callable(getter) else 0.0
        yield _family(spec, {(): max(value, 0.0) if spec is metrics.DB_POOL_OVERFLOW else value})


def install(
    state: Any, *, engine: AsyncEngine, sessionmaker: async_sessionmaker[AsyncSession], ttl: float
) -> None:
    """Give the app its scrape-time metrics: `state.db_metrics` and `state.metrics_registry`."""
    from finops.observability.sources import ALL_SOURCES

    state.db_metrics = DatabaseMetrics(sessionmaker, ttl=ttl, sources=ALL_SOURCES)
    state.metrics_registry = build_registry(state.db_metrics, engine)
