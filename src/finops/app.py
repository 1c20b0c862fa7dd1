"""create_app(): the FastAPI application; its lifespan owns the engine and the catalog cache."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from finops import __version__
from finops.alerts.endpoints import router as alerts_router
from finops.audit.endpoints import router as audit_router
from finops.auth.tokens import TokenVerifier
from finops.budgets.endpoints import router as budgets_router
from finops.config import Settings, get_settings
from finops.costs.endpoints import router as costs_router
from finops.ingest.endpoints import router as ingest_router
from finops.kit import openapi
from finops.kit.db import create_engine, create_sessionmaker
from finops.kit.http import (
    BodyLimitMiddleware,
    RefuseNulMiddleware,
    RequestIdMiddleware,
    install_error_handlers,
)
from finops.observability import collector as metrics_collector
from finops.observability.endpoints import router as metrics_router
from finops.observability.health import router as health_router
from finops.observability.middleware import HttpMetricsMiddleware
from finops.observability.status import router as status_router
from finops.pricing.endpoints import router as pricing_router
from finops.pricing.service import CatalogCache
from finops.worker.loop import JobContext
from finops.worker.registry import build_jobs
from finops.worker.runner import start_background


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    secret = settings.resolve_jwt_secret()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.effective_database_url, pool_size=settings.db_pool_size)
        sessionmaker = create_sessionmaker(engine)
        app.state.engine = engine
        app.state.sessionmaker = sessionmaker
        app.state.catalog_cache = CatalogCache(sessionmaker, settings.catalog_refresh_seconds)
        context = JobContext(settings=settings, sessionmaker=sessionmaker, extras={"app": app})
        app.state.jobs = {job.name: job for job in build_jobs(context)}
        metrics_collector.install(
            app.state, engine=engine, sessionmaker=sessionmaker, ttl=settings.metrics_cache_seconds
        )
        tasks = start_background(app.state, settings)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await engine.dispose()

    app = FastAPI(
        title="finops",
        version=__version__,
        description="FinOps for AI inference: metered usage, exact pricing, cost queries.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.token_verifier = TokenVerifier(
        secret,
        jwks_url=settings.jwt_jwks_url,
        audience=settings.jwt_audience,
        leeway=settings.jwt_leeway_seconds,
    )
    install_error_handlers(app)
    openapi.install(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes)
    app.add_middleware(RefuseNulMiddleware)
    app.add_middleware(HttpMetricsMiddleware)
    app.add_middleware(RequestIdMiddleware)
    for router in (
        health_router,
        metrics_router,
        status_router,
        ingest_router,
        costs_router,
        pricing_router,
        audit_router,
        budgets_router,
        alerts_router,
    ):
        app.include_router(router)
    return app
