"""Re-pricing stored events with the catalog and tenant rates in force for each event's time.

Each changed event is rewritten and its rollups move by exactly (new − old): the old row's
rollup delta is subtracted and the new one added, so `finops reconcile` still holds. Running
it twice changes nothing the second time (events already at their price are skipped). A priced
event is never made unpriced (its stored price is kept and counted as `kept`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from finops.audit import service as audit_service
from finops.costs import repository as costs_repository
from finops.costs import rollups
from finops.kit import money
from finops.kit.db import session_scope
from finops.models import UsageEvent
from finops.models.cost_rollup import ROLLUP_DIMENSIONS, ROLLUP_SUMS
from finops.models.usage_event import TOKEN_COLUMNS
from finops.observability import metrics
from finops.pricing import repository as pricing_repository
from finops.pricing import service as pricing_service
from finops.pricing.catalog import Catalog
from finops.pricing.usage import NormalizedUsage

PRICE_COLUMNS = (
    "priced",
    "price_id",
    "catalog_model",
    "price_variant",
    "cost_usd",
    "list_cost_usd",
    "tenant_rate_id",
    "cost_breakdown",
    "pricing_notes",
)


@dataclass(frozen=True)
class RepriceFilter:
    tenant_id: str | None = None
    provider: str | None = None
    model: str | None = None
    catalog_model: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    only_unpriced: bool = False

    def as_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if v not in (None, False)}


@dataclass
class ModelDiff:
    events: int = 0
    old_cost_usd: Decimal = money.ZERO
    new_cost_usd: Decimal = money.ZERO
    old_list_cost_usd: Decimal = money.ZERO
    new_list_cost_usd: Decimal = money.ZERO


@dataclass
class RepriceReport:
    scanned: int = 0
    affected: int = 0
    newly_priced: int = 0
    kept: int = 0
    old_cost_usd: Decimal = money.ZERO
    new_cost_usd: Decimal = money.ZERO
    old_list_cost_usd: Decimal = money.ZERO
    new_list_cost_usd: Decimal = money.ZERO
    by_model: dict[tuple[str, str], ModelDiff] = field(default_factory=dict)
    last_id: int = 0

    @property
    def delta_cost_usd(self) -> Decimal:
        return self.new_cost_usd - self.old_cost_usd

    def merge(self, other: RepriceReport) -> None:
        for name in ("scanned", "affected", "newly_priced", "kept"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for name in ("old_cost_usd", "new_cost_usd", "old_list_cost_usd", "new_list_cost_usd"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for key, diff in other.by_model.items():
            mine = self.by_model.setdefault(key, ModelDiff())
            mine.events += diff.events
            mine.old_cost_usd += diff.old_cost_usd
            mine.new_cost_usd += diff.new_cost_usd
            mine.old_list_cost_usd += diff.old_list_cost_usd
            mine.new_list_cost_usd += diff.new_list_cost_usd
        self.last_id = max(self.last_id, other.last_id)

    def summary(self) -> dict[str, Any]:
        return {
            "events_scanned": self.scanned,
            "events_affected": self.affected,
            "newly_priced": self.newly_priced,
            "old_cost_usd": self.old_cost_usd,
            "new_cost_usd": self.new_cost_usd,
            "old_list_cost_usd": self.old_list_cost_usd,
            "new_list_cost_usd": self.new_list_cost_usd,
            "by_model": [
                {
                    "provider": p,
                    "model": m,
                    "events": d.events,
                    "old_cost_usd": d.old_cost_usd,
                    "new_cost_usd": d.new_cost_usd,
                }
                for (p, m), d in sorted(self.by_model.items())
            ],
        }


def _row(event: UsageEvent) -> dict[str, Any]:
    """The fields of an event that rollup deltas read."""
    out: dict[str, Any] = {"occurred_at": event.occurred_at, "priced": event.priced}
    for name in ROLLUP_DIMENSIONS:
        out[name] = getattr(event, name)
    for name in TOKEN_COLUMNS:
        out[name] = getattr(event, name)
    out["cost_usd"] = event.cost_usd
    out["list_cost_usd"] = event.list_cost_usd
    return out


def _stored(event: UsageEvent) -> dict[str, Any]:
    return {name: getattr(event, name) for name in PRICE_COLUMNS}


def reprice_event(catalog: Catalog, event: UsageEvent) -> dict[str, Any] | None:
    """The event's price columns as priced now, or None when they would not change."""
    usage = NormalizedUsage(**{name: getattr(event, name) for name in TOKEN_COLUMNS})
    priced = pricing_service.price_usage(
        catalog,
        provider=event.provider,
        model=event.model,
        usage=usage,
        occurred_at=event.occurred_at,
        batch=event.batch,
        service_tier=event.service_tier,
        tenant_id=event.tenant_id,
    )
    if not priced.priced and event.priced:
        return {}
    new = priced.columns()
    return None if new == _stored(event) else new


def merge_deltas(parts: Iterable[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Sum rollup deltas per key (one upsert per key) and drop the ones that cancel out."""
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    for part in parts:
        for delta in part:
            key = (delta["grain"], delta["bucket_start"], *(delta[d] for d in ROLLUP_DIMENSIONS))
            acc = merged.get(key)
            if acc is None:
                merged[key] = dict(delta)
            else:
                for name in ROLLUP_SUMS:
                    acc[name] += delta[name]
    return [merged[k] for k in sorted(merged) if any(merged[k][name] for name in ROLLUP_SUMS)]


async def reprice_chunk(
    session: AsyncSession,
    catalog: Catalog,
    filters: RepriceFilter,
    *,
    after_id: int,
    limit: int,
    apply: bool,
) -> tuple[RepriceReport, list[dict[str, Any]]]:
    """Re-price up to `limit` events with id > `after_id`; with `apply`, write the events and return
    the rollup deltas still to apply (the caller applies them, once per transaction)."""
    report = RepriceReport(last_id=after_id)
    events = await pricing_repository.events_to_reprice(
        session, filters, after_id=after_id, limit=limit, lock=apply
    )
    updates: list[dict[str, Any]] = []
    old_rows: list[dict[str, Any]] = []
    new_rows: list[dict[str, Any]] = []
    for event in events:
        report.scanned += 1
        report.last_id = event.id
        new = reprice_event(catalog, event)
        if new is None:
            continue
        if not new:
            report.kept += 1
            continue
        report.affected += 1
        report.newly_priced += int(new["priced"] and not event.priced)
        report.old_cost_usd += event.cost_usd
        report.new_cost_usd += new["cost_usd"]
        report.old_list_cost_usd += event.list_cost_usd
        report.new_list_cost_usd += new["list_cost_usd"]
        diff = report.by_model.setdefault((event.provider, event.model), ModelDiff())
        diff.events += 1
        diff.old_cost_usd += event.cost_usd
        diff.new_cost_usd += new["cost_usd"]
        diff.old_list_cost_usd += event.list_cost_usd
        diff.new_list_cost_usd += new["list_cost_usd"]
        if apply:
            old_row = _row(event)
            old_rows.append(old_row)
            new_rows.append(
                {
                    **old_row,
                    "priced": new["priced"],
                    "cost_usd": new["cost_usd"],
                    "list_cost_usd": new["list_cost_usd"],
                }
            )
            updates.append({"id": event.id, **new})
    deltas: list[dict[str, Any]] = []
    if apply and updates:
        await pricing_repository.update_event_prices(session, updates)
        metrics.REPRICE_EVENTS.inc(len(updates))
        deltas = merge_deltas([rollups.deltas(old_rows, sign=-1), rollups.deltas(new_rows)])
    return report, deltas


DEFAULT_CHUNK = 500


async def _audit(
    session: AsyncSession,
    *,
    run_id: str,
    action: str,
    actor: str,
    reason: str | None,
    filters: RepriceFilter,
    report: RepriceReport | None,
) -> None:
    await audit_service.record(
        session,
        actor=actor,
        action=action,
        entity_type="usage_events",
        entity_id=run_id,
        tenant_id=filters.tenant_id,
        before={"cost_usd": report.old_cost_usd, "list_cost_usd": report.old_list_cost_usd}
        if report
        else None,
        after={"filters": filters.as_json(), **(report.summary() if report else {})},
        reason=reason,
    )


async def reprice(
    session: AsyncSession,
    catalog: Catalog,
    filters: RepriceFilter,
    *,
    apply: bool,
    actor: str,
    reason: str | None,
    chunk_size: int = DEFAULT_CHUNK,
) -> tuple[str, RepriceReport]:
    """Dry-run or apply in the caller's transaction: events, then every rollup delta at once (in key
    order, so it cannot deadlock with ingest), then one audit entry. All or nothing."""
    run_id = uuid.uuid4().hex
    report = RepriceReport()
    pending: list[list[dict[str, Any]]] = []
    while True:
        chunk, deltas = await reprice_chunk(
            session, catalog, filters, after_id=report.last_id, limit=chunk_size, apply=apply
        )
        report.merge(chunk)
        pending.append(deltas)
        if chunk.scanned < chunk_size:
            break
    if apply and report.affected:
        await costs_repository.apply_deltas(session, merge_deltas(pending))
        await _audit(
            session,
            run_id=run_id,
            action="pricing.reprice",
            actor=actor,
            reason=reason,
            filters=filters,
            report=report,
        )
    return run_id, report


async def reprice_in_chunks(
    sessionmaker: async_sessionmaker[AsyncSession],
    filters: RepriceFilter,
    *,
    actor: str,
    reason: str | None,
    chunk_size: int = DEFAULT_CHUNK,
    on_chunk: Callable[[RepriceReport], None] | None = None,
    audit_start: bool = True,
) -> tuple[str, RepriceReport]:
    """Apply chunk by chunk, one transaction each: resumable, since a rerun skips events already
    at their price. Audited when it starts (who, why, filters) and when it ends (the totals)."""
    run_id = uuid.uuid4().hex
    async with session_scope(sessionmaker) as session:
        catalog = await pricing_service.build_catalog(session)
        if audit_start:
            await _audit(
                session,
                run_id=run_id,
                action="pricing.reprice.started",
                actor=actor,
                reason=reason,
                filters=filters,
                report=None,
            )
    report = RepriceReport()
    while True:
        async with session_scope(sessionmaker) as session:
            chunk, deltas = await reprice_chunk(
                session, catalog, filters, after_id=report.last_id, limit=chunk_size, apply=True
            )
            await costs_repository.apply_deltas(session, deltas)
        report.merge(chunk)
        if on_chunk is not None:
            on_chunk(chunk)
        if chunk.scanned < chunk_size:
            break
    if not (audit_start or report.affected):
        return run_id, report
    async with session_scope(sessionmaker) as session:
        await _audit(
            session,
            run_id=run_id,
            action="pricing.reprice",
            actor=actor,
            reason=reason,
            filters=filters,
            report=report,
        )
    return run_id, report
