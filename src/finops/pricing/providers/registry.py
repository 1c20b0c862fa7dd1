"""One parser per provider; `parse` dispatches on our provider name."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from finops.kit.errors import Unprocessable
from finops.pricing.providers import anthropic, bedrock, gemini, openai
from finops.pricing.usage import NormalizedUsage

Parser = Callable[[Mapping[str, Any]], tuple[NormalizedUsage, str]]

PARSERS: dict[str, Parser] = {
    "openai": openai.parse,
    "azure_openai": openai.parse,
    "gemini": gemini.parse,
    "bedrock": bedrock.parse,
    "anthropic": anthropic.parse,
}


def parse(provider: str, raw: Any) -> tuple[NormalizedUsage, str]:
    if not isinstance(raw, Mapping):
        raise Unprocessable("provider_usage must be a JSON object", code="invalid_provider_usage")
    # A whole response body is accepted too: take its `usage` / `usageMetadata` member.
    for wrapper in ("usage", "usageMetadata"):
        inner = raw.get(wrapper)
        if isinstance(inner, Mapping):
            raw = inner
            break
    return PARSERS[provider](raw)
