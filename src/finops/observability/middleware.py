"""HTTP metrics and one access-log line per request, labelled by route template (bounded)."""

from __future__ import annotations

import logging
import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from finops.observability import metrics
from finops.observability.logging import request_id_var

log = logging.getLogger("finops.access")
QUIET_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})


def route_template(scope: Scope) -> str:
    """The matched route's template (/v1/usage-events/{event_id}), never the raw path."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class HttpMetricsMiddleware:
    """Count and time every request; sits inside RequestIdMiddleware so logs carry the request id."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        token = request_id_var.set(scope.get("state", {}).get("request_id"))
        started = time.perf_counter()
        status = 500

        async def send_and_record(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        metrics.HTTP_IN_PROGRESS.inc()
        try:
            await self.app(scope, receive, send_and_record)
        finally:
            metrics.HTTP_IN_PROGRESS.dec()
            elapsed = time.perf_counter() - started
            route = route_template(scope)
            method = scope.get("method", "GET")
            metrics.HTTP_REQUESTS.labels(method=method, route=route, code=str(status)).inc()
            metrics.HTTP_DURATION.labels(method=method, route=route).observe(elapsed)
            _observe_domain_latency(method, route, status, elapsed)
            if route not in QUIET_ROUTES or status >= 400:
                log.info(
                    "%s %s %s",
                    method,
                    scope.get("path", ""),
                    status,
                    extra={
                        "method": method,
                        "route": route,
                        "path": scope.get("path", ""),
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 3),
                    },
                )
            request_id_var.reset(token)


def _observe_domain_latency(method: str, route: str, status: int, elapsed: float) -> None:
    """Ingest and cost-query latency, named by what was asked rather than by URL."""
    if status >= 500:
        return
    if method == "POST" and route == "/v1/usage-events":
        metrics.INGEST_DURATION.labels(kind="single").observe(elapsed)
    elif method == "POST" and route == "/v1/usage-events/batch":
        metrics.INGEST_DURATION.labels(kind="batch").observe(elapsed)
    elif method == "POST" and route == "/v1/budgets/check":
        metrics.BUDGET_CHECK_DURATION.observe(elapsed)
    elif method == "GET" and route.startswith("/v1/costs"):
        kind = route.removeprefix("/v1/costs").strip("/") or "costs"
        metrics.QUERY_DURATION.labels(kind=kind).observe(elapsed)
