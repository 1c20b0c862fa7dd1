"""Which rates price a request variant (batch, flex, priority, fast), and the documented fallbacks.

A variant's own catalog version always wins. When the catalog has none in force at the event's
time, these rules apply, in order, and the event's `pricing_notes` say which one did:

- batch: the provider's published batch rule, 50 % of the on-demand rates it names
  (`BATCH_RULE_KEYS`: OpenAI, Azure OpenAI, Bedrock: input and output; Gemini: input, output and
  audio input; Anthropic: every token rate, cache reads and writes included, since its batch
  discount stacks with the caching multipliers). Other providers: the standard rate.
- flex: OpenAI bills flex "at Batch API rates", so its batch version, else the batch rule;
  Gemini bills flex at 50 % of standard, the batch rule. Others: the standard rate.
- priority and fast (OpenAI's two names for the same tier): the other name's version (OpenAI and
  Azure only; Anthropic's "fast" is a different product). No provider
  publishes one multiplier for priority (Gemini says 75 %-100 % more), so failing that the
  standard rate applies and the note says the cost is likely understated.
- any other tier (scale, ...): the standard rate, with a note.

Missing keys inside a version fall back within the engine (cache read → input, reasoning →
output, audio → text, 1 h cache write → 5 min write → input): see engine.compute_cost.
Nothing falls back to zero: a model without any version in force is stored unpriced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from finops.pricing.catalog import Catalog, CatalogModel, PriceVersion
from finops.pricing.rates import Rates, Tiered

STANDARD_TIERS = {None, "", "default", "standard", "auto", "on_demand"}
HALF = Decimal("0.5")

BATCH_RULE_KEYS: dict[str, tuple[str, ...]] = {
    "openai": ("input_mtok", "output_mtok"),
    "azure": ("input_mtok", "output_mtok"),
    "aws": ("input_mtok", "output_mtok"),
    "google": ("input_mtok", "output_mtok", "input_audio_mtok"),
    "anthropic": ("input_mtok", "output_mtok", "cache_read_mtok", "cache_write_mtok", "cache_write_1h_mtok"),
}
FLEX_AT_BATCH_PRICE = {"openai", "azure"}
FLEX_AT_HALF_PRICE = {"google"}
# OpenAI answers `service_tier: "priority"` requests under either name; Anthropic's "fast" is a
# different product (speed: fast), so the alias is OpenAI's only.
SAME_TIER = {"priority": "fast", "fast": "priority"}
SAME_TIER_PROVIDERS = {"openai", "azure"}


@dataclass(frozen=True)
class ListRates:
    """The list rates that price a request, the version they come from and how they were chosen."""

    version: PriceVersion
    rates: Rates
    applied: str
    notes: list[str] = field(default_factory=list)


def requested_variant(*, batch: bool, service_tier: str | None) -> str:
    if batch:
        return "batch"
    tier = (service_tier or "").lower()
    return "standard" if tier in STANDARD_TIERS else tier


def halve(rates: Rates, keys: tuple[str, ...]) -> Rates:
    """The batch rule: 50 % of the named rates (whole tier tables included); other rates unchanged.

    Rates the engine derives from a halved one (cache read → input when no cache rate is listed)
    are halved with it, as providers bill them.
    """
    out = dict(rates)
    for key in keys:
        value = out.get(key)
        if isinstance(value, Tiered):
            out[key] = value.scaled(HALF)
        elif value is not None:
            out[key] = value * HALF
    return out


def _batch_rule(entry: CatalogModel, standard: PriceVersion) -> ListRates | None:
    keys = BATCH_RULE_KEYS.get(entry.catalog_provider)
    if keys is None:
        return None
    return ListRates(standard, halve(standard.rates, keys), "batch_rule")


def list_rates(catalog: Catalog, entry: CatalogModel, variant: str, at: datetime) -> ListRates | None:
    """The rates in force at `at` for `variant`, following the fallback rules above."""
    own = catalog.version_at(entry, variant, at)
    if own is not None:
        return ListRates(own, own.rates, variant)
    standard = catalog.version_at(entry, "standard", at)
    if standard is None:
        return None
    if variant == "standard":
        return None
    provider = entry.catalog_provider
    if variant == "batch":
        rule = _batch_rule(entry, standard)
        if rule is not None:
            rule.notes.append("no batch rate in the catalog: the provider's 50% batch rule applied")
            return rule
    elif variant == "flex" and provider in FLEX_AT_BATCH_PRICE:
        batch = catalog.version_at(entry, "batch", at)
        if batch is not None:
            return ListRates(batch, batch.rates, "batch", ["no flex rate in the catalog: batch rate applied"])
        rule = _batch_rule(entry, standard)
        if rule is not None:
            rule.notes.append("no flex or batch rate in the catalog: the provider's 50% batch rule applied")
            return rule
    elif variant == "flex" and provider in FLEX_AT_HALF_PRICE:
        rule = _batch_rule(entry, standard)
        if rule is not None:
            rule.notes.append("no flex rate in the catalog: the provider's 50% flex rule applied")
            return ListRates(rule.version, rule.rates, "flex_rule", rule.notes)
    elif variant in SAME_TIER:
        other = catalog.version_at(entry, SAME_TIER[variant], at) if provider in SAME_TIER_PROVIDERS else None
        if other is not None:
            note = f"no {variant!r} rate in the catalog: {SAME_TIER[variant]!r} rate applied (same tier)"
            return ListRates(other, other.rates, SAME_TIER[variant], [note])
        return ListRates(
            standard,
            standard.rates,
            "standard",
            [f"no {variant!r} rate in the catalog: standard rate applied, the cost is likely understated"],
        )
    return ListRates(
        standard, standard.rates, "standard", [f"no {variant!r} rate in the catalog: standard rate applied"]
    )
