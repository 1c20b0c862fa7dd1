"""Golden costs computed by hand from the providers' published list prices (USD per million tokens).

Every expected figure is worked out in the comment beside it; costs must match to the last decimal
(exact Decimal equality). Usage is normalized: `input_tokens` includes cache reads and writes and
audio input; `output_tokens` includes reasoning and audio output.

Published prices used (per 1M tokens):
- OpenAI: gpt-4o $2.50 in / $1.25 cached / $10 out (batch $1.25/$5, priority $4.25/$2.125/$17);
  gpt-4o-mini $0.15/$0.075/$0.60; o3 $10/$40 until 2025-06-10 then $2/$0.50 cached/$8
  (flex $1/$4); o4-mini $1.10/$0.275/$4.40; gpt-5 $1.25/$0.125/$10 (priority $2.50/$0.25/$20);
  gpt-5-mini $0.25/$0.025/$2; gpt-4.1 $2/$8; gpt-realtime text $4/$0.40 cached/$16, audio $32/$64;
  text-embedding-3-small $0.02.
- Gemini: 2.5 Pro $1.25/$0.125 cached/$10 up to 200k prompt tokens, $2.50/$0.25/$15 above
  (batch: half of input and output); 2.5 Flash $0.30 text, $1 audio, $0.03 cached, $2.50 out
  (thinking billed as output); 2.0 Flash $0.10/$0.40; 2.5 Flash-Lite $0.10/$0.40.
- Anthropic: Sonnet 4.5 $3 in / $3.75 5-min write / $6 1-hour write / $0.30 read / $15 out, prompts
  over 200k $6/$7.50/$12/$0.60/$22.50, batch half of every rate; Sonnet 4 $3/$3.75/$15; Opus 4.1
  $15/$18.75/$1.50 read/$75; Haiku 4.5 $1/$1.25/$2 1h/$0.10/$5; Haiku 3.5 $0.80/$4.
- Bedrock: Nova Pro $0.80/$0.20 cached/$3.20 (batch $0.40/$1.60); Nova Lite $0.06/$0.015/$0.24;
  Nova Micro $0.035/$0.14; Claude Sonnet 4.5 global $3/$15, regional and geo profiles (us., eu.,
  in-region ids) +10 %: $3.30/$0.33/$4.125/$6.60/$16.50; Claude 3.5 Haiku $0.80/$4.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from finops.pricing import genai_source
from finops.pricing.catalog import Catalog
from finops.pricing.service import price_usage
from finops.pricing.tenant_rates import TenantRateVersion
from finops.pricing.usage import NormalizedUsage
from tests.fixtures.catalog import memory_catalog

M = 1_000_000
BEFORE_VARIANTS = datetime(2025, 9, 1, 12, tzinfo=UTC)  # the catalog has no batch/flex/priority rates yet
WITH_VARIANTS = datetime(2026, 11, 1, 12, tzinfo=UTC)  # batch, flex and priority versions in force
O3_BEFORE_CUT = datetime(2025, 6, 9, 23, 59, tzinfo=UTC)
O3_AFTER_CUT = datetime(2025, 6, 10, 0, 1, tzinfo=UTC)
TENANT = "golden-tenant"


def _rate(ident: int, provider: str, scope: tuple[str, str], **kw: object) -> TenantRateVersion:
    from finops.pricing.rates import rates_from_json

    rates = kw.pop("rates", None)
    return TenantRateVersion(
        id=ident,
        tenant_id=TENANT,
        provider=provider,
        catalog_provider=scope[0],
        model_id=scope[1],
        kind=str(kw.pop("kind")),
        discount_percent=kw.pop("discount_percent", None),
        variant=kw.pop("variant", None),
        rates=rates_from_json(rates) if rates else None,
        effective_from=datetime(2024, 1, 1, tzinfo=UTC),
        effective_to=None,
    )


TENANT_RATES = [
    # 15 % off everything from OpenAI.
    _rate(1, "openai", ("", ""), kind="discount", discount_percent=Decimal(15)),
    # A model-level rate wins over the provider-wide one: 20 % off gpt-4o-mini.
    _rate(2, "openai", ("openai", "gpt-4o-mini"), kind="discount", discount_percent=Decimal(20)),
    # A negotiated absolute price for Sonnet 4.5: $2.40 in, $12 out (other rates stay at list).
    _rate(
        3,
        "anthropic",
        ("anthropic", "claude-sonnet-4-5"),
        kind="price",
        variant="standard",
        rates={"input_mtok": "2.40", "output_mtok": "12"},
    ),
]


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    catalog: Catalog = memory_catalog(genai_source.bundled(), TENANT_RATES)
    return catalog


@dataclass(frozen=True)
class Case:
    name: str
    provider: str
    model: str
    at: datetime
    usage: dict[str, int]
    expected: str
    batch: bool = False
    tier: str | None = None
    variant: str = "standard"
    tenant: str | None = None
    list_cost: str | None = None  # when a tenant rate applies
    extra: dict[str, object] = field(default_factory=dict)


CASES = [
    # --- OpenAI -----------------------------------------------------------------------------
    # 1M × $2.50 + 1M × $10 = 2.50 + 10 = 12.50
    Case(
        "openai-gpt-4o-plain",
        "openai",
        "gpt-4o",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "12.5",
    ),
    # 10,000 × 0.15/1M = 0.0015; 2,000 × 0.60/1M = 0.0012 → 0.0027
    Case(
        "openai-gpt-4o-mini-plain",
        "openai",
        "gpt-4o-mini",
        BEFORE_VARIANTS,
        {"input_tokens": 10_000, "output_tokens": 2_000},
        "0.0027",
    ),
    # 40,000 uncached × 2.50/1M = 0.10; 60,000 cached × 1.25/1M = 0.075; 5,000 × 10/1M = 0.05 → 0.225
    Case(
        "openai-gpt-4o-cached",
        "openai",
        "gpt-4o",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "cached_input_tokens": 60_000, "output_tokens": 5_000},
        "0.225",
    ),
    # 500,000 × 0.15/1M = 0.075; 500,000 cached × 0.075/1M = 0.0375 → 0.1125
    Case(
        "openai-gpt-4o-mini-cached",
        "openai",
        "gpt-4o-mini",
        BEFORE_VARIANTS,
        {"input_tokens": M, "cached_input_tokens": 500_000},
        "0.1125",
    ),
    # o3 before the 2025-06-10 cut: 1M × $10 + 1M × $40 = 50
    Case(
        "openai-o3-before-cut", "openai", "o3", O3_BEFORE_CUT, {"input_tokens": M, "output_tokens": M}, "50"
    ),
    # o3 after the cut: 1M × $2 + 1M × $8 = 10
    Case("openai-o3-after-cut", "openai", "o3", O3_AFTER_CUT, {"input_tokens": M, "output_tokens": M}, "10"),
    # 2,000 × 2/1M = 0.004; 2,000 text out × 8/1M = 0.016; 8,000 reasoning × 8/1M = 0.064 → 0.084
    Case(
        "openai-o3-reasoning",
        "openai",
        "o3",
        BEFORE_VARIANTS,
        {"input_tokens": 2_000, "output_tokens": 10_000, "reasoning_tokens": 8_000},
        "0.084",
    ),
    # 30,000 × 1.10/1M = 0.033; 20,000 cached × 0.275/1M = 0.0055; 5,000 out × 4.40/1M = 0.022;
    # 25,000 reasoning × 4.40/1M = 0.11 → 0.1705
    Case(
        "openai-o4-mini-cached-reasoning",
        "openai",
        "o4-mini",
        BEFORE_VARIANTS,
        {
            "input_tokens": 50_000,
            "cached_input_tokens": 20_000,
            "output_tokens": 30_000,
            "reasoning_tokens": 25_000,
        },
        "0.1705",
    ),
    # 123,456 × 1.25/1M = 0.15432; 7,890 × 10/1M = 0.0789 → 0.23322
    Case(
        "openai-gpt-5-plain",
        "openai",
        "gpt-5",
        BEFORE_VARIANTS,
        {"input_tokens": 123_456, "output_tokens": 7_890},
        "0.23322",
    ),
    # 50,000 × 0.25/1M = 0.0125; 150,000 cached × 0.025/1M = 0.00375; 1,000 × 2/1M = 0.002 → 0.01825
    Case(
        "openai-gpt-5-mini-cached",
        "openai",
        "gpt-5-mini",
        BEFORE_VARIANTS,
        {"input_tokens": 200_000, "cached_input_tokens": 150_000, "output_tokens": 1_000},
        "0.01825",
    ),
    # 1,000 × 2/1M = 0.002; 1,000 × 8/1M = 0.008 → 0.01
    Case(
        "openai-gpt-4.1",
        "openai",
        "gpt-4.1",
        BEFORE_VARIANTS,
        {"input_tokens": 1_000, "output_tokens": 1_000},
        "0.01",
    ),
    # text in 2,000 × 4/1M = 0.008; audio in 8,000 × 32/1M = 0.256; text out 1,000 × 16/1M = 0.016;
    # audio out 4,000 × 64/1M = 0.256 → 0.536
    Case(
        "openai-gpt-realtime-audio",
        "openai",
        "gpt-realtime",
        BEFORE_VARIANTS,
        {
            "input_tokens": 10_000,
            "audio_input_tokens": 8_000,
            "output_tokens": 5_000,
            "audio_output_tokens": 4_000,
        },
        "0.536",
    ),
    # 5,000 × 4/1M = 0.02; 5,000 cached × 0.40/1M = 0.002 → 0.022
    Case(
        "openai-gpt-realtime-cached",
        "openai",
        "gpt-realtime",
        BEFORE_VARIANTS,
        {"input_tokens": 10_000, "cached_input_tokens": 5_000},
        "0.022",
    ),
    # 1M × 0.02 = 0.02
    Case(
        "openai-embedding", "openai", "text-embedding-3-small", BEFORE_VARIANTS, {"input_tokens": M}, "0.02"
    ),
    # Batch before the catalog had batch rates: the 50 % rule, 1M × 1.25 + 1M × 5 = 6.25
    Case(
        "openai-gpt-4o-batch-rule",
        "openai",
        "gpt-4o",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "6.25",
        batch=True,
        variant="batch_rule",
    ),
    # Batch with the catalog's batch version: $1.25 / $5 → 6.25
    Case(
        "openai-gpt-4o-batch",
        "openai",
        "gpt-4o",
        WITH_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "6.25",
        batch=True,
        variant="batch",
    ),
    # OpenAI's batch rule halves input and output only: 600,000 × 0.075/1M = 0.045;
    # 400,000 cached × 0.075/1M (cached rate unchanged) = 0.03 → 0.075
    Case(
        "openai-gpt-4o-mini-batch-rule-cached",
        "openai",
        "gpt-4o-mini",
        BEFORE_VARIANTS,
        {"input_tokens": M, "cached_input_tokens": 400_000},
        "0.075",
        batch=True,
        variant="batch_rule",
    ),
    # Priority: 1M × 2.50 + 1M × 20 = 22.50
    Case(
        "openai-gpt-5-priority",
        "openai",
        "gpt-5",
        WITH_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "22.5",
        tier="priority",
        variant="priority",
    ),
    # Priority: 50,000 × 4.25/1M = 0.2125; 50,000 cached × 2.125/1M = 0.10625; 10,000 × 17/1M = 0.17 → 0.48875
    Case(
        "openai-gpt-4o-priority-cached",
        "openai",
        "gpt-4o",
        WITH_VARIANTS,
        {"input_tokens": 100_000, "cached_input_tokens": 50_000, "output_tokens": 10_000},
        "0.48875",
        tier="priority",
        variant="priority",
    ),
    # Flex: 1M × 1 + 1M × 4 = 5
    Case(
        "openai-o3-flex",
        "openai",
        "o3",
        WITH_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "5",
        tier="flex",
        variant="flex",
    ),
    # Flex before the catalog had flex (or batch) rates: flex bills at batch rates, so the 50 % rule:
    # 1M × 1 + 1M × 4 = 5
    Case(
        "openai-o3-flex-rule",
        "openai",
        "o3",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "5",
        tier="flex",
        variant="batch_rule",
    ),
    # Priority with no priority rate in force: standard rate (with a note), 1.25 + 10 = 11.25
    Case(
        "openai-gpt-5-priority-fallback",
        "openai",
        "gpt-5",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "11.25",
        tier="priority",
        variant="standard",
    ),
    # --- Gemini -----------------------------------------------------------------------------
    # ≤ 200k: 100,000 × 1.25/1M = 0.125; 10,000 × 10/1M = 0.1 → 0.225
    Case(
        "gemini-2.5-pro-short",
        "gemini",
        "gemini-2.5-pro",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "output_tokens": 10_000},
        "0.225",
    ),
    # > 200k: the whole request at the long-context rate:
    # 250,000 × 2.50/1M = 0.625; 10,000 × 15/1M = 0.15 → 0.775
    Case(
        "gemini-2.5-pro-long",
        "gemini",
        "gemini-2.5-pro",
        BEFORE_VARIANTS,
        {"input_tokens": 250_000, "output_tokens": 10_000},
        "0.775",
    ),
    # Exactly 200,000 is not over the threshold: 200,000 × 1.25/1M = 0.25; 1,000 × 10/1M = 0.01 → 0.26
    Case(
        "gemini-2.5-pro-at-threshold",
        "gemini",
        "gemini-2.5-pro",
        BEFORE_VARIANTS,
        {"input_tokens": 200_000, "output_tokens": 1_000},
        "0.26",
    ),
    # > 200k with cache and thinking: 200,000 × 2.50/1M = 0.5; 100,000 cached × 0.25/1M = 0.025;
    # 15,000 out × 15/1M = 0.225; 5,000 thoughts × 15/1M = 0.075 → 0.825
    Case(
        "gemini-2.5-pro-long-cached-thinking",
        "gemini",
        "models/gemini-2.5-pro",
        BEFORE_VARIANTS,
        {
            "input_tokens": 300_000,
            "cached_input_tokens": 100_000,
            "output_tokens": 20_000,
            "reasoning_tokens": 5_000,
        },
        "0.825",
    ),
    # 1,000 × 0.30/1M = 0.0003; 1,000 out × 2.50/1M = 0.0025; 2,000 thoughts × 2.50/1M = 0.005 → 0.0078
    Case(
        "gemini-2.5-flash-thinking",
        "gemini",
        "gemini-2.5-flash",
        BEFORE_VARIANTS,
        {"input_tokens": 1_000, "output_tokens": 3_000, "reasoning_tokens": 2_000},
        "0.0078",
    ),
    # 4,000 text × 0.30/1M = 0.0012; 6,000 audio × 1/1M = 0.006; 500 × 2.50/1M = 0.00125 → 0.00845
    Case(
        "gemini-2.5-flash-audio",
        "gemini",
        "gemini-2.5-flash",
        BEFORE_VARIANTS,
        {"input_tokens": 10_000, "audio_input_tokens": 6_000, "output_tokens": 500},
        "0.00845",
    ),
    # 20,000 × 0.30/1M = 0.006; 80,000 cached × 0.03/1M = 0.0024 → 0.0084
    Case(
        "gemini-2.5-flash-cached",
        "gemini",
        "gemini-2.5-flash",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "cached_input_tokens": 80_000},
        "0.0084",
    ),
    # 1M × 0.10 + 1M × 0.40 = 0.5
    Case(
        "gemini-2.0-flash",
        "gemini",
        "gemini-2.0-flash",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "0.5",
    ),
    # 1M × 0.10 + 1M × 0.40 = 0.5
    Case(
        "gemini-2.5-flash-lite",
        "gemini",
        "gemini-2.5-flash-lite",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "0.5",
    ),
    # Batch version: 100,000 × 0.625/1M = 0.0625; 100,000 × 5/1M = 0.5 → 0.5625
    Case(
        "gemini-2.5-pro-batch",
        "gemini",
        "gemini-2.5-pro",
        WITH_VARIANTS,
        {"input_tokens": 100_000, "output_tokens": 100_000},
        "0.5625",
        batch=True,
        variant="batch",
    ),
    # Gemini's batch rule halves input, output and audio input: 4,000 × 0.15/1M = 0.0006;
    # 6,000 audio × 0.50/1M = 0.003; 1,000 × 1.25/1M = 0.00125 → 0.00485
    Case(
        "gemini-2.5-flash-batch-rule",
        "gemini",
        "gemini-2.5-flash",
        BEFORE_VARIANTS,
        {"input_tokens": 10_000, "audio_input_tokens": 6_000, "output_tokens": 1_000},
        "0.00485",
        batch=True,
        variant="batch_rule",
    ),
    # Gemini flex before the catalog had a flex rate: Google bills flex at 50 % of standard,
    # 1M × 0.15 + 1M × 1.25 = 1.40
    Case(
        "gemini-2.5-flash-flex-rule",
        "gemini",
        "gemini-2.5-flash",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "1.4",
        tier="flex",
        variant="flex_rule",
    ),
    # --- Anthropic --------------------------------------------------------------------------
    # 100,000 × 3/1M = 0.3; 10,000 × 15/1M = 0.15 → 0.45
    Case(
        "anthropic-sonnet-4.5-plain",
        "anthropic",
        "claude-sonnet-4-5",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "output_tokens": 10_000},
        "0.45",
    ),
    # 10,000 × 3/1M = 0.03; 100,000 read × 0.30/1M = 0.03; 40,000 5-min writes × 3.75/1M = 0.15;
    # 2,000 × 15/1M = 0.03 → 0.24
    Case(
        "anthropic-sonnet-4.5-cache-read-write-5m",
        "anthropic",
        "claude-sonnet-4-5-20250929",
        BEFORE_VARIANTS,
        {
            "input_tokens": 150_000,
            "cached_input_tokens": 100_000,
            "cache_write_tokens": 40_000,
            "output_tokens": 2_000,
        },
        "0.24",
    ),
    # 10,000 × 3/1M = 0.03; 20,000 5-min writes × 3.75/1M = 0.075; 30,000 1-hour writes × 6/1M = 0.18;
    # 1,000 × 15/1M = 0.015 → 0.3
    Case(
        "anthropic-sonnet-4.5-cache-write-1h",
        "anthropic",
        "claude-sonnet-4-5",
        BEFORE_VARIANTS,
        {
            "input_tokens": 60_000,
            "cache_write_tokens": 50_000,
            "cache_write_1h_tokens": 30_000,
            "output_tokens": 1_000,
        },
        "0.3",
    ),
    # Over 200k: 250,000 × 6/1M = 1.5; 10,000 × 22.50/1M = 0.225 → 1.725
    Case(
        "anthropic-sonnet-4.5-long",
        "anthropic",
        "claude-sonnet-4-5",
        BEFORE_VARIANTS,
        {"input_tokens": 250_000, "output_tokens": 10_000},
        "1.725",
    ),
    # 10,000 × 15/1M = 0.15; 5,000 read × 1.50/1M = 0.0075; 5,000 writes × 18.75/1M = 0.09375;
    # 1,000 × 75/1M = 0.075 → 0.32625
    Case(
        "anthropic-opus-4.1-cache",
        "anthropic",
        "claude-opus-4-1",
        BEFORE_VARIANTS,
        {
            "input_tokens": 20_000,
            "cached_input_tokens": 5_000,
            "cache_write_tokens": 5_000,
            "output_tokens": 1_000,
        },
        "0.32625",
    ),
    # 100,000 1-hour writes × 2/1M = 0.2
    Case(
        "anthropic-haiku-4.5-write-1h",
        "anthropic",
        "claude-haiku-4-5",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "cache_write_tokens": 100_000, "cache_write_1h_tokens": 100_000},
        "0.2",
    ),
    # 1M × 0.80 + 1M × 4 = 4.8
    Case(
        "anthropic-haiku-3.5",
        "anthropic",
        "claude-3-5-haiku-latest",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "4.8",
    ),
    # 10,000 5-min writes × 3.75/1M = 0.0375
    Case(
        "anthropic-sonnet-4-write-5m",
        "anthropic",
        "claude-sonnet-4-0",
        BEFORE_VARIANTS,
        {"input_tokens": 10_000, "cache_write_tokens": 10_000},
        "0.0375",
    ),
    # Batch version (half of every rate): 50,000 × 1.50/1M = 0.075; 50,000 read × 0.15/1M = 0.0075;
    # 10,000 × 7.50/1M = 0.075 → 0.1575
    Case(
        "anthropic-sonnet-4.5-batch",
        "anthropic",
        "claude-sonnet-4-5",
        WITH_VARIANTS,
        {"input_tokens": 100_000, "cached_input_tokens": 50_000, "output_tokens": 10_000},
        "0.1575",
        batch=True,
        variant="batch",
    ),
    # The Anthropic batch rule also halves cache rates, so it equals the later batch version: 0.1575
    Case(
        "anthropic-sonnet-4.5-batch-rule",
        "anthropic",
        "claude-sonnet-4-5",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "cached_input_tokens": 50_000, "output_tokens": 10_000},
        "0.1575",
        batch=True,
        variant="batch_rule",
    ),
    # --- Bedrock ----------------------------------------------------------------------------
    # 1M × 0.80 + 1M × 3.20 = 4
    Case(
        "bedrock-nova-pro",
        "bedrock",
        "amazon.nova-pro-v1:0",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "4",
    ),
    # 50,000 × 0.06/1M = 0.003; 50,000 cached × 0.015/1M = 0.00075; 10,000 × 0.24/1M = 0.0024 → 0.00615
    Case(
        "bedrock-nova-lite-cached",
        "bedrock",
        "us.amazon.nova-lite-v1:0",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "cached_input_tokens": 50_000, "output_tokens": 10_000},
        "0.00615",
    ),
    # 1M × 0.035 + 1M × 0.14 = 0.175
    Case(
        "bedrock-nova-micro",
        "bedrock",
        "amazon.nova-micro-v1:0",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "0.175",
    ),
    # Geo profile (us.) carries the regional +10 %: 1M × 3.30 + 1M × 16.50 = 19.8
    Case(
        "bedrock-sonnet-4.5-us-profile",
        "bedrock",
        "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "19.8",
    ),
    # Global profile: list price 1M × 3 + 1M × 15 = 18
    Case(
        "bedrock-sonnet-4.5-global-profile",
        "bedrock",
        "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "18",
    ),
    # In-region id (regional rates): 50,000 × 3.30/1M = 0.165; 20,000 read × 0.33/1M = 0.0066;
    # 20,000 5-min writes × 4.125/1M = 0.0825; 10,000 1-hour writes × 6.60/1M = 0.066;
    # 5,000 × 16.50/1M = 0.0825 → 0.4026
    Case(
        "bedrock-sonnet-4.5-in-region-cache",
        "bedrock",
        "anthropic.claude-sonnet-4-5-20250929-v1:0",
        BEFORE_VARIANTS,
        {
            "input_tokens": 100_000,
            "cached_input_tokens": 20_000,
            "cache_write_tokens": 30_000,
            "cache_write_1h_tokens": 10_000,
            "output_tokens": 5_000,
        },
        "0.4026",
    ),
    # Bedrock batch: 50 % of on-demand input and output, 1M × 0.40 + 1M × 1.60 = 2
    Case(
        "bedrock-nova-pro-batch-rule",
        "bedrock",
        "amazon.nova-pro-v1:0",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "2",
        batch=True,
        variant="batch_rule",
    ),
    # 1M × 0.80 + 1M × 4 = 4.8
    Case(
        "bedrock-haiku-3.5-us-profile",
        "bedrock",
        "us.anthropic.claude-3-5-haiku-20241022-v1:0",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "4.8",
    ),
    # --- Tenant rates -----------------------------------------------------------------------
    # 15 % off OpenAI: list 2.50 + 10 = 12.50; effective 12.50 × 0.85 = 10.625
    Case(
        "tenant-discount-provider",
        "openai",
        "gpt-4o",
        BEFORE_VARIANTS,
        {"input_tokens": M, "output_tokens": M},
        "10.625",
        tenant=TENANT,
        list_cost="12.5",
    ),
    # The model-level 20 % wins over the provider's 15 %: list 1M × 0.15 = 0.15; effective 0.15 × 0.8 = 0.12
    Case(
        "tenant-discount-model-wins",
        "openai",
        "gpt-4o-mini",
        BEFORE_VARIANTS,
        {"input_tokens": M},
        "0.12",
        tenant=TENANT,
        list_cost="0.15",
    ),
    # Negotiated $2.40 in / $12 out: 100,000 × 2.40/1M = 0.24; 10,000 × 12/1M = 0.12 → 0.36
    # (list: 0.30 + 0.15 = 0.45)
    Case(
        "tenant-negotiated-price",
        "anthropic",
        "claude-sonnet-4-5",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "output_tokens": 10_000},
        "0.36",
        tenant=TENANT,
        list_cost="0.45",
    ),
    # A negotiated standard price does not apply to batch requests: the batch rule on list, 0.1575
    Case(
        "tenant-negotiated-price-not-batch",
        "anthropic",
        "claude-sonnet-4-5",
        BEFORE_VARIANTS,
        {"input_tokens": 100_000, "cached_input_tokens": 50_000, "output_tokens": 10_000},
        "0.1575",
        batch=True,
        variant="batch_rule",
        tenant=TENANT,
        list_cost="0.1575",
    ),
]


def test_the_golden_set_is_large_and_covers_every_provider() -> None:
    assert len(CASES) >= 40
    assert {c.provider for c in CASES} == {"openai", "gemini", "anthropic", "bedrock"}
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_cost(case: Case, catalog: Catalog) -> None:
    priced = price_usage(
        catalog,
        provider=case.provider,
        model=case.model,
        usage=NormalizedUsage(**case.usage),
        occurred_at=case.at,
        batch=case.batch,
        service_tier=case.tier,
        tenant_id=case.tenant,
    )
    assert priced.priced, priced.notes
    assert priced.cost_usd == Decimal(case.expected)
    assert sum(priced.breakdown.values()) == priced.cost_usd
    assert priced.list_cost_usd == Decimal(case.list_cost or case.expected)
    assert priced.variant == case.variant
    if case.variant not in ("standard", "batch", "priority", "flex") or (
        case.tier and case.variant == "standard"
    ):
        assert priced.notes, "a fallback rule must say so in the notes"


def test_o3_history_uses_two_price_versions(catalog: Catalog) -> None:
    usage = NormalizedUsage(input_tokens=M, output_tokens=M)
    before = price_usage(catalog, provider="openai", model="o3", usage=usage, occurred_at=O3_BEFORE_CUT)
    after = price_usage(catalog, provider="openai", model="o3", usage=usage, occurred_at=O3_AFTER_CUT)
    assert before.price_id != after.price_id
    assert (before.cost_usd, after.cost_usd) == (Decimal(50), Decimal(10))
