"""Normalized usage: non-overlapping token buckets every provider parser converts into."""

from __future__ import annotations

from dataclasses import dataclass, fields

from finops.kit.errors import Unprocessable

# No single call comes near a billion tokens in any bucket; the bound keeps every event's cost far
# inside the stored money range (SQLite keeps integer picodollars, at most ~9.2 million USD).
MAX_TOKENS = 1_000_000_000


@dataclass(frozen=True, slots=True)
class NormalizedUsage:
    """Token counts with explicit inclusion rules.

    `input_tokens` counts ALL input (uncached, cache reads, cache writes, audio, image);
    `output_tokens` counts ALL output (text, reasoning, audio). The other fields are subsets.
    `cache_write_1h_tokens` is the part of `cache_write_tokens` written with a one-hour TTL.
    """

    input_tokens: int = 0
    cached_input_tokens: int = 0
    cache_write_tokens: int = 0
    cache_write_1h_tokens: int = 0
    output_tokens: int = 0
    reasoning_tokens: int = 0
    audio_input_tokens: int = 0
    audio_output_tokens: int = 0
    image_input_tokens: int = 0

    def __post_init__(self) -> None:
        for name in _FIELDS:
            value = getattr(self, name)
            if value < 0:
                raise Unprocessable(f"{name} must not be negative", code="negative_tokens")
            if value > MAX_TOKENS:
                raise Unprocessable(f"{name} exceeds {MAX_TOKENS:,} tokens", code="out_of_range")
        if self.cached_input_tokens + self.cache_write_tokens > self.input_tokens:
            raise Unprocessable(
                "cached_input_tokens + cache_write_tokens exceed input_tokens "
                "(input_tokens must include cache reads and writes)",
                code="cached_exceeds_input",
            )
        if self.cache_write_1h_tokens > self.cache_write_tokens:
            raise Unprocessable("cache_write_1h_tokens exceed cache_write_tokens", code="inconsistent_usage")
        uncached = self.input_tokens - self.cached_input_tokens - self.cache_write_tokens
        if self.audio_input_tokens + self.image_input_tokens > uncached:
            raise Unprocessable(
                "audio_input_tokens + image_input_tokens exceed uncached input tokens",
                code="inconsistent_usage",
            )
        if self.reasoning_tokens + self.audio_output_tokens > self.output_tokens:
            raise Unprocessable(
                "reasoning_tokens + audio_output_tokens exceed output_tokens "
                "(output_tokens must include reasoning and audio output)",
                code="inconsistent_usage",
            )

    def as_dict(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in _FIELDS}


_FIELDS = tuple(f.name for f in fields(NormalizedUsage))
