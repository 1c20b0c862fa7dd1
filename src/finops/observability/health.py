"""Liveness and readiness."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from finops.kit import migrate

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz", responses={503: {"description": "database unreachable or migrations behind"}})
async def readyz(request: Request) -> JSONResponse:
    """The database answers and its schema is at the migration head."""
    engine = request.app.state.engine
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
        current = await migrate.current_revision(engine)
    except Exception as exc:  # any driver error means not ready
        return JSONResponse(
            {"status": "unavailable", "database": "error", "error": type(exc).__name__}, status_code=503
        )
    head = migrate.head_revision()
    ready = current == head
    return JSONResponse(
        {
            "status": "ok" if ready else "migrations_pending",
            "database": "ok",
            "migration": current,
            "head": head,
        },
        status_code=200 if ready else 503,
    )
