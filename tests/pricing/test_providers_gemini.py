"""Gemini `usageMetadata` priced against hand computations.

Rates ($ per million tokens, bundled genai-prices, matching https://ai.google.dev/gemini-api/docs/pricing):
gemini-2.5-flash 0.30 text in / 1.00 audio in / 0.03 cached / 2.50 out (thinking included);
gemini-2.5-pro 1.25 in / 0.125 cached / 10 out for prompts ≤ 200k tokens, and 2.50 / 0.25 / 15 for
the WHOLE request once the prompt exceeds 200k.
Inclusion rules: promptTokenCount includes cachedContentTokenCount; toolUsePromptTokenCount and
thoughtsTokenCount are separate (thoughts billed as output) — except in responses whose candidates
already include the thoughts, recognisable by prompt + candidates + toolUse == total.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory
from tests.fixtures.pricing import breakdown, ingest, rejected


async def _ingest(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    tenant: str,
    events: EventFactory,
    usage: dict[str, Any],
    model: str = "gemini-2.5-flash",
    **extra: Any,
) -> dict[str, Any]:
    payload = events(tenant_id=tenant, provider="gemini", model=model, provider_usage=usage, **extra)
    return await ingest(client, auth("service", tenant), payload)


class TestUsageMetadata:
    async def test_cached_content_is_inside_the_prompt(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "promptTokenCount": 10_000,
            "cachedContentTokenCount": 6_000,
            "candidatesTokenCount": 500,
            "totalTokenCount": 10_500,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # uncached 4,000 × 0.30/M = 0.0012; cached 6,000 × 0.03/M = 0.00018; output 500 × 2.50/M = 0.00125
        # total 0.00263 (counting the cache on top of the prompt would add 6,000 × 0.30/M more).
        assert body["cost_usd"] == "0.00263"
        assert body["cost_breakdown"] == breakdown(input="0.0012", cached_input="0.00018", output="0.00125")
        assert body["usage"]["input_tokens"] == 10_000
        assert body["usage_source"] == "gemini_usage_metadata"

    async def test_thoughts_are_separate_and_billed_as_output(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "promptTokenCount": 1_000,
            "candidatesTokenCount": 200,
            "thoughtsTokenCount": 800,
            "totalTokenCount": 2_000,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # input 1,000 × 0.30/M = 0.0003; candidates 200 × 2.50/M = 0.0005; thoughts 800 × 2.50/M = 0.002
        assert body["cost_usd"] == "0.0028"
        assert body["cost_breakdown"] == breakdown(input="0.0003", output="0.0005", reasoning="0.002")
        assert (body["usage"]["output_tokens"], body["usage"]["reasoning_tokens"]) == (1_000, 800)

    async def test_candidates_already_inclusive_of_thoughts_are_not_added_twice(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        # The same call reported the other way: candidates (1,000) already include the 800 thoughts,
        # so prompt + candidates == total.
        usage = {
            "promptTokenCount": 1_000,
            "candidatesTokenCount": 1_000,
            "thoughtsTokenCount": 800,
            "totalTokenCount": 2_000,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # Same as above: 0.0003 + 200 × 2.50/M + 800 × 2.50/M = 0.0028 (not 0.0048).
        assert body["cost_usd"] == "0.0028"
        assert body["cost_breakdown"] == breakdown(input="0.0003", output="0.0005", reasoning="0.002")
        assert (body["usage"]["output_tokens"], body["usage"]["reasoning_tokens"]) == (1_000, 800)

    async def test_tool_use_prompt_tokens_are_extra_input(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "promptTokenCount": 1_000,
            "toolUsePromptTokenCount": 500,
            "candidatesTokenCount": 300,
            "thoughtsTokenCount": 200,
            "totalTokenCount": 2_000,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # input (1,000 + 500) × 0.30/M = 0.00045; output 300 × 2.50/M = 0.00075;
        # thoughts 200 × 2.50/M = 0.0005
        assert body["cost_usd"] == "0.0017"
        assert body["cost_breakdown"] == breakdown(input="0.00045", output="0.00075", reasoning="0.0005")
        assert body["usage"]["input_tokens"] == 1_500

    async def test_inclusive_check_counts_tool_use_tokens(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        # prompt 1,000 + candidates 300 (thoughts 200 inside) + toolUse 500 == total 1,800.
        usage = {
            "promptTokenCount": 1_000,
            "toolUsePromptTokenCount": 500,
            "candidatesTokenCount": 300,
            "thoughtsTokenCount": 200,
            "totalTokenCount": 1_800,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # input 1,500 × 0.30/M = 0.00045; output 100 × 2.50/M = 0.00025; thoughts 200 × 2.50/M = 0.0005
        assert body["cost_usd"] == "0.0012"
        assert body["cost_breakdown"] == breakdown(input="0.00045", output="0.00025", reasoning="0.0005")

    async def test_audio_prompt_tokens_use_the_audio_rate(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "promptTokenCount": 5_000,
            "candidatesTokenCount": 100,
            "totalTokenCount": 5_100,
            "promptTokensDetails": [
                {"modality": "TEXT", "tokenCount": 1_000},
                {"modality": "AUDIO", "tokenCount": 4_000},
            ],
            "candidatesTokensDetails": [{"modality": "TEXT", "tokenCount": 100}],
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # text 1,000 × 0.30/M = 0.0003; audio 4,000 × 1.00/M = 0.004; output 100 × 2.50/M = 0.00025
        assert body["cost_usd"] == "0.00455"
        assert body["cost_breakdown"] == breakdown(input="0.0003", audio_input="0.004", output="0.00025")

    async def test_models_prefix_and_a_whole_response_body(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        response_body = {
            "candidates": [{"content": {"parts": [{"text": "hi"}], "role": "model"}}],
            "usageMetadata": {"promptTokenCount": 1_000_000, "candidatesTokenCount": 100_000},
            "modelVersion": "gemini-2.5-flash",
        }
        body = await _ingest(client, auth, tenant, events, response_body, model="models/gemini-2.5-flash")
        # 1M × 0.30/M = 0.3; 100,000 × 2.50/M = 0.25
        assert body["cost_usd"] == "0.55"
        assert body["catalog_model"] == "google/gemini-2.5-flash"

    async def test_batch_rates(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"promptTokenCount": 1_000_000, "candidatesTokenCount": 1_000_000}
        body = await _ingest(client, auth, tenant, events, usage, batch=True)
        # Batch: 0.15/M in, 1.25/M out.
        assert body["cost_usd"] == "1.4"
        assert body["price_variant"] == "batch"


class TestLongContextTier:
    async def test_over_200k_prices_the_whole_request_at_the_tier_rate(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "promptTokenCount": 250_000,
            "cachedContentTokenCount": 50_000,
            "candidatesTokenCount": 2_000,
            "thoughtsTokenCount": 3_000,
            "totalTokenCount": 255_000,
        }
        body = await _ingest(client, auth, tenant, events, usage, model="models/gemini-2.5-pro")
        # prompt 250,000 > 200k → 2.50 in / 0.25 cached / 15 out for every token of the request:
        # uncached 200,000 × 2.50/M = 0.5; cached 50,000 × 0.25/M = 0.0125;
        # output 2,000 × 15/M = 0.03; thoughts 3,000 × 15/M = 0.045; total 0.5875.
        assert body["cost_usd"] == "0.5875"
        assert body["cost_breakdown"] == breakdown(
            input="0.5", cached_input="0.0125", output="0.03", reasoning="0.045"
        )
        assert body["catalog_model"] == "google/gemini-2.5-pro"

    async def test_exactly_200k_stays_at_the_base_rate(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"promptTokenCount": 200_000, "candidatesTokenCount": 1_000, "totalTokenCount": 201_000}
        body = await _ingest(client, auth, tenant, events, usage, model="gemini-2.5-pro")
        # 200,000 × 1.25/M = 0.25; 1,000 × 10/M = 0.01
        assert body["cost_usd"] == "0.26"
        assert body["cost_breakdown"] == breakdown(input="0.25", output="0.01")


class TestInvalidUsage:
    @pytest.mark.parametrize(
        ("usage", "code"),
        [
            ({"promptTokenCount": "1000", "candidatesTokenCount": 1}, "invalid_provider_usage"),
            ({"promptTokenCount": 1000, "thoughtsTokenCount": -1}, "negative_tokens"),
            ({"promptTokenCount": 100, "cachedContentTokenCount": 101}, "cached_exceeds_input"),
            (
                {"promptTokenCount": 100, "promptTokensDetails": {"modality": "AUDIO"}},
                "invalid_provider_usage",
            ),
            ({"promptTokenCount": 100, "promptTokensDetails": [5]}, "invalid_provider_usage"),
            (
                {"promptTokenCount": 100, "promptTokensDetails": [{"modality": "AUDIO", "tokenCount": "9"}]},
                "invalid_provider_usage",
            ),
            ({"prompt_tokens": 100}, "invalid_provider_usage"),
        ],
    )
    async def test_refused_with_a_code(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        events: EventFactory,
        usage: dict[str, Any],
        code: str,
    ) -> None:
        payload = events(tenant_id=tenant, provider="gemini", model="gemini-2.5-flash", provider_usage=usage)
        assert await rejected(client, auth("service", tenant), payload) == (422, code)
