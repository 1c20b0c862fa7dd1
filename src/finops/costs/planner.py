"""Which stored sums answer a time range exactly: daily rollups for whole UTC days, hourly
rollups for whole hours, raw events for the rest."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from finops.costs.rollups import CUBES, grain_name
from finops.kit.time import ceil_day, ceil_hour, floor_day, floor_hour, is_hour_aligned, is_utc_like

Source = Literal["raw", "hour", "day"]
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)
SignedPiece = tuple[Source, datetime, datetime, int]


def cube_for(dimensions: set[str]) -> str:
    """The smallest rollup cube that keeps every dimension a query groups or filters by."""
    for cube in ("tl", "nl"):
        if dimensions <= set(CUBES[cube]):
            return cube
    return ""


def grain_for(source: Source, cube: str) -> str:
    """The stored grain answering one piece: raw events, or a rollup grain of the chosen cube."""
    return "raw" if source == "raw" else grain_name(source, cube)


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


def _hours(pieces: list[SignedPiece]) -> float:
    return sum((b - a) / HOUR for source, a, b, _ in pieces if source == "hour")


def _leading(start: datetime, d0: datetime, direct: list[SignedPiece]) -> list[SignedPiece]:
    """[start, d0) read directly, or as the whole day before d0 minus its part before `start`,
    whichever reads fewer hourly rows."""
    day_start, fh = d0 - DAY, floor_hour(start)
    if (fh - day_start) / HOUR >= _hours(direct):
        return direct
    out: list[SignedPiece] = [("day", day_start, d0, 1)]
    if day_start < fh:
        out.append(("hour", day_start, fh, -1))
    if fh < start:
        out.append(("raw", fh, start, -1))
    return out


def _trailing(d1: datetime, end: datetime, direct: list[SignedPiece]) -> list[SignedPiece]:
    """[d1, end) read directly, or as the whole day from d1 minus its part from `end` on."""
    day_end, ch = d1 + DAY, ceil_hour(end)
    if (day_end - ch) / HOUR >= _hours(direct):
        return direct
    out: list[SignedPiece] = [("day", d1, day_end, 1)]
    if end < ch:
        out.append(("raw", end, ch, -1))
    if ch < day_end:
        out.append(("hour", ch, day_end, -1))
    return out


def signed_pieces(start: datetime, end: datetime, coarsest: Source) -> list[SignedPiece]:
    """Like `pieces`, but a partial first or last UTC day may be answered as its whole daily row
    minus the hours outside the range (sign -1), so no edge reads more than 12 hours of rows."""
    plain: list[SignedPiece] = [(s, a, b, 1) for s, a, b in pieces(start, end, coarsest)]
    days = [p for p in plain if p[0] == "day"]
    if not days:
        return plain
    _, d0, d1, _ = days[0]
    out = [
        *_leading(start, d0, [p for p in plain if p[2] <= d0]),
        days[0],
        *_trailing(d1, end, [p for p in plain if p[1] >= d1]),
    ]
    whole_days = sorted(p for p in out if p[0] == "day")
    merged: list[SignedPiece] = []
    for piece in whole_days:  # contiguous whole days become one piece
        if merged and merged[-1][2] == piece[1]:
            merged[-1] = ("day", merged[-1][1], piece[2], 1)
        else:
            merged.append(piece)
    return merged + [p for p in out if p[0] != "day"]
