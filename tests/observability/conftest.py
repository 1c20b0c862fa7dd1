from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI


@pytest.fixture
def fresh_metrics(app: FastAPI) -> Iterator[None]:
    """Make every scrape in the test re-read the database (the app caches for a few seconds)."""
    database_metrics = app.state.db_metrics
    ttl = database_metrics.ttl
    database_metrics.ttl = 0.0
    yield
    database_metrics.ttl = ttl
