"""Money: Decimal with 12 places, exact decimal strings in JSON, exact storage on both backends."""

from __future__ import annotations

from decimal import Decimal

import pytest
from pydantic import BaseModel
from sqlalchemy.dialects import postgresql, sqlite

from finops.kit.db import Money
from finops.kit.money import MoneyStr, from_picos, quantize, to_picos, to_string

D = Decimal


class TestQuantize:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("0.0000000000005", "0"),  # half to even: down to 0
            ("0.0000000000015", "0.000000000002"),  # half to even: up to 2
            ("0.0000000000025", "0.000000000002"),
            ("1.23456789012345", "1.234567890123"),
            ("-0.0000000000015", "-0.000000000002"),
        ],
    )
    def test_twelve_places_bankers_rounding(self, value: str, expected: str) -> None:
        assert quantize(D(value)) == D(expected)


class TestToString:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            ("0", "0"),
            ("0E-12", "0"),
            ("0.750000000000", "0.75"),
            ("1E-12", "0.000000000001"),
            ("1E+6", "1000000"),
            ("1000000.000000000000", "1000000"),
            ("12.5", "12.5"),
            ("-3.10", "-3.1"),
        ],
    )
    def test_plain_decimal_strings(self, value: str, expected: str) -> None:
        assert to_string(D(value)) == expected

    def test_money_str_serializes_as_a_string(self) -> None:
        class Out(BaseModel):
            cost: MoneyStr

        assert Out(cost=D("0.000000000001")).model_dump_json() == '{"cost":"0.000000000001"}'
        assert Out(cost=D("2.50")).model_dump() == {"cost": "2.5"}


class TestPicos:
    @pytest.mark.parametrize(
        "value", ["0", "0.000000000001", "0.75", "9223372.036854775807", "123.456789012345"]
    )
    def test_round_trip(self, value: str) -> None:
        assert from_picos(to_picos(D(value))) == quantize(D(value))

    def test_picos_are_integers(self) -> None:
        assert to_picos(D("0.75")) == 750_000_000_000


class TestMoneyColumn:
    def test_sqlite_stores_integer_picodollars(self) -> None:
        column, dialect = Money(), sqlite.dialect()
        stored = column.process_bind_param(D("0.000000000001"), dialect)
        assert (stored, type(stored)) == (1, int)
        assert column.process_result_value(stored, dialect) == D("0.000000000001")
        assert column.process_bind_param(None, dialect) is None

    def test_postgresql_stores_numeric(self) -> None:
        column, dialect = Money(), postgresql.dialect()
        stored = column.process_bind_param(D("1.23456789012345"), dialect)
        assert stored == D("1.234567890123")
        assert column.process_result_value(stored, dialect) == D("1.234567890123")
