"""`finops serve`: migrate, then serve the API with uvicorn."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import typer
import uvicorn
from rich.console import Console

from finops.auth.tokens import mint
from finops.cli.db import upgrade_database
from finops.config import get_settings
from finops.observability import logging as logging_setup

console = Console(stderr=True)


def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to bind"),
    port: int = typer.Option(8000, help="Port"),
    migrate: bool = typer.Option(True, help="Apply migrations before serving"),
    workers: int = typer.Option(1, help="Worker processes"),
) -> None:
    """Serve the API (applying migrations first unless --no-migrate)."""
    settings = get_settings()
    try:  # refuse before touching the database (production without an explicit secret)
        secret = settings.resolve_jwt_secret()
    except RuntimeError as exc:
        console.print(f"[red]{exc}[/]")
        raise typer.Exit(1) from exc
    if migrate:
        asyncio.run(upgrade_database(settings.effective_database_url))
    if not settings.jwt_secret:
        admin = mint(secret, sub="local-admin", role="admin", tenant_id=None, ttl=timedelta(days=7))
        console.print("[bold]Development mode[/]: JWT secret kept in", str(settings.data_dir / "jwt-secret"))
        console.print("Admin token (7 days):")
        print(admin, flush=True)
        console.print(f"Try: curl -H 'Authorization: Bearer <token>' http://{host}:{port}/v1/costs/summary")
    uvicorn.run(
        "finops.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=settings.log_level.lower(),
        log_config=logging_setup.dict_config(settings.log_level, settings.log_format),
        access_log=False,
        proxy_headers=True,
    )
