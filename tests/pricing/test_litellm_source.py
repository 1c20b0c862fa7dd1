"""LiteLLM's model_prices_and_context_window.json as a catalog source."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest

from finops.pricing import sources
from finops.pricing.rates import Tier, Tiered

DOC = {
    "sample_spec": {"input_cost_per_token": 0, "litellm_provider": "one of the providers"},
    "gpt-4o": {
        "litellm_provider": "openai",
        "mode": "chat",
        "max_input_tokens": 128000,
        "input_cost_per_token": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "cache_read_input_token_cost": 1.25e-06,
        "input_cost_per_token_batches": 1.25e-06,
        "output_cost_per_token_batches": 5e-06,
        "input_cost_per_token_priority": 4.25e-06,
        "output_cost_per_token_priority": 1.7e-05,
    },
    "gemini/gemini-2.5-pro": {
        "litellm_provider": "gemini",
        "input_cost_per_token": 1.25e-06,
        "input_cost_per_token_above_200k_tokens": 2.5e-06,
        "output_cost_per_token": 1e-05,
        "output_cost_per_token_above_200k_tokens": 1.5e-05,
        "input_cost_per_audio_token": 1e-06,
    },
    "gemini-2.5-pro": {"litellm_provider": "vertex_ai-language-models", "input_cost_per_token": 9e-06},
    "claude-sonnet-4-5": {
        "litellm_provider": "anthropic",
        "input_cost_per_token": 3e-06,
        "output_cost_per_token": 1.5e-05,
        "cache_creation_input_token_cost": 3.75e-06,
        "cache_creation_input_token_cost_above_1hr": 6e-06,
        "cache_read_input_token_cost": 3e-07,
    },
    "bedrock/us-east-1/anthropic.claude-3-haiku-20240307-v1:0": {
        "litellm_provider": "bedrock",
        "input_cost_per_token": 2.5e-07,
    },
    "amazon.nova-pro-v1:0": {
        "litellm_provider": "bedrock_converse",
        "input_cost_per_token": 8e-07,
        "output_cost_per_token": 3.2e-06,
    },
    "dall-e-3": {"litellm_provider": "openai", "mode": "image_generation", "output_cost_per_image": 0.04},
    "command-r": {"litellm_provider": "cohere", "input_cost_per_token": 1.5e-07},
}


def _parse() -> dict[tuple[str, str, str], dict[str, object]]:
    data = sources.parse(json.dumps(DOC).encode(), "litellm")
    return {(p.catalog_provider, p.model_id, p.variant): dict(p.rates) for p in data.prices}


class TestParse:
    def test_per_token_prices_become_exact_per_million_rates(self) -> None:
        prices = _parse()
        assert prices[("openai", "gpt-4o", "standard")] == {
            "input_mtok": Decimal("2.5"),
            "output_mtok": Decimal("10"),
            "cache_read_mtok": Decimal("1.25"),
        }
        assert prices[("anthropic", "claude-sonnet-4-5", "standard")] == {
            "input_mtok": Decimal("3"),
            "output_mtok": Decimal("15"),
            "cache_write_mtok": Decimal("3.75"),
            "cache_write_1h_mtok": Decimal("6"),
            "cache_read_mtok": Decimal("0.3"),
        }

    def test_suffixes_become_variants_over_the_standard_rates(self) -> None:
        prices = _parse()
        assert prices[("openai", "gpt-4o", "batch")] == {
            "input_mtok": Decimal("1.25"),
            "output_mtok": Decimal("5"),
            "cache_read_mtok": Decimal("1.25"),
        }
        assert prices[("openai", "gpt-4o", "priority")]["output_mtok"] == Decimal("17")

    def test_long_context_keys_become_tiers_and_the_providers_own_listing_wins(self) -> None:
        prices = _parse()
        assert prices[("google", "gemini-2.5-pro", "standard")] == {
            "input_mtok": Tiered(Decimal("1.25"), (Tier(200_000, Decimal("2.5")),)),
            "output_mtok": Tiered(Decimal("10"), (Tier(200_000, Decimal("15")),)),
            "input_audio_mtok": Decimal("1"),
        }

    def test_other_providers_regions_and_non_token_prices_are_skipped(self) -> None:
        keys = {(p, m) for p, m, _ in _parse()}
        assert keys == {
            ("openai", "gpt-4o"),
            ("google", "gemini-2.5-pro"),
            ("anthropic", "claude-sonnet-4-5"),
            ("aws", "amazon.nova-pro-v1:0"),
        }


class TestMalformed:
    @pytest.mark.parametrize(
        "document",
        [
            [],
            {"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": "cheap"}},
            {"gpt-4o": {"litellm_provider": "openai", "input_cost_per_token": -1e-06}},
            {"command-r": {"litellm_provider": "cohere", "input_cost_per_token": 1e-06}},
        ],
        ids=["not-an-object", "not-a-number", "negative", "nothing-for-our-providers"],
    )
    def test_is_refused(self, document: object) -> None:
        with pytest.raises(sources.CatalogUnavailable):
            sources.parse(json.dumps(document).encode(), "litellm")
