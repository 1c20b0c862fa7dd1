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
    ratios: dict[int, list[float]] = {w: [] for w in range(7)}
    for i in range(3, len(values) - 3):
        centred = statistics.fmean(values[i - 3 : i + 4])
        if centred > 0:
            ratios[weekdays[i]].append(values[i] / centred)
    factors = [statistics.median(ratios[w]) if ratios[w] else 1.0 for w in range(7)]
    mean = statistics.fmean(factors)
    return [f / mean for f in factors] if mean > 0 else [1.0] * 7


def _seasonal(values: list[float], first_day: date, slices: list[Slice]) -> Projection:
    window = values[-SEASON_WINDOW:]
    offset = len(values) - len(window)
    weekdays = [(first_day + timedelta(days=offset + i)).weekday() for i in range(len(window))]
    factors = _seasonal_factors(window, weekdays)
    n = min(len(window), TREND_WINDOW)
    ts = [float(offset + len(window) - n + i) for i in range(n)]
    recent = window[-n:]
    recent_factors = [max(factors[w], 1e-6) for w in weekdays[-n:]]
    z = [y / f for y, f in zip(recent, recent_factors, strict=True)]
    median = statistics.median(z)
    mad = statistics.median(abs(v - median) for v in z) * 1.4826
    cap = median + SPIKE_MADS * max(mad, 0.05 * median)
    clipped = [min(v, cap) for v in z]
    spike_allowance = statistics.fmean(v - c for v, c in zip(z, clipped, strict=True))
    t_mean = statistics.fmean(ts)
    sxx = sum((t - t_mean) ** 2 for t in ts)
    z_mean = statistics.fmean(clipped)
    slope = sum((t - t_mean) * (c - z_mean) for t, c in zip(ts, clipped, strict=True)) / sxx
    intercept = z_mean - slope * t_mean
    residuals = [v - (intercept + slope * t) for v, t in zip(z, ts, strict=True)]
    sigma = math.sqrt(sum(r * r for r in residuals) / max(n - 2, 1))
    expected: list[float] = []
    coeffs: list[float] = []
    for s in slices:
        factor = factors[s.weekday]
        level = max(intercept + slope * s.t, 0.0) + spike_allowance
        expected.append(level * factor * s.weight)
        coeffs.append(factor * s.weight)
    total_c = sum(coeffs)
    weighted_t = sum(c * (s.t - t_mean) for c, s in zip(coeffs, slices, strict=True))
    variance = sigma**2 * (sum(c * c for c in coeffs) + total_c**2 / n + weighted_t**2 / sxx)
    return Projection("weekly_seasonal", expected, math.sqrt(variance), len(values))


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
