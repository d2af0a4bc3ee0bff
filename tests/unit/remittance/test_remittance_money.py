from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest

from remittance.errors import InvalidInputError
from remittance.money import btc_text_to_sat, measured_decimal, round_half_up_sat, sat_to_btc_text


@pytest.mark.parametrize(
    ("exact_sat", "rounded_sat"),
    [
        (Fraction(1, 2), 1),
        (Fraction(3, 2), 2),
        (Fraction(5, 2), 3),  # half up, not half to even
        (Fraction(49, 100), 0),
        (Decimal("300000.5"), 300_001),
        (Decimal("300000.4999999"), 300_000),
        (Fraction(-1, 2), -1),
        (7, 7),
    ],
)
def test_round_half_up_sat_rounds_halves_up(
    exact_sat: Fraction | Decimal, rounded_sat: int
) -> None:
    assert round_half_up_sat(exact_sat) == rounded_sat


@pytest.mark.parametrize(
    ("amount_sat", "text"),
    [(0, "0.00000000"), (150, "0.00000150"), (123_456_789, "1.23456789"), (-5, "-0.00000005")],
)
def test_btc_text_round_trips(amount_sat: int, text: str) -> None:
    assert sat_to_btc_text(amount_sat) == text
    assert btc_text_to_sat(text) == amount_sat


def test_btc_text_with_more_than_eight_decimals_is_rejected() -> None:
    with pytest.raises(InvalidInputError, match="at most 8 decimals"):
        btc_text_to_sat("0.000000001")


def test_measured_float_means_its_decimal_text_and_non_finite_is_missing() -> None:
    assert measured_decimal(0.1) == Decimal("0.1")
    assert measured_decimal(float("nan")) is None
    assert measured_decimal(float("inf")) is None
    assert measured_decimal(Decimal("NaN")) is None
    assert measured_decimal(None) is None
    assert measured_decimal(3) == Decimal(3)
