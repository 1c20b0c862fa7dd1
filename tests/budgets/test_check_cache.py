"""The check's per-process memo (budget_check_cache_seconds): spend reused within its TTL,
reservations always live, a settled reservation still counted while the memo may lack its cost,
and budget changes seen at once."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from finops.budgets.cache import CheckCache
from tests.budgets.conftest import Ingest, MakeBudget
from tests.conftest import TokenFactory


@pytest.fixture
def memo(app: FastAPI) -> CheckCache:
    """A memo that never expires during a test, so what it reuses is deterministic."""
    app.state.budget_check_cache = CheckCache(3600)
    cache: CheckCache = app.state.budget_check_cache
    return cache


async def _check(client: httpx.AsyncClient, auth: TokenFactory, tenant: str, **body: Any) -> dict[str, Any]:
    response = await client.post(
        "/v1/budgets/check", json={"service": "s", **body}, headers=auth("service", tenant)
    )
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


class TestSpendMemo:
    async def test_spend_is_reused_until_the_memo_expires(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
        memo: CheckCache,
    ) -> None:
        await make_budget(tenant, amount_usd="1", enforcement="hard")
        first = await _check(client, auth, tenant, estimated_cost_usd="0.2")
        assert first["budgets"][0]["spent_usd"] == "0"
        await ingest(tenant, n=6, service="s")  # $0.90 without any reservation
        reused = await _check(client, auth, tenant, estimated_cost_usd="0.2")
        assert (reused["allowed"], reused["budgets"][0]["spent_usd"]) == (True, "0")
        memo.clear()
        fresh = await _check(client, auth, tenant, estimated_cost_usd="0.2")
        assert (fresh["allowed"], fresh["budgets"][0]["spent_usd"]) == (False, "0.9")

    async def test_reservations_are_always_live(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        tenant: str,
        memo: CheckCache,
    ) -> None:
        await make_budget(tenant, amount_usd="1", enforcement="hard")
        answers = [
            await _check(client, auth, tenant, estimated_cost_usd="0.3", reserve=True) for _ in range(4)
        ]
        assert [a["allowed"] for a in answers] == [True, True, True, False]
        assert answers[3]["budgets"][0]["reserved_usd"] == "0.9"

    async def test_a_settled_reservation_counts_while_the_memo_may_lack_its_cost(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
        memo: CheckCache,
    ) -> None:
        await make_budget(tenant, amount_usd="1", enforcement="hard")
        held = await _check(client, auth, tenant, estimated_cost_usd="0.6", reserve=True)  # memo: spent 0
        await ingest(tenant, service="s", reservation_id=held["reservation_id"])  # real cost $0.15
        # The memo still says $0 spent and the reservation is no longer held: counting neither would
        # admit $0.90 on top of the $0.15 really spent.
        over = await _check(client, auth, tenant, estimated_cost_usd="0.9", reserve=True)
        assert over["allowed"] is False
        assert (over["budgets"][0]["spent_usd"], over["budgets"][0]["reserved_usd"]) == ("0", "0.6")
        # A spend computed afresh right after the settlement may already hold the real cost; the
        # estimate is still counted for a short margin (conservative, never short).
        memo.clear()
        fresh = await _check(client, auth, tenant, estimated_cost_usd="0.1")
        assert (fresh["budgets"][0]["spent_usd"], fresh["budgets"][0]["reserved_usd"]) == ("0.15", "0.6")
        # Read live (memo off), the answer is exact.
        app.state.budget_check_cache = CheckCache(0)
        live = await _check(client, auth, tenant, estimated_cost_usd="0.85", reserve=True)
        assert live["allowed"] is True
        assert (live["budgets"][0]["spent_usd"], live["budgets"][0]["reserved_usd"]) == ("0.15", "0")


class TestBudgetMemo:
    async def test_budget_changes_apply_to_the_next_check(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        tenant: str,
        memo: CheckCache,
    ) -> None:
        assert (await _check(client, auth, tenant, estimated_cost_usd="2"))["reason"] == "no_matching_budget"
        budget = await make_budget(tenant, amount_usd="1", enforcement="hard")
        assert (await _check(client, auth, tenant, estimated_cost_usd="2"))["allowed"] is False
        headers = auth("tenant_admin", tenant)
        await client.patch(f"/v1/budgets/{budget['id']}", json={"amount_usd": "5"}, headers=headers)
        assert (await _check(client, auth, tenant, estimated_cost_usd="2"))["allowed"] is True
        await client.delete(f"/v1/budgets/{budget['id']}", headers=headers)
        assert (await _check(client, auth, tenant, estimated_cost_usd="2"))["reason"] == "no_matching_budget"
