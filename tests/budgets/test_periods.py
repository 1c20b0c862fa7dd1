"""Budget periods in IANA zones: local-midnight boundaries across DST changes, stored in UTC."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from finops.budgets import periods
from finops.budgets.periods import Period

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


class TestSpringForward:
    """America/New_York moves from UTC-5 to UTC-4 at 02:00 local on 2026-03-08."""

    def test_daily_period_of_the_change_day_is_23_hours(self) -> None:
        period = periods.period_at("daily", NY, utc(2026, 3, 8, 12))
        assert period == Period(utc(2026, 3, 8, 5), utc(2026, 3, 9, 4))
        assert period.end is not None
        assert period.end - period.start == timedelta(hours=23)

    def test_weekly_period_starts_monday_and_spans_the_change(self) -> None:
        period = periods.period_at("weekly", NY, utc(2026, 3, 8, 12))
        assert period == Period(utc(2026, 3, 2, 5), utc(2026, 3, 9, 4))

    def test_monthly_quarterly_yearly(self) -> None:
        at = utc(2026, 3, 20)
        assert periods.period_at("monthly", NY, at) == Period(utc(2026, 3, 1, 5), utc(2026, 4, 1, 4))
        assert periods.period_at("quarterly", NY, at) == Period(utc(2026, 1, 1, 5), utc(2026, 4, 1, 4))
        assert periods.period_at("yearly", NY, at) == Period(utc(2026, 1, 1, 5), utc(2027, 1, 1, 5))

    def test_london_month_of_the_change(self) -> None:
        # BST starts 2026-03-29 01:00 UTC: April starts at 23:00 UTC on March 31.
        assert periods.period_at("monthly", LONDON, utc(2026, 3, 30)) == Period(
            utc(2026, 3, 1), utc(2026, 3, 31, 23)
        )
        day = periods.period_at("daily", LONDON, utc(2026, 3, 29, 12))
        assert day == Period(utc(2026, 3, 29), utc(2026, 3, 29, 23))


class TestFallBack:
    """America/New_York returns to UTC-5 at 02:00 local on 2026-11-01; Europe/London on 2026-10-25."""

    def test_daily_period_of_the_change_day_is_25_hours(self) -> None:
        period = periods.period_at("daily", NY, utc(2026, 11, 1, 12))
        assert period == Period(utc(2026, 11, 1, 4), utc(2026, 11, 2, 5))

    def test_instant_just_before_local_midnight_belongs_to_the_old_day(self) -> None:
        just_before = utc(2026, 11, 2, 4, 59, 59)  # 23:59:59 local on Nov 1
        assert periods.period_at("daily", NY, just_before).start == utc(2026, 11, 1, 4)
        assert periods.period_at("daily", NY, utc(2026, 11, 2, 5)).start == utc(2026, 11, 2, 5)

    def test_london_week_and_quarter(self) -> None:
        week = periods.period_at("weekly", LONDON, utc(2026, 10, 25, 12))
        assert week == Period(utc(2026, 10, 18, 23), utc(2026, 10, 26))
        quarter = periods.period_at("quarterly", LONDON, utc(2026, 11, 26))
        assert quarter == Period(utc(2026, 9, 30, 23), utc(2027, 1, 1))


class TestFixedPeriods:
    def test_custom_keeps_its_bounds(self) -> None:
        start, end = utc(2026, 3, 7, 5), utc(2026, 3, 10, 4)
        assert periods.period_at("custom", NY, utc(2026, 3, 8), start=start, end=end) == Period(start, end)

    def test_total_has_no_end(self) -> None:
        start = utc(2026, 1, 1)
        assert periods.period_at("total", NY, utc(2026, 6, 1), start=start) == Period(start, None)
        assert periods.previous("total", NY, Period(start, None)) is None

    def test_custom_without_bounds_is_refused(self) -> None:
        with pytest.raises(ValueError, match="custom"):
            periods.period_at("custom", NY, utc(2026, 1, 1))


class TestPrevious:
    @pytest.mark.parametrize("kind", ["daily", "weekly", "monthly", "quarterly", "yearly"])
    def test_previous_periods_tile_time_without_gaps(self, kind: str) -> None:
        period = periods.period_at(kind, NY, utc(2026, 11, 26, 12))
        for _ in range(30):
            before = periods.previous(kind, NY, period)
            assert before is not None
            assert before.end == period.start
            assert before.start < before.end
            start_local = before.start.astimezone(NY)
            assert (start_local.hour, start_local.minute) == (0, 0)
            period = before

    def test_zone_springing_forward_at_midnight_starts_the_day_at_one(self) -> None:
        # America/Santiago skipped 00:00-01:00 on 2025-09-07: the day starts at 01:00 local (04:00 UTC).
        santiago = ZoneInfo("America/Santiago")
        period = periods.period_at("daily", santiago, utc(2025, 9, 7, 12))
        assert period.start == utc(2025, 9, 7, 4)
        assert period.start.astimezone(santiago).hour == 1
