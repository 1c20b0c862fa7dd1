"""Turn a LiteLLM `model_prices_and_context_window.json` into catalog records.

LiteLLM prices are USD per token; the catalog keeps USD per million tokens (× 1,000,000, exact,
since the JSON is parsed with Decimal). Keys read: input/output, cache read, cache write (5 min)
and `_above_1hr` (1 h), audio in/out, reasoning output, `_above_<N>k_tokens` long-context tiers,
and the `_batches`, `_priority` and `_flex` suffixes as variants. Region-specific Bedrock keys
(`bedrock/us-east-1/...`) and non-token prices (per image, per second, per character) are skipped.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from finops.kit.time import EPOCH
from finops.pricing.genai_source import CatalogData, ModelRecord, PriceRecord
from finops.pricing.rates import Rate, Rates, Tier, Tiered

PER_MILLION = Decimal(1_000_000)
PROVIDERS = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "azure": "azure",
    "anthropic": "anthropic",
    "gemini": "google",
    "vertex_ai-language-models": "google",
    "bedrock": "aws",
    "bedrock_converse": "aws",
}
# Prefer the provider's own listing when two LiteLLM providers list the same model id.
PREFERENCE = {"gemini": 0, "vertex_ai-language-models": 1, "bedrock_converse": 0, "bedrock": 1}
KEYS = {
    "input_cost_per_token": "input_mtok",
    "output_cost_per_token": "output_mtok",
    "cache_read_input_token_cost": "cache_read_mtok",
    "cache_creation_input_token_cost": "cache_write_mtok",
    "cache_creation_input_token_cost_above_1hr": "cache_write_1h_mtok",
    "input_cost_per_audio_token": "input_audio_mtok",
    "output_cost_per_audio_token": "output_audio_mtok",
    "output_cost_per_reasoning_token": "output_reasoning_mtok",
}
VARIANT_SUFFIXES = {"_batches": "batch", "_priority": "priority", "_flex": "flex"}
_TIER = re.compile(r"^(?P<base>.+)_above_(?P<k>\d+)k_tokens$")
_REGION_PATH = re.compile(r"^bedrock/[a-z]{2}(-gov)?-[a-z]+-\d/")


class LiteLLMFormatError(ValueError):
    pass


def _per_million(value: Any, key: str, model: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise LiteLLMFormatError(f"{model}: {key} is not a number")
    amount = Decimal(value) * PER_MILLION
    if not amount.is_finite() or amount < 0:
        raise LiteLLMFormatError(f"{model}: {key} must be a finite, non-negative number")
    return Decimal(format(amount.normalize(), "f"))


def _rates(entry: dict[str, Any], model: str, suffix: str = "") -> Rates:
    flat: Rates = {}
    tiers: dict[str, list[Tier]] = {}
    for raw_key, value in entry.items():
        if value is None:
            continue
        key = raw_key
        if suffix:
            if not raw_key.endswith(suffix):
                continue
            key = raw_key[: -len(suffix)]
        elif any(raw_key.endswith(s) for s in VARIANT_SUFFIXES):
            continue
        tier = _TIER.match(key)
        if tier and tier["base"] in KEYS:
            price_key = KEYS[tier["base"]]
            start = int(tier["k"]) * 1000
            tiers.setdefault(price_key, []).append(Tier(start, _per_million(value, raw_key, model)))
        elif key in KEYS:
            flat[KEYS[key]] = _per_million(value, raw_key, model)
    out: Rates = dict(flat)
    for price_key, steps in tiers.items():
        base = flat.get(price_key)
        if isinstance(base, Decimal):
            tiered: Rate = Tiered(base, tuple(sorted(steps, key=lambda t: t.start)))
            out[price_key] = tiered
    return out


def _model_id(key: str, litellm_provider: str) -> str:
    prefix = key.split("/", 1)[0] if "/" in key else ""
    if prefix in ("gemini", "azure", "bedrock", "vertex_ai", "anthropic", "openai", "bedrock_converse"):
        return key.split("/", 1)[1]
    return key


def parse(document: Any) -> CatalogData:
    if not isinstance(document, dict):
        raise LiteLLMFormatError("a LiteLLM price file is a JSON object of model name → prices")
    chosen: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    order: list[tuple[str, str]] = []
    for key, entry in document.items():
        if key == "sample_spec" or not isinstance(entry, dict):
            continue
        litellm_provider = entry.get("litellm_provider")
        catalog_provider = PROVIDERS.get(str(litellm_provider))
        if catalog_provider is None or _REGION_PATH.match(key):
            continue
        if "input_cost_per_token" not in entry and "output_cost_per_token" not in entry:
            continue
        model_id = _model_id(key, str(litellm_provider)).lower()
        rank = PREFERENCE.get(str(litellm_provider), 0)
        ident = (catalog_provider, model_id)
        if ident not in chosen:
            order.append(ident)
        if ident not in chosen or rank < chosen[ident][0]:
            chosen[ident] = (rank, entry)
    models: list[ModelRecord] = []
    prices: list[PriceRecord] = []
    positions: dict[str, int] = {}
    for catalog_provider, model_id in order:
        entry = chosen[(catalog_provider, model_id)][1]
        standard = _rates(entry, model_id)
        if not standard:
            continue
        position = positions.get(catalog_provider, 0)
        positions[catalog_provider] = position + 1
        context = entry.get("max_input_tokens")
        models.append(
            ModelRecord(
                catalog_provider=catalog_provider,
                model_id=model_id,
                name=None,
                match={"equals": model_id},
                position=position,
                context_window=context
                if isinstance(context, int) and not isinstance(context, bool)
                else None,
                deprecated=False,
            )
        )
        prices.append(PriceRecord(catalog_provider, model_id, "standard", EPOCH, None, standard))
        for suffix, variant in VARIANT_SUFFIXES.items():
            overrides = _rates(entry, model_id, suffix)
            if overrides:
                prices.append(
                    PriceRecord(catalog_provider, model_id, variant, EPOCH, None, {**standard, **overrides})
                )
    fallbacks = {"azure": ["openai"]} if any(m.catalog_provider == "azure" for m in models) else {}
    return CatalogData(models=models, prices=prices, fallbacks=fallbacks)
