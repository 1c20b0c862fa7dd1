"""AWS Bedrock usage: the Converse API's camelCase `usage`, or an InvokeModel body's Anthropic usage.

Inclusion rules (Converse): `inputTokens` EXCLUDES `cacheReadInputTokens` and
`cacheWriteInputTokens`; `cacheDetails` splits the writes by TTL ("5m", "1h") and must add up
to `cacheWriteInputTokens`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finops.kit.errors import Unprocessable
from finops.pricing.providers import anthropic
from finops.pricing.providers._fields import count, require_any
from finops.pricing.usage import NormalizedUsage


def _cache_writes_by_ttl(raw: Mapping[str, Any]) -> tuple[int, int] | None:
    """(all writes, 1-hour writes) listed in `cacheDetails`, or None when it is absent or empty."""
    details = raw.get("cacheDetails")
    if details is None:
        return None
    if not isinstance(details, list):
        raise Unprocessable("provider_usage.cacheDetails must be a list", code="invalid_provider_usage")
    total = one_hour = 0
    for item in details:
        if not isinstance(item, Mapping):
            raise Unprocessable(
                "provider_usage.cacheDetails items must be objects", code="invalid_provider_usage"
            )
        tokens = count(item, "inputTokens")
        total += tokens
        if item.get("ttl") == "1h":
            one_hour += tokens
    return (total, one_hour) if details else None


def parse(raw: Mapping[str, Any]) -> tuple[NormalizedUsage, str]:
    if "input_tokens" in raw or "output_tokens" in raw:
        usage, _ = anthropic.parse(raw)
        return usage, "bedrock_invoke_anthropic"
    require_any(raw, ("inputTokens", "outputTokens"), "Bedrock Converse")
    cache_read = count(raw, "cacheReadInputTokens")
    cache_write = count(raw, "cacheWriteInputTokens")
    one_hour = 0
    by_ttl = _cache_writes_by_ttl(raw)
    if by_ttl is not None:
        detailed, one_hour = by_ttl
        if cache_write == 0:
            cache_write = detailed
        elif detailed != cache_write:
            # Clipping instead would silently move tokens between the 5m and 1h rates.
            raise Unprocessable(
                "cacheDetails tokens do not add up to cacheWriteInputTokens", code="inconsistent_usage"
            )
    return (
        NormalizedUsage(
            input_tokens=count(raw, "inputTokens") + cache_read + cache_write,
            cached_input_tokens=cache_read,
            cache_write_tokens=cache_write,
            cache_write_1h_tokens=one_hour,
            output_tokens=count(raw, "outputTokens"),
        ),
        "bedrock_converse",
    )
