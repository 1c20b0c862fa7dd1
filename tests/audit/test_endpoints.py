"""The audit log: entries recorded in the caller's transaction, read back by admins and tenant admins."""

from __future__ import annotations

import uuid
from decimal import Decimal

import httpx
from fastapi import FastAPI

from finops.audit import service as audit_service
from finops.kit.db import session_scope
from tests.conftest import TokenFactory


async def _record(app: FastAPI, *, tenant: str | None, entity_id: str, action: str = "update") -> None:
    async with session_scope(app.state.sessionmaker) as session:
        await audit_service.record(
            session,
            actor="alice",
            action=action,
            entity_type="test_entity",
            entity_id=entity_id,
            tenant_id=tenant,
            before={"limit": Decimal("10.50")},
            after={"limit": Decimal("12")},
        )


class TestReading:
    async def test_admin_reads_entries_with_before_and_after(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        entity = uuid.uuid4().hex
        await _record(app, tenant=tenant, entity_id=entity)
        response = await client.get("/v1/audit", params={"entity_id": entity}, headers=auth("admin"))
        assert response.status_code == 200, response.text
        [item] = response.json()["items"]
        assert (item["actor"], item["action"], item["entity_type"], item["tenant_id"]) == (
            "alice",
            "update",
            "test_entity",
            tenant,
        )
        assert item["before"] == {"limit": "10.50"}
        assert item["after"] == {"limit": "12"}

    async def test_tenant_admin_sees_only_its_tenant(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        other = f"{tenant}-other"
        entity = uuid.uuid4().hex
        await _record(app, tenant=tenant, entity_id=entity)
        await _record(app, tenant=other, entity_id=entity)
        await _record(app, tenant=None, entity_id=entity)
        mine = await client.get(
            "/v1/audit", params={"entity_id": entity}, headers=auth("tenant_admin", tenant)
        )
        assert [i["tenant_id"] for i in mine.json()["items"]] == [tenant]
        theirs = await client.get(
            "/v1/audit", params={"tenant_id": other}, headers=auth("tenant_admin", tenant)
        )
        assert theirs.status_code == 403
        assert theirs.json()["error"]["code"] == "tenant_forbidden"
        everyone = await client.get("/v1/audit", params={"entity_id": entity}, headers=auth("admin"))
        assert len(everyone.json()["items"]) == 3

    async def test_analyst_and_service_may_not_read(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        for role in ("analyst", "service"):
            response = await client.get("/v1/audit", headers=auth(role, tenant))
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "insufficient_role"


class TestPagination:
    async def test_cursor_walks_every_entry_once_newest_first(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory, tenant: str
    ) -> None:
        for n in range(5):
            await _record(app, tenant=tenant, entity_id=f"e{n}")
        seen: list[str] = []
        cursor: str | None = None
        while True:
            params = {"tenant_id": tenant, "limit": "2", **({"cursor": cursor} if cursor else {})}
            page = (await client.get("/v1/audit", params=params, headers=auth("admin"))).json()
            seen += [i["entity_id"] for i in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == ["e4", "e3", "e2", "e1", "e0"]

    async def test_bad_cursor_is_a_400(self, client: httpx.AsyncClient, auth: TokenFactory) -> None:
        response = await client.get("/v1/audit", params={"cursor": "!!!"}, headers=auth("admin"))
        assert response.status_code == 400
        assert response.json()["error"]["code"] == "invalid_cursor"


class TestTransaction:
    async def test_a_rolled_back_change_leaves_no_entry(
        self, app: FastAPI, client: httpx.AsyncClient, auth: TokenFactory
    ) -> None:
        entity = uuid.uuid4().hex
        try:
            async with session_scope(app.state.sessionmaker) as session:
                await audit_service.record(
                    session,
                    actor="bob",
                    action="delete",
                    entity_type="test_entity",
                    entity_id=entity,
                    tenant_id=None,
                    before=None,
                    after=None,
                )
                raise RuntimeError("the change failed")
        except RuntimeError:
            pass
        response = await client.get("/v1/audit", params={"entity_id": entity}, headers=auth("admin"))
        assert response.json()["items"] == []
