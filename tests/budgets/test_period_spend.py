"""Every period kind across a DST change: boundaries at local midnight, and the spend inside them
equals GET /v1/costs over the same UTC range (America/New_York in March, Europe/London in October)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest

from tests.budgets.conftest import Ingest, MakeBudget, StatusAt
from tests.conftest import TokenFactory


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


NY_EVENTS = [
    utc(2026, 1, 1, 4, 59, 59),  # 23:59:59 Dec 31 local: last instant of 2025 in New York
    utc(2026, 1, 1, 5),  # midnight Jan 1 local
    utc(2026, 3, 1, 4, 59, 59),  # 23:59:59 Feb 28 local
    utc(2026, 3, 8, 4, 59, 59),  # 23:59:59 Mar 7 local (EST)
    utc(2026, 3, 8, 5),  # midnight Mar 8 local (EST); clocks spring forward at 02:00
    utc(2026, 3, 9, 3, 59, 59),  # 23:59:59 Mar 8 local (EDT)
    utc(2026, 3, 9, 4),  # midnight Mar 9 local (EDT): a new day and a new ISO week
    utc(2026, 4, 1, 3, 59, 59),  # 23:59:59 Mar 31 local
    utc(2026, 4, 1, 4),  # midnight Apr 1 local: next month and quarter
]
NOW_NY = utc(2026, 3, 8, 17)

CASES_NY = [
    # period, extra fields, expected UTC bounds, events inside (indexes into NY_EVENTS)
    ("daily", {}, (utc(2026, 3, 8, 5), utc(2026, 3, 9, 4)), [4, 5]),
    ("weekly", {}, (utc(2026, 3, 2, 5), utc(2026, 3, 9, 4)), [3, 4, 5]),
    ("monthly", {}, (utc(2026, 3, 1, 5), utc(2026, 4, 1, 4)), [3, 4, 5, 6, 7]),
    ("quarterly", {}, (utc(2026, 1, 1, 5), utc(2026, 4, 1, 4)), [1, 2, 3, 4, 5, 6, 7]),
    ("yearly", {}, (utc(2026, 1, 1, 5), utc(2027, 1, 1, 5)), [1, 2, 3, 4, 5, 6, 7, 8]),
    (
        "custom",
        {"start": "2026-03-07T00:00:00-05:00", "end": "2026-03-09T00:00:00-04:00"},
        (utc(2026, 3, 7, 5), utc(2026, 3, 9, 4)),
        [3, 4, 5],
    ),
    ("total", {"start": "2026-03-08T00:00:00-05:00"}, (utc(2026, 3, 8, 5), None), [4, 5, 6, 7, 8]),
]


async def _check(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    make_budget: MakeBudget,
    status_at: StatusAt,
    tenant: str,
    *,
    timezone: str,
    period: str,
    fields: dict[str, str],
    now: datetime,
    bounds: tuple[datetime, datetime | None],
    inside: int,
) -> None:
    budget = await make_budget(tenant, period=period, timezone=timezone, amount_usd="100", **fields)
    status = await status_at(budget["id"], now)
    assert (status.period_start, status.period_end) == bounds
    assert status.spent_usd == Decimal("0.15") * inside
    assert status.events == inside
    end = status.period_end or now
    costs = await client.get(
        "/v1/costs",
        params={"tenant_id": tenant, "start": status.period_start.isoformat(), "end": end.isoformat()},
        headers=auth("analyst", tenant),
    )
    assert Decimal(costs.json()["total_cost_usd"]) == status.spent_usd


class TestNewYorkSpringForward:
    @pytest.mark.parametrize(("period", "fields", "bounds", "inside"), CASES_NY, ids=[c[0] for c in CASES_NY])
    async def test_period_bounds_and_spend(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        status_at: StatusAt,
        tenant: str,
        period: str,
        fields: dict[str, str],
        bounds: tuple[datetime, datetime | None],
        inside: list[int],
    ) -> None:
        for at in NY_EVENTS:
            await ingest(tenant, occurred_at=at)
        now = NOW_NY if period != "total" else utc(2026, 4, 2)
        await _check(
            client,
            auth,
            make_budget,
            status_at,
            tenant,
            timezone="America/New_York",
            period=period,
            fields=fields,
            now=now,
            bounds=bounds,
            inside=len(inside),
        )


class TestLondonFallBack:
    """BST ends 2026-10-25 at 01:00 UTC: that local day lasts 25 hours."""

    @pytest.mark.parametrize(
        ("period", "bounds", "inside"),
        [
            ("daily", (utc(2026, 10, 24, 23), utc(2026, 10, 26)), 2),
            ("weekly", (utc(2026, 10, 18, 23), utc(2026, 10, 26)), 4),
            ("monthly", (utc(2026, 9, 30, 23), utc(2026, 11, 1)), 6),
            ("quarterly", (utc(2026, 9, 30, 23), utc(2027, 1, 1)), 7),
            ("yearly", (utc(2026, 1, 1), utc(2027, 1, 1)), 8),
        ],
    )
    async def test_period_bounds_and_spend(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        make_budget: MakeBudget,
        ingest: Ingest,
        status_at: StatusAt,
        tenant: str,
        period: str,
        bounds: tuple[datetime, datetime],
        inside: int,
    ) -> None:
        for at in [
            utc(2025, 12, 31, 23, 59, 59),  # 2025 in London
            utc(2026, 9, 30, 22, 59, 59),  # 23:59:59 Sep 30 BST: September
            utc(2026, 9, 30, 23),  # midnight Oct 1 BST
            utc(2026, 10, 18, 23),  # midnight Mon Oct 19 BST
            utc(2026, 10, 24, 22, 59, 59),  # 23:59:59 Sat Oct 24 BST
            utc(2026, 10, 24, 23),  # midnight Sun Oct 25 BST
            utc(2026, 10, 25, 23, 59, 59),  # 23:59:59 Oct 25 GMT, 25 hours later
            utc(2026, 10, 26),  # midnight Mon Oct 26 GMT: next day and week
            utc(2026, 11, 1),  # November
        ]:
            await ingest(tenant, occurred_at=at)
        await _check(
            client,
            auth,
            make_budget,
            status_at,
            tenant,
            timezone="Europe/London",
            period=period,
            fields={},
            now=utc(2026, 10, 25, 12),
            bounds=bounds,
            inside=inside,
        )
