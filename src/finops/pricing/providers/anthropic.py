"""Anthropic Messages usage (also the body of Bedrock InvokeModel for Claude).

Inclusion rules: `input_tokens` EXCLUDES `cache_creation_input_tokens` and
`cache_read_input_tokens`; `cache_creation` splits writes into 5-minute and 1-hour TTLs, priced
differently; `output_tokens` includes extended-thinking tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finops.kit.errors import Unprocessable
from finops.pricing.providers._fields import count, require_any
from finops.pricing.usage import NormalizedUsage


def parse(raw: Mapping[str, Any]) -> tuple[NormalizedUsage, str]:
    require_any(raw, ("input_tokens", "output_tokens"), "Anthropic")
    uncached = count(raw, "input_tokens")
    cache_read = count(raw, "cache_read_input_tokens")
    cache_write = count(raw, "cache_creation_input_tokens")
    write_5m = count(raw, "cache_creation", "ephemeral_5m_input_tokens")
    write_1h = count(raw, "cache_creation", "ephemeral_1h_input_tokens")
    if raw.get("cache_creation") is not None:
        if cache_write == 0:
            cache_write = write_5m + write_1h
        elif write_5m + write_1h != cache_write:
            raise Unprocessable(
                "cache_creation 5m + 1h tokens do not add up to cache_creation_input_tokens",
                code="inconsistent_usage",
            )
    return (
        NormalizedUsage(
            input_tokens=uncached + cache_read + cache_write,
            cached_input_tokens=cache_read,
            cache_write_tokens=cache_write,
            cache_write_1h_tokens=write_1h,
            output_tokens=count(raw, "output_tokens"),
        ),
        "anthropic_messages",
    )
