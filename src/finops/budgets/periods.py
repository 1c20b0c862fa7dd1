"""Budget periods: boundaries computed in the budget's IANA time zone (DST-correct), returned in UTC.

A period starts at local midnight of its first day; the next one starts at local midnight of the
day after its last. Converting local midnights (not adding 24-hour steps) is what keeps a daily
period 23 or 25 hours long across a DST change, and a month starting at 00:00 local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from finops.kit.time import as_utc

PeriodKind = Literal["daily", "weekly", "monthly", "quarterly", "yearly", "total", "custom"]
PERIOD_KINDS: tuple[str, ...] = ("daily", "weekly", "monthly", "quarterly", "yearly", "total", "custom")
RECURRING = ("daily", "weekly", "monthly", "quarterly", "yearly")


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime  # UTC, inclusive
    end: datetime | None  # UTC, exclusive; None for a `total` budget (no end)


def local_midnight(day: date, tz: ZoneInfo) -> datetime:
    """The first instant of `day` in `tz`, in UTC.

    When midnight itself does not exist (a zone that springs forward at 00:00), fold=0 maps it to
    the pre-transition offset, which is the first instant that does exist that day.
    """
    return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + (day.month - 1) + months
    return date(index // 12, index % 12 + 1, 1)


def _first_day(kind: str, local: date) -> date:
    if kind == "daily":
        return local
    if kind == "weekly":  # ISO weeks: Monday
        return local - timedelta(days=local.weekday())
    if kind == "monthly":
        return local.replace(day=1)
    if kind == "quarterly":
        return date(local.year, (local.month - 1) // 3 * 3 + 1, 1)
    if kind == "yearly":
        return date(local.year, 1, 1)
    raise ValueError(kind)


def _next_first_day(kind: str, first: date) -> date:
    if kind == "daily":
        return first + timedelta(days=1)
    if kind == "weekly":
        return first + timedelta(days=7)
    if kind == "monthly":
        return _add_months(first, 1)
    if kind == "quarterly":
        return _add_months(first, 3)
    if kind == "yearly":
        return _add_months(first, 12)
    raise ValueError(kind)


def period_at(
    kind: str,
    tz: ZoneInfo,
    at: datetime,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
) -> Period:
    """The period of a budget that contains the instant `at`.

    `custom` has fixed bounds (`start`, `end`); `total` runs from `start` with no end.
    """
    if kind == "custom":
        if start is None or end is None:
            raise ValueError("a custom period needs start and end")
        return Period(as_utc(start), as_utc(end))
    if kind == "total":
        if start is None:
            raise ValueError("a total period needs a start")
        return Period(as_utc(start), None)
    first = _first_day(kind, as_utc(at).astimezone(tz).date())
    return Period(local_midnight(first, tz), local_midnight(_next_first_day(kind, first), tz))


def previous(kind: str, tz: ZoneInfo, period: Period) -> Period | None:
    """The period just before `period` (None for total and custom budgets, which have one)."""
    if kind not in RECURRING:
        return None
    return period_at(kind, tz, period.start - timedelta(microseconds=1))


def contains(period: Period, at: datetime) -> bool:
    return period.start <= at and (period.end is None or at < period.end)
