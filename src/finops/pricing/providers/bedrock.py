"""AWS Bedrock usage: the Converse API's camelCase `usage`, or an InvokeModel body's Anthropic usage.

Inclusion rules (Converse): `inputTokens` EXCLUDES `cacheReadInputTokens` and
`cacheWriteInputTokens`; `cacheDetails` may split writes by TTL ("5m", "1h").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finops.kit.errors import Unprocessable
from finops.pricing.providers import anthropic
from finops.pricing.providers._fields import count, require_any
from finops.pricing.usage import NormalizedUsage


def _one_hour_writes(raw: Mapping[str, Any]) -> int:
    details = raw.get("cacheDetails")
    if details is None:
        return 0
    if not isinstance(details, list):
        raise Unprocessable("provider_usage.cacheDetails must be a list", code="invalid_provider_usage")
    total = 0
    for item in details:
        if not isinstance(item, Mapping):
            raise Unprocessable(
                "provider_usage.cacheDetails items must be objects", code="invalid_provider_usage"
            )
        if item.get("ttl") == "1h":
            total += count(item, "inputTokens")
    return total


def parse(raw: Mapping[str, Any]) -> tuple[NormalizedUsage, str]:
    if "input_tokens" in raw or "output_tokens" in raw:
        usage, _ = anthropic.parse(raw)
        return usage, "bedrock_invoke_anthropic"
    require_any(raw, ("inputTokens", "outputTokens"), "Bedrock Converse")
    cache_read = count(raw, "cacheReadInputTokens")
    cache_write = count(raw, "cacheWriteInputTokens")
    return (
        NormalizedUsage(
            input_tokens=count(raw, "inputTokens") + cache_read + cache_write,
            cached_input_tokens=cache_read,
            cache_write_tokens=cache_write,
            cache_write_1h_tokens=min(_one_hour_writes(raw), cache_write),
            output_tokens=count(raw, "outputTokens"),
        ),
        "bedrock_converse",
    )
