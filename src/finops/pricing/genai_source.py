"""Turn genai-prices data (the bundled package data or its published JSON) into catalog records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from genai_prices import types as gp

from finops.kit.time import EPOCH
from finops.pricing.providers import CATALOG_PROVIDERS
from finops.pricing.rates import Rates, Tier, Tiered

CATALOG_PROVIDER_IDS = sorted({p for ids in CATALOG_PROVIDERS.values() for p in ids})


@dataclass(frozen=True)
class ModelRecord:
    catalog_provider: str
    model_id: str
    name: str | None
    match: dict[str, Any]
    position: int
    context_window: int | None
    deprecated: bool


@dataclass(frozen=True)
class PriceRecord:
    catalog_provider: str
    model_id: str
    variant: str
    effective_from: datetime
    effective_to: datetime | None
    rates: Rates


@dataclass(frozen=True)
class CatalogData:
    models: list[ModelRecord]
    prices: list[PriceRecord]
    fallbacks: dict[str, list[str]]


def match_to_json(clause: Any) -> dict[str, Any]:
    if isinstance(clause, gp.ClauseOr):
        return {"or": [match_to_json(c) for c in clause.or_]}
    if isinstance(clause, gp.ClauseAnd):
        return {"and": [match_to_json(c) for c in clause.and_]}
    for attr in ("equals", "starts_with", "ends_with", "contains", "regex"):
        if hasattr(clause, attr):
            return {attr: getattr(clause, attr)}
    raise ValueError(f"unsupported match clause {clause!r}")


def _rates(model_price: Any) -> Rates:
    out: Rates = {}
    for key, value in model_price.__dict__.items():
        if key.startswith("_") or value is None:
            continue
        if isinstance(value, gp.TieredPrices):
            out[key] = Tiered(
                Decimal(value.base), tuple(Tier(t.start, Decimal(t.price)) for t in value.tiers)
            )
        else:
            out[key] = Decimal(value)
    return out


def _day(d: date) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=UTC)


def _variant_name(when: dict[str, str]) -> str | None:
    if when == {"processing": "batch"}:
        return "batch"
    if set(when) == {"service_tier"} and when["service_tier"] not in ("default", "auto", "standard"):
        return when["service_tier"]
    if when == {"speed": "fast"}:
        return "fast"
    return None


def _base_versions(model: Any) -> list[tuple[datetime, Rates]]:
    if isinstance(model.prices, gp.ModelPrice):
        return [(EPOCH, _rates(model.prices))]
    versions: list[tuple[datetime, Rates]] = []
    for conditional in model.prices:
        constraint = conditional.constraint
        if constraint is None:
            versions.append((EPOCH, _rates(conditional.prices)))
        elif isinstance(constraint, gp.StartDateConstraint):
            versions.append((_day(constraint.start_date), _rates(conditional.prices)))
        # Time-of-day prices (off-peak discounts) are not modelled; none of our providers use them.
    versions.sort(key=lambda v: v[0])
    return versions


def _segments(starts: list[datetime]) -> list[tuple[datetime, datetime | None]]:
    ordered = sorted(set(starts))
    return [(s, ordered[i + 1] if i + 1 < len(ordered) else None) for i, s in enumerate(ordered)]


def _model_prices(provider_id: str, model: Any) -> list[PriceRecord]:
    base = _base_versions(model)
    if not base:
        return []
    records = [
        PriceRecord(provider_id, model.id, "standard", start, end, rates)
        for (start, end), (_, rates) in zip(_segments([b[0] for b in base]), base, strict=True)
    ]
    # Several variants may share a name (a dated price change of the batch rate, say). genai-prices
    # resolves them "first to last independently for each price key": at any instant, each key
    # comes from the first variant in the list whose constraint is active.
    groups: dict[str, list[tuple[datetime, Rates]]] = {}
    for variant in model.price_variants or ():
        name = _variant_name(variant.when)
        if name is None:
            continue
        if variant.constraint is None:
            variant_start = EPOCH
        elif isinstance(variant.constraint, gp.StartDateConstraint):
            variant_start = _day(variant.constraint.start_date)
        else:
            continue
        overrides = _rates(variant.prices)
        if overrides:
            groups.setdefault(name, []).append((variant_start, overrides))
    for name, group in groups.items():
        first = min(start for start, _ in group)
        change_points = [b[0] for b in base if b[0] > first] + [start for start, _ in group]
        for start, end in _segments(change_points):
            in_force = [rates for b_start, rates in base if b_start <= start]
            merged = dict(in_force[-1] if in_force else base[0][1])
            chosen: Rates = {}
            for variant_start, overrides in group:
                if variant_start <= start:
                    for key, value in overrides.items():
                        chosen.setdefault(key, value)
            merged.update(chosen)
            records.append(PriceRecord(provider_id, model.id, name, start, end, merged))
    return records


def from_providers(providers: list[Any]) -> CatalogData:
    models: list[ModelRecord] = []
    prices: list[PriceRecord] = []
    fallbacks: dict[str, list[str]] = {}
    for provider in providers:
        if provider.id not in CATALOG_PROVIDER_IDS:
            continue
        fallbacks[provider.id] = [
            p for p in (provider.fallback_model_providers or []) if p in CATALOG_PROVIDER_IDS
        ]
        for position, model in enumerate(provider.models):
            models.append(
                ModelRecord(
                    catalog_provider=provider.id,
                    model_id=model.id,
                    name=model.name,
                    match=match_to_json(model.match),
                    position=position,
                    context_window=model.context_window,
                    deprecated=bool(model.deprecated),
                )
            )
            prices.extend(_model_prices(provider.id, model))
    return CatalogData(models=models, prices=prices, fallbacks=fallbacks)


def bundled() -> CatalogData:
    """The catalog shipped with the pinned genai-prices package."""
    from genai_prices.data import providers

    return from_providers(providers)
