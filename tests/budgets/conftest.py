"""Budget test helpers: create budgets and ingest priced events over HTTP, and read status at a
chosen instant through the service (the API always answers for "now")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from finops.budgets import repository as budgets_repository
from finops.budgets import service as budgets_service
from finops.budgets.cache import CheckCache
from finops.budgets.schemas import BudgetStatus
from finops.kit.db import session_scope
from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory

# gpt-4o-mini list price: $0.15 per million input tokens.
FIFTEEN_CENTS = {"input_tokens": 1_000_000, "output_tokens": 0}

MakeBudget = Callable[..., Awaitable[dict[str, Any]]]
Ingest = Callable[..., Awaitable[list[dict[str, Any]]]]
StatusAt = Callable[[str, datetime], Awaitable[BudgetStatus]]


@pytest.fixture(autouse=True)
def live_checks(request: pytest.FixtureRequest) -> Iterator[CheckCache | None]:
    """Checks read spend live in these tests (TTL 0) unless a test installs its own memo.
    Tests without the app (periods, forecast) are left alone."""
    if "app" not in request.fixturenames and "client" not in request.fixturenames:
        yield None
        return
    app: FastAPI = request.getfixturevalue("app")
    previous = getattr(app.state, "budget_check_cache", None)
    app.state.budget_check_cache = CheckCache(0)
    yield app.state.budget_check_cache
    app.state.budget_check_cache = previous


@pytest.fixture
def make_budget(client: httpx.AsyncClient, auth: TokenFactory) -> MakeBudget:
    """make_budget(tenant, **fields) → the created budget (as tenant_admin of `tenant`; admin when None)."""

    async def make(
        tenant: str | None, *, expect: int = 201, role: str | None = None, **fields: Any
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"name": "budget", "amount_usd": "10", **fields}
        if tenant is not None:
            body.setdefault("scope", {"tenant_id": tenant})
        headers = auth(role or ("tenant_admin" if tenant else "admin"), tenant)
        response = await client.post("/v1/budgets", json=body, headers=headers)
        assert response.status_code == expect, response.text
        answer: dict[str, Any] = response.json()
        return answer

    return make


@pytest.fixture
def ingest(client: httpx.AsyncClient, auth: TokenFactory, events: EventFactory) -> Ingest:
    """ingest(tenant, n=1, **event fields) → the stored events (each $0.15 unless usage is given)."""

    async def send(tenant: str, n: int = 1, **fields: Any) -> list[dict[str, Any]]:
        fields.setdefault("usage", FIFTEEN_CENTS)
        payloads = [events(tenant_id=tenant, **fields) for _ in range(n)]
        response = await client.post(
            "/v1/usage-events/batch", json={"events": payloads}, headers=auth("service", tenant)
        )
        assert response.status_code == 200, response.text
        assert response.json()["accepted"] == n, response.text
        return [r["event"] for r in response.json()["results"]]

    return send


@pytest.fixture
def status_at(app: FastAPI) -> StatusAt:
    async def status(budget_id: str, now: datetime) -> BudgetStatus:
        async with session_scope(app.state.sessionmaker) as session:
            budget = await budgets_repository.get_budget(session, budget_id)
            assert budget is not None
            return await budgets_service.budget_status(session, budget, now=now)

    return status
