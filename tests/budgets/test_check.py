"""The pre-flight check: hard refuses and soft reports, estimates priced from usage, reservations
that settle with the real cost, release, and expire (lazily and by the background job)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from finops.auth.tokens import Principal
from finops.budgets import check as budgets_check
from finops.budgets import repository as budgets_repository
from finops.budgets.schemas import CheckIn
from finops.kit.db import session_scope
from finops.kit.time import utcnow
from tests.budgets.conftest import Ingest, MakeBudget, StatusAt
from tests.conftest import TokenFactory


async def _check(
    client: httpx.AsyncClient, auth: TokenFactory, tenant: str, *, role: str = "service", **body: Any
) -> dict[str, Any]:
    body.setdefault("service", "tutor-chat")
    body.setdefault("provider", "openai")
    body.setdefault("model", "gpt-4o-mini")
    response = await client.post("/v1/budgets/check", json=body, headers=auth(role, tenant))
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer


class TestEnforcement:
    async def test_no_budget_allows(self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str) -> None:
        answer = await _check(client, auth, tenant, estimated_cost_usd="5")
        assert (answer["allowed"], answer["reason"], answer["budgets"]) == (True, "no_matching_budget", [])

    async def test_hard_budget_refuses_what_would_exceed_it(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        budget = await make_budget(tenant, amount_usd="1", enforcement="hard")
        await ingest(tenant, n=6)  # $0.90
        fits = await _check(client, auth, tenant, estimated_cost_usd="0.10")
        assert (fits["allowed"], fits["reason"]) == (True, "within_budget")
        [line] = fits["budgets"]
        assert line["id"] == budget["id"]
        assert (line["spent_usd"], line["remaining_usd"], line["percent_used"]) == ("0.9", "0.1", "90")
        assert (line["projected_percent"], line["enforcement"], line["allowed"]) == ("100", "hard", True)
        over = await _check(client, auth, tenant, estimated_cost_usd="0.100000000001")
        assert (over["allowed"], over["reason"]) == (False, "hard_budget_exceeded")
        assert over["budgets"][0]["allowed"] is False
        assert over["reservation_id"] is None

    async def test_soft_budget_allows_and_reports(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await make_budget(tenant, amount_usd="0.5", enforcement="soft")
        await ingest(tenant, n=4)  # $0.60
        answer = await _check(client, auth, tenant, estimated_cost_usd="0.01")
        assert (answer["allowed"], answer["reason"]) == (True, "soft_budget_exceeded")
        assert answer["budgets"][0]["remaining_usd"] == "-0.1"

    async def test_every_matching_budget_is_checked_and_one_hard_refusal_wins(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        roomy = await make_budget(tenant, amount_usd="100", enforcement="hard")
        tight = await make_budget(
            tenant, scope={"tenant_id": tenant, "learner_id": "L1"}, amount_usd="0.2", enforcement="hard"
        )
        other_learner = await make_budget(
            tenant, scope={"tenant_id": tenant, "learner_id": "L2"}, amount_usd="0.01"
        )
        await ingest(tenant, learner_id="L1")  # $0.15
        answer = await _check(client, auth, tenant, learner_id="L1", estimated_cost_usd="0.10")
        assert answer["allowed"] is False
        verdicts = {b["id"]: b["allowed"] for b in answer["budgets"]}
        assert verdicts == {roomy["id"]: True, tight["id"]: False}
        assert other_learner["id"] not in verdicts

    async def test_split_budget_checks_the_callers_split(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        await make_budget(tenant, amount_usd="0.30", enforcement="hard", split_by=["learner_id"])
        await ingest(tenant, n=2, learner_id="spender")
        spender = await _check(client, auth, tenant, learner_id="spender", estimated_cost_usd="0.01")
        newcomer = await _check(client, auth, tenant, learner_id="newcomer", estimated_cost_usd="0.30")
        assert spender["allowed"] is False
        assert spender["budgets"][0]["split"] == {"learner_id": "spender"}
        assert newcomer["allowed"] is True
        assert newcomer["budgets"][0]["spent_usd"] == "0"

    @pytest.mark.parametrize(
        ("scope", "call", "applies"),
        [
            ({"service": "tutor-chat"}, {}, True),
            ({"service": "essay"}, {}, False),
            ({"subject": "math"}, {"subject": "math"}, True),
            ({"subject": "math"}, {}, False),
            ({"provider": "openai"}, {}, True),
            ({"model": "gpt-4o-mini"}, {}, True),
            ({"model": "gpt-4o-mini-2024-07-18"}, {}, False),
            ({"tag:team": "ml"}, {"tags": {"team": "ml", "x": "y"}}, True),
            ({"tag:team": "ml"}, {"tags": {"team": "web"}}, False),
        ],
    )
    async def test_each_scope_dimension_selects_calls(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        tenant: str,
        scope: dict[str, str],
        call: dict[str, Any],
        applies: bool,
    ) -> None:
        await make_budget(tenant, scope={"tenant_id": tenant, **scope}, amount_usd="1", enforcement="hard")
        answer = await _check(client, auth, tenant, estimated_cost_usd="2", **call)
        assert answer["allowed"] is not applies
        assert len(answer["budgets"]) == int(applies)

    async def test_global_budget_applies_to_every_tenant(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        budget = await make_budget(
            None, scope={"service": "global-check-" + tenant}, amount_usd="1", enforcement="hard"
        )
        answer = await _check(client, auth, tenant, service="global-check-" + tenant, estimated_cost_usd="2")
        assert [b["id"] for b in answer["budgets"]] == [budget["id"]]
        assert answer["allowed"] is False

    async def test_inactive_and_deleted_budgets_do_not_apply(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        await make_budget(tenant, amount_usd="1", enforcement="hard", active=False)
        deleted = await make_budget(tenant, amount_usd="1", enforcement="hard")
        await client.delete(f"/v1/budgets/{deleted['id']}", headers=auth("tenant_admin", tenant))
        answer = await _check(client, auth, tenant, estimated_cost_usd="2")
        assert answer["reason"] == "no_matching_budget"

    async def test_custom_period_applies_only_inside_it(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        await make_budget(
            tenant,
            period="custom",
            start="2026-01-01T00:00:00Z",
            end="2026-01-02T00:00:00Z",
            amount_usd="1",
            enforcement="hard",
        )
        answer = await _check(client, auth, tenant, estimated_cost_usd="2")
        assert answer["reason"] == "no_matching_budget"


class TestEstimate:
    async def test_usage_is_priced_with_the_catalog(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        answer = await _check(
            client, auth, tenant, estimated_usage={"input_tokens": 1_000_000, "output_tokens": 1_000_000}
        )
        assert answer["estimated_cost_usd"] == "0.75"

    async def test_batch_estimate_is_half(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        answer = await _check(
            client,
            auth,
            tenant,
            batch=True,
            estimated_usage={"input_tokens": 1_000_000, "output_tokens": 1_000_000},
        )
        assert answer["estimated_cost_usd"] == "0.375"

    @pytest.mark.parametrize(
        ("body", "status", "code"),
        [
            (
                {"model": "no-such-model-anywhere", "estimated_usage": {"input_tokens": 10}},
                422,
                "unpriced_estimate",
            ),
            ({"estimated_usage": {"input_tokens": 10}, "estimated_cost_usd": "1"}, 422, "estimate_conflict"),
            ({}, 422, "estimate_conflict"),
            ({"estimated_cost_usd": "-1"}, 422, "invalid_amount"),
            ({"estimated_cost_usd": "Infinity"}, 422, "invalid_amount"),
            ({"estimated_cost_usd": "1", "ttl_seconds": 0}, 422, "out_of_range"),
            ({"estimated_cost_usd": "1", "tenant_id": "another"}, 403, "tenant_forbidden"),
        ],
    )
    async def test_bad_requests(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        body: dict[str, Any],
        status: int,
        code: str,
    ) -> None:
        payload = {"service": "s", "provider": "openai", "model": "gpt-4o-mini", **body}
        response = await client.post("/v1/budgets/check", json=payload, headers=auth("service", tenant))
        assert response.status_code == status, response.text
        assert response.json()["error"]["code"] == code

    async def test_usage_without_model_is_refused(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        response = await client.post(
            "/v1/budgets/check",
            json={"estimated_usage": {"input_tokens": 1}},
            headers=auth("service", tenant),
        )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "missing_field"

    async def test_analysts_cannot_check(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        response = await client.post(
            "/v1/budgets/check", json={"estimated_cost_usd": "1"}, headers=auth("analyst", tenant)
        )
        assert response.status_code == 403


class TestReservations:
    async def test_reservations_count_until_settled_at_the_real_cost(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        budget = await make_budget(tenant, amount_usd="1", enforcement="hard")
        first = await _check(client, auth, tenant, estimated_cost_usd="0.5", reserve=True)
        second = await _check(client, auth, tenant, estimated_cost_usd="0.5", reserve=True)
        third = await _check(client, auth, tenant, estimated_cost_usd="0.01", reserve=True)
        assert (first["allowed"], second["allowed"], third["allowed"]) == (True, True, False)
        assert first["reservation_id"].startswith("res_")
        assert second["budgets"][0]["reserved_usd"] == "0.5"
        assert third["reservation_id"] is None
        headers = auth("analyst", tenant)
        status = (await client.get(f"/v1/budgets/{budget['id']}/status", headers=headers)).json()
        assert (status["spent_usd"], status["reserved_usd"], status["remaining_usd"]) == ("0", "1", "0")
        # The call behind the first reservation cost $0.15: the estimate gives way to the real cost.
        await ingest(tenant, reservation_id=first["reservation_id"])
        status = (await client.get(f"/v1/budgets/{budget['id']}/status", headers=headers)).json()
        assert (status["spent_usd"], status["reserved_usd"], status["remaining_usd"]) == (
            "0.15",
            "0.5",
            "0.35",
        )
        # A second event naming the same reservation settles nothing more.
        await ingest(tenant, reservation_id=first["reservation_id"])
        status = (await client.get(f"/v1/budgets/{budget['id']}/status", headers=headers)).json()
        assert (status["spent_usd"], status["reserved_usd"]) == ("0.3", "0.5")
        fits = await _check(client, auth, tenant, estimated_cost_usd="0.2", reserve=True)
        assert fits["allowed"] is True

    async def test_a_reservation_from_another_tenant_is_not_settled(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
    ) -> None:
        budget = await make_budget(tenant, amount_usd="1")
        held = await _check(client, auth, tenant, estimated_cost_usd="0.5", reserve=True)
        await ingest("other-" + tenant, reservation_id=held["reservation_id"])
        status = (
            await client.get(f"/v1/budgets/{budget['id']}/status", headers=auth("analyst", tenant))
        ).json()
        assert status["reserved_usd"] == "0.5"

    async def test_reservation_lines_on_every_matching_budget(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        whole = await make_budget(tenant, amount_usd="10")
        per_learner = await make_budget(tenant, amount_usd="1", split_by=["learner_id"], enforcement="hard")
        held = await _check(client, auth, tenant, learner_id="L9", estimated_cost_usd="0.25", reserve=True)
        headers = auth("analyst", tenant)
        for budget in (whole, per_learner):
            status = (await client.get(f"/v1/budgets/{budget['id']}/status", headers=headers)).json()
            assert status["reserved_usd"] == "0.25"
        splits = (await client.get(f"/v1/budgets/{per_learner['id']}/splits", headers=headers)).json()
        assert [(s["key"], s["reserved_usd"]) for s in splits["items"]] == [({"learner_id": "L9"}, "0.25")]
        release = await client.post(
            f"/v1/budgets/reservations/{held['reservation_id']}/release", headers=auth("service", tenant)
        )
        assert release.status_code == 200, release.text
        assert release.json() == {
            "reservation_id": held["reservation_id"],
            "released": 2,
            "status": "released",
        }
        status = (await client.get(f"/v1/budgets/{whole['id']}/status", headers=headers)).json()
        assert status["reserved_usd"] == "0"

    async def test_release_is_tenant_scoped_and_idempotent(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        await make_budget(tenant, amount_usd="10")
        held = await _check(client, auth, tenant, estimated_cost_usd="1", reserve=True)
        url = f"/v1/budgets/reservations/{held['reservation_id']}/release"
        stranger = await client.post(url, headers=auth("service", "x-" + tenant))
        assert stranger.status_code == 404
        assert stranger.json()["error"]["code"] == "reservation_not_found"
        assert (await client.post(url, headers=auth("service", tenant))).json()["released"] == 1
        again = await client.post(url, headers=auth("service", tenant))
        assert again.json() == {"reservation_id": held["reservation_id"], "released": 0, "status": "released"}

    async def test_expired_reservations_stop_counting_and_the_job_marks_them(
        self,
        app: FastAPI,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        status_at: StatusAt,
        tenant: str,
    ) -> None:
        budget = await make_budget(tenant, amount_usd="1", enforcement="hard")
        principal = Principal(sub="test", role="service", tenant_id=tenant)
        catalog = await app.state.catalog_cache.get()
        made_at = utcnow() - timedelta(minutes=5)
        async with session_scope(app.state.sessionmaker) as session:
            result = await budgets_check.check(
                session,
                catalog,
                principal,
                CheckIn(service="s", estimated_cost_usd=Decimal("0.9"), reserve=True, ttl_seconds=60),
                now=made_at,
            )
        assert result.allowed
        assert result.reservation_id is not None
        assert (await status_at(budget["id"], made_at + timedelta(seconds=59))).reserved_usd == Decimal("0.9")
        # Lazily: past its TTL it no longer counts, before any job ran.
        assert (await status_at(budget["id"], made_at + timedelta(seconds=60))).reserved_usd == 0
        fits = await _check(client, auth, tenant, estimated_cost_usd="1", reserve=True)
        assert fits["allowed"] is True
        assert await _line_statuses(app, result.reservation_id) == ["held"]
        await app.state.jobs["budget_reservation_expiry"].run_once()
        assert await _line_statuses(app, result.reservation_id) == ["expired"]
        release = await client.post(
            f"/v1/budgets/reservations/{result.reservation_id}/release", headers=auth("service", tenant)
        )
        assert release.json()["status"] == "expired"


async def _line_statuses(app: FastAPI, reservation_id: str) -> list[str]:
    async with session_scope(app.state.sessionmaker) as session:
        lines = await budgets_repository.reservation_lines(session, reservation_id, tenant_id=None)
        return [line.status for line in lines]
