"""Which database readers feed the scrape-time metrics (budgets, alerts and pricing join here)."""

from __future__ import annotations

from finops.observability.collector import CORE_SOURCES, Source

ALL_SOURCES: tuple[Source, ...] = (*CORE_SOURCES,)
