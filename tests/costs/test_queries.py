"""GET /v1/costs and the convenience endpoints, checked against sums of the individual events.

The data set straddles time-zone traps on purpose: the US spring-forward on 2026-03-08, a month
boundary that falls on different days in UTC and New York, Kolkata's +05:30 (local hours and days
start at :30 UTC), and query ranges that start and end mid-hour, so the planner mixes raw events,
hourly and daily rollups in one answer.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory

START = datetime(2026, 2, 27, 22, 20, tzinfo=UTC)  # mid-hour
END = datetime(2026, 3, 10, 13, 40, tzinfo=UTC)  # mid-hour, exclusive

STAMPS = [
    "2026-02-27T22:10:00",  # before START: never counted
    "2026-02-27T22:20:00",  # exactly START: counted
    "2026-02-27T22:45:00",  # the partial first hour
    "2026-02-28T18:15:00",  # Kolkata 23:45 on Feb 28
    "2026-02-28T18:45:00",  # Kolkata 00:15 on Mar 1
    "2026-03-01T03:00:00",  # New York 22:00 on Feb 28; UTC March
    "2026-03-01T12:00:00",
    "2026-03-02T10:00:00",
    "2026-03-02T10:00:00",
    "2026-03-02T10:30:00",
    "2026-03-03T09:59:59",
    "2026-03-05T00:00:00",  # UTC midnight
    "2026-03-08T06:30:00",  # New York 01:30 EST, before the gap
    "2026-03-08T07:30:00",  # New York 03:30 EDT, after the gap
    "2026-03-09T03:30:00",  # New York 23:30 EDT on Mar 8 (a 23-hour local day)
    "2026-03-09T04:30:00",  # New York 00:30 on Monday Mar 9
    "2026-03-10T12:59:00",
    "2026-03-10T13:00:00",  # the partial last hour
    "2026-03-10T13:39:59",
    "2026-03-10T13:40:00",  # exactly END: not counted
]
SERVICES = ["chat", "quiz", "essay"]
LEARNERS = ["l1", "l2", "l3", None]
SUBJECTS = ["math", "art"]
MODELS = [
    ("openai", "gpt-4o-mini"),
    ("anthropic", "claude-haiku-4-5"),
    ("gemini", "gemini-2.5-flash"),
    ("openai", "not-in-the-catalog"),
]


@dataclass
class Stored:
    at: datetime
    keys: dict[str, str | None]
    cost: Decimal
    input_tokens: int
    priced: bool


@dataclass
class DataSet:
    tenant: str
    events: list[Stored]
    headers: dict[str, str]


@pytest.fixture(scope="module")
async def data(client: httpx.AsyncClient, auth: TokenFactory) -> DataSet:
    tenant = f"q-{uuid.uuid4().hex[:10]}"
    factory = EventFactory()
    payloads = []
    for i, stamp in enumerate(STAMPS):
        provider, model = MODELS[i % 4]
        extra: dict[str, Any] = {"subject": SUBJECTS[i % 2]}
        if LEARNERS[i % 4] is not None:
            extra["learner_id"] = LEARNERS[i % 4]
        if i % 3:
            extra["tags"] = {"team": "red" if i % 3 == 1 else "blue"}
        payloads.append(
            factory(
                tenant_id=tenant,
                occurred_at=datetime.fromisoformat(stamp).replace(tzinfo=UTC),
                service=SERVICES[i % 3],
                provider=provider,
                model=model,
                usage={"input_tokens": 1000 * (i + 1), "output_tokens": 100 * (i + 1)},
                **extra,
            )
        )
    response = await client.post(
        "/v1/usage-events/batch", json={"events": payloads}, headers=auth("service", tenant)
    )
    assert response.json()["accepted"] == len(STAMPS), response.text
    stored = []
    for result in response.json()["results"]:
        event = result["event"]
        stored.append(
            Stored(
                at=datetime.fromisoformat(event["occurred_at"]),
                keys={
                    "tenant_id": event["tenant_id"],
                    "service": event["service"],
                    "learner_id": event["learner_id"],
                    "subject": event["subject"],
                    "provider": event["provider"],
                    "model": event["model"],
                    "tag:team": event["tags"].get("team"),
                },
                cost=Decimal(event["cost_usd"]),
                input_tokens=event["usage"]["input_tokens"],
                priced=event["priced"],
            )
        )
    assert len({s.cost for s in stored}) > 10  # costs differ, so ordering by cost means something
    return DataSet(tenant, stored, auth("analyst", tenant))


def _bucket(at: datetime, granularity: str, tz: ZoneInfo) -> datetime | None:
    """The local bucket start, built from wall-clock fields (independently of finops.kit.time)."""
    local = at.astimezone(tz)
    if granularity == "none":
        return None
    if granularity == "hour":
        start = datetime(local.year, local.month, local.day, local.hour, tzinfo=tz, fold=local.fold)
    elif granularity == "day":
        start = datetime(local.year, local.month, local.day, tzinfo=tz)
    elif granularity == "week":
        monday = local.date() - timedelta(days=local.weekday())
        start = datetime(monday.year, monday.month, monday.day, tzinfo=tz)
    else:
        start = datetime(local.year, local.month, 1, tzinfo=tz)
    return start.astimezone(UTC)


Key = tuple[Any, ...]


def _expected(
    data: DataSet,
    *,
    group_by: tuple[str, ...] = (),
    granularity: str = "none",
    tz: str = "UTC",
    start: datetime = START,
    end: datetime = END,
    where: dict[str, str] | None = None,
) -> dict[Key, tuple[int, Decimal]]:
    sums: dict[Key, list[Any]] = defaultdict(lambda: [0, Decimal(0)])
    for event in data.events:
        if not start <= event.at < end:
            continue
        if any(event.keys[k] != v for k, v in (where or {}).items()):
            continue
        key = (*(event.keys[g] for g in group_by), _bucket(event.at, granularity, ZoneInfo(tz)))
        sums[key][0] += 1
        sums[key][1] += event.cost
    return {k: (n, c) for k, (n, c) in sums.items()}


def _answered(body: dict[str, Any], group_by: tuple[str, ...]) -> dict[Key, tuple[int, Decimal]]:
    out: dict[Key, tuple[int, Decimal]] = {}
    for row in body["rows"]:
        bucket = datetime.fromisoformat(row["bucket_start"]) if row["bucket_start"] else None
        key = (*(row[g] for g in group_by), bucket)
        assert key not in out, f"duplicate row {key}"
        out[key] = (row["events"], Decimal(row["cost_usd"]))
    return out


async def _costs(client: httpx.AsyncClient, data: DataSet, **params: Any) -> dict[str, Any]:
    query = {"start": START.isoformat(), "end": END.isoformat(), **params}
    response = await client.get("/v1/costs", params=query, headers=data.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


class TestGroupBy:
    @pytest.mark.parametrize(
        "group_by",
        [
            (),
            ("service",),
            ("tenant_id",),
            ("learner_id",),
            ("subject",),
            ("provider",),
            ("model",),
            ("tag:team",),
            ("service", "subject"),
            ("provider", "model", "learner_id"),
            ("service", "tag:team"),
        ],
    )
    async def test_rows_equal_the_sum_of_their_events(
        self, client: httpx.AsyncClient, data: DataSet, group_by: tuple[str, ...]
    ) -> None:
        body = (
            await _costs(client, data, group_by=",".join(group_by))
            if group_by
            else await _costs(client, data)
        )
        assert _answered(body, group_by) == _expected(data, group_by=group_by)
        whole = _expected(data)[(None,)]
        assert (body["total"]["events"], Decimal(body["total_cost_usd"])) == whole
        assert body["currency"] == "USD"
        assert body["group_by"] == list(group_by)

    async def test_group_by_may_be_repeated_instead_of_comma_separated(
        self, client: httpx.AsyncClient, data: DataSet
    ) -> None:
        repeated = await _costs(client, data, group_by=["service", "subject"])
        assert _answered(repeated, ("service", "subject")) == _expected(data, group_by=("service", "subject"))

    async def test_token_and_unpriced_sums(self, client: httpx.AsyncClient, data: DataSet) -> None:
        body = await _costs(client, data, group_by="model")
        counted = [e for e in data.events if START <= e.at < END]
        assert body["total"]["input_tokens"] == sum(e.input_tokens for e in counted)
        assert body["total"]["unpriced_events"] == sum(1 for e in counted if not e.priced) > 0
        unpriced_row = next(r for r in body["rows"] if r["model"] == "not-in-the-catalog")
        assert (unpriced_row["cost_usd"], unpriced_row["unpriced_events"]) == ("0", unpriced_row["events"])


class TestGranularity:
    @pytest.mark.parametrize("tz", ["UTC", "America/New_York", "Asia/Kolkata", "Europe/London"])
    @pytest.mark.parametrize("granularity", ["hour", "day", "week", "month"])
    async def test_buckets_in_the_zone(
        self, client: httpx.AsyncClient, data: DataSet, granularity: str, tz: str
    ) -> None:
        body = await _costs(client, data, granularity=granularity, tz=tz, group_by="service")
        assert _answered(body, ("service",)) == _expected(
            data, group_by=("service",), granularity=granularity, tz=tz
        )
        assert (body["granularity"], body["tz"]) == (granularity, tz)

    @pytest.mark.parametrize("tz", ["America/New_York", "Asia/Kolkata"])
    async def test_tag_groups_with_buckets(self, client: httpx.AsyncClient, data: DataSet, tz: str) -> None:
        body = await _costs(client, data, granularity="day", tz=tz, group_by="tag:team,provider")
        assert _answered(body, ("tag:team", "provider")) == _expected(
            data, group_by=("tag:team", "provider"), granularity="day", tz=tz
        )

    async def test_the_short_dst_day_in_new_york(self, client: httpx.AsyncClient, data: DataSet) -> None:
        body = await _costs(client, data, granularity="day", tz="America/New_York")
        buckets = [row["bucket_start"] for row in body["rows"]]
        # Mar 8 starts at 05:00Z (EST) and Mar 9 at 04:00Z (EDT): the local day had 23 hours.
        assert {"2026-03-08T05:00:00Z", "2026-03-09T04:00:00Z"} <= set(buckets)
        march_8 = next(r for r in body["rows"] if r["bucket_start"] == "2026-03-08T05:00:00Z")
        assert march_8["events"] == 3  # 06:30Z, 07:30Z and 03:30Z next UTC day

    async def test_kolkata_days_start_at_half_past(self, client: httpx.AsyncClient, data: DataSet) -> None:
        body = await _costs(client, data, granularity="day", tz="Asia/Kolkata")
        assert all(row["bucket_start"].endswith("T18:30:00Z") for row in body["rows"])

    async def test_buckets_come_in_time_order(self, client: httpx.AsyncClient, data: DataSet) -> None:
        body = await _costs(client, data, granularity="hour", tz="Asia/Kolkata", group_by="service")
        starts = [row["bucket_start"] for row in body["rows"]]
        assert starts == sorted(starts)


class TestRanges:
    @pytest.mark.parametrize(
        ("start", "end"),
        [
            (START, END),
            (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 10, 30, tzinfo=UTC)),  # raw only
            (datetime(2026, 3, 2, 10, 0, tzinfo=UTC), datetime(2026, 3, 2, 11, 0, tzinfo=UTC)),  # one hour
            (datetime(2026, 3, 1, 0, 0, tzinfo=UTC), datetime(2026, 3, 9, 0, 0, tzinfo=UTC)),  # whole days
            (datetime(2026, 2, 28, 18, 30, tzinfo=UTC), datetime(2026, 3, 9, 4, 0, tzinfo=UTC)),
            (datetime(2026, 3, 10, 13, 0, 0, tzinfo=UTC), datetime(2026, 3, 10, 13, 39, 59, 1, tzinfo=UTC)),
        ],
    )
    async def test_any_range_equals_its_events(
        self, client: httpx.AsyncClient, data: DataSet, start: datetime, end: datetime
    ) -> None:
        for granularity in ("none", "day"):
            body = await _costs(
                client,
                data,
                start=start.isoformat(),
                end=end.isoformat(),
                granularity=granularity,
                group_by="model",
            )
            expected = _expected(data, group_by=("model",), granularity=granularity, start=start, end=end)
            assert _answered(body, ("model",)) == expected
            assert body["total"]["events"] == sum(n for n, _ in expected.values())

    async def test_ranges_given_with_an_offset(self, client: httpx.AsyncClient, data: DataSet) -> None:
        body = await _costs(client, data, start="2026-02-28T03:20:00+05:00", end="2026-03-10T08:40:00-05:00")
        assert body["total"]["events"] == _expected(data)[(None,)][0]


class TestFilters:
    @pytest.mark.parametrize(
        ("params", "where"),
        [
            ({"service": "quiz"}, {"service": "quiz"}),
            ({"learner_id": "l2"}, {"learner_id": "l2"}),
            ({"subject": "art", "provider": "openai"}, {"subject": "art", "provider": "openai"}),
            ({"model": "claude-haiku-4-5"}, {"model": "claude-haiku-4-5"}),
            ({"tag": "team=red"}, {"tag:team": "red"}),
            ({"tag": "team=blue", "service": "chat"}, {"tag:team": "blue", "service": "chat"}),
            ({"service": "nope"}, {"service": "nope"}),
        ],
    )
    async def test_filters(
        self, client: httpx.AsyncClient, data: DataSet, params: dict[str, str], where: dict[str, str]
    ) -> None:
        body = await _costs(client, data, group_by="subject", **params)
        assert _answered(body, ("subject",)) == _expected(data, group_by=("subject",), where=where)


class TestLimitsAndOrder:
    async def test_limit_truncates_rows_but_not_the_total(
        self, client: httpx.AsyncClient, data: DataSet
    ) -> None:
        whole = await _costs(client, data, group_by="service,learner_id")
        cut = await _costs(client, data, group_by="service,learner_id", limit=2)
        assert (whole["truncated"], cut["truncated"]) == (False, True)
        assert cut["rows"] == whole["rows"][:2]
        assert cut["total_cost_usd"] == whole["total_cost_usd"]

    async def test_rows_are_ordered_by_bucket_then_cost_then_keys_and_stable(
        self, client: httpx.AsyncClient, data: DataSet
    ) -> None:
        first = await _costs(client, data, group_by="subject,service", granularity="week")
        again = await _costs(client, data, group_by="subject,service", granularity="week")
        assert first["rows"] == again["rows"]
        order = [
            (r["bucket_start"], -Decimal(r["cost_usd"]), r["subject"], r["service"]) for r in first["rows"]
        ]
        assert order == sorted(order)


class TestInvalid:
    @pytest.mark.parametrize(
        ("params", "status", "code"),
        [
            ({"group_by": "colour"}, 400, "invalid_group_by"),
            ({"group_by": "tag:"}, 400, "invalid_group_by"),
            ({"group_by": "service,bucket"}, 400, "invalid_group_by"),
            ({"granularity": "year"}, 400, "invalid_granularity"),
            ({"tz": "Mars/Olympus_Mons"}, 400, "invalid_timezone"),
            ({"tz": "../../etc/passwd"}, 400, "invalid_timezone"),
            ({"start": END.isoformat(), "end": START.isoformat()}, 400, "invalid_range"),
            ({"start": START.isoformat(), "end": START.isoformat()}, 400, "invalid_range"),
            ({"start": "2000-01-01T00:00:00Z", "end": "2026-01-01T00:00:00Z"}, 400, "invalid_range"),
            ({"start": "2026-03-01T00:00:00"}, 400, "invalid_timestamp"),
            ({"start": "last week"}, 422, "invalid_timestamp"),
            ({"tag": "team"}, 400, "invalid_filter"),
            ({"tag": "=red"}, 400, "invalid_filter"),
            ({"start": "0001-01-01T00:00:00+05:00"}, 400, "invalid_timestamp"),  # no UTC instant
            ({"end": "9999-12-31T23:59:59-05:00"}, 400, "invalid_timestamp"),
            ({"service": "chat\x00"}, 400, "invalid_characters"),
            ({"tag": "team=red\x00"}, 400, "invalid_characters"),
            ({"group_by": "tag:te\x00am"}, 400, "invalid_characters"),
            ({"limit": 0}, 422, "out_of_range"),
            ({"limit": 10_001}, 422, "out_of_range"),
        ],
    )
    async def test_bad_queries_get_a_code(
        self, client: httpx.AsyncClient, data: DataSet, params: dict[str, Any], status: int, code: str
    ) -> None:
        query = {"start": START.isoformat(), "end": END.isoformat(), **params}
        response = await client.get("/v1/costs", params=query, headers=data.headers)
        assert (response.status_code, response.json()["error"]["code"]) == (status, code)

    @pytest.mark.parametrize("path", ["/v1/costs/summary", "/v1/costs/by-service", "/v1/costs/by-learner"])
    async def test_convenience_endpoints_validate_too(
        self, client: httpx.AsyncClient, data: DataSet, path: str
    ) -> None:
        response = await client.get(
            path, params={"start": END.isoformat(), "end": START.isoformat()}, headers=data.headers
        )
        assert (response.status_code, response.json()["error"]["code"]) == (400, "invalid_range")


class TestConvenience:
    @pytest.mark.parametrize(
        ("path", "dimension"),
        [
            ("/v1/costs/by-service", "service"),
            ("/v1/costs/by-learner", "learner_id"),
            ("/v1/costs/by-subject", "subject"),
        ],
    )
    async def test_top_n_with_the_rest_as_other(
        self, client: httpx.AsyncClient, data: DataSet, path: str, dimension: str
    ) -> None:
        expected = _expected(data, group_by=(dimension,))
        ranked = sorted(((k[0], n, c) for k, (n, c) in expected.items()), key=lambda r: (-r[2], r[0] or ""))
        total = sum((c for _, _, c in ranked), Decimal(0))
        response = await client.get(
            path,
            params={"start": START.isoformat(), "end": END.isoformat(), "limit": 2},
            headers=data.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["dimension"] == dimension
        assert [(r["key"], r["events"], Decimal(r["cost_usd"])) for r in body["rows"]] == ranked[:2]
        assert Decimal(body["total_cost_usd"]) == total
        assert Decimal(body["other_cost_usd"]) == total - sum((c for _, _, c in ranked[:2]), Decimal(0))
        for row, (_, _, cost) in zip(body["rows"], ranked, strict=False):
            assert Decimal(row["share"]) == (cost / total).quantize(Decimal("0.0001"))

    async def test_a_limit_above_the_number_of_keys_leaves_no_other(
        self, client: httpx.AsyncClient, data: DataSet
    ) -> None:
        response = await client.get(
            "/v1/costs/by-service",
            params={"start": START.isoformat(), "end": END.isoformat(), "limit": 50},
            headers=data.headers,
        )
        assert len(response.json()["rows"]) == 3
        assert response.json()["other_cost_usd"] == "0"

    async def test_summary(self, client: httpx.AsyncClient, data: DataSet) -> None:
        response = await client.get(
            "/v1/costs/summary",
            params={"start": START.isoformat(), "end": END.isoformat()},
            headers=data.headers,
        )
        assert response.status_code == 200, response.text
        body = response.json()
        events, cost = _expected(data)[(None,)]
        assert (body["total"]["events"], Decimal(body["total_cost_usd"])) == (events, cost)
        by_provider = {k[0]: c for k, (_, c) in _expected(data, group_by=("provider",)).items()}
        assert {r["key"]: Decimal(r["cost_usd"]) for r in body["by_provider"]} == by_provider
        by_service = {k[0]: c for k, (_, c) in _expected(data, group_by=("service",)).items()}
        assert {r["key"]: Decimal(r["cost_usd"]) for r in body["by_service"]} == by_service

    async def test_an_empty_range(self, client: httpx.AsyncClient, data: DataSet) -> None:
        params = {"start": "2025-01-01T00:00:00Z", "end": "2025-01-02T00:00:00Z"}
        costs = await client.get("/v1/costs", params=params, headers=data.headers)
        assert (costs.json()["rows"], costs.json()["total_cost_usd"], costs.json()["total"]["events"]) == (
            [],
            "0",
            0,
        )
        top = await client.get("/v1/costs/by-learner", params=params, headers=data.headers)
        assert (top.json()["rows"], top.json()["other_cost_usd"], top.json()["total_cost_usd"]) == (
            [],
            "0",
            "0",
        )
