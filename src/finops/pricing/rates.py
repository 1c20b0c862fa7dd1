"""Price rates as stored in the catalog: a decimal per million units, or a long-context tier table."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, slots=True)
class Tier:
    start: int
    price: Decimal


@dataclass(frozen=True, slots=True)
class Tiered:
    """A rate that switches for the whole request once total input tokens exceed a tier's start."""

    base: Decimal
    tiers: tuple[Tier, ...]

    def for_input(self, total_input_tokens: int) -> Decimal:
        for tier in reversed(self.tiers):
            if total_input_tokens > tier.start:
                return tier.price
        return self.base

    def scaled(self, factor: Decimal) -> Tiered:
        return Tiered(self.base * factor, tuple(Tier(t.start, t.price * factor) for t in self.tiers))


Rate = Decimal | Tiered
Rates = dict[str, Rate]


def rate_at(rate: Rate, total_input_tokens: int) -> Decimal:
    return rate.for_input(total_input_tokens) if isinstance(rate, Tiered) else rate


def rates_from_json(raw: dict[str, Any]) -> Rates:
    out: Rates = {}
    for key, value in raw.items():
        if isinstance(value, dict):
            out[key] = Tiered(
                Decimal(str(value["base"])),
                tuple(Tier(int(t["start"]), Decimal(str(t["price"]))) for t in value["tiers"]),
            )
        else:
            out[key] = Decimal(str(value))
    return out


def rates_to_json(rates: Rates) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in sorted(rates):
        value = rates[key]
        if isinstance(value, Tiered):
            out[key] = {
                "base": str(value.base),
                "tiers": [{"start": t.start, "price": str(t.price)} for t in value.tiers],
            }
        else:
            out[key] = str(value)
    return out
