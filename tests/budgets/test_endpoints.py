"""Budget CRUD over HTTP: defaults, tenant ownership by role, validation codes, update and delete."""

from __future__ import annotations

import httpx
import pytest

from tests.budgets.conftest import MakeBudget
from tests.conftest import TokenFactory


class TestCreate:
    async def test_defaults(self, make_budget: MakeBudget, tenant: str) -> None:
        budget = await make_budget(tenant, name="tenant month", amount_usd="250.50")
        assert budget["tenant_id"] == tenant
        assert budget["scope"] == {"tenant_id": tenant}
        assert budget["amount_usd"] == "250.5"
        assert budget["period"] == "monthly"
        assert budget["timezone"] == "UTC"
        assert budget["thresholds"] == ["50", "75", "90", "100"]
        assert (budget["enforcement"], budget["active"], budget["split_by"]) == ("soft", True, [])
        assert (budget["channel_ids"], budget["cooldown_seconds"]) == ([], 3600)
        assert budget["id"].startswith("bud_")

    async def test_every_field(self, make_budget: MakeBudget, tenant: str) -> None:
        budget = await make_budget(
            tenant,
            scope={"tenant_id": tenant, "service": "essay-feedback", "tag:team": "ml"},
            amount_usd=500,
            period="daily",
            timezone="America/New_York",
            thresholds=[120, 80, "95.5"],
            enforcement="hard",
            split_by=["learner_id"],
            channel_ids=["ops-email", "slack-1"],
            cooldown_seconds=600,
        )
        assert budget["thresholds"] == ["80", "95.5", "120"]
        assert budget["scope"] == {"service": "essay-feedback", "tag:team": "ml", "tenant_id": tenant}
        assert (budget["period"], budget["timezone"], budget["enforcement"]) == (
            "daily",
            "America/New_York",
            "hard",
        )
        assert budget["channel_ids"] == ["ops-email", "slack-1"]

    async def test_tenant_admin_scope_defaults_to_its_tenant(
        self, make_budget: MakeBudget, tenant: str
    ) -> None:
        budget = await make_budget(tenant, scope={"service": "tutor-chat"})
        assert budget["tenant_id"] == tenant
        assert budget["scope"] == {"service": "tutor-chat", "tenant_id": tenant}
        empty = await make_budget(tenant, scope={})
        assert empty["tenant_id"] == tenant

    async def test_admin_empty_scope_is_global(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget
    ) -> None:
        budget = await make_budget(None, scope={})
        assert budget["tenant_id"] is None
        assert budget["scope"] == {}
        # A budget over everything would apply to every other test's calls: remove it.
        assert (await client.delete(f"/v1/budgets/{budget['id']}", headers=auth())).status_code == 204

    async def test_other_tenant_is_forbidden(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        response = await client.post(
            "/v1/budgets",
            json={"name": "x", "amount_usd": "1", "scope": {"tenant_id": "someone-else"}},
            headers=auth("tenant_admin", tenant),
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "tenant_forbidden"

    @pytest.mark.parametrize("role", ["analyst", "service"])
    async def test_readers_and_services_cannot_create(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, role: str
    ) -> None:
        response = await client.post(
            "/v1/budgets", json={"name": "x", "amount_usd": "1"}, headers=auth(role, tenant)
        )
        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_role"

    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"scope": {"region": "eu"}}, "invalid_scope"),
            ({"scope": {"service": ""}}, "invalid_scope"),
            ({"timezone": "Mars/Olympus"}, "invalid_timezone"),
            ({"amount_usd": "-1"}, "invalid_amount"),
            ({"amount_usd": "0"}, "invalid_amount"),
            ({"amount_usd": "NaN"}, "invalid_amount"),
            ({"period": "custom", "start": "2026-01-01T00:00:00Z"}, "invalid_period"),
            (
                {"period": "custom", "start": "2026-02-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"},
                "invalid_period",
            ),
            ({"period": "monthly", "start": "2026-01-01T00:00:00Z"}, "invalid_period"),
            ({"period": "total", "end": "2026-01-01T00:00:00Z"}, "invalid_period"),
            ({"period": "fortnightly"}, "invalid_type"),
            ({"thresholds": [0]}, "invalid_threshold"),
            ({"split_by": ["tag:team"]}, "invalid_split_by"),
            ({"split_by": ["learner_id", "learner_id"]}, "invalid_split_by"),
            ({"split_by": ["service"], "scope": {"service": "a"}}, "invalid_split_by"),
            ({"enforcement": "strict"}, "invalid_type"),
            ({"color": "red"}, "unknown_field"),
        ],
    )
    async def test_bad_input_has_a_stable_code(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, fields: dict[str, object], code: str
    ) -> None:
        body = {"name": "x", "amount_usd": "1", **fields}
        response = await client.post("/v1/budgets", json=body, headers=auth("tenant_admin", tenant))
        assert response.status_code == 422, response.text
        assert response.json()["error"]["code"] == code


class TestRead:
    async def test_get_and_list_are_tenant_scoped(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        mine = await make_budget(tenant, name="mine")
        theirs = await make_budget("other-" + tenant, name="theirs")
        global_budget = await make_budget(None, scope={"service": "nobody-" + tenant}, name="everyone")
        analyst = auth("analyst", tenant)
        assert (await client.get(f"/v1/budgets/{mine['id']}", headers=analyst)).json()["name"] == "mine"
        hidden = await client.get(f"/v1/budgets/{theirs['id']}", headers=analyst)
        assert hidden.status_code == 404
        assert hidden.json()["error"]["code"] == "budget_not_found"
        assert (await client.get(f"/v1/budgets/{global_budget['id']}", headers=analyst)).status_code == 404
        listed = (await client.get("/v1/budgets", headers=analyst)).json()
        assert [b["id"] for b in listed["items"]] == [mine["id"]]
        forbidden = await client.get("/v1/budgets", params={"tenant_id": "other-" + tenant}, headers=analyst)
        assert forbidden.status_code == 403
        admin_view = await client.get("/v1/budgets", params={"tenant_id": "other-" + tenant}, headers=auth())
        assert [b["id"] for b in admin_view.json()["items"]] == [theirs["id"]]

    async def test_list_filters(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        hard = await make_budget(tenant, enforcement="hard", period="daily")
        await make_budget(tenant, enforcement="soft", active=False)
        headers = auth("analyst", tenant)
        by_enforcement = await client.get("/v1/budgets", params={"enforcement": "hard"}, headers=headers)
        assert [b["id"] for b in by_enforcement.json()["items"]] == [hard["id"]]
        active = await client.get("/v1/budgets", params={"active": "true"}, headers=headers)
        assert [b["id"] for b in active.json()["items"]] == [hard["id"]]
        daily = await client.get("/v1/budgets", params={"period": "daily"}, headers=headers)
        assert daily.json()["total"] == 1


class TestUpdateDelete:
    async def test_patch_changes_only_given_fields(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        budget = await make_budget(tenant, name="before", amount_usd="10")
        response = await client.patch(
            f"/v1/budgets/{budget['id']}",
            json={"amount_usd": "12.5", "thresholds": [90], "enforcement": "hard", "channel_ids": ["c1"]},
            headers=auth("tenant_admin", tenant),
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert (body["name"], body["amount_usd"], body["thresholds"]) == ("before", "12.5", ["90"])
        assert (body["enforcement"], body["channel_ids"]) == ("hard", ["c1"])
        assert body["updated_at"] >= budget["updated_at"]

    async def test_patch_period_kinds(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        budget = await make_budget(tenant)
        url, headers = f"/v1/budgets/{budget['id']}", auth("tenant_admin", tenant)
        missing_end = await client.patch(
            url, json={"period": "custom", "start": "2026-01-01T00:00:00Z"}, headers=headers
        )
        assert missing_end.status_code == 422
        assert missing_end.json()["error"]["code"] == "invalid_period"
        custom = await client.patch(
            url,
            json={"period": "custom", "start": "2026-01-01T00:00:00Z", "end": "2026-02-01T00:00:00Z"},
            headers=headers,
        )
        assert custom.status_code == 200, custom.text
        back = await client.patch(url, json={"period": "weekly"}, headers=headers)
        assert (back.json()["period"], back.json()["start"], back.json()["end"]) == ("weekly", None, None)

    async def test_cannot_move_a_budget_to_another_tenant(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        budget = await make_budget(tenant)
        response = await client.patch(
            f"/v1/budgets/{budget['id']}",
            json={"scope": {"tenant_id": "x"}},
            headers=auth("tenant_admin", tenant),
        )
        assert response.status_code == 403
        stranger = await client.patch(
            f"/v1/budgets/{budget['id']}",
            json={"name": "mine now"},
            headers=auth("tenant_admin", "x" + tenant),
        )
        assert stranger.status_code == 404

    async def test_delete_stops_the_budget(
        self, client: httpx.AsyncClient, auth: TokenFactory, make_budget: MakeBudget, tenant: str
    ) -> None:
        budget = await make_budget(tenant)
        headers = auth("tenant_admin", tenant)
        analyst = auth("analyst", tenant)
        assert (await client.delete(f"/v1/budgets/{budget['id']}", headers=analyst)).status_code == 403
        assert (await client.delete(f"/v1/budgets/{budget['id']}", headers=headers)).status_code == 204
        assert (await client.get(f"/v1/budgets/{budget['id']}", headers=headers)).status_code == 404
        assert (await client.get("/v1/budgets", headers=headers)).json()["items"] == []
        assert (await client.delete(f"/v1/budgets/{budget['id']}", headers=headers)).status_code == 404
