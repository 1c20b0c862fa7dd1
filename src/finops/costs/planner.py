"""Which stored sums answer a time range exactly: daily rollups for whole UTC days, hourly
rollups for whole hours, raw events for the rest."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from zoneinfo import ZoneInfo

from finops.costs.rollups import CUBES, grain_name
from finops.kit.time import ceil_day, ceil_hour, floor_day, floor_hour, is_hour_aligned, is_utc_like

Source = Literal["raw", "hour", "day"]
HOURLY_CUBES = ("", "nl")  # cubes that also exist at hour grain ("tl" is daily only)


def cube_for(dimensions: set[str]) -> str:
    """The smallest rollup cube that keeps every dimension a query groups or filters by."""
    for cube in ("tl", "nl"):
        if dimensions <= set(CUBES[cube]):
            return cube
    return ""


def grain_for(source: Source, cube: str) -> str:
    """The stored grain answering one piece: raw events, or a rollup grain of the chosen cube."""
    if source == "raw":
        return "raw"
    if source == "hour" and cube not in HOURLY_CUBES:
        return "hour"
    return grain_name(source, cube)


def coarsest_source(granularity: str, tz: ZoneInfo, start: datetime, end: datetime, *, tags: bool) -> Source:
    """The coarsest stored grain whose buckets never straddle a requested bucket boundary."""
    if tags:
        return "raw"
    if granularity == "none":
        return "day"
    if granularity != "hour" and is_utc_like(tz, start, end):
        return "day"
    if is_hour_aligned(tz, start, end):
        return "hour"
    return "raw"


def pieces(start: datetime, end: datetime, coarsest: Source) -> list[tuple[Source, datetime, datetime]]:
    """Split [start, end) into consecutive pieces, each answered by one source."""
    if start >= end:
        return []
    if coarsest == "raw":
        return [("raw", start, end)]
    h0, h1 = ceil_hour(start), floor_hour(end)
    if h0 >= h1:
        return [("raw", start, end)]
    out: list[tuple[Source, datetime, datetime]] = []
    if start < h0:
        out.append(("raw", start, h0))
    d0, d1 = ceil_day(h0), floor_day(h1)
    if coarsest == "day" and d0 < d1:
        if h0 < d0:
            out.append(("hour", h0, d0))
        out.append(("day", d0, d1))
        if d1 < h1:
            out.append(("hour", d1, h1))
    else:
        out.append(("hour", h0, h1))
    if h1 < end:
        out.append(("raw", h1, end))
    return out
