"""Reconciliation: every rollup grain must equal the raw events, per key and per UTC day."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.costs import repository as costs_repository
from finops.costs.rollups import GRAINS
from finops.models.cost_rollup import ROLLUP_SUMS


@dataclass(frozen=True)
class Difference:
    grain: str
    key: tuple[Any, ...]
    field: str
    raw: Any
    rollup: Any


async def reconcile(session: AsyncSession) -> list[Difference]:
    raw = await costs_repository.raw_totals(session, per_day=True)
    differences: list[Difference] = []
    for grain in GRAINS:
        rolled = await costs_repository.rollup_totals(session, grain=grain, per_day=True)
        for key in sorted(raw.keys() | rolled.keys(), key=lambda k: tuple(str(p) for p in k)):
            left, right = raw.get(key, {}), rolled.get(key, {})
            for name in ROLLUP_SUMS:
                a, b = left.get(name) or 0, right.get(name) or 0
                if a != b:
                    differences.append(Difference(grain, key, name, a, b))
    return differences
