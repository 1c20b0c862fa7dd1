"""The service functions other domains (alerts) call: active budgets, budgets touched by ingest
rows, and a budget's status."""

from __future__ import annotations

from decimal import Decimal

from fastapi import FastAPI

from finops.budgets import service as budgets_service
from finops.kit.db import session_scope
from finops.kit.time import utcnow
from tests.budgets.conftest import Ingest, MakeBudget


def _row(tenant: str, **fields: object) -> dict[str, object]:
    return {
        "tenant_id": tenant,
        "service": "tutor-chat",
        "learner_id": "",
        "subject": "",
        "provider": "openai",
        "model": "gpt-4o-mini",
        "tags": {},
        **fields,
    }


class TestForAlerts:
    async def test_list_active_budgets_of_a_tenant(
        self, app: FastAPI, make_budget: MakeBudget, tenant: str
    ) -> None:
        active = await make_budget(tenant)
        await make_budget(tenant, active=False)
        await make_budget("other-" + tenant)
        async with session_scope(app.state.sessionmaker) as session:
            mine = await budgets_service.list_active_budgets(session, tenant_id=tenant)
            everyone = await budgets_service.list_active_budgets(session)
        assert [b.id for b in mine] == [active["id"]]
        assert active["id"] in {b.id for b in everyone}

    async def test_budgets_touched_by_rows(self, app: FastAPI, make_budget: MakeBudget, tenant: str) -> None:
        whole = await make_budget(tenant)
        learner = await make_budget(tenant, scope={"tenant_id": tenant, "learner_id": "L1"})
        tagged = await make_budget(tenant, scope={"tenant_id": tenant, "tag:team": "ml"})
        await make_budget(tenant, scope={"tenant_id": tenant, "model": "gpt-4o"})
        await make_budget("other-" + tenant)
        async with session_scope(app.state.sessionmaker) as session:
            plain = await budgets_service.budgets_touched_by(session, [_row(tenant)])
            rich = await budgets_service.budgets_touched_by(
                session, [_row(tenant, learner_id="L1"), _row(tenant, tags={"team": "ml"})]
            )
        # Global budgets other tests made match too; this tenant's own ones are the point here.
        assert [b.id for b in plain if b.tenant_id == tenant] == [whole["id"]]
        assert {b.id for b in rich if b.tenant_id == tenant} == {whole["id"], learner["id"], tagged["id"]}
        assert all(b.tenant_id in (tenant, None) for b in rich)

    async def test_budget_status_fields(
        self, app: FastAPI, make_budget: MakeBudget, ingest: Ingest, tenant: str
    ) -> None:
        created = await make_budget(tenant, amount_usd="0.20", thresholds=[50, 100], split_by=["learner_id"])
        await ingest(tenant, n=1, learner_id="a")
        await ingest(tenant, n=2, learner_id="b")
        async with session_scope(app.state.sessionmaker) as session:
            [budget] = await budgets_service.list_active_budgets(session, tenant_id=tenant)
            status = await budgets_service.budget_status(session, budget, now=utcnow())
        assert status.budget_id == created["id"]
        assert status.tenant_id == tenant
        assert status.amount_usd == Decimal("0.2")
        assert status.spent_usd == Decimal("0.3")  # the most-consumed split, "b"
        assert status.thresholds_crossed == [Decimal(50), Decimal(100)]
        assert [(s.key, s.thresholds_crossed) for s in status.splits] == [
            ({"learner_id": "b"}, [Decimal(50), Decimal(100)]),
            ({"learner_id": "a"}, [Decimal(50)]),
        ]
        assert status.forecast is not None
        assert status.forecast.method in ("none", "run_rate", "weekly_seasonal")
        assert status.period_start <= utcnow() < (status.period_end or utcnow())
