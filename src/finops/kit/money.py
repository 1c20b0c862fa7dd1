"""Money is Decimal everywhere; this module fixes its scale and its JSON form."""

from __future__ import annotations

from decimal import ROUND_HALF_EVEN, Decimal
from typing import Annotated

from pydantic import PlainSerializer

# Costs are kept to 12 decimal places of a dollar (a picodollar): one token at the cheapest
# published rate is ~1e-8 USD, so nothing a provider bills is rounded away.
MONEY_PLACES = 12
MONEY_QUANTUM = Decimal(1).scaleb(-MONEY_PLACES)
PER_MILLION = Decimal(1_000_000)
ZERO = Decimal(0)


def quantize(value: Decimal) -> Decimal:
    return value.quantize(MONEY_QUANTUM, rounding=ROUND_HALF_EVEN)


def to_string(value: Decimal) -> str:
    """Decimal string without exponent and without trailing zeros ("0" for zero)."""
    if value == 0:
        return "0"
    text = format(value.normalize(), "f")
    return text


def to_picos(value: Decimal) -> int:
    return int(quantize(value).scaleb(MONEY_PLACES))


def from_picos(value: int) -> Decimal:
    return Decimal(value).scaleb(-MONEY_PLACES)


MoneyStr = Annotated[Decimal, PlainSerializer(to_string, return_type=str, when_used="always")]
"""A Decimal that serializes as a decimal string in JSON."""
