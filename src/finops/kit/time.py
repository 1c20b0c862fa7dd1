"""Time helpers: storage is timezone-aware UTC; buckets are computed in an IANA zone."""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from finops.kit.errors import BadRequest

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def utc_param(value: datetime, name: str) -> datetime:
    """A query parameter's instant in UTC; a 400 when it has none (year 1 with a positive offset...)."""
    try:
        return as_utc(value)
    except OverflowError as exc:
        raise BadRequest(f"{name} is out of range", code="invalid_timestamp") from exc


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise BadRequest(f"unknown time zone {name!r}", code="invalid_timezone") from exc


def floor_hour(value: datetime) -> datetime:
    return as_utc(value).replace(minute=0, second=0, microsecond=0)


def ceil_hour(value: datetime) -> datetime:
    floored = floor_hour(value)
    return floored if floored == as_utc(value) else floored + timedelta(hours=1)


def floor_day(value: datetime) -> datetime:
    return as_utc(value).replace(hour=0, minute=0, second=0, microsecond=0)


def ceil_day(value: datetime) -> datetime:
    floored = floor_day(value)
    return floored if floored == as_utc(value) else floored + timedelta(days=1)


def bucket_start(value: datetime, granularity: str, tz: ZoneInfo) -> datetime:
    """Start (in UTC) of the local hour/day/week/month containing `value`, DST-correct."""
    local = as_utc(value).astimezone(tz)
    if granularity == "hour":
        start = local.replace(minute=0, second=0, microsecond=0)
        return start.astimezone(UTC)
    day = local.replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    if granularity == "week":
        day = day - timedelta(days=day.weekday())
    elif granularity == "month":
        day = day.replace(day=1)
    elif granularity != "day":
        raise ValueError(granularity)
    return day.replace(tzinfo=tz).astimezone(UTC)


def is_hour_aligned(tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """True when every UTC offset the zone uses in [start, end] is a whole number of hours."""
    probe = as_utc(start)
    stop = as_utc(end)
    while True:
        offset = probe.astimezone(tz).utcoffset() or timedelta(0)
        if offset.total_seconds() % 3600:
            return False
        if probe >= stop:
            return True
        probe = min(probe + timedelta(days=1), stop)


def is_utc_like(tz: ZoneInfo, start: datetime, end: datetime) -> bool:
    """True when the zone's offset is zero throughout [start, end]."""
    probe = as_utc(start)
    stop = as_utc(end)
    while True:
        if (probe.astimezone(tz).utcoffset() or timedelta(0)) != timedelta(0):
            return False
        if probe >= stop:
            return True
        probe = min(probe + timedelta(days=1), stop)


class EffectiveDated(Protocol):
    @property
    def effective_from(self) -> datetime: ...

    @property
    def effective_to(self) -> datetime | None: ...


V = TypeVar("V", bound=EffectiveDated)


def in_force(versions: Sequence[V] | None, at: datetime) -> V | None:
    """The version in force at `at` among versions sorted by effective_from (None in a gap)."""
    if not versions:
        return None
    index = bisect.bisect_right([v.effective_from for v in versions], at) - 1
    if index < 0:
        return None
    version = versions[index]
    if version.effective_to is not None and at >= version.effective_to:
        return None
    return version
