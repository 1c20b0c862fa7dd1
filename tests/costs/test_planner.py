"""The query planner: which stored grain answers which part of a range."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from finops.costs import planner
from finops.costs.planner import coarsest_source, pieces

UTC_ZONE = ZoneInfo("UTC")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")
LONDON = ZoneInfo("Europe/London")


def t(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


class TestPieces:
    def test_partial_hours_whole_hours_and_whole_days(self) -> None:
        assert pieces(t("2026-03-01T10:30"), t("2026-03-04T05:15"), "day") == [
            ("raw", t("2026-03-01T10:30"), t("2026-03-01T11:00")),
            ("hour", t("2026-03-01T11:00"), t("2026-03-02T00:00")),
            ("day", t("2026-03-02T00:00"), t("2026-03-04T00:00")),
            ("hour", t("2026-03-04T00:00"), t("2026-03-04T05:00")),
            ("raw", t("2026-03-04T05:00"), t("2026-03-04T05:15")),
        ]

    def test_hour_grain_never_uses_days(self) -> None:
        assert pieces(t("2026-03-01T10:30"), t("2026-03-04T05:15"), "hour") == [
            ("raw", t("2026-03-01T10:30"), t("2026-03-01T11:00")),
            ("hour", t("2026-03-01T11:00"), t("2026-03-04T05:00")),
            ("raw", t("2026-03-04T05:00"), t("2026-03-04T05:15")),
        ]

    def test_aligned_ends_need_no_raw_events(self) -> None:
        assert pieces(t("2026-03-01T00:00"), t("2026-03-03T00:00"), "day") == [
            ("day", t("2026-03-01T00:00"), t("2026-03-03T00:00"))
        ]
        assert pieces(t("2026-03-01T05:00"), t("2026-03-01T09:00"), "day") == [
            ("hour", t("2026-03-01T05:00"), t("2026-03-01T09:00"))
        ]

    def test_less_than_a_whole_hour_is_raw(self) -> None:
        assert pieces(t("2026-03-01T10:10"), t("2026-03-01T10:50"), "day") == [
            ("raw", t("2026-03-01T10:10"), t("2026-03-01T10:50"))
        ]
        # straddles an hour boundary but holds no whole hour
        assert pieces(t("2026-03-01T10:50"), t("2026-03-01T11:10"), "day") == [
            ("raw", t("2026-03-01T10:50"), t("2026-03-01T11:10"))
        ]

    def test_raw_source_is_one_piece(self) -> None:
        assert pieces(t("2026-03-01T10:30"), t("2026-03-04T05:15"), "raw") == [
            ("raw", t("2026-03-01T10:30"), t("2026-03-04T05:15"))
        ]

    def test_empty_or_reversed_range(self) -> None:
        assert pieces(t("2026-03-01T10:30"), t("2026-03-01T10:30"), "day") == []
        assert pieces(t("2026-03-02T00:00"), t("2026-03-01T00:00"), "day") == []

    @pytest.mark.parametrize("coarsest", ["raw", "hour", "day"])
    def test_pieces_tile_the_range_and_respect_their_grain(self, coarsest: str) -> None:
        rng = random.Random(11)
        origin = t("2026-01-01T00:00")
        for _ in range(500):
            start = origin + timedelta(minutes=rng.randrange(0, 60 * 24 * 20))
            if rng.random() < 0.3:
                start = start.replace(minute=0)
            end = start + timedelta(minutes=rng.randrange(1, 60 * 24 * 6))
            if rng.random() < 0.3:
                end = end.replace(minute=0, hour=0) + timedelta(days=1)
            out = pieces(start, end, coarsest)  # type: ignore[arg-type]
            assert (out[0][1], out[-1][2]) == (start, end)
            for (_, _, left_end), (_, right_start, _) in itertools.pairwise(out):
                assert left_end == right_start
            for source, piece_start, piece_end in out:
                assert piece_start < piece_end
                if source == "hour":
                    assert piece_start.minute == piece_end.minute == 0
                if source == "day":
                    assert (piece_start.hour, piece_start.minute, piece_end.hour, piece_end.minute) == (
                        0,
                        0,
                        0,
                        0,
                    )
                assert source != "day" or coarsest == "day"
                assert source == "raw" or coarsest != "raw"


class TestCoarsestSource:
    START, END = t("2026-03-01T00:00"), t("2026-03-20T00:00")  # spans the US DST change on 2026-03-08

    @pytest.mark.parametrize(
        ("granularity", "tz", "tags", "expected"),
        [
            ("none", NEW_YORK, False, "day"),
            ("none", KOLKATA, False, "day"),
            ("none", UTC_ZONE, True, "raw"),
            ("day", UTC_ZONE, False, "day"),
            ("month", UTC_ZONE, False, "day"),
            ("hour", UTC_ZONE, False, "hour"),
            ("day", NEW_YORK, False, "hour"),
            ("week", NEW_YORK, False, "hour"),
            ("hour", NEW_YORK, False, "hour"),
            ("day", KOLKATA, False, "raw"),  # +05:30: hourly UTC rollups straddle local days
            ("hour", KOLKATA, False, "raw"),
            ("day", UTC_ZONE, True, "raw"),
        ],
    )
    def test_choice(self, granularity: str, tz: ZoneInfo, tags: bool, expected: str) -> None:
        assert coarsest_source(granularity, tz, self.START, self.END, tags=tags) == expected

    def test_a_zone_at_utc_offset_only_for_part_of_the_range(self) -> None:
        winter = coarsest_source("day", LONDON, t("2026-01-05T00:00"), t("2026-02-05T00:00"), tags=False)
        across_dst = coarsest_source("day", LONDON, t("2026-03-20T00:00"), t("2026-04-05T00:00"), tags=False)
        assert (winter, across_dst) == ("day", "hour")


class TestSignedPieces:
    """The signed pieces cover [start, end) exactly once: +1 inside, 0 outside, at every instant."""

    @staticmethod
    def _coverage(pieces: list[planner.SignedPiece], at: datetime) -> int:
        return sum(sign for _, a, b, sign in pieces if a <= at < b)

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            ("2026-03-01T22:17:05", "2026-03-30T01:02:03"),  # short head and tail: read directly
            ("2026-03-01T01:17:05", "2026-03-30T22:02:03"),  # long head and tail: whole day minus
            ("2026-03-01T00:00:00", "2026-03-30T00:00:00"),  # aligned: days only
            ("2026-03-01T11:59:59", "2026-03-03T12:00:01"),
            ("2026-03-01T03:00:00", "2026-03-01T20:00:00"),  # inside one day: no day piece
        ],
    )
    def test_every_instant_is_counted_once(self, start: str, end: str) -> None:
        lo, hi = datetime.fromisoformat(start + "+00:00"), datetime.fromisoformat(end + "+00:00")
        pieces = planner.signed_pieces(lo, hi, "day")
        probe = lo - timedelta(days=2)
        while probe < hi + timedelta(days=2):
            assert self._coverage(pieces, probe) == (1 if lo <= probe < hi else 0), probe
            probe += timedelta(minutes=7, seconds=13)
        for at in (lo, hi - timedelta(microseconds=1)):
            assert self._coverage(pieces, at) == 1
        assert self._coverage(pieces, hi) == 0

    def test_long_edges_read_at_most_twelve_hours_each(self) -> None:
        lo = datetime(2026, 3, 1, 1, 17, 5, tzinfo=UTC)
        hi = datetime(2026, 3, 30, 22, 2, 3, tzinfo=UTC)
        pieces = planner.signed_pieces(lo, hi, "day")
        hours = sum((b - a) / timedelta(hours=1) for source, a, b, _ in pieces if source == "hour")
        assert hours <= 24
        first_day = lo.replace(hour=0, minute=0, second=0)
        after_last_day = hi.replace(hour=0, minute=0, second=0) + timedelta(days=1)
        assert [p for p in pieces if p[0] == "day"] == [("day", first_day, after_last_day, 1)]
