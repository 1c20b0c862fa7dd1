"""AWS Bedrock usage (Converse `usage`, InvokeModel Anthropic bodies) priced against hand computations.

Rates ($ per million tokens, bundled genai-prices, matching https://aws.amazon.com/bedrock/pricing/):
Claude Haiku 4.5 through a regional/geo profile (us., eu., or the plain id) 1.10 in / 1.375 5m cache
write / 2.20 1h cache write / 0.11 cache read / 5.50 out; Claude Sonnet 4.5 through the global profile
3 / 3.75 / 6 / 0.30 / 15 and 10 % more regionally (3.30 in, 16.50 out); Nova Lite 0.06 in /
0.015 cache read / 0.24 out.
Inclusion rules: Converse `inputTokens` EXCLUDES `cacheReadInputTokens` and `cacheWriteInputTokens`;
`cacheDetails` splits the writes by TTL.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.conftest import TokenFactory
from tests.fixtures.events import EventFactory
from tests.fixtures.pricing import breakdown, ingest, rejected

HAIKU_US = "us.anthropic.claude-haiku-4-5-20251001-v1:0"


async def _ingest(
    client: httpx.AsyncClient,
    auth: TokenFactory,
    tenant: str,
    events: EventFactory,
    usage: dict[str, Any],
    model: str = HAIKU_US,
    **extra: Any,
) -> dict[str, Any]:
    payload = events(tenant_id=tenant, provider="bedrock", model=model, provider_usage=usage, **extra)
    return await ingest(client, auth("service", tenant), payload)


class TestConverse:
    async def test_cache_reads_and_writes_are_separate_from_input_tokens(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "inputTokens": 2_000,
            "outputTokens": 500,
            "totalTokens": 15_500,
            "cacheReadInputTokens": 10_000,
            "cacheWriteInputTokens": 3_000,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # input 2,000 × 1.10/M = 0.0022; cache read 10,000 × 0.11/M = 0.0011;
        # cache write (5m) 3,000 × 1.375/M = 0.004125; output 500 × 5.50/M = 0.00275; total 0.010175.
        assert body["cost_usd"] == "0.010175"
        assert body["cost_breakdown"] == breakdown(
            input="0.0022", cached_input="0.0011", cache_write="0.004125", output="0.00275"
        )
        assert body["usage"]["input_tokens"] == 15_000  # normalized: all input
        assert body["usage_source"] == "bedrock_converse"
        assert body["catalog_model"] == "aws/regional.anthropic.claude-haiku-4-5-20251001-v1:0"

    async def test_one_hour_cache_writes_from_cache_details(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "inputTokens": 2_000,
            "outputTokens": 500,
            "totalTokens": 15_500,
            "cacheReadInputTokens": 10_000,
            "cacheWriteInputTokens": 3_000,
            "cacheDetails": [{"ttl": "1h", "inputTokens": 2_000}, {"ttl": "5m", "inputTokens": 1_000}],
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # 5m writes 1,000 × 1.375/M = 0.001375; 1h writes 2,000 × 2.20/M = 0.0044;
        # 0.0022 + 0.0011 + 0.001375 + 0.0044 + 0.00275 = 0.011825
        assert body["cost_usd"] == "0.011825"
        assert body["cost_breakdown"] == breakdown(
            input="0.0022",
            cached_input="0.0011",
            cache_write="0.001375",
            cache_write_1h="0.0044",
            output="0.00275",
        )
        assert body["usage"]["cache_write_1h_tokens"] == 2_000

    @pytest.mark.parametrize(
        ("model", "catalog_model", "cost"),
        [
            # global profile: 1,000 × 3/M + 1,000 × 15/M
            (
                "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "aws/global.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "0.018",
            ),
            # in-region id and geo profiles: 1,000 × 3.30/M + 1,000 × 16.50/M
            (
                "anthropic.claude-sonnet-4-5-20250929-v1:0",
                "aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "0.0198",
            ),
            (
                "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "aws/regional.anthropic.claude-sonnet-4-5-20250929-v1:0",
                "0.0198",
            ),
            # Nova Lite under a us. profile: 1,000 × 0.06/M + 1,000 × 0.24/M
            ("us.amazon.nova-lite-v1:0", "aws/amazon.nova-lite-v1:0", "0.0003"),
        ],
    )
    async def test_inference_profile_ids(
        self,
        client: httpx.AsyncClient,
        auth: TokenFactory,
        tenant: str,
        events: EventFactory,
        model: str,
        catalog_model: str,
        cost: str,
    ) -> None:
        usage = {"inputTokens": 1_000, "outputTokens": 1_000, "totalTokens": 2_000}
        body = await _ingest(client, auth, tenant, events, usage, model=model)
        assert (body["catalog_model"], body["cost_usd"]) == (catalog_model, cost)

    async def test_nova_cache_read(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "inputTokens": 10_000,
            "outputTokens": 1_000,
            "totalTokens": 16_000,
            "cacheReadInputTokens": 5_000,
        }
        body = await _ingest(client, auth, tenant, events, usage, model="amazon.nova-lite-v1:0")
        # 10,000 × 0.06/M = 0.0006; 5,000 × 0.015/M = 0.000075; 1,000 × 0.24/M = 0.00024
        assert body["cost_usd"] == "0.000915"
        assert body["cost_breakdown"] == breakdown(input="0.0006", cached_input="0.000075", output="0.00024")

    async def test_batch_without_a_catalog_batch_rate_halves_input_and_output(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"inputTokens": 1_000_000, "outputTokens": 100_000, "totalTokens": 1_100_000}
        body = await _ingest(client, auth, tenant, events, usage, batch=True)
        # Bedrock batch inference is 50 % of on-demand: 1M × 0.55/M + 100,000 × 2.75/M = 0.55 + 0.275
        assert body["cost_usd"] == "0.825"
        assert body["price_variant"] == "batch_rule"
        assert body["pricing_notes"]


class TestInvokeModelAnthropicBody:
    async def test_a_messages_body_is_parsed_with_the_anthropic_rules(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        invoke_body = {
            "id": "msg_bdrk_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "text", "text": "hi"}],
            "stop_reason": "end_turn",
            "usage": {
                "input_tokens": 2_000,
                "cache_creation_input_tokens": 3_000,
                "cache_read_input_tokens": 10_000,
                "output_tokens": 500,
            },
        }
        body = await _ingest(client, auth, tenant, events, invoke_body)
        # Same call as the Converse case: 0.0022 + 0.0011 + 0.004125 + 0.00275
        assert body["cost_usd"] == "0.010175"
        assert body["cost_breakdown"] == breakdown(
            input="0.0022", cached_input="0.0011", cache_write="0.004125", output="0.00275"
        )
        assert body["usage_source"] == "bedrock_invoke_anthropic"

    async def test_one_hour_writes_in_an_invoke_body(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "input_tokens": 2_000,
            "cache_creation_input_tokens": 3_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 1_000, "ephemeral_1h_input_tokens": 2_000},
            "cache_read_input_tokens": 10_000,
            "output_tokens": 500,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        assert body["cost_usd"] == "0.011825"  # as the Converse cacheDetails case


class TestInvalidUsage:
    @pytest.mark.parametrize(
        ("usage", "code"),
        [
            ({"inputTokens": "5", "outputTokens": 1}, "invalid_provider_usage"),
            ({"inputTokens": 5, "outputTokens": -1}, "negative_tokens"),
            ({"inputTokens": 5, "cacheReadInputTokens": 2.5}, "invalid_provider_usage"),
            (
                {"inputTokens": 5, "cacheWriteInputTokens": 3, "cacheDetails": {"ttl": "1h"}},
                "invalid_provider_usage",
            ),
            (
                {"inputTokens": 5, "cacheWriteInputTokens": 3, "cacheDetails": ["1h"]},
                "invalid_provider_usage",
            ),
            # cacheDetails must add up to cacheWriteInputTokens (the 1h part is not silently clipped)
            (
                {
                    "inputTokens": 5,
                    "cacheWriteInputTokens": 3,
                    "cacheDetails": [{"ttl": "1h", "inputTokens": 5}],
                },
                "inconsistent_usage",
            ),
            (
                {
                    "inputTokens": 5,
                    "cacheWriteInputTokens": 10,
                    "cacheDetails": [{"ttl": "1h", "inputTokens": 2}, {"ttl": "5m", "inputTokens": 3}],
                },
                "inconsistent_usage",
            ),
            ({"totalTokens": 5}, "invalid_provider_usage"),
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
        payload = events(tenant_id=tenant, provider="bedrock", model=HAIKU_US, provider_usage=usage)
        assert await rejected(client, auth("service", tenant), payload) == (422, code)

    async def test_cache_details_without_the_total_count_the_writes(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "inputTokens": 2_000,
            "outputTokens": 500,
            "cacheReadInputTokens": 10_000,
            "cacheDetails": [{"ttl": "1h", "inputTokens": 2_000}, {"ttl": "5m", "inputTokens": 1_000}],
        }
        body = await _ingest(client, auth, tenant, events, usage)
        assert body["cost_usd"] == "0.011825"  # writes taken from the details: 3,000 of them
        assert body["usage"]["cache_write_tokens"] == 3_000
