"""`finops demo`: load realistic demo data through the real ingest path."""

from __future__ import annotations

import asyncio
import itertools

import typer
from rich.console import Console
from rich.progress import Progress

from finops.auth.tokens import Principal
from finops.cli.db import upgrade_database
from finops.config import get_settings
from finops.demo import TENANTS, generate
from finops.ingest import service as ingest_service
from finops.kit.db import create_engine, create_sessionmaker, session_scope
from finops.pricing import service as pricing_service

console = Console(stderr=True)
BATCH = 500


async def _load(url: str, days: int, per_day: int, seed: int) -> tuple[int, int, int]:
    await upgrade_database(url)
    engine = create_engine(url)
    sessionmaker = create_sessionmaker(engine)
    admin = Principal(sub="demo", role="admin", tenant_id=None)
    events = list(generate(days=days, events_per_day=per_day, seed=seed))
    accepted = duplicates = rejected = 0
    try:
        async with sessionmaker() as session:
            catalog = await pricing_service.build_catalog(session)
        with Progress(console=console) as progress:
            task = progress.add_task("loading demo usage", total=len(events))
            iterator = iter(events)
            while chunk := list(itertools.islice(iterator, BATCH)):
                async with session_scope(sessionmaker) as session:
                    stored, bad = await ingest_service.ingest_batch(session, catalog, admin, chunk)
                accepted += sum(1 for s in stored if s.status == "created")
                duplicates += sum(1 for s in stored if s.status == "duplicate")
                rejected += len(bad)
                progress.advance(task, len(chunk))
    finally:
        await engine.dispose()
    return accepted, duplicates, rejected


def demo(
    days: int = typer.Option(30, help="Days of history ending now"),
    per_day: int = typer.Option(800, help="Events per weekday (weekends are quieter)"),
    seed: int = typer.Option(7, help="Random seed (same seed → same event ids, so re-runs are duplicates)"),
) -> None:
    """Load demo data: 3 schools, 5 services, ~200 learners, 6 subjects, 4 providers, 30 days."""
    accepted, duplicates, rejected = asyncio.run(
        _load(get_settings().effective_database_url, days, per_day, seed)
    )
    console.print(
        f"[green]{accepted} events stored[/], {duplicates} already present, {rejected} rejected "
        f"across tenants {', '.join(TENANTS)}"
    )
