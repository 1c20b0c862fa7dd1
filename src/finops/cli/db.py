"""`finops db upgrade`: apply migrations and load the default price catalog."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console

from finops.config import get_settings
from finops.kit import migrate
from finops.kit.db import create_engine, create_sessionmaker, session_scope
from finops.pricing import service as pricing_service

app = typer.Typer(no_args_is_help=True, help="Database schema.")
console = Console(stderr=True)


async def upgrade_database(url: str) -> bool:
    """Migrate to head and load the bundled catalog into an empty database."""
    get_settings().data_dir.mkdir(parents=True, exist_ok=True)
    await migrate.upgrade(url)
    engine = create_engine(url)
    try:
        async with session_scope(create_sessionmaker(engine)) as session:
            return await pricing_service.ensure_default_catalog(session)
    finally:
        await engine.dispose()


@app.command("upgrade")
def upgrade() -> None:
    """Apply Alembic migrations to head and load the default price catalog if empty."""
    url = get_settings().effective_database_url
    seeded = asyncio.run(upgrade_database(url))
    console.print(f"[green]database at migration head[/] ({migrate.head_revision()})")
    if seeded:
        console.print(f"[green]loaded the default price catalog[/] ({pricing_service.DEFAULT_SOURCE})")
