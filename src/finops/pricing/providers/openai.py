"""OpenAI (and Azure OpenAI) usage: Chat Completions, Responses and Embeddings.

Inclusion rules: `prompt_tokens`/`input_tokens` include cached tokens and audio tokens;
`completion_tokens`/`output_tokens` include reasoning and audio output tokens.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from finops.pricing.providers._fields import count, require_any
from finops.pricing.usage import NormalizedUsage


def parse(raw: Mapping[str, Any]) -> tuple[NormalizedUsage, str]:
    require_any(raw, ("prompt_tokens", "input_tokens"), "OpenAI")
    if "input_tokens" in raw:  # Responses API
        return (
            NormalizedUsage(
                input_tokens=count(raw, "input_tokens"),
                cached_input_tokens=count(raw, "input_tokens_details", "cached_tokens"),
                audio_input_tokens=count(raw, "input_tokens_details", "audio_tokens"),
                output_tokens=count(raw, "output_tokens"),
                reasoning_tokens=count(raw, "output_tokens_details", "reasoning_tokens"),
                audio_output_tokens=count(raw, "output_tokens_details", "audio_tokens"),
            ),
            "openai_responses",
        )
    if "completion_tokens" not in raw:  # Embeddings: prompt_tokens and total_tokens only
        return NormalizedUsage(input_tokens=count(raw, "prompt_tokens")), "openai_embeddings"
    prompt = count(raw, "prompt_tokens")
    # Audio input that was served from cache is counted in both details fields; bill it as cached.
    cached = count(raw, "prompt_tokens_details", "cached_tokens")
    audio_in = count(raw, "prompt_tokens_details", "audio_tokens")
    image_in = count(raw, "prompt_tokens_details", "image_tokens")
    return (
        NormalizedUsage(
            input_tokens=prompt,
            cached_input_tokens=cached,
            audio_input_tokens=min(audio_in, max(prompt - cached, 0)),
            image_input_tokens=image_in,
            output_tokens=count(raw, "completion_tokens"),
            reasoning_tokens=count(raw, "completion_tokens_details", "reasoning_tokens"),
            audio_output_tokens=count(raw, "completion_tokens_details", "audio_tokens"),
        ),
        "openai_chat",
    )
