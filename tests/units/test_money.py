"""Amounts in minor units, their conversion and their presentation in a currency's format."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from dtc_api.core.money import format_minor, monetary_value, to_major, to_minor


def currency(digits: int = 2, point: str = ",", thousands: str = " ", prefix: str | None = None,
             suffix: str | None = " SEK") -> dict[str, Any]:
    return {"code": "XXX", "decimalDigits": digits, "decimalPoint": point,
            "thousandsSeparator": thousands, "prefix": prefix, "suffix": suffix}


SEK = currency()
USD = currency(point=".", thousands=",", prefix="$", suffix=None)
JPY = currency(digits=0, point=".", thousands=",", prefix="¥", suffix="")
KWD = currency(digits=3, point=".", thousands=",", prefix=None, suffix=" KWD")


@pytest.mark.parametrize(("amount", "fmt", "expected"), [
    (29900, SEK, "299,00 SEK"),
    (0, SEK, "0,00 SEK"),
    (1, SEK, "0,01 SEK"),
    (10, SEK, "0,10 SEK"),
    (99, SEK, "0,99 SEK"),
    (100, SEK, "1,00 SEK"),
    (123456789, SEK, "1 234 567,89 SEK"),
    (100000, SEK, "1 000,00 SEK"),
    (99999, SEK, "999,99 SEK"),
    (-1, SEK, "-0,01 SEK"),
    (-123456, SEK, "-1 234,56 SEK"),
    (1999, USD, "$19.99"),
    (123456789, USD, "$1,234,567.89"),
    (-5, USD, "-$0.05"),
    # No decimal digits: no decimal point either.
    (1500, JPY, "¥1,500"),
    (0, JPY, "¥0"),
    (-1234567, JPY, "-¥1,234,567"),
    (1234567, KWD, "1,234.567 KWD"),
    (5, KWD, "0.005 KWD"),
    # An empty separator writes the digits together.
    (123456789, currency(thousands=""), "1234567,89 SEK"),
    # Nothing before or after: only the number.
    (1234, currency(prefix=None, suffix=None), "12,34"),
    (1234, currency(prefix="", suffix=""), "12,34"),
])
def test_format_minor(amount: int, fmt: dict[str, Any], expected: str) -> None:
    assert format_minor(amount, fmt) == expected


@pytest.mark.parametrize(("value", "digits", "expected"), [
    (299, 2, 29900),
    (299.0, 2, 29900),
    ("299", 2, 29900),
    ("299.5", 2, 29950),
    (19.99, 2, 1999),
    (0.1, 2, 10),
    (0.01, 2, 1),
    (0, 2, 0),
    (-12.5, 2, -1250),
    (Decimal("1.005"), 3, 1005),
    (1500, 0, 1500),
    ("1500.0", 0, 1500),
    (1.234, 3, 1234),
    # More decimals than the currency has: not an amount of that currency.
    (19.999, 2, None),
    ("0.001", 2, None),
    (0.5, 0, None),
    (Decimal("1.0001"), 3, None),
])
def test_to_minor(value: float | str | Decimal, digits: int, expected: int | None) -> None:
    assert to_minor(value, digits) == expected


@pytest.mark.parametrize(("amount", "digits", "expected"), [
    (29900, 2, 299.0),
    (1999, 2, 19.99),
    (1, 2, 0.01),
    (0, 2, 0.0),
    (-1250, 2, -12.5),
    (1500, 0, 1500.0),
    (1234567, 3, 1234.567),
])
def test_to_major(amount: int, digits: int, expected: float) -> None:
    assert to_major(amount, digits) == expected


@pytest.mark.parametrize("amount", [0, 1, 99, 1999, 29900, 123456789, -1250])
@pytest.mark.parametrize("digits", [0, 2, 3])
def test_to_minor_undoes_to_major(amount: int, digits: int) -> None:
    assert to_minor(to_major(amount, digits), digits) == amount


def test_monetary_value_carries_the_number_the_text_and_the_currency() -> None:
    assert monetary_value(123456, SEK) == {
        "value": 1234.56, "formattedValue": "1 234,56 SEK", "currency": SEK}
    assert monetary_value(1500, JPY) == {"value": 1500.0, "formattedValue": "¥1,500",
                                         "currency": JPY}
    assert monetary_value(-5, USD) == {"value": -0.05, "formattedValue": "-$0.05",
                                       "currency": USD}
