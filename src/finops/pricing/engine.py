"""The cost engine: normalized usage times one price version → an exact, non-overlapping breakdown."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from finops.kit import money
from finops.pricing.rates import Rate, Rates, rate_at
from finops.pricing.usage import NormalizedUsage

BREAKDOWN_KEYS = (
    "input",
    "cached_input",
    "cache_write",
    "cache_write_1h",
    "output",
    "reasoning",
    "audio_input",
    "audio_output",
    "image_input",
    "requests",
)


@dataclass(frozen=True, slots=True)
class Cost:
    total: Decimal
    breakdown: dict[str, Decimal] = field(default_factory=dict)


def _first(rates: Rates, *keys: str) -> Rate | None:
    for key in keys:
        if key in rates:
            return rates[key]
    return None


def compute_cost(usage: NormalizedUsage, rates: Rates) -> Cost:
    """Price each bucket once. A bucket without its own rate falls back to its parent's rate
    (cache read → input, reasoning → output, ...), the provider convention for unlisted rates."""
    n_in = usage.input_tokens
    uncached_text = (
        usage.input_tokens
        - usage.cached_input_tokens
        - usage.cache_write_tokens
        - usage.audio_input_tokens
        - usage.image_input_tokens
    )
    text_output = usage.output_tokens - usage.reasoning_tokens - usage.audio_output_tokens
    cache_write_5m = usage.cache_write_tokens - usage.cache_write_1h_tokens

    input_rate = _first(rates, "input_mtok", "input_text_mtok")
    output_rate = _first(rates, "output_mtok", "output_text_mtok")
    write_rate = _first(rates, "cache_write_mtok", "cache_write_5m_mtok") or input_rate
    items: list[tuple[str, int, Rate | None]] = [
        ("input", uncached_text, input_rate),
        ("cached_input", usage.cached_input_tokens, _first(rates, "cache_read_mtok") or input_rate),
        ("cache_write", cache_write_5m, write_rate),
        ("cache_write_1h", usage.cache_write_1h_tokens, _first(rates, "cache_write_1h_mtok") or write_rate),
        ("output", text_output, output_rate),
        ("reasoning", usage.reasoning_tokens, _first(rates, "output_reasoning_mtok") or output_rate),
        ("audio_input", usage.audio_input_tokens, _first(rates, "input_audio_mtok") or input_rate),
        ("audio_output", usage.audio_output_tokens, _first(rates, "output_audio_mtok") or output_rate),
        ("image_input", usage.image_input_tokens, _first(rates, "input_image_mtok") or input_rate),
    ]
    breakdown: dict[str, Decimal] = {}
    for key, count, rate in items:
        if count and rate is not None:
            breakdown[key] = money.quantize(Decimal(count) * rate_at(rate, n_in) / money.PER_MILLION)
        else:
            breakdown[key] = money.ZERO
    per_thousand_requests = rates.get("requests_kcount")
    breakdown["requests"] = (
        money.quantize(rate_at(per_thousand_requests, n_in) / Decimal(1000))
        if per_thousand_requests is not None
        else money.ZERO
    )
    total = sum(breakdown.values(), money.ZERO)
    return Cost(total=total, breakdown=breakdown)
