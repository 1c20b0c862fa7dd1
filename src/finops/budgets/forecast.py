"""Spend forecast: projected spend at the end of a period, an 80 % interval and the exhaustion date.

The model works on daily spend (UTC days, from the daily rollups):
- `run_rate` while fewer than 14 days of history exist: the mean of the last 7 days (or, on the
  very first day, today's spend so far scaled to a whole day);
- `weekly_seasonal` from 14 days on: day-of-week factors (medians of each day's ratio to the
  centred 7-day mean), then a level and trend fitted by least squares to the last 28
  deseasonalized days with spikes clipped; the clipped excess is added back as an average
  "spike allowance" per day so isolated spikes neither inflate the trend nor vanish from the mean.

The interval comes from the fit's residuals: independent daily noise plus the uncertainty of the
level and trend, scaled by z(0.9) = 1.2816. Its calibration is measured by bench/forecast_backtest.py
(see docs/forecasting.md). Statistics run in floats; the amounts returned are Decimals rounded to
the cent, because a forecast is an estimate, never a ledger amount.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from finops.budgets.schemas import Forecast, SplitKey

Z80 = 1.2815515655446004
SEASONAL_MIN_DAYS = 14
SEASON_WINDOW = 56
TREND_WINDOW = 28
RUN_RATE_WINDOW = 7
SPIKE_MADS = 4.0
MIN_TREND_DAYS = 10
SHIFT_LOOKBACK = 21
SHIFT_MIN_DAYS = 4
SHIFT_SIGMAS = 4.0
SHIFT_BASE = 10
SHIFT_RATIO = 1.3
FIRST_DAY_CV = 0.6  # relative uncertainty of a rate seen for only part of one day
MIN_FRACTION = 1 / 24  # below an hour of data, today's spend says nothing about the rate
CENT = Decimal("0.01")
DAY = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Slice:
    """A part of one UTC day inside the forecast window."""

    start: datetime
    end: datetime
    weekday: int
    weight: float  # fraction of the day covered
    t: float  # days since the first history day (at the slice's day)


@dataclass(frozen=True, slots=True)
class Projection:
    method: str
    expected: list[float]  # expected spend per slice
    std: float  # standard deviation of the total over all slices
    history_days: int


def _slices(now: datetime, horizon_end: datetime, first_day: date) -> list[Slice]:
    out: list[Slice] = []
    cursor = now
    while cursor < horizon_end:
        day_start = cursor.replace(hour=0, minute=0, second=0, microsecond=0)
        end = min(day_start + DAY, horizon_end)
        out.append(
            Slice(
                start=cursor,
                end=end,
                weekday=day_start.weekday(),
                weight=(end - cursor) / DAY,
                t=float((day_start.date() - first_day).days),
            )
        )
        cursor = end
    return out


def _run_rate(values: list[float], slices: list[Slice], today: float, fraction: float) -> Projection:
    if not values:
        if today <= 0 or fraction < MIN_FRACTION:
            return Projection("none", [0.0] * len(slices), 0.0, 0)
        rate = today / fraction
        expected = [rate * s.weight for s in slices]
        return Projection("run_rate", expected, FIRST_DAY_CV * sum(expected), 0)
    window = values[-RUN_RATE_WINDOW:]
    level = statistics.fmean(window)
    sigma = statistics.stdev(window) if len(window) >= 2 else level * FIRST_DAY_CV
    weights = [s.weight for s in slices]
    total_w = sum(weights)
    variance = sigma**2 * sum(w * w for w in weights) + (sigma**2 / len(window)) * total_w**2
    # With under a week of history the weekday mix of the window is unknown: widen by the spread
    # a weekly pattern could add, measured as the window's own coefficient of variation.
    if len(window) < RUN_RATE_WINDOW:
        variance += (sigma * total_w) ** 2 / len(window)
    return Projection("run_rate", [level * w for w in weights], math.sqrt(variance), len(values))


def _seasonal_factors(values: list[float], weekdays: list[int]) -> list[float]:
    """Day-of-week factors: each weekday's median ratio to the centred 7-day mean, halfway towards
    1 while a weekday has been seen only once (one odd day is not a pattern)."""
    ratios: dict[int, list[float]] = {w: [] for w in range(7)}
    for i in range(3, len(values) - 3):
        centred = statistics.fmean(values[i - 3 : i + 4])
        if centred > 0:
            ratios[weekdays[i]].append(values[i] / centred)
    factors: list[float] = []
    for w in range(7):
        seen = len(ratios[w])
        raw = statistics.median(ratios[w]) if seen else 1.0
        keep = 1.0 if seen >= 2 else 0.5
        factors.append(1 + (raw - 1) * keep)
    mean = statistics.fmean(factors)
    return [f / mean for f in factors] if mean > 0 else [1.0] * 7


@dataclass(frozen=True, slots=True)
class Line:
    intercept: float
    slope: float
    t_mean: float
    sxx: float  # inf when the slope is fixed at 0
    n: int

    def at(self, t: float) -> float:
        return self.intercept + self.slope * t


def _fit(ts: list[float], values: list[float]) -> Line:
    """Least squares line; a flat level when fewer than MIN_TREND_DAYS points."""
    t_mean = statistics.fmean(ts)
    mean = statistics.fmean(values)
    if len(ts) < MIN_TREND_DAYS:
        return Line(mean, 0.0, t_mean, math.inf, len(ts))
    sxx = sum((t - t_mean) ** 2 for t in ts)
    slope = sum((t - t_mean) * (v - mean) for t, v in zip(ts, values, strict=True)) / sxx
    return Line(mean - slope * t_mean, slope, t_mean, sxx, len(ts))


def _robust_line(ts: list[float], z: list[float]) -> tuple[Line, list[float], float]:
    """A line through `z` with spikes clipped: (line, clipped values, average clipped excess)."""
    median = statistics.median(z)
    mad = statistics.median(abs(v - median) for v in z) * 1.4826
    cap = median + SPIKE_MADS * max(mad, 0.05 * median)
    clipped = [min(v, cap) for v in z]
    return _fit(ts, clipped), clipped, statistics.fmean(v - c for v, c in zip(z, clipped, strict=True))


def _sigma(ts: list[float], values: list[float], line: Line, params: float) -> float:
    dof = max(len(values) - params, 1.0)
    return math.sqrt(sum((v - line.at(t)) ** 2 for v, t in zip(values, ts, strict=True)) / dof)


def _level_shift(z: list[float]) -> int | None:
    """Where the last days moved to a new level for good (a feature shipped, a service stopped):
    the start of a run of at least SHIFT_MIN_DAYS days whose median differs from the median of the
    SHIFT_BASE days before it by more than SHIFT_RATIO, with most of the run strictly on the new
    side and the difference beyond SHIFT_SIGMAS standard errors. Among such starts, the one whose
    run departs most (a run that still holds old-level days departs less). Gradual growth moves far
    less than that within a few weeks; isolated spikes do not make a run. None when there is none."""
    best: tuple[float, int] | None = None
    for start in range(max(len(z) - SHIFT_LOOKBACK, SHIFT_BASE), len(z) - SHIFT_MIN_DAYS + 1):
        base = z[start - SHIFT_BASE : start]
        tail = z[start:]
        before = statistics.median(base)
        after = statistics.median(tail)
        if before <= 0 or after <= 0 or max(before, after) / min(before, after) < SHIFT_RATIO:
            continue
        spread = statistics.median(abs(v - before) for v in base) * 1.4826
        error = 1.25 * max(spread, 0.02 * before) * math.sqrt(1 / len(base) + 1 / len(tail))
        direction = 1.0 if after > before else -1.0
        side = sum((v - before) * direction > 0 for v in tail) / len(tail)
        if side < 0.8 or abs(after - before) / error <= SHIFT_SIGMAS:
            continue
        departure = abs(statistics.fmean(tail) - before)
        if best is None or departure > best[0] * (1 + 1e-9):
            best = (departure, start)
    return best[1] if best else None


def _seasonal(values: list[float], first_day: date, slices: list[Slice]) -> Projection:
    window = values[-SEASON_WINDOW:]
    offset = len(values) - len(window)
    weekdays = [(first_day + timedelta(days=offset + i)).weekday() for i in range(len(window))]
    factors = _seasonal_factors(window, weekdays)
    n = min(len(window), TREND_WINDOW)
    ts = [float(offset + len(window) - n + i) for i in range(n)]
    recent_factors = [max(factors[w], 1e-6) for w in weekdays[-n:]]
    z = [y / f for y, f in zip(window[-n:], recent_factors, strict=True)]
    shift = _level_shift(z)
    if shift is not None:
        ts, z = ts[shift:], z[shift:]
    line, clipped, spike_allowance = _robust_line(ts, z)
    # Degrees of freedom: the line's parameters, and (without a shift) the share of the six free
    # weekday factors that these days paid for.
    params = (2 if math.isfinite(line.sxx) else 1) + (6 * len(z) / len(window) if shift is None else 0)
    sigma = _sigma(ts, clipped, line, params)
    # Spikes are rare and large: their variance is added separately from the clipped days' noise.
    spike_var = sum((v - c) ** 2 for v, c in zip(z, clipped, strict=True)) / len(z)
    expected: list[float] = []
    coeffs: list[float] = []
    for s in slices:
        factor = factors[s.weekday]
        expected.append((max(line.at(s.t), 0.0) + spike_allowance) * factor * s.weight)
        coeffs.append(factor * s.weight)
    total_c = sum(coeffs)
    weighted_t = sum(c * (s.t - line.t_mean) for c, s in zip(coeffs, slices, strict=True))
    trend_var = weighted_t**2 / line.sxx if math.isfinite(line.sxx) else 0.0
    squares = sum(c * c for c in coeffs)
    variance = sigma**2 * (squares + total_c**2 / line.n + trend_var) + spike_var * (
        squares + total_c**2 / len(z)
    )
    method = "weekly_seasonal" if shift is None else "weekly_seasonal_since_shift"
    return Projection(method, expected, math.sqrt(variance), len(values))


def project(
    history: Sequence[Decimal | float],
    *,
    first_day: date,
    today: Decimal | float,
    now: datetime,
    horizon_end: datetime,
) -> tuple[Projection, list[Slice]]:
    """Expected spend from `now` to `horizon_end`, given complete UTC days of history (oldest first,
    starting on `first_day` and ending the day before `now`) and `today`'s spend so far."""
    values = [float(v) for v in history]
    start = 0
    while start < len(values) and values[start] <= 0:
        start += 1  # the scope had no spend yet: those days say nothing about its rate
    values = values[start:]
    first_day = first_day + timedelta(days=start)
    slices = _slices(now, horizon_end, first_day)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    fraction = (now - midnight) / DAY
    if len(values) >= SEASONAL_MIN_DAYS:
        return _seasonal(values, first_day, slices), slices
    return _run_rate(values, slices, float(today), fraction), slices


def _usd(value: float) -> Decimal:
    return Decimal(repr(max(value, 0.0))).quantize(CENT, rounding=ROUND_HALF_EVEN)


def forecast_spend(
    *,
    history: Sequence[Decimal],
    first_day: date,
    today: Decimal,
    now: datetime,
    spent: Decimal,
    amount: Decimal,
    horizon_end: datetime,
    exhausted_at: datetime | None = None,
    split: SplitKey | None = None,
) -> Forecast:
    """The forecast of a budget (or one split of it) that has `spent` so far this period.

    `exhausted_at` is when the amount was reached, if it already was (the caller knows it best)."""
    now = now.astimezone(UTC)
    projection, slices = project(history, first_day=first_day, today=today, now=now, horizon_end=horizon_end)
    expected_total = sum(projection.expected)
    margin = Z80 * projection.std
    exhaustion = exhausted_at if spent >= amount else None
    if exhaustion is None and spent < amount:
        cumulative = float(spent)
        target = float(amount)
        for s, e in zip(slices, projection.expected, strict=True):
            if e > 0 and cumulative + e >= target:
                exhaustion = s.start + (s.end - s.start) * ((target - cumulative) / e)
                break
            cumulative += e
    return Forecast(
        projected_spend_usd=spent + _usd(expected_total),
        lower_usd=spent + _usd(expected_total - margin),
        upper_usd=spent + _usd(expected_total + margin),
        exhaustion_date=exhaustion,
        method=projection.method,
        horizon_end=horizon_end,
        history_days=projection.history_days,
        split=split,
    )
