"""Google Gemini `usageMetadata`.

Inclusion rules: `promptTokenCount` INCLUDES `cachedContentTokenCount`; `toolUsePromptTokenCount`
is separate input; `thoughtsTokenCount` is separate from `candidatesTokenCount` and billed as
output. Some responses report candidates already inclusive of thoughts: when
prompt + candidates + toolUse == total, thoughts are not added again.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finops.kit.errors import Unprocessable
from finops.pricing.providers._fields import count, require_any
from finops.pricing.usage import NormalizedUsage


def _modality(raw: Mapping[str, Any], key: str, modality: str) -> int:
    details = raw.get(key)
    if details is None:
        return 0
    if not isinstance(details, list):
        raise Unprocessable(f"provider_usage.{key} must be a list", code="invalid_provider_usage")
    total = 0
    for item in details:
        if not isinstance(item, Mapping):
            raise Unprocessable(f"provider_usage.{key} items must be objects", code="invalid_provider_usage")
        if str(item.get("modality", "")).upper() == modality:
            total += count(item, "tokenCount")
    return total


def parse(raw: Mapping[str, Any]) -> tuple[NormalizedUsage, str]:
    require_any(raw, ("promptTokenCount", "candidatesTokenCount", "totalTokenCount"), "Gemini")
    prompt = count(raw, "promptTokenCount")
    tool_prompt = count(raw, "toolUsePromptTokenCount")
    cached = count(raw, "cachedContentTokenCount")
    candidates = count(raw, "candidatesTokenCount")
    thoughts = count(raw, "thoughtsTokenCount")
    total = count(raw, "totalTokenCount")
    candidates_inclusive = thoughts > 0 and total > 0 and prompt + candidates + tool_prompt == total
    output = candidates if candidates_inclusive else candidates + thoughts
    # Modality details of the prompt cover uncached and cached tokens alike; cached audio is
    # billed at the cached rate, so only the uncached share is priced as audio input.
    audio_in = _modality(raw, "promptTokensDetails", "AUDIO") - _modality(raw, "cacheTokensDetails", "AUDIO")
    return (
        NormalizedUsage(
            input_tokens=prompt + tool_prompt,
            cached_input_tokens=cached,
            audio_input_tokens=max(audio_in, 0),
            output_tokens=output,
            reasoning_tokens=thoughts,
            audio_output_tokens=_modality(raw, "candidatesTokensDetails", "AUDIO"),
        ),
        "gemini_usage_metadata",
    )
