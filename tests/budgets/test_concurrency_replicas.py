"""32 concurrent reserving checks spread over three real `finops serve` replicas (separate
processes, one PostgreSQL database) never admit more than one hard budget allows.

Unlike requests interleaved on one event loop, separate processes race for real, so this fails
as soon as the per-(budget, split) lock is missing."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from finops.auth.tokens import mint
from tests.budgets.conftest import Ingest, MakeBudget
from tests.conftest import TokenFactory
from tests.fixtures.servers import FinopsServer

CLIENTS = 32
REPLICA_SECRET = "e2e-secret-" + "x" * 32  # what tests.fixtures.servers gives every replica


@pytest.fixture(params=["0", "1"], ids=["live", "memo"])
def replicas(
    request: pytest.FixtureRequest, database_url: str, tmp_path: Path
) -> Iterator[list[FinopsServer]]:
    """Three replicas, reading spend live (0) or memoized for 1 s (the default)."""
    if not database_url.startswith("postgresql"):
        pytest.skip("replicas share one PostgreSQL database")
    servers = [
        FinopsServer(
            database_url=database_url,
            data_dir=tmp_path,
            name=f"replica-{i}",
            env={
                "FINOPS_RUN_BACKGROUND_JOBS": "false",
                "FINOPS_LOG_LEVEL": "WARNING",
                "FINOPS_BUDGET_CHECK_CACHE_SECONDS": str(request.param),
            },
        )
        for i in range(3)
    ]
    try:
        for server in servers:
            server.start(migrate=False)
        yield servers
    finally:
        for server in servers:
            server.stop()


class TestReplicasRace:
    async def test_three_replicas_admit_exactly_what_fits(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        tenant: str,
        replicas: list[FinopsServer],
    ) -> None:
        budget = await make_budget(tenant, amount_usd="1.00", enforcement="hard")
        await ingest(tenant, n=2)  # $0.30 spent: room for exactly 7 estimates of $0.10
        token = mint(REPLICA_SECRET, sub="race", role="service", tenant_id=tenant, ttl=timedelta(minutes=10))
        headers = {"Authorization": f"Bearer {token}"}
        body = {"service": "tutor-chat", "estimated_cost_usd": "0.10", "reserve": True}

        async def one(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
            response = await http.post(f"{url}/v1/budgets/check", json=body, headers=headers)
            assert response.status_code == 200, response.text
            answer: dict[str, Any] = response.json()
            return answer

        limits = httpx.Limits(max_connections=CLIENTS)
        async with httpx.AsyncClient(timeout=30, limits=limits) as http:
            answers = await asyncio.gather(*(one(http, replicas[i % 3].url) for i in range(CLIENTS)))
        assert sum(a["allowed"] for a in answers) == 7
        status = (
            await client.get(f"/v1/budgets/{budget['id']}/status", headers=auth("analyst", tenant))
        ).json()
        assert Decimal(status["spent_usd"]) + Decimal(status["reserved_usd"]) == Decimal("1.00")
