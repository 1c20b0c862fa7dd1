"""Catalog sync: compare a published catalog with ours and record the difference as new versions.

Rules (never rewriting history by itself):
- a model new to us is added with the whole price history the published data gives it (nothing
  could have been priced with it before, and events stored unpriced can then be re-priced);
- a price that changed becomes a new version effective from the sync time; the version it
  replaces is closed at that instant (effective_to). Future-dated versions in the published data
  are kept with their own start dates;
- a model the published catalog no longer lists is marked `removed_at` and keeps its last prices
  (a dropped listing must not turn live traffic unpriced);
- the diff (added, changed, removed) goes to the audit log and the run to `pricing_sync_runs`.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.audit import service as audit_service
from finops.pricing import repository as pricing_repository
from finops.pricing.genai_source import CatalogData, PriceRecord
from finops.pricing.rates import Rates, rates_from_json, rates_to_json

SYNC_ACTOR = "system:pricing-sync"
VariantKey = tuple[str, str, str]  # (catalog_provider, model_id, variant)


@dataclass
class CatalogDiff:
    added: list[dict[str, Any]] = field(default_factory=list)
    changed: list[dict[str, Any]] = field(default_factory=list)
    removed: list[dict[str, Any]] = field(default_factory=list)
    restored: list[str] = field(default_factory=list)
    fallbacks_changed: bool = False

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed or self.restored or self.fallbacks_changed)

    def as_json(self) -> dict[str, Any]:
        return {
            "added": self.added,
            "changed": self.changed,
            "removed": self.removed,
            "restored": self.restored,
            "fallbacks_changed": self.fallbacks_changed,
        }


@dataclass(frozen=True)
class _Segment:
    start: datetime
    end: datetime | None
    rates: Rates


def _timeline_from(segments: list[_Segment], now: datetime) -> list[tuple[datetime | None, Rates]]:
    """What prices from `now` on: the version in force at `now` (start None) then future versions."""
    out: list[tuple[datetime | None, Rates]] = []
    for seg in sorted(segments, key=lambda s: s.start):
        if seg.start <= now and (seg.end is None or now < seg.end):
            out.append((None, seg.rates))
        elif seg.start > now and (seg.end is None or seg.end > seg.start):
            out.append((seg.start, seg.rates))
    return out


async def apply_catalog(
    session: AsyncSession, data: CatalogData, *, now: datetime, source: str, actor: str
) -> CatalogDiff:
    """Bring the stored catalog in line with `data` (see the module rules); return the diff.

    Holds the catalog row lock for the whole transaction, so concurrent syncs apply one after
    the other and the second finds nothing left to change.
    """
    await pricing_repository.lock_catalog(session)
    diff = CatalogDiff()
    stored_models = {
        (m.catalog_provider, m.model_id): m
        for m in await pricing_repository.load_models(session)
        if not m.catalog_provider.startswith(pricing_repository.FALLBACKS_SOURCE_PREFIX)
    }
    stored_prices: dict[VariantKey, list[Any]] = defaultdict(list)
    for price in await pricing_repository.load_prices(session):
        stored_prices[(price.catalog_provider, price.model_id, price.variant)].append(price)
    new_prices: dict[tuple[str, str], list[PriceRecord]] = defaultdict(list)
    for record in data.prices:
        new_prices[(record.catalog_provider, record.model_id)].append(record)

    for model in data.models:
        key = (model.catalog_provider, model.model_id)
        label = f"{model.catalog_provider}/{model.model_id}"
        stored = stored_models.get(key)
        if stored is None:
            pricing_repository.add_model(session, model)
            for record in new_prices[key]:
                pricing_repository.add_price(session, record, source=source, created_at=now)
            diff.added.append(
                {
                    "model": label,
                    "variants": {
                        r.variant: rates_to_json(r.rates)
                        for r in new_prices[key]
                        if r.effective_from <= now and (r.effective_to is None or now < r.effective_to)
                    },
                }
            )
            continue
        if stored.removed_at is not None:
            diff.restored.append(label)
        pricing_repository.update_model(stored, model)
        variants = {r.variant for r in new_prices[key]} | {v for (p, m, v) in stored_prices if (p, m) == key}
        for variant in sorted(variants):
            old_rows = stored_prices.get((*key, variant), [])
            old = _timeline_from(
                [_Segment(r.effective_from, r.effective_to, rates_from_json(r.rates)) for r in old_rows], now
            )
            incoming = [r for r in new_prices[key] if r.variant == variant]
            new = _timeline_from([_Segment(r.effective_from, r.effective_to, r.rates) for r in incoming], now)
            if old == new:
                continue
            # Close what is in force now and disable versions that have not started yet.
            for row in old_rows:
                if row.effective_from <= now and (row.effective_to is None or now < row.effective_to):
                    row.effective_to = now
                elif row.effective_from > now:
                    row.effective_to = row.effective_from
            starts = [start for start, _ in new]
            for index, (start, rates) in enumerate(new):
                end = next((s for s in starts[index + 1 :] if s is not None), None)
                pricing_repository.add_price(
                    session,
                    PriceRecord(key[0], key[1], variant, start or now, end, rates),
                    source=source,
                    created_at=now,
                )
            diff.changed.append(
                {
                    "model": label,
                    "variant": variant,
                    "before": rates_to_json(old[0][1]) if old and old[0][0] is None else None,
                    "after": rates_to_json(new[0][1]) if new and new[0][0] is None else None,
                    "scheduled": [
                        {"effective_from": s.isoformat(), "rates": rates_to_json(r)}
                        for s, r in new
                        if s is not None
                    ],
                }
            )

    listed = {(m.catalog_provider, m.model_id) for m in data.models}
    for key, stored in sorted(stored_models.items()):
        if key not in listed and stored.removed_at is None:
            stored.removed_at = now
            diff.removed.append({"model": f"{key[0]}/{key[1]}"})

    diff.fallbacks_changed = await pricing_repository.replace_fallbacks(session, data.fallbacks)
    if not diff.empty:
        await pricing_repository.bump_revision(session, source=source)
        await audit_service.record(
            session,
            actor=actor,
            action="pricing.sync",
            entity_type="price_catalog",
            entity_id=source[:512],
            tenant_id=None,
            before=None,
            after={"source": source, "synced_at": now, **diff.as_json()},
        )
    return diff
