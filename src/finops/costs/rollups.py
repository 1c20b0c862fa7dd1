"""Rollup deltas: what a set of newly stored events adds to the hourly and daily sums."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any

from finops.kit.time import floor_day, floor_hour
from finops.models.cost_rollup import ROLLUP_DIMENSIONS, ROLLUP_SUMS

GRAINS = ("hour", "day")
RollupKey = tuple[str, datetime, str, str, str, str, str, str]


def _key(grain: str, row: Mapping[str, Any]) -> RollupKey:
    at: datetime = row["occurred_at"]
    bucket = floor_hour(at) if grain == "hour" else floor_day(at)
    tenant, service, learner, subject, provider, model = (row[d] or "" for d in ROLLUP_DIMENSIONS)
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
