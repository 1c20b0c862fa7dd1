"""The spend forecast on hand-made daily series: which method answers, what it projects, its
interval and the exhaustion date. (Its accuracy on realistic series: bench/forecast_backtest.py.)"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from finops.budgets.forecast import forecast_spend
from finops.budgets.schemas import Forecast

NOW = datetime(2026, 6, 15, tzinfo=UTC)  # a Monday, midnight: 16 whole days left in June
MONTH_END = datetime(2026, 7, 1, tzinfo=UTC)


def _forecast(
    history: list[float],
    *,
    spent: str = "0",
    amount: str = "1000000",
    today: str = "0",
    now: datetime = NOW,
) -> Forecast:
    first_day = (now - timedelta(days=len(history))).date()
    return forecast_spend(
        history=[Decimal(str(v)) for v in history],
        first_day=first_day,
        today=Decimal(today),
        now=now,
        spent=Decimal(spent),
        amount=Decimal(amount),
        horizon_end=MONTH_END,
    )


def _weekly(days: int, *, weekday: float, weekend: float, end: date = NOW.date()) -> list[float]:
    start = end - timedelta(days=days)
    return [weekend if (start + timedelta(days=i)).weekday() >= 5 else weekday for i in range(days)]


class TestMethod:
    def test_nothing_seen_yet(self) -> None:
        forecast = _forecast([])
        assert (forecast.method, forecast.projected_spend_usd, forecast.exhaustion_date) == ("none", 0, None)

    def test_first_hours_use_todays_rate(self) -> None:
        forecast = _forecast([], today="5", spent="5", now=NOW + timedelta(hours=12))
        assert forecast.method == "run_rate"
        # $10/day for the remaining 15.5 days
        assert forecast.projected_spend_usd == Decimal("160.00")
        assert forecast.lower_usd < forecast.projected_spend_usd < forecast.upper_usd

    def test_a_few_days_use_the_run_rate(self) -> None:
        forecast = _forecast([10, 12, 8, 10, 10], spent="50")
        assert forecast.method == "run_rate"
        assert forecast.projected_spend_usd == Decimal("210.00")
        assert forecast.history_days == 5

    def test_leading_days_without_spend_are_not_history(self) -> None:
        forecast = _forecast([0] * 20 + [10] * 5, spent="50")
        assert (forecast.method, forecast.history_days) == ("run_rate", 5)

    def test_two_weeks_bring_weekly_seasonality(self) -> None:
        history = _weekly(28, weekday=10, weekend=2)
        forecast = _forecast(history)
        assert forecast.method == "weekly_seasonal"
        # 16 days from Monday June 15: 12 weekdays and 4 weekend days
        assert abs(forecast.projected_spend_usd - Decimal(12 * 10 + 4 * 2)) < Decimal("0.5")


class TestProjection:
    def test_linear_growth_is_extrapolated(self) -> None:
        history = [100 + 2 * i for i in range(28)]
        forecast = _forecast(history)
        expected = sum(100 + 2 * (28 + i) for i in range(16))
        assert abs(forecast.projected_spend_usd - expected) / expected < Decimal("0.01")

    def test_one_spike_neither_vanishes_nor_becomes_a_trend(self) -> None:
        calm = _forecast([100.0] * 28)
        spiky = _forecast([100.0] * 27 + [1000.0])
        # A $900 excess once in 28 days is expected again at that average rate (~$32/day over the
        # 16 days left), not as a new $1,000/day level nor as nothing.
        allowance = Decimal(16 * 900) / 28
        assert calm.projected_spend_usd + allowance * Decimal("0.8") < spiky.projected_spend_usd
        assert spiky.projected_spend_usd < calm.projected_spend_usd + allowance * Decimal("1.2")
        assert spiky.upper_usd - spiky.lower_usd > calm.upper_usd - calm.lower_usd

    def test_a_level_shift_is_followed(self) -> None:
        forecast = _forecast([100.0] * 40 + [200.0] * 7)
        assert forecast.method == "weekly_seasonal_since_shift"
        assert abs(forecast.projected_spend_usd - 16 * 200) < 16 * 200 * Decimal("0.02")

    def test_interval_is_ordered_and_never_below_spend(self) -> None:
        for history in ([5, 50, 1, 80, 3], [10.0] * 30, _weekly(56, weekday=30, weekend=1)):
            forecast = _forecast(history, spent="123.45")
            assert (
                Decimal("123.45") <= forecast.lower_usd <= forecast.projected_spend_usd <= forecast.upper_usd
            )

    def test_noise_free_history_gives_a_narrow_interval(self) -> None:
        forecast = _forecast([50.0] * 30)
        assert forecast.upper_usd - forecast.lower_usd < Decimal("1")


class TestExhaustion:
    def test_date_the_amount_is_reached(self) -> None:
        forecast = _forecast([10.0] * 30, spent="100", amount="125")
        assert forecast.exhaustion_date == NOW + timedelta(days=2.5)

    def test_none_when_the_period_ends_first(self) -> None:
        forecast = _forecast([10.0] * 30, spent="100", amount="1000")
        assert forecast.exhaustion_date is None
        assert forecast.projected_spend_usd < 1000

    def test_already_exhausted_keeps_the_given_date(self) -> None:
        reached = NOW - timedelta(days=3)
        forecast = forecast_spend(
            history=[Decimal(10)] * 30,
            first_day=date(2026, 5, 16),
            today=Decimal(0),
            now=NOW,
            spent=Decimal(200),
            amount=Decimal(100),
            horizon_end=MONTH_END,
            exhausted_at=reached,
        )
        assert forecast.exhaustion_date == reached
