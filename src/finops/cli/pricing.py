"""`finops pricing sync|reprice|status`: pull a published catalog, re-price history, see the last sync."""

from __future__ import annotations

import asyncio
from datetime import datetime
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from finops.config import Settings, get_settings
from finops.kit import money
from finops.kit.db import create_engine, create_sessionmaker, session_scope
from finops.kit.time import as_utc
from finops.pricing import repository as pricing_repository
from finops.pricing import reprice as reprice_service
from finops.pricing import service as pricing_service
from finops.pricing import updater
from finops.pricing.reprice import RepriceFilter, RepriceReport

app = typer.Typer(no_args_is_help=True, help="Price catalog: sync, re-price, status.")
console = Console(stderr=True)
CLI_ACTOR = "cli"


def _money(value: Any) -> str:
    return money.to_string(value)


async def _sync(settings: Settings, source: str | None, fmt: str | None, actor: str) -> updater.SyncResult:
    engine = create_engine(settings.effective_database_url)
    try:
        return await updater.run_sync(
            create_sessionmaker(engine), settings, actor=actor, source=source, fmt=fmt
        )
    finally:
        await engine.dispose()


@app.command("sync")
def sync(
    source: str | None = typer.Option(None, help="URL or local file (default: FINOPS_PRICING_SYNC_URL)"),
    fmt: str | None = typer.Option(
        None, "--format", help="genai or litellm (default: FINOPS_PRICING_SYNC_FORMAT)"
    ),
    actor: str = typer.Option(CLI_ACTOR, help="Who to record in the audit log"),
) -> None:
    """Pull a published price catalog: changed prices become new versions from now; exit 1 on failure."""
    if fmt is not None and fmt not in ("genai", "litellm"):
        raise typer.BadParameter("--format must be genai or litellm")
    result = asyncio.run(_sync(get_settings(), source, fmt, actor))
    run = result.run
    if run.status == "failed":
        console.print(f"[red]sync failed after {run.attempts} attempt(s); nothing changed:[/] {run.error}")
        raise typer.Exit(1)
    console.print(
        f"[green]sync {run.status}[/] (run {run.id}): {run.models_seen} models seen, "
        f"{run.added} added, {run.changed} changed, {run.removed} removed"
    )
    diff = result.diff
    if diff is not None:
        for line in _diff_lines(diff.as_json()):
            console.print(line, highlight=False, soft_wrap=True)
    if result.repriced is not None and result.repriced.affected:
        console.print(f"priced {result.repriced.newly_priced} events stored unpriced")


def _rate_changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> str:
    before, after = before or {}, after or {}
    keys = sorted(set(before) | set(after))
    changes = [
        f"{k} {before.get(k, '-')} → {after.get(k, '-')}" for k in keys if before.get(k) != after.get(k)
    ]
    return ", ".join(changes) or "scheduled changes only"


def _diff_lines(diff: dict[str, Any]) -> list[str]:
    lines = [f"  added    {item['model']} ({', '.join(item['variants'])})" for item in diff["added"]]
    lines += [
        f"  changed  {item['model']} {item['variant']}: {_rate_changes(item['before'], item['after'])}"
        for item in diff["changed"]
    ]
    lines += [f"  removed  {item['model']} (its last prices stay in force)" for item in diff["removed"]]
    return lines


def _print_report(report: RepriceReport, *, dry_run: bool) -> None:
    if report.by_model:
        console.print(_model_table(report))
    verb = "would change" if dry_run else "changed"
    console.print(
        f"{report.scanned} events scanned, {verb} {report.affected} "
        f"({report.newly_priced} newly priced, {report.kept} kept): "
        f"{_money(report.old_cost_usd)} → {_money(report.new_cost_usd)} USD "
        f"(delta {_money(report.delta_cost_usd)})"
    )


def _model_table(report: RepriceReport) -> Table:
    table = Table("provider", "model", "events", "old cost", "new cost", "delta")
    for (provider, model), diff in sorted(report.by_model.items()):
        table.add_row(
            provider,
            model,
            str(diff.events),
            _money(diff.old_cost_usd),
            _money(diff.new_cost_usd),
            _money(diff.new_cost_usd - diff.old_cost_usd),
        )
    return table


async def _reprice(
    settings: Settings,
    filters: RepriceFilter,
    *,
    dry_run: bool,
    reason: str | None,
    actor: str,
    chunk_size: int,
) -> RepriceReport:
    engine = create_engine(settings.effective_database_url)
    sessionmaker = create_sessionmaker(engine)
    try:
        if dry_run:
            async with session_scope(sessionmaker) as session:
                catalog = await pricing_service.build_catalog(session)
                _, report = await reprice_service.reprice(
                    session, catalog, filters, apply=False, actor=actor, reason=reason, chunk_size=chunk_size
                )
            return report
        async with sessionmaker() as session:
            total = await pricing_repository.count_events_to_reprice(session, filters)
        columns = (
            TextColumn("re-pricing"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[changed]} changed"),
            TimeRemainingColumn(),
        )
        with Progress(*columns, console=console) as progress:
            task = progress.add_task("reprice", total=total, changed=0)
            changed = 0

            def advance(chunk: RepriceReport) -> None:
                nonlocal changed
                changed += chunk.affected
                progress.update(task, advance=chunk.scanned, changed=changed)

            _, report = await reprice_service.reprice_in_chunks(
                sessionmaker, filters, actor=actor, reason=reason, chunk_size=chunk_size, on_chunk=advance
            )
        return report
    finally:
        await engine.dispose()


def _when(value: datetime | None) -> datetime | None:
    return as_utc(value) if value is not None else None


@app.command("reprice")
def reprice(
    tenant: str | None = typer.Option(None, help="Only this tenant's events"),
    provider: str | None = typer.Option(None, help="Only this provider (openai, gemini, bedrock, ...)"),
    model: str | None = typer.Option(None, help="Only events with this model id"),
    catalog_model: str | None = typer.Option(None, help="Only events priced as this catalog model"),
    start: datetime | None = typer.Option(None, help="From this time (UTC unless an offset is given)"),
    end: datetime | None = typer.Option(None, help="Up to this time, exclusive"),
    only_unpriced: bool = typer.Option(False, help="Only events stored unpriced"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would change; write nothing"),
    reason: str | None = typer.Option(None, help="Why (required to apply; recorded in the audit log)"),
    actor: str = typer.Option(CLI_ACTOR, help="Who to record in the audit log"),
    chunk_size: int = typer.Option(
        reprice_service.DEFAULT_CHUNK, min=1, max=10_000, help="Events per transaction"
    ),
) -> None:
    """Re-price stored events with the prices in force at their time, in resumable chunks.

    A rerun skips what is already re-priced; events and rollups move together."""
    if not dry_run and not (reason and reason.strip()):
        raise typer.BadParameter("--reason is required to apply a re-price (or pass --dry-run)")
    filters = RepriceFilter(
        tenant_id=tenant,
        provider=provider,
        model=model,
        catalog_model=catalog_model,
        start=_when(start),
        end=_when(end),
        only_unpriced=only_unpriced,
    )
    report = asyncio.run(
        _reprice(get_settings(), filters, dry_run=dry_run, reason=reason, actor=actor, chunk_size=chunk_size)
    )
    _print_report(report, dry_run=dry_run)


async def _status(settings: Settings) -> Any:
    engine = create_engine(settings.effective_database_url)
    try:
        async with create_sessionmaker(engine)() as session:
            return await updater.status(session, settings)
    finally:
        await engine.dispose()


@app.command("status")
def status() -> None:
    """The last catalog sync, the last success and when the next one is due."""
    out = asyncio.run(_status(get_settings()))
    console.print_json(out.model_dump_json())
