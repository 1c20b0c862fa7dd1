"""Budget status: every scope dimension, spend == GET /v1/costs for the same filters and period,
split budgets, thresholds, a scope that matches nothing, history and the forecast over HTTP."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest

from finops.kit.time import utcnow
from tests.budgets.conftest import Ingest, MakeBudget
from tests.conftest import TokenFactory

MIXED_EVENTS: list[dict[str, Any]] = [
    {"service": "tutor-chat", "learner_id": "L1", "subject": "math", "tags": {"team": "ml"}},
    {
        "service": "tutor-chat",
        "learner_id": "L2",
        "subject": "math",
        "provider": "anthropic",
        "model": "claude-haiku-4-5",
    },
    {
        "service": "essay-feedback",
        "learner_id": "L2",
        "subject": "english",
        "model": "gpt-4o",
        "tags": {"team": "web"},
    },
    {"service": "essay-feedback", "learner_id": "L3", "provider": "gemini", "model": "gemini-2.5-flash"},
    {"service": "tutor-chat", "model": "gpt-4o", "tags": {"team": "ml", "env": "prod"}},
]


async def _seed(ingest: Ingest, tenant: str) -> None:
    for i, fields in enumerate(MIXED_EVENTS):
        await ingest(
            tenant, n=i + 1, usage={"input_tokens": 200_000 * (i + 1), "output_tokens": 50_000}, **fields
        )


async def _status(client: httpx.AsyncClient, headers: dict[str, str], budget_id: str) -> dict[str, Any]:
    response = await client.get(f"/v1/budgets/{budget_id}/status", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def _costs(
    client: httpx.AsyncClient, headers: dict[str, str], status: dict[str, Any], scope: dict[str, str]
) -> dict[str, Any]:
    params: list[tuple[str, str]] = [("start", status["period_start"]), ("end", status["period_end"])]
    for key, value in scope.items():
        params.append(("tag", f"{key[4:]}={value}") if key.startswith("tag:") else (key, value))
    response = await client.get("/v1/costs", params=params, headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


SCOPES = [
    {},
    {"service": "tutor-chat"},
    {"learner_id": "L2"},
    {"subject": "math"},
    {"provider": "anthropic"},
    {"model": "gpt-4o"},
    {"tag:team": "ml"},
    {"service": "essay-feedback", "learner_id": "L2", "model": "gpt-4o", "tag:team": "web"},
]


class TestSpendEqualsCosts:
    @pytest.mark.parametrize("scope", SCOPES, ids=lambda s: ",".join(s) or "tenant")
    async def test_each_scope_spends_what_cost_queries_answer(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
        scope: dict[str, str],
    ) -> None:
        await _seed(ingest, tenant)
        budget = await make_budget(tenant, scope={"tenant_id": tenant, **scope}, amount_usd="1000")
        headers = auth("analyst", tenant)
        status = await _status(client, headers, budget["id"])
        costs = await _costs(client, headers, status, {"tenant_id": tenant, **scope})
        assert Decimal(status["spent_usd"]) > 0
        assert status["spent_usd"] == costs["total_cost_usd"]
        assert status["events"] == costs["total"]["events"]
        assert status["scope_matches_nothing"] is False

    async def test_scope_narrows_spend(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await _seed(ingest, tenant)
        headers = auth("analyst", tenant)
        whole = await _status(client, headers, (await make_budget(tenant))["id"])
        spent = {}
        for scope in SCOPES[1:]:
            budget = await make_budget(tenant, scope={"tenant_id": tenant, **scope})
            spent[str(scope)] = Decimal((await _status(client, headers, budget["id"]))["spent_usd"])
        assert all(0 < value < Decimal(whole["spent_usd"]) for value in spent.values()), spent
        assert whole["events"] == 15

    async def test_global_budget_sums_every_tenant(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await ingest(tenant, n=2, service="global-probe-" + tenant)
        await ingest("b-" + tenant, n=3, service="global-probe-" + tenant)
        budget = await make_budget(None, scope={"service": "global-probe-" + tenant})
        status = await _status(client, auth(), budget["id"])
        costs = await _costs(client, auth(), status, {"service": "global-probe-" + tenant})
        assert status["tenant_id"] is None
        assert status["spent_usd"] == costs["total_cost_usd"] == "0.75"

    async def test_an_ingested_event_shows_in_status_right_after_its_answer(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        budget = await make_budget(tenant)
        headers = auth("analyst", tenant)
        assert (await _status(client, headers, budget["id"]))["spent_usd"] == "0"
        await ingest(tenant)
        assert (await _status(client, headers, budget["id"]))["spent_usd"] == "0.15"


class TestThresholds:
    async def test_crossed_thresholds_are_exact(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        budget = await make_budget(tenant, amount_usd="0.60", thresholds=[50, 75, 100, 150])
        await ingest(tenant, n=2)  # $0.30: exactly 50 %
        status = await _status(client, auth("analyst", tenant), budget["id"])
        assert (status["percent_used"], status["thresholds_crossed"]) == ("50", ["50"])
        await ingest(tenant, n=4)  # $0.90: 150 %
        status = await _status(client, auth("analyst", tenant), budget["id"])
        assert status["percent_used"] == "150"
        assert status["thresholds_crossed"] == ["50", "75", "100", "150"]
        assert status["remaining_usd"] == "-0.3"


class TestScopeMatchingNothing:
    async def test_status_says_which_value_never_matched(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await ingest(tenant, model="gpt-4o-2024-08-06")
        budget = await make_budget(tenant, scope={"tenant_id": tenant, "model": "gpt-4o"})
        status = await _status(client, auth("analyst", tenant), budget["id"])
        assert status["scope_matches_nothing"] is True
        assert status["spent_usd"] == "0"
        assert any("model = 'gpt-4o'" in note for note in status["notes"]), status["notes"]
        assert not any("tenant_id" in note for note in status["notes"])

    async def test_values_seen_apart_but_never_together(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await ingest(tenant, service="a", learner_id="L1")
        await ingest(tenant, service="b", learner_id="L2")
        budget = await make_budget(tenant, scope={"tenant_id": tenant, "service": "a", "learner_id": "L2"})
        status = await _status(client, auth("analyst", tenant), budget["id"])
        assert status["scope_matches_nothing"] is True
        assert any("all of them at once" in note for note in status["notes"])

    async def test_unpriced_events_are_reported(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await ingest(tenant, model="my-finetune-xyz")
        budget = await make_budget(tenant)
        status = await _status(client, auth("analyst", tenant), budget["id"])
        assert status["scope_matches_nothing"] is False
        assert any("unpriced" in note for note in status["notes"])


class TestSplitBudgets:
    async def test_each_learner_has_its_own_amount(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await ingest(tenant, n=5, learner_id="heavy")  # $0.75
        await ingest(tenant, n=2, learner_id="medium")  # $0.30
        await ingest(tenant, n=1, learner_id="light")  # $0.15
        await ingest(tenant, n=1)  # no learner
        budget = await make_budget(tenant, amount_usd="0.60", split_by=["learner_id"], thresholds=[50, 100])
        headers = auth("analyst", tenant)
        status = await _status(client, headers, budget["id"])
        assert status["split_count"] == 4
        assert status["total_spent_usd"] == "1.35"
        assert (status["spent_usd"], status["percent_used"]) == ("0.75", "125")  # the most-consumed split
        by_key = {s["key"]["learner_id"]: s for s in status["splits"]}
        assert by_key["heavy"]["thresholds_crossed"] == ["50", "100"]
        assert by_key["medium"]["thresholds_crossed"] == ["50"]
        assert by_key["light"]["thresholds_crossed"] == []
        assert by_key[None]["spent_usd"] == "0.15"
        assert [s["key"]["learner_id"] for s in status["splits"]][:2] == ["heavy", "medium"]
        splits = (
            await client.get(f"/v1/budgets/{budget['id']}/splits", params={"limit": 2}, headers=headers)
        ).json()
        assert splits["total"] == 4
        assert [s["key"]["learner_id"] for s in splits["items"]] == ["heavy", "medium"]
        assert splits["items"][0]["remaining_usd"] == "-0.15"

    async def test_split_spend_equals_costs_per_value(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await _seed(ingest, tenant)
        budget = await make_budget(tenant, split_by=["service", "learner_id"], amount_usd="100")
        headers = auth("analyst", tenant)
        status = await _status(client, headers, budget["id"])
        assert status["split_count"] == 5
        for split in status["splits"]:
            scope = {"tenant_id": tenant, **{k: v for k, v in split["key"].items() if v is not None}}
            costs = await _costs(client, headers, status, scope)
            if split["key"]["learner_id"] is None:
                continue  # GET /v1/costs cannot filter on "no learner"
            assert split["spent_usd"] == costs["total_cost_usd"], split

    async def test_status_lists_top_consumers_and_every_split_over_a_threshold(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        for i in range(14):
            await ingest(tenant, learner_id=f"L{i:02d}")
        budget = await make_budget(tenant, amount_usd="0.20", split_by=["learner_id"], thresholds=[50])
        status = await _status(client, auth("analyst", tenant), budget["id"])
        assert status["split_count"] == 14
        assert len(status["splits"]) == 14  # all over 50 %, beyond the top 10
        quiet = await make_budget(tenant, amount_usd="100", split_by=["learner_id"], thresholds=[50])
        status = await _status(client, auth("analyst", tenant), quiet["id"])
        assert len(status["splits"]) == 10


class TestAllAtAGlance:
    async def test_status_of_every_active_budget(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await ingest(tenant, n=2)
        first = await make_budget(tenant, name="a", amount_usd="1")
        second = await make_budget(tenant, name="b", amount_usd="0.1", enforcement="hard")
        await make_budget(tenant, name="off", active=False)
        response = await client.get("/v1/budgets/status", headers=auth("analyst", tenant))
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert [i["budget_id"] for i in items] == [first["id"], second["id"]]
        assert [i["percent_used"] for i in items] == ["30", "300"]
        assert all(i["forecast"] is not None for i in items)


class TestHistoryAndForecast:
    async def test_history_lists_periods_newest_first(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        now = utcnow()
        await ingest(tenant, n=2, occurred_at=now.replace(hour=0, minute=30) - timedelta(days=1))
        await ingest(tenant, n=1)
        budget = await make_budget(tenant, period="daily", amount_usd="0.2")
        response = await client.get(
            f"/v1/budgets/{budget['id']}/history", params={"periods": 3}, headers=auth("analyst", tenant)
        )
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert len(items) == 4
        assert [i["current"] for i in items] == [True, False, False, False]
        assert [i["spent_usd"] for i in items] == ["0.15", "0.3", "0", "0"]
        assert [i["exceeded"] for i in items] == [False, True, False, False]
        assert items[1]["period_end"] == items[0]["period_start"]

    async def test_forecast_answers_from_the_first_day(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        budget = await make_budget(tenant, amount_usd="1000")
        headers = auth("analyst", tenant)
        empty = (await client.get(f"/v1/budgets/{budget['id']}/forecast", headers=headers)).json()
        assert (empty["method"], empty["projected_spend_usd"], empty["exhaustion_date"]) == (
            "none",
            "0",
            None,
        )
        now = utcnow()
        for day in range(1, 4):
            await ingest(tenant, n=2, occurred_at=now - timedelta(days=day))
        forecast = (await client.get(f"/v1/budgets/{budget['id']}/forecast", headers=headers)).json()
        assert forecast["method"] == "run_rate"
        assert forecast["history_days"] >= 3
        assert (
            Decimal(forecast["lower_usd"])
            <= Decimal(forecast["projected_spend_usd"])
            <= Decimal(forecast["upper_usd"])
        )
        assert forecast["interval"] == 80

    async def test_exhausted_budget_has_an_exhaustion_date(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await ingest(tenant, n=3)
        budget = await make_budget(tenant, amount_usd="0.30")
        forecast = (
            await client.get(f"/v1/budgets/{budget['id']}/forecast", headers=auth("analyst", tenant))
        ).json()
        assert forecast["exhaustion_date"] is not None
        assert forecast["will_exceed"] is True
