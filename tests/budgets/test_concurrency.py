"""32 concurrent reserving checks against one hard budget never admit more than it allows.

Runs through the ASGI app on both backends and both check paths, interleaved on one event loop;
test_concurrency_replicas.py races three real server processes on PostgreSQL."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from finops.budgets.cache import CheckCache
from tests.budgets.conftest import Ingest, MakeBudget
from tests.conftest import TokenFactory

CLIENTS = 32


@pytest.fixture(autouse=True, params=["live", "memo"])
def spend_mode(request: pytest.FixtureRequest, app: FastAPI) -> str:
    """Both check paths: spend read live under the lock, and memoized spend (the default, 1 s)
    read before the lock."""
    app.state.budget_check_cache = CheckCache(0 if request.param == "live" else 1.0)
    return str(request.param)


async def _storm(
    client: httpx.AsyncClient, headers: dict[str, str], bodies: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    async def one(body: dict[str, Any]) -> dict[str, Any]:
        response = await client.post("/v1/budgets/check", json=body, headers=headers)
        assert response.status_code == 200, response.text
        answer: dict[str, Any] = response.json()
        return answer

    return list(await asyncio.gather(*(one(body) for body in bodies)))


class TestConcurrentReservations:
    async def test_one_hard_budget_admits_exactly_what_fits(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        budget = await make_budget(tenant, amount_usd="1.00", enforcement="hard")
        await ingest(tenant, n=2)  # $0.30 already spent: room for exactly 7 estimates of $0.10
        body = {"service": "tutor-chat", "estimated_cost_usd": "0.10", "reserve": True}
        answers = await _storm(client, auth("service", tenant), [body] * CLIENTS)
        admitted = [a for a in answers if a["allowed"]]
        assert len(admitted) == 7
        assert len({a["reservation_id"] for a in admitted}) == 7
        assert all(a["reason"] == "hard_budget_exceeded" for a in answers if not a["allowed"])
        status = (
            await client.get(f"/v1/budgets/{budget['id']}/status", headers=auth("analyst", tenant))
        ).json()
        assert Decimal(status["spent_usd"]) + Decimal(status["reserved_usd"]) <= Decimal("1.00")
        assert (status["spent_usd"], status["reserved_usd"], status["remaining_usd"]) == ("0.3", "0.7", "0")

    async def test_split_budget_admits_per_learner_in_parallel(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        budget = await make_budget(tenant, amount_usd="0.50", enforcement="hard", split_by=["learner_id"])
        bodies = [
            {"learner_id": f"L{i % 4}", "estimated_cost_usd": "0.10", "reserve": True} for i in range(CLIENTS)
        ]
        answers = await _storm(client, auth("service", tenant), bodies)
        per_learner: dict[str, int] = {}
        for body, answer in zip(bodies, answers, strict=True):
            per_learner[body["learner_id"]] = per_learner.get(body["learner_id"], 0) + answer["allowed"]
        assert per_learner == {"L0": 5, "L1": 5, "L2": 5, "L3": 5}
        splits = (
            await client.get(f"/v1/budgets/{budget['id']}/splits", headers=auth("analyst", tenant))
        ).json()
        assert sorted(s["reserved_usd"] for s in splits["items"]) == ["0.5"] * 4

    async def test_uneven_estimates_never_overshoot(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        budget = await make_budget(tenant, amount_usd="2.00", enforcement="hard")
        estimates = [Decimal("0.07") + Decimal("0.011") * i for i in range(CLIENTS)]
        bodies = [{"estimated_cost_usd": str(e), "reserve": True} for e in estimates]
        answers = await _storm(client, auth("service", tenant), bodies)
        admitted = sum((e for e, a in zip(estimates, answers, strict=True) if a["allowed"]), Decimal(0))
        status = (
            await client.get(f"/v1/budgets/{budget['id']}/status", headers=auth("analyst", tenant))
        ).json()
        assert Decimal(status["reserved_usd"]) == admitted
        assert admitted <= Decimal("2.00")
        # Every refusal was right: the refused estimate did not fit when it was decided.
        smallest_refused = min(
            (e for e, a in zip(estimates, answers, strict=True) if not a["allowed"]), default=None
        )
        assert smallest_refused is not None
        assert admitted + smallest_refused > Decimal("2.00") - Decimal("0.011") * CLIENTS
