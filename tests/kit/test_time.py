"""Time helpers: UTC storage, DST-correct local buckets, zone checks used by the query planner."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from finops.kit.errors import BadRequest
from finops.kit.time import (
    as_utc,
    bucket_start,
    ceil_day,
    ceil_hour,
    floor_day,
    floor_hour,
    is_hour_aligned,
    is_utc_like,
    zone,
)

NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class TestUtc:
    def test_naive_is_taken_as_utc_and_offsets_are_converted(self) -> None:
        assert as_utc(datetime(2026, 3, 1, 12)) == t("2026-03-01T12:00")
        converted = as_utc(datetime(2026, 3, 1, 12, tzinfo=timezone(timedelta(hours=5, minutes=30))))
        assert (converted, converted.tzinfo) == (t("2026-03-01T06:30"), UTC)

    def test_floor_and_ceil(self) -> None:
        at = t("2026-03-01T10:30:15")
        assert (floor_hour(at), ceil_hour(at)) == (t("2026-03-01T10:00"), t("2026-03-01T11:00"))
        assert (floor_day(at), ceil_day(at)) == (t("2026-03-01T00:00"), t("2026-03-02T00:00"))
        exact = t("2026-03-01T00:00")
        assert (floor_hour(exact), ceil_hour(exact), floor_day(exact), ceil_day(exact)) == (exact,) * 4
        offset = datetime(2026, 3, 1, 1, 10, tzinfo=timezone(timedelta(hours=2)))  # 2026-02-28T23:10Z
        assert (floor_day(offset), ceil_hour(offset)) == (t("2026-02-28T00:00"), t("2026-03-01T00:00"))


class TestZone:
    def test_known_zone(self) -> None:
        assert zone("Asia/Kolkata") == KOLKATA

    @pytest.mark.parametrize("name", ["Mars/Base", "", "../etc/passwd", "America/New York", "/etc/localtime"])
    def test_unknown_zone_is_a_400(self, name: str) -> None:
        with pytest.raises(BadRequest) as caught:
            zone(name)
        assert caught.value.code == "invalid_timezone"


class TestBucketStart:
    @pytest.mark.parametrize(
        ("at", "granularity", "tz", "expected"),
        [
            ("2026-03-01T10:30", "hour", "UTC", "2026-03-01T10:00"),
            ("2026-03-01T10:30", "day", "UTC", "2026-03-01T00:00"),
            ("2026-03-04T10:30", "week", "UTC", "2026-03-02T00:00"),  # Monday
            ("2026-03-02T00:00", "week", "UTC", "2026-03-02T00:00"),
            ("2026-03-31T23:59", "month", "UTC", "2026-03-01T00:00"),
            # New York, spring forward 2026-03-08 02:00 EST → 03:00 EDT
            ("2026-03-08T06:30", "day", "America/New_York", "2026-03-08T05:00"),
            ("2026-03-09T03:30", "day", "America/New_York", "2026-03-08T05:00"),
            ("2026-03-09T04:30", "day", "America/New_York", "2026-03-09T04:00"),
            ("2026-03-08T07:30", "hour", "America/New_York", "2026-03-08T07:00"),
            ("2026-03-10T12:00", "week", "America/New_York", "2026-03-09T04:00"),
            ("2026-03-01T03:00", "month", "America/New_York", "2026-02-01T05:00"),
            ("2026-04-01T03:00", "month", "America/New_York", "2026-03-01T05:00"),
            # Kolkata +05:30: hours and days start at :30 UTC
            ("2026-03-01T10:20", "hour", "Asia/Kolkata", "2026-03-01T09:30"),
            ("2026-03-01T10:40", "hour", "Asia/Kolkata", "2026-03-01T10:30"),
            ("2026-02-28T18:15", "day", "Asia/Kolkata", "2026-02-27T18:30"),
            ("2026-02-28T18:45", "day", "Asia/Kolkata", "2026-02-28T18:30"),
        ],
    )
    def test_bucket(self, at: str, granularity: str, tz: str, expected: str) -> None:
        assert bucket_start(t(at), granularity, ZoneInfo(tz)) == t(expected)

    def test_the_repeated_hour_of_fall_back_gives_two_buckets(self) -> None:
        # 2026-11-01: 01:00-02:00 happens twice in New York (EDT, then EST).
        first = bucket_start(t("2026-11-01T05:30"), "hour", NEW_YORK)
        second = bucket_start(t("2026-11-01T06:30"), "hour", NEW_YORK)
        assert (first, second) == (t("2026-11-01T05:00"), t("2026-11-01T06:00"))
        assert bucket_start(t("2026-11-02T04:30"), "day", NEW_YORK) == t("2026-11-01T04:00")  # a 25-hour day

    def test_unknown_granularity(self) -> None:
        with pytest.raises(ValueError, match="year"):
            bucket_start(t("2026-03-01T10:30"), "year", NEW_YORK)


class TestAlignment:
    def test_hour_alignment(self) -> None:
        start, end = t("2026-03-01T00:00"), t("2026-03-20T00:00")
        assert is_hour_aligned(NEW_YORK, start, end)
        assert not is_hour_aligned(KOLKATA, start, end)
        assert is_hour_aligned(ZoneInfo("UTC"), start, start)

    def test_utc_like(self) -> None:
        london = ZoneInfo("Europe/London")
        assert is_utc_like(london, t("2026-01-01T00:00"), t("2026-03-28T00:00"))
        assert not is_utc_like(london, t("2026-01-01T00:00"), t("2026-03-30T00:00"))  # BST from 03-29
        assert not is_utc_like(NEW_YORK, t("2026-01-01T00:00"), t("2026-01-02T00:00"))
