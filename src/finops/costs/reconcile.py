"""Reconciliation: every rollup grain (each cube) must equal the raw events, per key and per UTC day."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from finops.costs import repository as costs_repository
from finops.costs import rollups
from finops.costs.repository import Totals
from finops.costs.rollups import GRAINS, split_grain
from finops.models.cost_rollup import ROLLUP_DIMENSIONS, ROLLUP_SUMS


def _project(raw: Totals, kept: tuple[str, ...]) -> Totals:
    """Raw per-(dimensions, day) totals summed into a cube's key, collapsed dimensions as "*"."""
    out: Totals = {}
    for key, sums in raw.items():
        dims = dict(zip(ROLLUP_DIMENSIONS, key[: len(ROLLUP_DIMENSIONS)], strict=True))
        projected = (*rollups.project(dims, kept), *key[len(ROLLUP_DIMENSIONS) :])
        acc = out.setdefault(projected, dict.fromkeys(ROLLUP_SUMS, 0))
        for name in ROLLUP_SUMS:
            acc[name] += sums.get(name) or 0
    return out


@dataclass(frozen=True)
class Difference:
    grain: str
    key: tuple[Any, ...]
    field: str
    raw: Any
    rollup: Any


async def reconcile(session: AsyncSession) -> list[Difference]:
    raw = await costs_repository.raw_totals(session)
    differences: list[Difference] = []
    for grain in GRAINS:
        expected = _project(raw, split_grain(grain)[1])
        rolled = await costs_repository.rollup_totals(session, grain=grain)
        for key in sorted(expected.keys() | rolled.keys(), key=lambda k: tuple(str(p) for p in k)):
            left, right = expected.get(key, {}), rolled.get(key, {})
            for name in ROLLUP_SUMS:
                a, b = left.get(name) or 0, right.get(name) or 0
                if a != b:
                    differences.append(Difference(grain, key, name, a, b))
    return differences
