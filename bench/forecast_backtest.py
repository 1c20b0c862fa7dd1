"""Backtest of the budget forecast on synthetic daily spend (growth, weekly seasonality, spikes).

For every series the forecaster sees the history up to day 7, 14 and 21 of a calendar month (UTC
midnight) and projects the month-end total; the real total is known. Prints the MAPE of the
projection and how often the real total fell inside the 80 % interval (goal: MAPE <= 10 % at
day 14, coverage 75-85 %), overall and per scenario. Deterministic (fixed seeds), pure Python,
no database: it calls the same `finops.budgets.forecast.forecast_spend` the API uses.
"""

from __future__ import annotations

import math
import os
import random
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from finops.budgets.forecast import forecast_spend

SERIES_PER_SCENARIO = int(os.environ.get("BENCH_FORECAST_SERIES", "200"))
CUTS = (7, 14, 21)
HISTORY_DAYS = 56


@dataclass(frozen=True)
class Params:
    level: float  # mean daily spend at the start of the history, USD
    growth: float  # compound growth per 30 days (0.1 = +10 %)
    weekday: tuple[float, ...]  # 7 factors, Monday first
    noise: float  # sigma of the log-normal daily noise
    spike_rate: float  # probability a day is a spike
    spike_size: tuple[float, float]  # multiplier range of a spike
    history: int  # days of history before the month starts
    step: tuple[int, float] | None = None  # (day of the month, level multiplier from that day on)


def _weekly(rng: random.Random, weekend: float) -> tuple[float, ...]:
    weekdays = [rng.uniform(0.9, 1.1) for _ in range(5)]
    return (*weekdays, weekend * rng.uniform(0.9, 1.1), weekend * rng.uniform(0.9, 1.1))


def steady(rng: random.Random) -> Params:
    return Params(
        rng.lognormvariate(4, 1.5), 0.0, (1.0,) * 7, rng.uniform(0.05, 0.2), 0.0, (1, 1), HISTORY_DAYS
    )


def growth(rng: random.Random) -> Params:
    return Params(
        rng.lognormvariate(4, 1.5),
        rng.uniform(0.05, 0.3),
        (1.0,) * 7,
        rng.uniform(0.05, 0.2),
        0.0,
        (1, 1),
        HISTORY_DAYS,
    )


def weekly(rng: random.Random) -> Params:
    return Params(
        rng.lognormvariate(4, 1.5),
        rng.uniform(-0.05, 0.15),
        _weekly(rng, rng.uniform(0.15, 0.6)),
        rng.uniform(0.05, 0.2),
        0.0,
        (1, 1),
        HISTORY_DAYS,
    )


def spiky(rng: random.Random) -> Params:
    return Params(
        rng.lognormvariate(4, 1.5),
        rng.uniform(0.0, 0.15),
        _weekly(rng, rng.uniform(0.3, 1.0)),
        rng.uniform(0.1, 0.25),
        rng.uniform(0.02, 0.08),
        (2.0, 6.0),
        HISTORY_DAYS,
    )


def mixed(rng: random.Random) -> Params:
    return Params(
        rng.lognormvariate(4, 1.5),
        rng.uniform(-0.1, 0.3),
        _weekly(rng, rng.uniform(0.2, 1.1)),
        rng.uniform(0.05, 0.3),
        rng.choice([0.0, 0.0, 0.03, 0.06]),
        (2.0, 5.0),
        rng.choice([14, 28, 56, 90]),
    )


def new_tenant(rng: random.Random) -> Params:
    """No history: spend starts on the first of the month."""
    return Params(
        rng.lognormvariate(4, 1.5),
        rng.uniform(0.0, 0.3),
        _weekly(rng, rng.uniform(0.2, 1.0)),
        rng.uniform(0.05, 0.2),
        rng.choice([0.0, 0.03]),
        (2.0, 5.0),
        0,
    )


def level_shift(rng: random.Random) -> Params:
    """A step change mid-month (a new feature ships, or a service is switched off)."""
    base = weekly(rng)
    return Params(
        base.level,
        base.growth,
        base.weekday,
        base.noise,
        0.0,
        (1, 1),
        HISTORY_DAYS,
        step=(rng.randint(3, 25), rng.choice([0.5, 0.7, 1.4, 2.0])),
    )


SCENARIOS: dict[str, Callable[[random.Random], Params]] = {
    "steady": steady,
    "growth": growth,
    "weekly": weekly,
    "spiky": spiky,
    "mixed": mixed,
    "new_tenant": new_tenant,
    "level_shift": level_shift,
}
TYPICAL = ("steady", "growth", "weekly", "spiky", "mixed", "new_tenant")


def simulate(params: Params, rng: random.Random, first: date, days: int, month_start: date) -> list[Decimal]:
    daily_growth = (1 + params.growth) ** (1 / 30)
    out: list[Decimal] = []
    for i in range(days):
        day = first + timedelta(days=i)
        value = params.level * daily_growth**i * params.weekday[day.weekday()]
        value *= rng.lognormvariate(-(params.noise**2) / 2, params.noise)
        if params.spike_rate and rng.random() < params.spike_rate:
            value *= rng.uniform(*params.spike_size)
        if params.step and day >= month_start + timedelta(days=params.step[0] - 1):
            value *= params.step[1]
        out.append(Decimal(repr(round(value, 6))))
    return out


@dataclass
class Outcome:
    scenario: str
    cut: int
    error: float  # |projected - actual| / actual
    covered: bool
    method: str


def backtest(seed: int = 20261126) -> list[Outcome]:
    outcomes: list[Outcome] = []
    for index, (name, make) in enumerate(SCENARIOS.items()):
        rng = random.Random(seed + index)
        for _ in range(SERIES_PER_SCENARIO):
            params = make(rng)
            month_start = date(rng.randint(2024, 2026), rng.randint(1, 12), 1)
            next_month = (month_start + timedelta(days=32)).replace(day=1)
            first = month_start - timedelta(days=params.history)
            series = simulate(params, rng, first, (next_month - first).days, month_start)
            offset = params.history
            actual = sum(series[offset:], Decimal(0))
            for cut in CUTS:
                now = datetime(month_start.year, month_start.month, month_start.day, tzinfo=UTC) + timedelta(
                    days=cut
                )
                seen = series[: offset + cut]
                forecast = forecast_spend(
                    history=seen,
                    first_day=first,
                    today=Decimal(0),
                    now=now,
                    spent=sum(series[offset : offset + cut], Decimal(0)),
                    amount=Decimal(10) ** 12,
                    horizon_end=datetime(next_month.year, next_month.month, 1, tzinfo=UTC),
                )
                projected = forecast.projected_spend_usd
                outcomes.append(
                    Outcome(
                        scenario=name,
                        cut=cut,
                        error=float(abs(projected - actual) / actual),
                        covered=forecast.lower_usd <= actual <= forecast.upper_usd,
                        method=forecast.method,
                    )
                )
    return outcomes


def _row(label: str, outcomes: list[Outcome]) -> str:
    cells = []
    for cut in CUTS:
        picked = [o for o in outcomes if o.cut == cut]
        mape = 100 * statistics.fmean(o.error for o in picked)
        coverage = 100 * sum(o.covered for o in picked) / len(picked)
        cells.append(f"{mape:5.1f}% {coverage:5.1f}%")
    return f"   {label:<22}" + "   ".join(cells)


def main() -> None:
    outcomes = backtest()
    print(f"   {SERIES_PER_SCENARIO} series per scenario; month-end projection; cells: MAPE, 80% coverage")
    print(f"   {'scenario':<22}" + "   ".join(f"day {cut:<2}          " for cut in CUTS))
    for name in SCENARIOS:
        print(_row(name, [o for o in outcomes if o.scenario == name]))
    typical = [o for o in outcomes if o.scenario in TYPICAL]
    print(_row("typical (no shift)", typical))
    print(_row("all", outcomes))
    day14 = [o for o in typical if o.cut == 14]
    mape14 = 100 * statistics.fmean(o.error for o in day14)
    cover = 100 * sum(o.covered for o in typical) / len(typical)
    print(f"   goal: MAPE <= 10% at day 14 (typical: {mape14:.1f}%), coverage 75-85% (typical: {cover:.1f}%)")
    methods: dict[str, int] = {}
    for o in outcomes:
        methods[o.method] = methods.get(o.method, 0) + 1
    print("   methods used: " + ", ".join(f"{k} {v}" for k, v in sorted(methods.items())))
    worst = sorted(o.error for o in day14)
    print(
        f"   day-14 error percentiles (typical): p50 {100 * worst[len(worst) // 2]:.1f}%, "
        f"p90 {100 * worst[int(len(worst) * 0.9)]:.1f}%, max {100 * worst[-1]:.1f}%"
    )
    assert math.isfinite(mape14)


if __name__ == "__main__":
    main()
