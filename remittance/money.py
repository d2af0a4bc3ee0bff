"""Satoshis, BTC text and the one rounding rule (half up to a whole satoshi).

Money is an `int` number of satoshis everywhere. Fractions of a satoshi exist only inside a
computation (as `Fraction`) and are rounded exactly once per period with `round_half_up_sat`.

>>> round_half_up_sat(Fraction(1, 2))
1
>>> sat_to_btc_text(123_456_789)
'1.23456789'
>>> btc_to_sat(Decimal("0.00012345"))
12345
>>> btc_to_sat(Decimal("0.000123456"), rounding="half_up")
12346

This module holds the one BTC↔satoshi conversion of the project: adapters of outside APIs
call :func:`btc_to_sat` (exact, or half up where an API writes more than 8 decimals, named by
the caller), statements :func:`sat_to_btc_text`, metrics :func:`sat_to_btc`.
"""

from __future__ import annotations

import math
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from fractions import Fraction
from typing import Final, Literal

from remittance.errors import InvalidInputError

SAT_PER_BTC: Final = 100_000_000
MAX_SUPPLY_SAT: Final = 21_000_000 * SAT_PER_BTC
"""No amount can exceed the supply: above it a figure is garbled, not rich."""

_BTC_TEXT = re.compile(r"^(-?)(\d+)(?:\.(\d{1,8}))?$")


def round_half_up_sat(value: Fraction | Decimal | int) -> int:
    """Round an exact amount of satoshis to a whole satoshi, halves away from zero.

    Half up means 0.5 → 1 and 2.5 → 3 (not banker's rounding); for negative amounts the
    magnitude is rounded, so -0.5 → -1.
    """
    exact = Fraction(value)
    magnitude = abs(exact)
    rounded = math.floor(magnitude + Fraction(1, 2))
    return rounded if exact >= 0 else -rounded


def sat_to_btc_text(amount_sat: int) -> str:
    """Format satoshis as BTC with exactly eight decimals: 150 → '0.00000150'."""
    sign = "-" if amount_sat < 0 else ""
    whole, fraction = divmod(abs(amount_sat), SAT_PER_BTC)
    return f"{sign}{whole}.{fraction:08d}"


def btc_to_sat(amount: Decimal | int, *, rounding: Literal["exact", "half_up"] = "exact") -> int:
    """BTC as an exact `Decimal` (or int) in satoshis.

    `exact` (the default) refuses a fraction of a satoshi; `half_up` rounds it half away from
    zero — for an API known to write more than 8 decimals. Refuses what is not finite, and
    more than the supply either way (a negative amount is a pool's clawback: kept).
    """
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        msg = f"not a BTC amount: {str(amount)[:40]!r}"
        raise InvalidInputError(msg)
    value = Decimal(amount)
    if not value.is_finite() or abs(value) > MAX_SUPPLY_SAT // SAT_PER_BTC:
        msg = f"{str(amount)[:40]} BTC is more than will ever exist"
        raise InvalidInputError(msg)
    try:
        sat = value * SAT_PER_BTC
        whole = sat.to_integral_value(rounding=ROUND_HALF_UP)
    except InvalidOperation as err:
        msg = f"not a BTC amount: {str(amount)[:40]!r}"
        raise InvalidInputError(msg) from err
    if rounding == "exact" and whole != sat:
        msg = f"{amount} BTC is not a whole number of satoshis"
        raise InvalidInputError(msg)
    return int(whole)


def sat_to_btc(amount_sat: int) -> float:
    """Satoshis as a float number of BTC: for metrics only (floats never reach the rules)."""
    return amount_sat / SAT_PER_BTC


def btc_text_to_sat(text: str) -> int:
    """Parse BTC text with at most eight decimals into satoshis: '0.0000015' → 150."""
    match = _BTC_TEXT.match(text.strip())
    if match is None:
        msg = f"not a BTC amount with at most 8 decimals: {text!r}"
        raise InvalidInputError(msg)
    sign, whole, fraction = match.groups()
    amount_sat = int(whole) * SAT_PER_BTC + int((fraction or "").ljust(8, "0"))
    return -amount_sat if sign else amount_sat


def measured_decimal(value: float | Decimal | int | None) -> Decimal | None:
    """A measured quantity (hash rate, power) as an exact `Decimal`; None if missing or not finite.

    A float is taken through its shortest decimal text (`repr`), so 0.1 means one tenth, as the
    API that reported it meant, rather than the nearest binary fraction.
    """
    if value is None:
        return None
    if isinstance(value, float):
        return Decimal(repr(value)) if math.isfinite(value) else None
    if isinstance(value, Decimal):
        return value if value.is_finite() else None
    return Decimal(value)
