"""Rollup deltas: what a set of newly stored events adds to each rollup grain.

A grain is a time bucket ("hour" or "day", UTC) and a cube: the full set of dimensions, or a
smaller cube whose other dimensions are collapsed to "*" so the common questions scan few rows:
"nl" (no learner: by service, subject, provider, model) and "tl" (tenant and learner only),
each at both time grains.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from finops.kit.time import floor_day, floor_hour
from finops.models.cost_rollup import ROLLUP_DIMENSIONS, ROLLUP_SUMS

COLLAPSED = "*"
CUBES: dict[str, tuple[str, ...]] = {
    "": ROLLUP_DIMENSIONS,
    "nl": ("tenant_id", "service", "subject", "provider", "model"),
    "tl": ("tenant_id", "learner_id"),
}
GRAINS = ("hour", "day", "hour:nl", "day:nl", "hour:tl", "day:tl")
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


_TIME_AND_MASK = {
    grain: (split_grain(grain)[0], tuple(d in split_grain(grain)[1] for d in ROLLUP_DIMENSIONS))
    for grain in GRAINS
}


def _values(row: Mapping[str, Any], sign: int) -> list[Any]:
    """The row's contribution to each of ROLLUP_SUMS, in that order."""
    out: list[Any] = []
    for name in ROLLUP_SUMS:
        if name == "events":
            out.append(sign)
        elif name == "unpriced_events":
            out.append(0 if row["priced"] else sign)
        else:
            out.append(sign * row[name])
    return out


def deltas(rows: Iterable[Mapping[str, Any]], *, sign: int = 1) -> list[dict[str, Any]]:
    """Sum rows per rollup key for every grain, sorted by key (so concurrent upserts lock in the
    same order and cannot deadlock). This runs on the ingest hot path: keep it lean."""
    sums: dict[RollupKey, list[Any]] = {}
    for row in rows:
        hour = floor_hour(row["occurred_at"])
        buckets = {"hour": hour, "day": floor_day(hour)}
        dims = tuple(row[d] or "" for d in ROLLUP_DIMENSIONS)
        values = _values(row, sign)
        for grain, (time_grain, mask) in _TIME_AND_MASK.items():
            kept = tuple(v if keep else COLLAPSED for v, keep in zip(dims, mask, strict=True))
            key: RollupKey = (grain, buckets[time_grain], *kept)  # type: ignore[assignment]
            acc = sums.get(key)
            if acc is None:
                sums[key] = list(values)
            else:
                for i, value in enumerate(values):
                    acc[i] += value
    out: list[dict[str, Any]] = []
    for key in sorted(sums):
        grain, bucket, *key_dims = key
        out.append(
            {
                "grain": grain,
                "bucket_start": bucket,
                **dict(zip(ROLLUP_DIMENSIONS, key_dims, strict=True)),
                **dict(zip(ROLLUP_SUMS, sums[key], strict=True)),
            }
        )
    return out
