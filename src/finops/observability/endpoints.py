"""GET /metrics: Prometheus text exposition of process and database-derived metrics."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from finops.kit.errors import Unauthorized

router = APIRouter(tags=["operations"])
_metrics_bearer = HTTPBearer(
    auto_error=False,
    scheme_name="MetricsToken",
    description="Static token from FINOPS_METRICS_TOKEN; /metrics is open when that setting is unset.",
)


async def metrics_access(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_metrics_bearer)],
) -> None:
    expected: str | None = request.app.state.settings.metrics_token
    if expected is None:
        return
    if credentials is None:
        raise Unauthorized("missing bearer token", code="missing_token")
    if not hmac.compare_digest(credentials.credentials.encode(), expected.encode()):
        raise Unauthorized("wrong metrics token", code="invalid_token")


@router.get(
    "/metrics",
    response_class=Response,
    responses={
        200: {"content": {CONTENT_TYPE_LATEST: {}}, "description": "Prometheus text format 0.0.4"},
        401: {"description": "FINOPS_METRICS_TOKEN is set and the bearer token is missing or wrong"},
    },
    dependencies=[Depends(metrics_access)],
)
async def prometheus_metrics(request: Request) -> Response:
    """Every finops metric (docs/metrics.md); database figures are cached for a few seconds."""
    await request.app.state.db_metrics.refresh_if_stale()
    body = generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
