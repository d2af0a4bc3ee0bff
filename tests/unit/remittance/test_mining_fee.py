"""The digital-mining fee's rules at pinned instants: bands and special rates, one rounding per
quarter, the deadlines in Asia/Almaty, payments oldest quarter first."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from remittance.errors import InvalidInputError, InvalidTermsError
from remittance.mining_fee import (
    FeeBand,
    FeePart,
    FeePayment,
    FeeQuarter,
    FeeSchedule,
    FeeSite,
    QuarterFee,
    Supply,
    average_price_tiyn,
    declaration_deadline,
    fee_standing,
    payment_deadline,
    quarter_fee,
    quarter_parts,
    quarters_between,
    round_half_up_tiyn,
    schedule_on,
)

ALMATY = ZoneInfo("Asia/Almaty")
CONFIRMED = FeeSchedule(date(2023, 1, 1), (FeeBand(0, 2500), FeeBand(2400, 100)))
DRAFT_BANDS = FeeSchedule(
    date(2026, 2, 15),
    (
        FeeBand(0, 2500),
        FeeBand(500, 1000),
        FeeBand(1000, 700),
        FeeBand(2000, 300),
        FeeBand(2400, 100),
    ),
)
GRID = FeeSite("s1", Supply.GRID, metered=True)


def test_a_price_at_or_above_24_kzt_pays_1_kzt_and_below_it_the_top_rate() -> None:
    assert CONFIRMED.rate_tiyn(GRID, Decimal(2400)) == 100
    assert CONFIRMED.rate_tiyn(GRID, Decimal("2399.99")) == 2500
    assert DRAFT_BANDS.rate_tiyn(GRID, Decimal(1250)) == 700


def test_an_invoiced_average_just_below_24_kzt_stays_in_the_top_band() -> None:
    """4,799,990.00 KZT for 200,000 kWh is 2,399.995 tiyn (23.99995 KZT) per kWh: rounded
    down to 2,399.99, not half up to 2,400 (which would have been the 1 KZT band)."""
    just_below = average_price_tiyn(479_999_000, 200_000_000)
    assert just_below == Decimal("2399.99")
    assert CONFIRMED.rate_tiyn(GRID, just_below) == 2500
    exactly = average_price_tiyn(480_000_000, 200_000_000)
    assert exactly == Decimal("2400.00")
    assert CONFIRMED.rate_tiyn(GRID, exactly) == 100


def test_where_several_rates_apply_the_highest_does() -> None:
    own = FeeSite("s2", Supply.OWN, metered=True)
    renewable_unmetered = FeeSite("s3", Supply.OWN_RENEWABLE, metered=False)
    assert CONFIRMED.rate_tiyn(own, None) == 1000
    assert CONFIRMED.reason(own, None) == "own_generation"
    assert CONFIRMED.rate_tiyn(FeeSite("s4", Supply.OWN_RENEWABLE, metered=True), None) == 100
    assert CONFIRMED.rate_tiyn(renewable_unmetered, None) == 2500
    assert CONFIRMED.reason(renewable_unmetered, None) == "no_meter"
    # own generation at 10 KZT beats the 1 KZT of a price of 30 KZT also paid for grid power
    assert CONFIRMED.rate_tiyn(own, Decimal(3000)) == 1000


def test_a_grid_site_without_a_price_has_no_rate() -> None:
    assert CONFIRMED.rate_tiyn(GRID, None) is None


def test_bands_must_start_at_0_and_ascend() -> None:
    with pytest.raises(InvalidTermsError):
        FeeSchedule(date(2023, 1, 1), (FeeBand(100, 2500),))
    with pytest.raises(InvalidTermsError):
        FeeSchedule(date(2023, 1, 1), (FeeBand(0, 2500), FeeBand(2400, 100), FeeBand(2000, 300)))


def test_the_schedule_in_force_is_the_latest_from_that_day() -> None:
    schedules = (CONFIRMED, DRAFT_BANDS)
    assert schedule_on(schedules, date(2022, 12, 31)) is None
    assert schedule_on(schedules, date(2026, 2, 14)) is CONFIRMED
    assert schedule_on(schedules, date(2026, 2, 15)) is DRAFT_BANDS


def test_a_band_change_mid_quarter_splits_it_at_its_day() -> None:
    q1 = FeeQuarter(2026, 1)
    assert quarter_parts(q1, [date(2026, 2, 15), date(2023, 1, 1), date(2026, 4, 1)]) == [
        (date(2026, 1, 1), date(2026, 2, 15)),
        (date(2026, 2, 15), date(2026, 4, 1)),
    ]


def test_the_fee_is_rounded_half_up_once_per_quarter_not_per_part() -> None:
    q1 = FeeQuarter(2026, 1)
    # 0.4 tiyn + 0.4 tiyn rounds to 1 once; per part it would round to 0 + 0
    parts = [
        FeePart("s1", date(2026, 1, 1), date(2026, 2, 15), 4, 100, "band"),
        FeePart("s1", date(2026, 2, 15), date(2026, 4, 1), 1, 300, "band"),
        FeePart("s2", date(2026, 1, 1), date(2026, 4, 1), 1, 100, "band"),
    ]
    fee = quarter_fee(q1, parts)
    assert fee.exact_millitiyn == 800
    assert fee.due_tiyn == 1
    assert round_half_up_tiyn(500) == 1
    assert round_half_up_tiyn(1499) == 1
    assert round_half_up_tiyn(2500) == 3


def test_a_part_outside_its_quarter_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="outside 2026-Q1"):
        quarter_fee(
            FeeQuarter(2026, 1), [FeePart("s1", date(2026, 3, 1), date(2026, 4, 2), 1, 1, "band")]
        )


def test_q1_is_declared_by_the_end_of_15_may_and_paid_by_the_end_of_25_may_in_almaty() -> None:
    q1 = FeeQuarter(2026, 1)
    assert declaration_deadline(q1, ALMATY) == datetime(2026, 5, 15, 19, 0, tzinfo=UTC)
    assert payment_deadline(q1, ALMATY) == datetime(2026, 5, 25, 19, 0, tzinfo=UTC)


def test_q4_is_due_in_february_of_the_next_year() -> None:
    q4 = FeeQuarter(2026, 4)
    assert declaration_deadline(q4, ALMATY) == datetime(2027, 2, 15, 19, 0, tzinfo=UTC)
    assert payment_deadline(q4, ALMATY) == datetime(2027, 2, 25, 19, 0, tzinfo=UTC)
    assert q4.end == date(2027, 1, 1)
    assert q4.next() == FeeQuarter(2027, 1)


def test_q4_2023_fell_due_when_almaty_was_still_utc_plus_6() -> None:
    # Kazakhstan moved to UTC+5 on 1 March 2024: the end of 25 February 2024 was 18:00 UTC.
    assert payment_deadline(FeeQuarter(2023, 4), ALMATY) == datetime(2024, 2, 25, 18, 0, tzinfo=UTC)


def test_a_leap_year_first_quarter_has_91_days_and_a_29_february() -> None:
    q1 = FeeQuarter(2028, 1)
    assert (q1.end - q1.start).days == 91
    assert quarter_parts(q1, [date(2028, 2, 29)])[1][0] == date(2028, 2, 29)
    assert FeeQuarter(2027, 1).end - FeeQuarter(2027, 1).start == date(2027, 4, 1) - date(
        2027, 1, 1
    )
    assert payment_deadline(FeeQuarter(2027, 4), ALMATY) == datetime(2028, 2, 25, 19, 0, tzinfo=UTC)


def test_quarters_between_two_days() -> None:
    assert [q.label for q in quarters_between(date(2026, 2, 1), date(2026, 10, 1))] == [
        "2026-Q1",
        "2026-Q2",
        "2026-Q3",
        "2026-Q4",
    ]


def _fee(quarter: FeeQuarter, due_tiyn: int) -> QuarterFee:
    return quarter_fee(
        quarter, [FeePart("s1", quarter.start, quarter.end, due_tiyn * 10, 100, "band")]
    )


def test_payments_settle_the_oldest_quarter_first_and_late_ones_are_counted_late() -> None:
    q1, q2 = FeeQuarter(2026, 1), FeeQuarter(2026, 2)
    fees = [_fee(q2, 50_000), _fee(q1, 100_000)]
    payments = [
        FeePayment(date(2026, 5, 25), 60_000, "A"),  # on time for Q1, the last day
        FeePayment(date(2026, 5, 26), 60_000, "B"),  # a day late: 40,000 to Q1, 20,000 to Q2
    ]
    standings, credit = fee_standing(
        fees,
        payments,
        datetime(2026, 8, 1, tzinfo=UTC),
        ALMATY,
    )
    first, second = standings
    assert (first.paid_tiyn, first.paid_late_tiyn, first.shortfall_tiyn) == (100_000, 40_000, 0)
    assert (second.paid_tiyn, second.shortfall_tiyn, second.overdue_tiyn) == (20_000, 30_000, 0)
    assert credit == 0


def test_the_shortfall_is_overdue_from_the_first_instant_after_the_deadline() -> None:
    q1 = FeeQuarter(2026, 1)
    fees = [_fee(q1, 100_000)]
    payments = [FeePayment(date(2026, 5, 20), 30_000, "A")]
    on_time, _ = fee_standing(fees, payments, datetime(2026, 5, 25, 19, 0, tzinfo=UTC), ALMATY)
    late, _ = fee_standing(fees, payments, datetime(2026, 5, 25, 19, 0, 1, tzinfo=UTC), ALMATY)
    assert on_time[0].overdue_tiyn == 0
    assert late[0].overdue_tiyn == 70_000
    assert late[0].ended


def test_a_payment_of_a_later_day_does_not_count_yet_and_an_excess_is_credit() -> None:
    q1 = FeeQuarter(2026, 1)
    payments = [FeePayment(date(2026, 5, 10), 150_000, "A"), FeePayment(date(2026, 6, 1), 5, "B")]
    standings, credit = fee_standing(
        [_fee(q1, 100_000)], payments, datetime(2026, 5, 20, tzinfo=UTC), ALMATY
    )
    assert standings[0].shortfall_tiyn == 0
    assert credit == 50_000
