"""Realistic demo data: schools, services, learners and subjects calling four providers."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from finops.kit.time import floor_hour, utcnow

TENANTS = ("school-northfield", "school-riverside", "school-hillcrest")
SUBJECTS = ("math", "english", "science", "history", "languages", "computing")
SERVICES: dict[str, list[tuple[str, str, float]]] = {
    # service → (provider, model, weight)
    "essay-feedback": [("anthropic", "claude-sonnet-4-5", 3), ("openai", "gpt-4o", 2)],
    "tutor-chat": [("openai", "gpt-4o-mini", 5), ("gemini", "gemini-2.5-flash", 4)],
    "quiz-generator": [
        ("gemini", "models/gemini-2.5-pro", 2),
        ("bedrock", "us.anthropic.claude-haiku-4-5-20251001-v1:0", 2),
    ],
    "reading-coach": [("bedrock", "amazon.nova-lite-v1:0", 3), ("anthropic", "claude-haiku-4-5", 2)],
    "math-reasoner": [("openai", "o3", 1), ("openai", "o4-mini", 2)],
}


def _provider_usage(rng: random.Random, provider: str, prompt: int, output: int) -> dict[str, Any]:
    cached = int(prompt * rng.choice((0, 0, 0.3, 0.6)))
    if provider == "openai":
        reasoning = int(output * rng.choice((0, 0.5))) if rng.random() < 0.3 else 0
        return {
            "prompt_tokens": prompt,
            "completion_tokens": output,
            "total_tokens": prompt + output,
            "prompt_tokens_details": {"cached_tokens": cached},
            "completion_tokens_details": {"reasoning_tokens": reasoning},
        }
    if provider == "gemini":
        thoughts = int(output * 0.4) if rng.random() < 0.5 else 0
        return {
            "promptTokenCount": prompt,
            "candidatesTokenCount": output,
            "thoughtsTokenCount": thoughts,
            "cachedContentTokenCount": cached,
            "totalTokenCount": prompt + output + thoughts,
        }
    if provider == "bedrock":
        return {
            "inputTokens": prompt - cached,
            "outputTokens": output,
            "cacheReadInputTokens": cached,
            "totalTokens": prompt + output,
        }
    write = int(prompt * 0.1) if rng.random() < 0.2 else 0
    return {
        "input_tokens": prompt - cached - write,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": write,
        "output_tokens": output,
    }


def generate(
    *, days: int = 30, events_per_day: int = 800, seed: int = 7, end: datetime | None = None
) -> Iterator[dict[str, Any]]:
    """Usage events (API payloads) spread over `days`, with weekday seasonality and growth."""
    rng = random.Random(seed)
    end = floor_hour(end or utcnow())
    learners = {t: [f"{t.split('-')[1]}-learner-{i:03d}" for i in range(70)] for t in TENANTS}
    services = list(SERVICES)
    counter = 0
    for day in range(days, 0, -1):
        day_start = end - timedelta(days=day)
        weekday_factor = 0.35 if day_start.weekday() >= 5 else 1.0
        growth = 1 + (days - day) / (days * 2)
        for _ in range(int(events_per_day * weekday_factor * growth)):
            counter += 1
            tenant = rng.choice(TENANTS)
            service = rng.choice(services)
            provider, model, _w = rng.choices(SERVICES[service], weights=[w for *_, w in SERVICES[service]])[
                0
            ]
            prompt = int(rng.lognormvariate(7.2, 0.8)) + 50
            output = int(rng.lognormvariate(5.8, 0.7)) + 10
            yield {
                "event_id": f"demo-{seed}-{counter:08d}",
                "occurred_at": (day_start + timedelta(seconds=rng.randrange(86400))).isoformat(),
                "tenant_id": tenant,
                "service": service,
                "learner_id": rng.choice(learners[tenant]),
                "subject": rng.choice(SUBJECTS),
                "provider": provider,
                "model": model,
                "batch": service == "quiz-generator" and rng.random() < 0.3,
                "tags": {"env": "demo", "feature": service.split("-")[0]},
                "provider_usage": _provider_usage(rng, provider, prompt, output),
            }
