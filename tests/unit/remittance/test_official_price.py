"""The official price's working-day rule: a working day takes its own published price, a
weekend or holiday the last working day's before it, across a year's end and 1 January; a
weekend day made working takes its own; a missing publication gives no value, never a guess."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from remittance.errors import InvalidInputError
from remittance.official_price import (
    RULE,
    SOURCE,
    PublishedPrice,
    WorkingCalendar,
    official_doc,
    official_value,
)

# Holidays as a configuration lists them (days for the test, shaped like Kazakhstan's: New Year,
# Orthodox Christmas, 8 March moved off a Sunday, Nauryz, Independence Day); the transfer making
# Saturday 3 January 2026 a working day is invented for the test.
CALENDAR = WorkingCalendar(
    holidays=frozenset(
        {
            date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 7), date(2026, 3, 9),
            date(2026, 3, 23), date(2026, 3, 24), date(2026, 12, 16),
            date(2027, 1, 1),
        }
    ),
    working_days=frozenset({date(2026, 1, 3)}),
)  # fmt: skip


@pytest.mark.parametrize(
    ("day", "price_day"),
    [
        (date(2026, 3, 4), date(2026, 3, 4)),  # a Wednesday: its own
        (date(2026, 3, 7), date(2026, 3, 6)),  # Saturday: Friday's
        (date(2026, 3, 8), date(2026, 3, 6)),  # Sunday: Friday's
        (date(2026, 3, 9), date(2026, 3, 6)),  # a holiday Monday after the weekend: Friday's
        (date(2026, 3, 24), date(2026, 3, 20)),  # Nauryz, Monday-Tuesday: the Friday before
        (date(2026, 3, 25), date(2026, 3, 25)),
        (date(2026, 12, 16), date(2026, 12, 15)),  # Independence Day, a Wednesday
        (date(2026, 12, 31), date(2026, 12, 31)),  # the year's last day, a Thursday
        (date(2027, 1, 1), date(2026, 12, 31)),  # 1 January: the year before's last working day
        (date(2027, 1, 3), date(2026, 12, 31)),  # the Sunday after it
        (date(2027, 1, 4), date(2027, 1, 4)),
        (date(2026, 1, 2), date(2025, 12, 31)),  # 1-2 January 2026, Thursday-Friday
        (date(2026, 1, 3), date(2026, 1, 3)),  # a Saturday made working: its own
        (date(2026, 1, 4), date(2026, 1, 3)),  # the Sunday after it: that Saturday's
    ],
)
def test_a_day_takes_its_own_price_or_the_last_working_day_s_before_it(
    day: date, price_day: date
) -> None:
    assert CALENDAR.price_day(day) == price_day


def test_a_calendar_without_a_working_day_for_a_month_is_refused_not_looped() -> None:
    everything = WorkingCalendar(
        holidays=frozenset(date(2026, 1, 1).fromordinal(n) for n in range(739_000, 739_100))
    )
    with pytest.raises(InvalidInputError, match="no working day"):
        everything.price_day(date(2026, 1, 1).fromordinal(739_050))


PUBLISHED = {
    date(2026, 12, 31): PublishedPrice(Decimal("48123456.78")),
    date(2027, 1, 4): PublishedPrice(Decimal("49000000")),
}


def test_new_year_income_is_valued_at_the_last_price_of_the_old_year_and_says_so() -> None:
    valued = official_value(150_000_000, date(2027, 1, 1), PUBLISHED, CALENDAR)
    assert valued is not None
    # 1.5 BTC x 48,123,456.78 KZT = 72,185,185.17 KZT (exactly 72,185,185.17)
    assert valued.doc() == {
        "day": "2027-01-01",
        "price_day": "2026-12-31",
        "price_kzt": "48123456.78",
        "source": SOURCE,
        "sat": 150_000_000,
        "value_kzt": "72185185.17",
    }


def test_a_working_day_without_its_publication_has_no_official_value() -> None:
    assert official_value(1, date(2027, 1, 5), PUBLISHED, CALENDAR) is None


def test_the_report_s_block_values_holdings_and_each_inflow_on_its_day() -> None:
    doc = official_doc(
        [("holdings_end", 100_000_000, date(2027, 1, 3))],
        [(50_000_000, date(2027, 1, 2)), (10_000_000, date(2027, 1, 4)), (1, date(2027, 1, 5))],
        PUBLISHED,
        CALENDAR,
    )
    assert doc is not None
    assert doc["rule"] == RULE
    assert doc["holdings_end"]["price_day"] == "2026-12-31"
    assert doc["holdings_end"]["value_kzt"] == "48123456.78"
    assert [row["price_day"] for row in doc["inflows"]] == ["2026-12-31", "2027-01-04"]
    # 24,061,728.39 (0.5 x 48,123,456.78, half to even) + 4,900,000.00
    assert doc["inflows_kzt"] == "28961728.39"
    assert doc["inflows_unvalued"] == 1
    assert official_doc([], [], {}, CALENDAR) is None
