"""Anthropic Messages `usage` priced against hand computations.

Rates ($ per million tokens, bundled genai-prices, matching https://docs.anthropic.com/en/docs/about-claude/pricing):
claude-sonnet-4-5 3 in / 3.75 5m cache write / 6 1h cache write / 0.30 cache read / 15 out, and
6 / 7.50 / 12 / 0.60 / 22.50 for the whole request once its input (uncached + cache reads + cache
writes) exceeds 200k tokens; claude-haiku-4-5 1 / 1.25 / 2 / 0.10 / 5 (batch 0.50 in, 2.50 out);
claude-opus-4-1 15 / 18.75 / 30 / 1.50 / 75.
Inclusion rules: `input_tokens` EXCLUDES `cache_creation_input_tokens` and `cache_read_input_tokens`;
`cache_creation` splits the writes into 5-minute and 1-hour TTLs; `output_tokens` includes thinking.
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
    model: str = "claude-sonnet-4-5",
    **extra: Any,
) -> dict[str, Any]:
    payload = events(tenant_id=tenant, provider="anthropic", model=model, provider_usage=usage, **extra)
    return await ingest(client, auth("service", tenant), payload)


class TestMessagesUsage:
    async def test_cache_reads_and_writes_are_separate_from_input_tokens(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "input_tokens": 1_000,
            "cache_creation_input_tokens": 4_000,
            "cache_read_input_tokens": 20_000,
            "output_tokens": 800,
            "service_tier": "standard",
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # input 1,000 × 3/M = 0.003; 5m writes 4,000 × 3.75/M = 0.015; reads 20,000 × 0.30/M = 0.006;
        # output 800 × 15/M = 0.012; total 0.036. (Treating the 24,000 cache tokens as a subset of
        # input_tokens, as LiteLLM once did, would bill about half.)
        assert body["cost_usd"] == "0.036"
        assert body["cost_breakdown"] == breakdown(
            input="0.003", cache_write="0.015", cached_input="0.006", output="0.012"
        )
        assert body["usage"]["input_tokens"] == 25_000
        assert (body["usage"]["cached_input_tokens"], body["usage"]["cache_write_tokens"]) == (20_000, 4_000)
        assert body["usage_source"] == "anthropic_messages"

    async def test_five_minute_and_one_hour_writes_are_priced_differently(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "input_tokens": 1_000,
            "cache_creation_input_tokens": 4_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 1_000, "ephemeral_1h_input_tokens": 3_000},
            "cache_read_input_tokens": 20_000,
            "output_tokens": 800,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        # 5m 1,000 × 3.75/M = 0.00375; 1h 3,000 × 6/M = 0.018;
        # 0.003 + 0.00375 + 0.018 + 0.006 + 0.012 = 0.04275
        assert body["cost_usd"] == "0.04275"
        assert body["cost_breakdown"] == breakdown(
            input="0.003", cache_write="0.00375", cache_write_1h="0.018", cached_input="0.006", output="0.012"
        )
        assert body["usage"]["cache_write_1h_tokens"] == 3_000

    async def test_cache_creation_split_without_the_total(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "input_tokens": 1_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 1_000, "ephemeral_1h_input_tokens": 3_000},
            "cache_read_input_tokens": 20_000,
            "output_tokens": 800,
        }
        body = await _ingest(client, auth, tenant, events, usage)
        assert body["cost_usd"] == "0.04275"  # same as above: the writes are the sum of the split

    async def test_dated_id_and_a_whole_response_body(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        message = {
            "id": "msg_01",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5-20251001",
            "content": [{"type": "thinking", "thinking": "..."}, {"type": "text", "text": "hi"}],
            "usage": {"input_tokens": 100_000, "cache_read_input_tokens": 50_000, "output_tokens": 20_000},
        }
        body = await _ingest(client, auth, tenant, events, message, model="claude-haiku-4-5-20251001")
        # 100,000 × 1/M = 0.1; 50,000 × 0.10/M = 0.005; 20,000 × 5/M = 0.1 (thinking is in output_tokens)
        assert body["cost_usd"] == "0.205"
        assert body["catalog_model"] == "anthropic/claude-haiku-4-5"

    async def test_opus_rates(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {
            "input_tokens": 10_000,
            "cache_creation_input_tokens": 2_000,
            "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 2_000},
            "output_tokens": 1_000,
        }
        body = await _ingest(client, auth, tenant, events, usage, model="claude-opus-4-1")
        # 10,000 × 15/M = 0.15; 1h writes 2,000 × 30/M = 0.06; 1,000 × 75/M = 0.075
        assert body["cost_usd"] == "0.285"
        assert body["cost_breakdown"] == breakdown(input="0.15", cache_write_1h="0.06", output="0.075")

    async def test_batch_rates(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"input_tokens": 1_000_000, "output_tokens": 1_000_000}
        body = await _ingest(client, auth, tenant, events, usage, model="claude-haiku-4-5", batch=True)
        # Message Batches: 0.50/M in + 2.50/M out
        assert body["cost_usd"] == "3"
        assert body["price_variant"] == "batch"


class TestLongContext:
    async def test_over_200k_input_including_cache_reads_prices_everything_at_the_tier(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"input_tokens": 150_000, "cache_read_input_tokens": 60_000, "output_tokens": 1_000}
        body = await _ingest(client, auth, tenant, events, usage)
        # 150,000 + 60,000 = 210,000 > 200k → 6 in / 0.60 read / 22.50 out:
        # 150,000 × 6/M = 0.9; 60,000 × 0.60/M = 0.036; 1,000 × 22.50/M = 0.0225
        assert body["cost_usd"] == "0.9585"
        assert body["cost_breakdown"] == breakdown(input="0.9", cached_input="0.036", output="0.0225")

    async def test_at_200k_stays_at_the_base_rate(
        self, client: httpx.AsyncClient, auth: TokenFactory, tenant: str, events: EventFactory
    ) -> None:
        usage = {"input_tokens": 140_000, "cache_read_input_tokens": 60_000, "output_tokens": 1_000}
        body = await _ingest(client, auth, tenant, events, usage)
        # 140,000 × 3/M = 0.42; 60,000 × 0.30/M = 0.018; 1,000 × 15/M = 0.015
        assert body["cost_usd"] == "0.453"


class TestInvalidUsage:
    @pytest.mark.parametrize(
        ("usage", "code"),
        [
            ({"input_tokens": "1000", "output_tokens": 1}, "invalid_provider_usage"),
            ({"input_tokens": 10, "cache_read_input_tokens": -5}, "negative_tokens"),
            ({"input_tokens": 10, "output_tokens": None, "cache_creation": []}, "invalid_provider_usage"),
            (
                {"input_tokens": 10, "cache_creation": {"ephemeral_5m_input_tokens": "x"}},
                "invalid_provider_usage",
            ),
            # 5m + 1h (1,000 + 2,000) must equal cache_creation_input_tokens (4,000)
            (
                {
                    "input_tokens": 10,
                    "cache_creation_input_tokens": 4_000,
                    "cache_creation": {
                        "ephemeral_5m_input_tokens": 1_000,
                        "ephemeral_1h_input_tokens": 2_000,
                    },
                },
                "inconsistent_usage",
            ),
            ({"inputTokens": 10}, "invalid_provider_usage"),
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
        payload = events(
            tenant_id=tenant, provider="anthropic", model="claude-sonnet-4-5", provider_usage=usage
        )
        assert await rejected(client, auth("service", tenant), payload) == (422, code)
