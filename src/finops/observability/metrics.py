"""Every Prometheus metric finops exports, declared in this one module.

Two kinds live here:

* **Process metrics** (counters, histograms, gauges below): what *this* process did since it
  started. They reset on restart; Prometheus' `rate()`/`increase()` handle that. With several
  replicas, `sum()` them across instances.
* **Database metrics** (`DB_METRICS`, produced at scrape time by
  `finops.observability.collector`): totals read from the rollup, budget and alert tables. They
  survive restarts and every replica reports the same figures, so aggregate them with `max()`
  across instances, never `sum()`.

Labels are bounded: provider, model, service, tenant, budget, channel, outcome, code, decision,
job, kind, and (for HTTP) method, route template and status class. Never a learner, user or event
id: per-learner figures belong to the API and SQL. docs/metrics.md lists every metric and its labels.

Other modules import the objects below and increment them, e.g.
`metrics.BUDGET_CHECKS.labels(decision="allow").inc()`.
"""

from __future__ import annotations

from dataclasses import dataclass

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, disable_created_metrics
from prometheus_client.metrics import MetricWrapperBase

# The *_created series double the output and no dashboard uses them.
disable_created_metrics()  # type: ignore[no-untyped-call]

# Process metrics live in their own registry (not prometheus_client's global one) so that
# /metrics shows exactly what this module declares, plus the scrape-time collectors.
REGISTRY = CollectorRegistry(auto_describe=True)

LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
JOB_BUCKETS = (0.01, 0.05, 0.1, 0.5, 1.0, 5.0, 15.0, 60.0, 300.0)

# --- ingest -------------------------------------------------------------------------------
INGEST_EVENTS = Counter(
    "finops_ingest_events",
    "Usage events received, by outcome: accepted (newly stored), duplicate (event id seen before), "
    "rejected (see finops_ingest_rejections_total for the code).",
    ["outcome"],
    registry=REGISTRY,
)
INGEST_REJECTIONS = Counter(
    "finops_ingest_rejections",
    "Usage events rejected, by stable error code.",
    ["code"],
    registry=REGISTRY,
)
INGEST_UNPRICED = Counter(
    "finops_ingest_unpriced_events",
    "Newly stored usage events the catalog could not price, by provider.",
    ["provider"],
    registry=REGISTRY,
)
INGEST_COST = Counter(
    "finops_ingest_cost_usd",
    "Cost in USD of newly stored usage events (process counter: rate() gives real-time spend).",
    ["provider"],
    registry=REGISTRY,
)
INGEST_DURATION = Histogram(
    "finops_ingest_duration_seconds",
    "Time to validate, price and store one ingest request, by kind (single or batch).",
    ["kind"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
INGEST_BATCH_SIZE = Histogram(
    "finops_ingest_batch_size_events",
    "Events per batch ingest request.",
    buckets=(1, 10, 50, 100, 250, 500, 1000),
    registry=REGISTRY,
)

# --- queries ------------------------------------------------------------------------------
QUERY_DURATION = Histogram(
    "finops_query_duration_seconds",
    "Time to answer a cost query, by kind (summary, breakdown, timeseries, ...).",
    ["kind"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

# --- HTTP ---------------------------------------------------------------------------------
HTTP_REQUESTS = Counter(
    "finops_http_requests",
    "HTTP requests served, by method, route template and status code.",
    ["method", "route", "code"],
    registry=REGISTRY,
)
HTTP_DURATION = Histogram(
    "finops_http_request_duration_seconds",
    "HTTP request latency, by method and route template.",
    ["method", "route"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
HTTP_IN_PROGRESS = Gauge(
    "finops_http_requests_in_progress",
    "HTTP requests being served right now.",
    registry=REGISTRY,
)

# --- budgets ------------------------------------------------------------------------------
BUDGET_CHECKS = Counter(
    "finops_budget_checks",
    "Pre-flight budget checks answered, by decision (allow, warn, deny).",
    ["decision"],
    registry=REGISTRY,
)
BUDGET_CHECK_DURATION = Histogram(
    "finops_budget_check_duration_seconds",
    "Time to answer a pre-flight budget check.",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
BUDGET_EVALUATIONS = Counter(
    "finops_budget_evaluations",
    "Budgets evaluated by the budget monitor, by outcome (ok, threshold_crossed, error).",
    ["outcome"],
    registry=REGISTRY,
)

# --- alerts -------------------------------------------------------------------------------
ALERTS_RAISED = Counter(
    "finops_alerts_raised",
    "Alerts raised (after dedupe), by channel.",
    ["channel"],
    registry=REGISTRY,
)
ALERT_DELIVERIES = Counter(
    "finops_alert_deliveries",
    "Alert delivery attempts, by channel and outcome (delivered, failed, retry, dead).",
    ["channel", "outcome"],
    registry=REGISTRY,
)
ALERT_DELIVERY_DURATION = Histogram(
    "finops_alert_delivery_duration_seconds",
    "Time of one alert delivery attempt, by channel.",
    ["channel"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)

# --- pricing ------------------------------------------------------------------------------
PRICE_SYNC_RUNS = Counter(
    "finops_price_sync_runs",
    "Price catalog synchronisations run by this process, by outcome (changed, unchanged, failed).",
    ["outcome"],
    registry=REGISTRY,
)
PRICE_SYNC_LAST_SUCCESS = Gauge(
    "finops_price_sync_last_success_timestamp_seconds",
    "Unix time of this process' last successful price sync (0 if none yet).",
    registry=REGISTRY,
)
REPRICE_EVENTS = Counter(
    "finops_reprice_events",
    "Usage events re-priced by an applied re-pricing run.",
    registry=REGISTRY,
)

# --- background jobs and leadership -------------------------------------------------------
JOB_RUNS = Counter(
    "finops_job_runs",
    "Background job iterations run by this process, by job and outcome (success, failure).",
    ["job", "outcome"],
    registry=REGISTRY,
)
JOB_DURATION = Histogram(
    "finops_job_duration_seconds",
    "Duration of one background job iteration, by job.",
    ["job"],
    buckets=JOB_BUCKETS,
    registry=REGISTRY,
)
JOB_LAST_SUCCESS = Gauge(
    "finops_job_last_success_timestamp_seconds",
    "Unix time of the job's last successful iteration in this process.",
    ["job"],
    registry=REGISTRY,
)
LEADER = Gauge(
    "finops_leader",
    "1 when this replica holds the leader lock and runs leader-only jobs, else 0.",
    registry=REGISTRY,
)
LEADER_TRANSITIONS = Counter(
    "finops_leader_transitions",
    "Times this replica gained (outcome=acquired) or lost (outcome=lost) leadership.",
    ["outcome"],
    registry=REGISTRY,
)

# --- metrics endpoint itself --------------------------------------------------------------
SCRAPE_DB_DURATION = Histogram(
    "finops_metrics_db_refresh_duration_seconds",
    "Time to refresh the database-derived metrics (cached between scrapes).",
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
SCRAPE_DB_ERRORS = Counter(
    "finops_metrics_db_refresh_errors",
    "Failed refreshes of the database-derived metrics (the previous values are kept).",
    registry=REGISTRY,
)


# --- database-derived and scrape-time metrics (produced by collector.py) ------------------
@dataclass(frozen=True)
class MetricSpec:
    name: str
    kind: str  # "gauge" or "counter" (counter names here omit the _total suffix)
    help: str
    labels: tuple[str, ...] = ()


BUILD_INFO = MetricSpec("finops_build_info", "gauge", "Always 1; labels carry the version.", ("version",))
TOTAL_COST = MetricSpec(
    "finops_total_cost_usd", "gauge", "All-time cost in USD by tenant (from rollups).", ("tenant",)
)
COST_BY_PROVIDER = MetricSpec(
    "finops_cost_by_provider_usd", "gauge", "All-time cost in USD by provider (from rollups).", ("provider",)
)
COST_BY_MODEL = MetricSpec(
    "finops_cost_by_model_usd",
    "gauge",
    "All-time cost in USD by provider and model (from rollups).",
    ("provider", "model"),
)
COST_BY_SERVICE = MetricSpec(
    "finops_cost_by_service_usd",
    "gauge",
    "All-time cost in USD by tenant and service (from rollups).",
    ("tenant", "service"),
)
COST_TODAY = MetricSpec(
    "finops_cost_today_usd", "gauge", "Cost in USD since 00:00 UTC today, by tenant.", ("tenant",)
)
TOKENS = MetricSpec(
    "finops_tokens",
    "counter",
    "Tokens metered (from rollups), by provider, model and kind (input, cached_input, cache_write, "
    "output, reasoning, audio_input, audio_output, image_input).",
    ("provider", "model", "kind"),
)
EVENTS_STORED = MetricSpec(
    "finops_usage_events_stored", "counter", "Usage events stored (from rollups), by tenant.", ("tenant",)
)
UNPRICED_EVENTS = MetricSpec(
    "finops_unpriced_events", "gauge", "Stored usage events still unpriced, by tenant.", ("tenant",)
)
BUDGET_PERCENTAGE_USED = MetricSpec(
    "finops_budget_percentage_used",
    "gauge",
    "Spend of the budget's current period as a percentage of its limit.",
    ("tenant", "budget"),
)
BUDGET_SPEND = MetricSpec(
    "finops_budget_spend_usd", "gauge", "Spend in USD of the budget's current period.", ("tenant", "budget")
)
BUDGET_LIMIT = MetricSpec(
    "finops_budget_limit_usd", "gauge", "Limit in USD of the budget's current period.", ("tenant", "budget")
)
BUDGET_FORECAST = MetricSpec(
    "finops_budget_forecast_usd",
    "gauge",
    "Forecast spend in USD at the end of the budget's current period.",
    ("tenant", "budget"),
)
ALERTS_ACTIVE = MetricSpec(
    "finops_budget_alerts_active",
    "gauge",
    "Alerts raised in the budgets' current periods, by tenant and budget.",
    ("tenant", "budget"),
)
OUTBOX_DEPTH = MetricSpec(
    "finops_alert_outbox_depth",
    "gauge",
    "Alert deliveries waiting in the outbox (pending or retrying), by channel.",
    ("channel",),
)
CATALOG_AGE = MetricSpec(
    "finops_price_catalog_age_seconds", "gauge", "Seconds since the price catalog last changed."
)
CATALOG_REVISION = MetricSpec(
    "finops_price_catalog_revision", "gauge", "Revision number of the price catalog."
)
PRICE_SYNC_AGE = MetricSpec(
    "finops_price_sync_age_seconds",
    "gauge",
    "Seconds since the last price sync attempt recorded in the database, by outcome (success, failure).",
    ("outcome",),
)
DB_UP = MetricSpec(
    "finops_database_up", "gauge", "1 when the last refresh of database metrics succeeded, else 0."
)
DB_POOL_SIZE = MetricSpec("finops_db_pool_size", "gauge", "Connections the pool keeps open (its size).")
DB_POOL_CHECKED_OUT = MetricSpec(
    "finops_db_pool_checked_out_connections", "gauge", "Pool connections in use right now."
)
DB_POOL_OVERFLOW = MetricSpec(
    "finops_db_pool_overflow_connections", "gauge", "Connections open beyond the pool size right now."
)

DB_METRICS: tuple[MetricSpec, ...] = (
    BUILD_INFO,
    TOTAL_COST,
    COST_BY_PROVIDER,
    COST_BY_MODEL,
    COST_BY_SERVICE,
    COST_TODAY,
    TOKENS,
    EVENTS_STORED,
    UNPRICED_EVENTS,
    BUDGET_PERCENTAGE_USED,
    BUDGET_SPEND,
    BUDGET_LIMIT,
    BUDGET_FORECAST,
    ALERTS_ACTIVE,
    OUTBOX_DEPTH,
    CATALOG_AGE,
    CATALOG_REVISION,
    PRICE_SYNC_AGE,
    DB_UP,
    DB_POOL_SIZE,
    DB_POOL_CHECKED_OUT,
    DB_POOL_OVERFLOW,
)

# Labels that may never appear on any metric: unbounded identifiers.
FORBIDDEN_LABELS = frozenset({"learner", "learner_id", "user", "user_id", "event_id", "subject", "email"})


def process_metrics() -> list[MetricWrapperBase]:
    """Every process metric object declared above (for docs and tests)."""
    return [value for value in globals().values() if isinstance(value, MetricWrapperBase)]


# Series for every known label value exist from the start (at 0), so rate() and dashboards see
# "nothing happened" rather than "no data". Values not listed here appear on first use.
CHANNELS = ("email", "slack", "webhook", "sms")
for _outcome in ("accepted", "duplicate", "rejected"):
    INGEST_EVENTS.labels(outcome=_outcome)
for _kind in ("single", "batch"):
    INGEST_DURATION.labels(kind=_kind)
for _decision in ("allow", "warn", "deny"):
    BUDGET_CHECKS.labels(decision=_decision)
for _channel in CHANNELS:
    ALERT_DELIVERY_DURATION.labels(channel=_channel)
    for _outcome in ("delivered", "failed", "retry"):
        ALERT_DELIVERIES.labels(channel=_channel, outcome=_outcome)
for _outcome in ("changed", "unchanged", "failed"):
    PRICE_SYNC_RUNS.labels(outcome=_outcome)
for _outcome in ("acquired", "lost"):
    LEADER_TRANSITIONS.labels(outcome=_outcome)
