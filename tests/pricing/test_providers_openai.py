"""OpenAI usage objects (Chat Completions, Responses, Embeddings) priced against hand computations.

Rates ($ per million tokens) are the bundled genai-prices list prices, which match
https://platform.openai.com/pricing: gpt-4o 2.50 in / 1.25 cached / 10 out; gpt-4o-mini 0.15 /
0.075 / 0.60; o4-mini 1.10 / 0.275 / 4.40; o3 2 / 0.50 / 8 (10 / 0.50 / 40 before 2025-06-10);
gpt-audio 2.50 text in / 10 text out / 32 audio in / 64 audio out; text-embedding-3-small 0.02.
Inclusion rules: prompt_tokens includes cached_tokens and audio_tokens; completion_tokens includes
reasoning_tokens and audio_tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory
from tests.fixtures.pricing import breakdown, ingest, rejected


class TestChatCompletions:
    async def test_cached_tokens_are_inside_prompt_tokens(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "prompt_tokens": 10_000,
            "completion_tokens": 1_000,
            "total_tokens": 11_000,
            "prompt_tokens_details": {"cached_tokens": 4_000, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 0},
        }
        body = await ingest(
            client, auth("service", tenant), events(tenant_id=tenant, model="gpt-4o", provider_usage=usage)
        )
        # uncached 6,000 × 2.50/M = 0.015; cached 4,000 × 1.25/M = 0.005; output 1,000 × 10/M = 0.01
        # total 0.03 (adding the cached tokens on top of prompt_tokens would give 0.035).
        assert body["cost_usd"] == "0.03"
        assert body["cost_breakdown"] == breakdown(input="0.015", cached_input="0.005", output="0.01")
        assert body["usage"]["input_tokens"] == 10_000
        assert body["usage"]["cached_input_tokens"] == 4_000
        assert body["usage_source"] == "openai_chat"
        assert body["catalog_model"] == "openai/gpt-4o"

    async def test_reasoning_tokens_are_inside_completion_tokens(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "prompt_tokens": 2_000,
            "completion_tokens": 5_000,
            "total_tokens": 7_000,
            "completion_tokens_details": {"reasoning_tokens": 4_000},
        }
        body = await ingest(
            client, auth("service", tenant), events(tenant_id=tenant, model="o4-mini", provider_usage=usage)
        )
        # input 2,000 × 1.10/M = 0.0022; visible output 1,000 × 4.40/M = 0.0044;
        # reasoning 4,000 × 4.40/M = 0.0176; total 0.0242.
        assert body["cost_usd"] == "0.0242"
        assert body["cost_breakdown"] == breakdown(input="0.0022", output="0.0044", reasoning="0.0176")
        assert (body["usage"]["output_tokens"], body["usage"]["reasoning_tokens"]) == (5_000, 4_000)

    async def test_audio_tokens_are_priced_at_the_audio_rates(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "prompt_tokens": 1_500,
            "completion_tokens": 800,
            "total_tokens": 2_300,
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 1_000, "text_tokens": 500},
            "completion_tokens_details": {"reasoning_tokens": 0, "audio_tokens": 600, "text_tokens": 200},
        }
        body = await ingest(
            client, auth("service", tenant), events(tenant_id=tenant, model="gpt-audio", provider_usage=usage)
        )
        # text in 500 × 2.50/M = 0.00125; audio in 1,000 × 32/M = 0.032;
        # text out 200 × 10/M = 0.002; audio out 600 × 64/M = 0.0384; total 0.07365.
        assert body["cost_usd"] == "0.07365"
        assert body["cost_breakdown"] == breakdown(
            input="0.00125", audio_input="0.032", output="0.002", audio_output="0.0384"
        )

    async def test_a_whole_response_body_is_accepted(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        response_body = {
            "id": "chatcmpl-abc",
            "object": "chat.completion",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}}],
            "usage": {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000, "total_tokens": 2_000_000},
        }
        body = await ingest(
            client,
            auth("service", tenant),
            events(tenant_id=tenant, model="gpt-4o-mini-2024-07-18", provider_usage=response_body),
        )
        # 1M × 0.15/M + 1M × 0.60/M = 0.75
        assert body["cost_usd"] == "0.75"
        assert body["catalog_model"] == "openai/gpt-4o-mini"

    async def test_dated_model_id_matches_its_family(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"prompt_tokens": 100_000, "completion_tokens": 10_000, "total_tokens": 110_000}
        body = await ingest(
            client,
            auth("service", tenant),
            events(tenant_id=tenant, model="gpt-4o-2024-08-06", provider_usage=usage),
        )
        # 100,000 × 2.50/M = 0.25; 10,000 × 10/M = 0.1
        assert body["cost_usd"] == "0.35"
        assert body["catalog_model"] == "openai/gpt-4o"

    async def test_azure_openai_uses_the_openai_parser_and_prices(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "prompt_tokens": 10_000,
            "completion_tokens": 1_000,
            "total_tokens": 11_000,
            "prompt_tokens_details": {"cached_tokens": 4_000},
        }
        body = await ingest(
            client,
            auth("service", tenant),
            events(tenant_id=tenant, provider="azure_openai", model="gpt-4o", provider_usage=usage),
        )
        assert body["cost_usd"] == "0.03"  # as the Chat Completions case above
        assert body["usage_source"] == "openai_chat"

    async def test_batch_events_use_the_batch_rates(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"prompt_tokens": 1_000_000, "completion_tokens": 1_000_000, "total_tokens": 2_000_000}
        body = await ingest(
            client,
            auth("service", tenant),
            events(tenant_id=tenant, model="gpt-4o-mini", batch=True, provider_usage=usage),
        )
        # Batch API: 0.075/M in, 0.30/M out (half of on-demand).
        assert body["cost_usd"] == "0.375"
        assert body["price_variant"] == "batch"

    async def test_priority_tier_uses_the_priority_rates(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"prompt_tokens": 1_000_000, "completion_tokens": 100_000, "total_tokens": 1_100_000}
        body = await ingest(
            client,
            auth("service", tenant),
            events(tenant_id=tenant, model="gpt-4o", service_tier="priority", provider_usage=usage),
        )
        # Priority: 4.25/M in, 17/M out → 4.25 + 1.7
        assert body["cost_usd"] == "5.95"
        assert body["price_variant"] == "priority"


class TestResponsesApi:
    USAGE: dict[str, Any] = {
        "input_tokens": 12_000,
        "input_tokens_details": {"cached_tokens": 8_000},
        "output_tokens": 3_000,
        "output_tokens_details": {"reasoning_tokens": 2_500},
        "total_tokens": 15_000,
    }

    async def test_cached_and_reasoning_are_subsets(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        body = await ingest(
            client, auth("service", tenant), events(tenant_id=tenant, model="o3", provider_usage=self.USAGE)
        )
        # uncached 4,000 × 2/M = 0.008; cached 8,000 × 0.50/M = 0.004;
        # visible output 500 × 8/M = 0.004; reasoning 2,500 × 8/M = 0.02; total 0.036.
        assert body["cost_usd"] == "0.036"
        assert body["cost_breakdown"] == breakdown(
            input="0.008", cached_input="0.004", output="0.004", reasoning="0.02"
        )
        assert body["usage_source"] == "openai_responses"

    async def test_the_price_in_force_when_the_call_happened_applies(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        before_cut = datetime(2025, 6, 1, 12, tzinfo=UTC)
        body = await ingest(
            client,
            auth("service", tenant),
            events(tenant_id=tenant, model="o3", occurred_at=before_cut, provider_usage=self.USAGE),
        )
        # o3 before 2025-06-10: 10/M in, 0.50/M cached, 40/M out.
        # 4,000 × 10/M = 0.04; 8,000 × 0.5/M = 0.004; 500 × 40/M = 0.02; 2,500 × 40/M = 0.1
        assert body["cost_usd"] == "0.164"
        assert body["cost_breakdown"] == breakdown(
            input="0.04", cached_input="0.004", output="0.02", reasoning="0.1"
        )


class TestEmbeddings:
    async def test_prompt_tokens_only(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"prompt_tokens": 50_000, "total_tokens": 50_000}
        body = await ingest(
            client,
            auth("service", tenant),
            events(tenant_id=tenant, model="text-embedding-3-small", provider_usage=usage),
        )
        # 50,000 × 0.02/M = 0.001
        assert body["cost_usd"] == "0.001"
        assert body["cost_breakdown"] == breakdown(input="0.001")
        assert body["usage_source"] == "openai_embeddings"


class TestInvalidUsage:
    @pytest.mark.parametrize(
        ("usage", "code"),
        [
            ({"prompt_tokens": "100", "completion_tokens": 1}, "invalid_provider_usage"),
            ({"prompt_tokens": 100.0, "completion_tokens": 1}, "invalid_provider_usage"),
            ({"prompt_tokens": True, "completion_tokens": 1}, "invalid_provider_usage"),
            ({"prompt_tokens": -5, "completion_tokens": 1}, "negative_tokens"),
            (
                {"prompt_tokens": 10, "completion_tokens": 1, "prompt_tokens_details": []},
                "invalid_provider_usage",
            ),
            (
                {"prompt_tokens": 10, "completion_tokens": 1, "prompt_tokens_details": {"cached_tokens": 11}},
                "cached_exceeds_input",
            ),
            (
                {
                    "prompt_tokens": 10,
                    "completion_tokens": 5,
                    "completion_tokens_details": {"reasoning_tokens": 6},
                },
                "inconsistent_usage",
            ),
            ({"input_tokens": 10, "output_tokens": "3"}, "invalid_provider_usage"),
            ({"total_tokens": 10}, "invalid_provider_usage"),
            ({}, "invalid_provider_usage"),
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
        payload = events(tenant_id=tenant, model="gpt-4o", provider_usage=usage)
        assert await rejected(client, auth("service", tenant), payload) == (422, code)
