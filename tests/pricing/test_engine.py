"""The cost engine and price selection, without a database: exact Decimal arithmetic per bucket."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from finops.kit.errors import Unprocessable
from finops.pricing.catalog import Catalog, CatalogModel, PriceVersion
from finops.pricing.engine import BREAKDOWN_KEYS, compute_cost
from finops.pricing.rates import Rates, Tier, Tiered, rates_from_json, rates_to_json
from finops.pricing.service import price_usage, requested_variant
from finops.pricing.usage import NormalizedUsage

D = Decimal
JAN = datetime(2026, 1, 1, tzinfo=UTC)
JUN = datetime(2026, 6, 1, tzinfo=UTC)


def _rates(**values: str | Tiered) -> Rates:
    return {k: (v if isinstance(v, Tiered) else D(v)) for k, v in values.items()}


class TestComputeCost:
    def test_every_bucket_has_its_own_rate(self) -> None:
        rates = _rates(
            input_mtok="2",
            cache_read_mtok="0.5",
            cache_write_mtok="2.5",
            cache_write_1h_mtok="4",
            output_mtok="8",
            output_reasoning_mtok="9",
            input_audio_mtok="30",
            output_audio_mtok="60",
            input_image_mtok="3",
        )
        usage = NormalizedUsage(
            input_tokens=10_000,
            cached_input_tokens=3_000,
            cache_write_tokens=2_000,
            cache_write_1h_tokens=500,
            audio_input_tokens=1_000,
            image_input_tokens=500,
            output_tokens=4_000,
            reasoning_tokens=1_000,
            audio_output_tokens=1_000,
        )
        cost = compute_cost(usage, rates)
        # uncached text = 10,000 - 3,000 - 2,000 - 1,000 - 500 = 3,500 × 2/M = 0.007
        # cached 3,000 × 0.5/M = 0.0015; 5m writes 1,500 × 2.5/M = 0.00375; 1h 500 × 4/M = 0.002
        # text out 4,000 - 1,000 - 1,000 = 2,000 × 8/M = 0.016; reasoning 1,000 × 9/M = 0.009
        # audio in 1,000 × 30/M = 0.03; audio out 1,000 × 60/M = 0.06; image 500 × 3/M = 0.0015
        expected = {
            "input": D("0.007"),
            "cached_input": D("0.0015"),
            "cache_write": D("0.00375"),
            "cache_write_1h": D("0.002"),
            "output": D("0.016"),
            "reasoning": D("0.009"),
            "audio_input": D("0.03"),
            "audio_output": D("0.06"),
            "image_input": D("0.0015"),
            "requests": D("0"),
        }
        assert cost.breakdown == expected
        assert cost.total == D("0.13075")
        assert set(cost.breakdown) == set(BREAKDOWN_KEYS)

    def test_buckets_without_a_rate_fall_back_to_their_parent(self) -> None:
        usage = NormalizedUsage(
            input_tokens=1_000,
            cached_input_tokens=200,
            cache_write_tokens=300,
            cache_write_1h_tokens=100,
            output_tokens=500,
            reasoning_tokens=100,
        )
        cost = compute_cost(usage, _rates(input_mtok="1", output_mtok="4"))
        # every input bucket at 1/M, every output bucket at 4/M: 1,000 × 1/M + 500 × 4/M
        assert cost.total == D("0.003")
        assert cost.breakdown["cache_write_1h"] == D("0.0001")

    def test_one_hour_writes_without_their_own_rate_use_the_write_rate(self) -> None:
        usage = NormalizedUsage(input_tokens=1_000, cache_write_tokens=1_000, cache_write_1h_tokens=1_000)
        cost = compute_cost(usage, _rates(input_mtok="1", cache_write_mtok="1.25"))
        assert cost.breakdown["cache_write_1h"] == D("0.00125")

    def test_tiered_rates_switch_for_the_whole_request(self) -> None:
        rates = _rates(
            input_mtok=Tiered(D("1"), (Tier(100, D("2")),)),
            output_mtok=Tiered(D("10"), (Tier(100, D("20")),)),
        )
        at_threshold = compute_cost(NormalizedUsage(input_tokens=100, output_tokens=10), rates)
        above = compute_cost(NormalizedUsage(input_tokens=101, output_tokens=10), rates)
        assert at_threshold.total == D("0.0002")  # 100 × 1/M + 10 × 10/M
        assert above.total == D("0.000402")  # 101 × 2/M + 10 × 20/M

    def test_per_request_price(self) -> None:
        cost = compute_cost(NormalizedUsage(input_tokens=0), _rates(input_mtok="1", requests_kcount="5"))
        assert cost.breakdown["requests"] == D("0.005")  # $5 per thousand requests, one request

    def test_amounts_keep_twelve_places_with_bankers_rounding(self) -> None:
        # 1 token × 0.0000005/M = 5e-13 → rounds half to even at 1e-12: 0
        tiny = compute_cost(NormalizedUsage(input_tokens=1), _rates(input_mtok="0.0000005"))
        assert tiny.total == D(0)
        # 3 tokens × 0.0000005/M = 1.5e-12 → 2e-12
        rounded = compute_cost(NormalizedUsage(input_tokens=3), _rates(input_mtok="0.0000005"))
        assert rounded.total == D("2E-12")
        # 1 token at 0.02/M = 2e-8, exactly
        assert compute_cost(NormalizedUsage(input_tokens=1), _rates(input_mtok="0.02")).total == D("2E-8")

    def test_zero_usage_costs_zero(self) -> None:
        cost = compute_cost(NormalizedUsage(), _rates(input_mtok="1", output_mtok="2"))
        assert cost.total == 0
        assert all(v == 0 for v in cost.breakdown.values())


class TestNormalizedUsage:
    @pytest.mark.parametrize(
        ("fields", "code"),
        [
            ({"input_tokens": -1}, "negative_tokens"),
            ({"input_tokens": 10, "cached_input_tokens": 6, "cache_write_tokens": 5}, "cached_exceeds_input"),
            ({"input_tokens": 10, "cache_write_tokens": 5, "cache_write_1h_tokens": 6}, "inconsistent_usage"),
            ({"input_tokens": 10, "cached_input_tokens": 5, "audio_input_tokens": 6}, "inconsistent_usage"),
            ({"output_tokens": 10, "reasoning_tokens": 6, "audio_output_tokens": 5}, "inconsistent_usage"),
        ],
    )
    def test_inconsistent_counts_are_refused(self, fields: dict[str, int], code: str) -> None:
        with pytest.raises(Unprocessable) as caught:
            NormalizedUsage(**fields)
        assert caught.value.code == code
        assert caught.value.status_code == 422


class TestRatesJson:
    def test_round_trip_keeps_decimals_and_tiers(self) -> None:
        rates = _rates(input_mtok=Tiered(D("1.25"), (Tier(200_000, D("2.5")),)), output_mtok="10.000001")
        assert rates_from_json(rates_to_json(rates)) == rates


def _catalog() -> Catalog:
    entry = CatalogModel("openai", "m1", {"starts_with": "m1"})
    standard = [
        PriceVersion(1, "openai", "m1", "standard", JAN, JUN, _rates(input_mtok="2", output_mtok="8")),
        PriceVersion(2, "openai", "m1", "standard", JUN, None, _rates(input_mtok="1", output_mtok="4")),
    ]
    flex = [PriceVersion(3, "openai", "m1", "flex", JAN, None, _rates(input_mtok="0.5", output_mtok="2"))]
    return Catalog(
        revision=1,
        models={"openai": [entry]},
        fallbacks={},
        versions={("openai", "m1", "standard"): standard, ("openai", "m1", "flex"): flex},
    )


class TestPriceSelection:
    USAGE = NormalizedUsage(input_tokens=1_000_000, output_tokens=1_000_000)

    def test_the_version_in_force_at_the_instant(self) -> None:
        catalog = _catalog()
        before = price_usage(catalog, provider="openai", model="m1-2026", usage=self.USAGE, occurred_at=JAN)
        after = price_usage(catalog, provider="openai", model="m1", usage=self.USAGE, occurred_at=JUN)
        assert (before.price_id, before.cost_usd) == (1, D("10"))
        assert (after.price_id, after.cost_usd) == (2, D("5"))

    def test_before_the_first_version_is_unpriced(self) -> None:
        early = datetime(2025, 1, 1, tzinfo=UTC)
        priced = price_usage(_catalog(), provider="openai", model="m1", usage=self.USAGE, occurred_at=early)
        assert (priced.priced, priced.cost_usd, priced.price_id) == (False, D(0), None)
        assert priced.notes

    def test_unknown_model_is_unpriced_with_a_note(self) -> None:
        priced = price_usage(_catalog(), provider="openai", model="zz", usage=self.USAGE, occurred_at=JUN)
        assert not priced.priced
        assert "not in the price catalog" in priced.notes[0]

    def test_a_listed_tier_uses_its_rates(self) -> None:
        priced = price_usage(
            _catalog(), provider="openai", model="m1", usage=self.USAGE, occurred_at=JUN, service_tier="flex"
        )
        assert (priced.variant, priced.cost_usd, priced.price_id) == ("flex", D("2.5"), 3)

    def test_an_unlisted_tier_falls_back_to_standard_with_a_note(self) -> None:
        priced = price_usage(
            _catalog(),
            provider="openai",
            model="m1",
            usage=self.USAGE,
            occurred_at=JUN,
            service_tier="priority",
        )
        assert (priced.variant, priced.cost_usd) == ("standard", D("5"))
        assert "priority" in priced.notes[0]

    def test_batch_without_a_batch_rate_is_half_of_standard(self) -> None:
        priced = price_usage(
            _catalog(), provider="openai", model="m1", usage=self.USAGE, occurred_at=JUN, batch=True
        )
        assert (priced.variant, priced.cost_usd) == ("batch_rule", D("2.5"))

    @pytest.mark.parametrize(
        ("batch", "tier", "variant"),
        [
            (False, None, "standard"),
            (False, "default", "standard"),
            (False, "Flex", "flex"),
            (True, "flex", "batch"),
        ],
    )
    def test_requested_variant(self, batch: bool, tier: str | None, variant: str) -> None:
        assert requested_variant(batch=batch, service_tier=tier) == variant
