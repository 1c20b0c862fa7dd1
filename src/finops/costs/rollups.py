"""Rollup deltas: what a set of newly stored events adds to each rollup grain.

A grain is a time bucket ("hour" or "day", UTC) and a cube: the full set of dimensions, or a
smaller cube whose other dimensions are collapsed to "*" so the common questions scan few rows:
"nl" (no learner: by service, subject, provider, model) and "tl" (tenant and learner only).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from finops.kit.time import floor_day, floor_hour
from finops.models.cost_rollup import ROLLUP_DIMENSIONS, ROLLUP_SUMS

COLLAPSED = "*"
CUBES: dict[str, tuple[str, ...]] = {
    "": ROLLUP_DIMENSIONS,
    "nl": ("tenant_id", "service", "subject", "provider", "model"),
    "tl": ("tenant_id", "learner_id"),
}
GRAINS = ("hour", "day", "hour:nl", "day:nl", "day:tl")
RollupKey = tuple[str, datetime, str, str, str, str, str, str]


def split_grain(grain: str) -> tuple[str, tuple[str, ...]]:
    """("hour" | "day", the dimensions the grain keeps)."""
    time_grain, _, cube = grain.partition(":")
    return time_grain, CUBES[cube]


def grain_name(time_grain: str, cube: str) -> str:
    return f"{time_grain}:{cube}" if cube else time_grain


_SPLIT = {grain: split_grain(grain) for grain in GRAINS}


def project(dims: Mapping[str, Any], kept: tuple[str, ...]) -> tuple[str, ...]:
    return tuple((dims[d] or "") if d in kept else COLLAPSED for d in ROLLUP_DIMENSIONS)


def _key(grain: str, row: Mapping[str, Any]) -> RollupKey:
    at: datetime = row["occurred_at"]
    time_grain, kept = _SPLIT[grain]
    bucket = floor_hour(at) if time_grain == "hour" else floor_day(at)
    tenant, service, learner, subject, provider, model = project(row, kept)
    return (grain, bucket, tenant, service, learner, subject, provider, model)


def deltas(rows: Iterable[Mapping[str, Any]], *, sign: int = 1) -> list[dict[str, Any]]:
    """Sum rows per rollup key for every grain, sorted by key (so concurrent upserts lock in the
    same order and cannot deadlock)."""
    sums: dict[RollupKey, dict[str, Any]] = {}
    for row in rows:
        for grain in GRAINS:
            key = _key(grain, row)
            acc = sums.get(key)
            if acc is None:
                acc = {name: 0 for name in ROLLUP_SUMS}
                acc["cost_usd"] = Decimal(0)
                acc["list_cost_usd"] = Decimal(0)
                sums[key] = acc
            acc["events"] += sign
            acc["unpriced_events"] += 0 if row["priced"] else sign
            for name in ROLLUP_SUMS:
                if name.endswith("_tokens"):
                    acc[name] += sign * row[name]
            acc["cost_usd"] += sign * row["cost_usd"]
            acc["list_cost_usd"] += sign * row["list_cost_usd"]
    out: list[dict[str, Any]] = []
    for key in sorted(sums):
        grain, bucket, *dims = key
        out.append(
            {
                "grain": grain,
                "bucket_start": bucket,
                **dict(zip(ROLLUP_DIMENSIONS, dims, strict=True)),
                **sums[key],
            }
        )
    return out
