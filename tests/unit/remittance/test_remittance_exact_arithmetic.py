"""The fast exact arithmetic of the obligations equals the plain `Fraction` formula it replaced."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from remittance.money import measured_decimal, round_half_up_sat
from remittance.obligations import (
    DailyNetwork,
    DailyPoolHashrate,
    RateChange,
    RemittanceTerms,
    compute_obligation,
    expected_for_day,
)
from remittance.periods import PeriodKind, periods_covering

DAY = date(2026, 3, 1)
hashrates = st.one_of(
    st.floats(min_value=0, max_value=1e22, allow_nan=False),
    st.decimals(min_value=0, max_value=Decimal("1e22"), allow_nan=False, places=6),
    st.integers(min_value=0, max_value=10**22),
)
rewards = st.integers(min_value=0, max_value=10**12)


def reference_expected(pool_hs: float | Decimal, network_hs: float | Decimal, sat: int) -> Fraction:
    """The formula as first written: Fraction(h_op) / Fraction(h_net) × rewards."""
    pool_exact = measured_decimal(pool_hs)
    network_exact = measured_decimal(network_hs)
    assert pool_exact is not None
    assert network_exact is not None
    return Fraction(pool_exact) / Fraction(network_exact) * sat


@given(hashrates, hashrates, rewards)
def test_expected_for_day_equals_the_plain_fraction_formula(
    pool_hs: float | Decimal, network_hs: float | Decimal, rewards_sat: int
) -> None:
    result = expected_for_day(
        DailyPoolHashrate("op", DAY, pool_hs), DailyNetwork(DAY, 144, rewards_sat, network_hs)
    )
    if network_hs == 0:
        assert result == "network_hashrate_zero"
        return
    assert isinstance(result, Fraction)
    assert result == reference_expected(pool_hs, network_hs, rewards_sat)


@given(st.lists(st.tuples(hashrates, hashrates, rewards), min_size=1, max_size=31))
def test_period_expected_equals_the_rounded_plain_fraction_sum(
    days: list[tuple[float | Decimal, float | Decimal, int]],
) -> None:
    period = next(iter(periods_covering(PeriodKind.MONTHLY, DAY, DAY)))
    month_days = list(period.days())[: len(days)]
    pool_by_day = {
        day: DailyPoolHashrate("op", day, pool)
        for day, (pool, _, _) in zip(month_days, days, strict=True)
    }
    network_by_day = {
        day: DailyNetwork(day, 144, sat, network)
        for day, (_, network, sat) in zip(month_days, days, strict=True)
    }
    obligation = compute_obligation(
        period,
        RemittanceTerms(rates=(RateChange(date(2020, 1, 1), Decimal("0.1")),)),
        earnings_by_day={},
        pool_hashrate_by_day=pool_by_day,
        network_by_day=network_by_day,
        as_of=datetime(2026, 4, 1, tzinfo=UTC),
    )
    exact = sum(
        (reference_expected(pool, network, sat) for pool, network, sat in days if network != 0),
        start=Fraction(0),
    )
    assert obligation.expected_sat == round_half_up_sat(exact)
