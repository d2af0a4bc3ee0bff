"""The mandatory sale's rules: the percent in force by day, one rounding per period, exchange
sales settling periods oldest first within each period's window, the shortfall never below 0."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from remittance.errors import InvalidInputError, InvalidTermsError
from remittance.mandatory_sale import (
    ExchangeSale,
    SaleStep,
    percent_on,
    period_required_sat,
    sale_standing,
)

SCHEDULE = (SaleStep(date(2024, 1, 1), Decimal(25)), SaleStep(date(2024, 1, 16), Decimal(50)))


def month(year: int, number: int, sat_a_day: int) -> tuple[str, date, date, list[tuple[date, int]]]:
    start = date(year, number, 1)
    end = date(year + number // 12, number % 12 + 1, 1)
    days = [(start + timedelta(days=i), sat_a_day) for i in range((end - start).days)]
    return f"{year:04d}-{number:02d}", start, end, days


def sale(day: date, sat: int, reference: str) -> ExchangeSale:
    return ExchangeSale(day, "Example AIFC Exchange Ltd", sat, reference)


def test_no_percent_before_the_first_step_and_the_latest_step_after() -> None:
    assert percent_on(SCHEDULE, date(2023, 12, 31)) == 0
    assert percent_on(SCHEDULE, date(2024, 1, 15)) == 25
    assert percent_on(SCHEDULE, date(2024, 1, 16)) == 50


def test_a_change_inside_a_period_splits_it_by_day() -> None:
    # 15 days x 1,000,000 x 25 % + 16 days x 1,000,000 x 50 % = 3,750,000 + 8,000,000.
    assert period_required_sat(month(2024, 1, 1_000_000)[3], SCHEDULE) == 11_750_000


def test_the_period_is_rounded_once_half_up() -> None:
    # 3 days of 1 sat at 50 %: 1.5 sat, rounded once to 2 (not 1 + 1 + 1 nor 0 + 0 + 0).
    days = [(date(2024, 2, d), 1) for d in (1, 2, 3)]
    assert period_required_sat(days, SCHEDULE) == 2


def test_a_clawback_period_requires_nothing() -> None:
    assert period_required_sat([(date(2024, 2, 1), -1000)], SCHEDULE) == 0


def test_a_percent_outside_0_to_100_is_refused() -> None:
    with pytest.raises(InvalidTermsError):
        SaleStep(date(2024, 1, 1), Decimal("100.01"))


def test_a_sale_of_nothing_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        sale(date(2024, 1, 2), 0, "X")


def test_sales_settle_the_oldest_period_first_and_the_shortfall_stays() -> None:
    # February at 50 %: 29 x 200,000 x 0.5 = 2,900,000 required; March 3,100,000.
    periods = [month(2024, 2, 200_000), month(2024, 3, 200_000)]
    sales = [sale(date(2024, 2, 20), 2_000_000, "S1"), sale(date(2024, 3, 10), 3_500_000, "S2")]
    february, march = sale_standing(periods, SCHEDULE, sales, datetime(2024, 4, 2, tzinfo=UTC))
    assert (february.required_sat, february.sold_sat, february.shortfall_sat) == (
        2_900_000,
        2_000_000,
        900_000,
    )
    assert february.overdue
    # S2 is dated in March: it cannot make up February's shortfall without a deadline window.
    assert (march.required_sat, march.sold_sat, march.shortfall_sat) == (3_100_000, 3_100_000, 0)
    assert march.sales == ("S2",)


def test_a_sale_within_the_deadline_counts_for_the_period_before() -> None:
    periods = [month(2024, 2, 200_000), month(2024, 3, 200_000)]
    sales = [sale(date(2024, 2, 20), 2_000_000, "S1"), sale(date(2024, 3, 10), 3_500_000, "S2")]
    february, march = sale_standing(
        periods, SCHEDULE, sales, datetime(2024, 4, 2, tzinfo=UTC), deadline_days=14
    )
    assert (february.sold_sat, february.shortfall_sat, february.sales) == (
        2_900_000,
        0,
        ("S1", "S2"),
    )
    assert (march.sold_sat, march.shortfall_sat) == (2_600_000, 500_000)
    assert not march.overdue  # its window runs to 15 April
    assert march.deadline == datetime(2024, 4, 15, tzinfo=UTC)


def test_a_sale_is_counted_only_once_its_day_has_begun() -> None:
    periods = [month(2024, 2, 200_000)]
    sales = [sale(date(2024, 2, 20), 2_000_000, "S1")]
    (before,) = sale_standing(periods, SCHEDULE, sales, datetime(2024, 2, 19, 23, tzinfo=UTC))
    (after,) = sale_standing(periods, SCHEDULE, sales, datetime(2024, 2, 20, tzinfo=UTC))
    assert (before.sold_sat, after.sold_sat) == (0, 2_000_000)
    assert not after.overdue  # the period is not over


def test_selling_more_than_required_leaves_no_negative_shortfall() -> None:
    (only,) = sale_standing(
        [month(2024, 2, 200_000)],
        SCHEDULE,
        [sale(date(2024, 2, 20), 9_000_000, "S1")],
        datetime(2024, 3, 5, tzinfo=UTC),
    )
    assert (only.sold_sat, only.shortfall_sat, only.overdue) == (2_900_000, 0, False)


def test_a_naive_instant_is_refused() -> None:
    with pytest.raises(InvalidInputError):
        sale_standing([], SCHEDULE, [], datetime(2024, 3, 5))
