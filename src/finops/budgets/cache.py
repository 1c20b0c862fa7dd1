"""A short-lived, per-process memo for the pre-flight check: each (budget, split, period)'s spend
as `query_costs` answered it, and each tenant's active budgets.

Why it is safe for hard budgets: reservations are never cached (they are read under the lock on
every reserving check), and a reservation settled after a memoized spend was computed keeps
counting as reserved until that memo expires (see check.py), so a settled call's cost is never
missing from both. What the memo can miss is usage ingested without a reservation during the
last `ttl` seconds (at most 1 s by default), the same race as an event landing just after a check.
Budget changes made in this process clear the budget memo at once; other replicas see them
within `ttl`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from finops.models import Budget

SpendKey = tuple[str, str, datetime]  # budget id, split key, period start


@dataclass(frozen=True, slots=True)
class SpendMemo:
    spent: Decimal
    computed_at: datetime  # wall clock (UTC) just before query_costs ran
    expires: float  # monotonic


class CheckCache:
    def __init__(self, ttl_seconds: float, *, max_entries: int = 100_000) -> None:
        self.ttl = ttl_seconds
        self.max_entries = max_entries
        self._spend: dict[SpendKey, SpendMemo] = {}
        self._budgets: dict[str, tuple[float, list[Budget]]] = {}

    @property
    def enabled(self) -> bool:
        return self.ttl > 0

    def spend(self, key: SpendKey) -> SpendMemo | None:
        memo = self._spend.get(key)
        if memo is None or memo.expires <= time.monotonic():
            return None
        return memo

    def put_spend(self, key: SpendKey, spent: Decimal, computed_at: datetime) -> None:
        if not self.enabled:
            return
        if len(self._spend) >= self.max_entries:
            self._prune()
        self._spend[key] = SpendMemo(spent, computed_at, time.monotonic() + self.ttl)

    def budgets(self, tenant_id: str) -> list[Budget] | None:
        entry = self._budgets.get(tenant_id)
        if entry is None or entry[0] <= time.monotonic():
            return None
        return entry[1]

    def put_budgets(self, tenant_id: str, budgets: list[Budget]) -> None:
        if self.enabled:
            if len(self._budgets) >= self.max_entries:
                self._budgets.clear()
            self._budgets[tenant_id] = (time.monotonic() + self.ttl, budgets)

    def invalidate_budgets(self) -> None:
        self._budgets.clear()

    def clear(self) -> None:
        self._spend.clear()
        self._budgets.clear()

    def _prune(self) -> None:
        now = time.monotonic()
        self._spend = {k: v for k, v in self._spend.items() if v.expires > now}
        if len(self._spend) >= self.max_entries:
            self._spend.clear()
