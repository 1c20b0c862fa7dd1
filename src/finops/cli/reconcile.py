"""`finops reconcile`: prove the rollups equal the raw events."""

from __future__ import annotations

import asyncio

import typer
from rich.console import Console
from rich.table import Table

from finops.config import get_settings
from finops.costs.reconcile import Difference
from finops.costs.reconcile import reconcile as run_reconcile
from finops.kit.db import create_engine, create_sessionmaker

console = Console()


async def _run(url: str) -> list[Difference]:
    engine = create_engine(url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await run_reconcile(session)
    finally:
        await engine.dispose()


def reconcile() -> None:
    """Compare hourly and daily rollups with the raw events; exit 1 on any difference."""
    differences = asyncio.run(_run(get_settings().effective_database_url))
    if not differences:
        console.print("[green]rollups equal raw events[/] (hour and day grains, per key and UTC day)")
        return
    table = Table("grain", "key", "field", "raw", "rollup")
    for d in differences[:200]:
        table.add_row(d.grain, " / ".join(str(p) for p in d.key), d.field, str(d.raw), str(d.rollup))
    console.print(table)
    console.print(f"[red]{len(differences)} differences[/]")
    raise typer.Exit(1)
