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


def test_btc_to_sat_is_exact_unless_a_rounding_is_named() -> None:
    from decimal import Decimal

    import pytest

    from remittance.errors import InvalidInputError
    from remittance.money import MAX_SUPPLY_SAT, btc_to_sat

    assert btc_to_sat(Decimal("1.00000001")) == 100_000_001
    assert btc_to_sat(Decimal("-0.0003")) == -30_000  # a clawback
    assert btc_to_sat(21_000_000) == MAX_SUPPLY_SAT
    with pytest.raises(InvalidInputError, match="whole number of satoshis"):
        btc_to_sat(Decimal("0.000000015"))
    assert btc_to_sat(Decimal("0.000000015"), rounding="half_up") == 2
    assert btc_to_sat(Decimal("-0.000000015"), rounding="half_up") == -2
    for bad in (Decimal("NaN"), Decimal("21000000.00000001"), True, 1.5):
        with pytest.raises(InvalidInputError):
            btc_to_sat(bad)  # type: ignore[arg-type]
