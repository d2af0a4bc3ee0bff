"""Valuation: the latest price at or before an instant, KZT derived through the official
tenge-per-dollar rate, exact values rounded half to even to the cent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from remittance.errors import InvalidInputError
from remittance.valuation import RULE, ExchangeRate, Price, price_at, value_at, value_of

NEW_YEAR = datetime(2027, 1, 1, tzinfo=UTC)  # an instant a report is likely made at
LEAP_DAY = datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC)


def _usd(when: datetime, per_btc: str) -> Price:
    return Price(when, "USD", Decimal(per_btc), "kraken")


def _nbk(when: datetime, kzt_per_usd: str) -> ExchangeRate:
    return ExchangeRate(when, "USD", Decimal(kzt_per_usd), "nbk")


def test_the_price_at_an_instant_is_the_latest_at_or_before_it_never_a_later_one() -> None:
    before = _usd(NEW_YEAR - timedelta(minutes=1), "100000")
    exactly = _usd(NEW_YEAR, "101000")
    after = _usd(NEW_YEAR + timedelta(seconds=1), "999999")
    prices = [after, before, exactly]
    assert price_at(prices, "USD", NEW_YEAR) == exactly
    assert price_at(prices, "USD", NEW_YEAR - timedelta(seconds=1)) == before
    assert price_at(prices, "USD", NEW_YEAR - timedelta(hours=1)) is None
    assert price_at([], "USD", LEAP_DAY) is None


def test_a_value_is_exact_then_rounded_half_to_even_to_the_cent() -> None:
    price = _usd(NEW_YEAR, "100000")
    assert value_of(100_000_000, price) == Decimal("100000.00")
    assert value_of(5, price) == Decimal("0.00")  # 0.005 -> 0.00 (to even)
    assert value_of(15, price) == Decimal("0.02")  # 0.015 -> 0.02 (to even)
    assert value_of(25, price) == Decimal("0.02")  # 0.025 -> 0.02
    assert value_of(0, price) == Decimal("0.00")


def test_the_whole_supply_at_a_huge_price_is_still_exact() -> None:
    price = _usd(NEW_YEAR, "123456789012.12345678")
    value = value_of(2_100_000_000_000_000, price)
    # 21e6 × price: 22 significant digits, past the default context's 28 once divided.
    assert value == Decimal("2592592569254592592.38")


def test_kzt_is_derived_from_usd_and_the_official_tenge_per_dollar_rate() -> None:
    usd = _usd(NEW_YEAR + timedelta(hours=6), "97000.5")
    rate = _nbk(NEW_YEAR, "470.81")
    kzt = price_at([usd], "KZT", NEW_YEAR + timedelta(hours=7), rates=[rate])
    assert kzt is not None
    assert kzt.per_btc == Decimal("97000.5") * Decimal("470.81")
    assert kzt.source == "kraken*nbk"
    assert kzt.instant == NEW_YEAR  # as old as its older input
    assert value_at(
        200_000_000, [usd], "KZT", NEW_YEAR + timedelta(hours=7), rates=[rate]
    ) == Decimal("91337610.81")


def test_no_kzt_without_both_a_dollar_price_and_an_official_rate_known_then() -> None:
    usd = _usd(NEW_YEAR, "97000")
    rate = _nbk(NEW_YEAR + timedelta(days=1), "470")  # published after the instant asked
    assert price_at([usd], "KZT", NEW_YEAR, rates=[rate]) is None
    assert price_at([], "KZT", NEW_YEAR + timedelta(days=2), rates=[rate]) is None


def test_a_quoted_kzt_price_wins_only_when_it_is_fresher_than_the_derived_one() -> None:
    usd = _usd(NEW_YEAR, "97000")
    rate = _nbk(NEW_YEAR, "470")
    old_quote = Price(NEW_YEAR - timedelta(days=30), "KZT", Decimal("1"), "otc")
    fresh_quote = Price(NEW_YEAR, "KZT", Decimal("46000000"), "otc")
    at = NEW_YEAR + timedelta(hours=1)
    derived = price_at([usd, old_quote], "KZT", at, rates=[rate])
    assert derived is not None and derived.source == "kraken*nbk"
    assert price_at([usd, fresh_quote], "KZT", at, rates=[rate]) == fresh_quote


def test_the_rule_is_one_sentence_naming_block_time_and_latest_price() -> None:
    assert RULE.count(". ") == 0 and RULE.endswith(".")
    assert "block" in RULE and "latest price" in RULE and "National Bank" in RULE


@pytest.mark.parametrize("per_btc", ["0", "-1", "NaN", "Infinity"])
def test_a_price_that_values_nothing_is_refused(per_btc: str) -> None:
    with pytest.raises(InvalidInputError):
        _usd(NEW_YEAR, per_btc)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="timezone-aware"):
        Price(datetime(2027, 1, 1), "USD", Decimal(1), "kraken")
