"""The official prices CSV: both date forms, a price in force from midnight in the regulator's
zone, working days only (the Committee publishes none on a weekend or holiday), and every bad
line listed (nothing imported)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from collector.commands.imports import CsvImportError
from collector.commands.official_prices_import import parse_official_prices_csv
from remittance.official_price import SOURCE, WorkingCalendar

ALMATY = ZoneInfo("Asia/Almaty")
CALENDAR = WorkingCalendar(holidays=frozenset({date(2027, 1, 1)}))
HEADER = "date,asset,price_kzt\n"


def test_a_price_is_stored_for_midnight_of_its_day_in_almaty_as_the_committee_s() -> None:
    text = HEADER + "31.12.2026,BTC,48123456.78\n2027-01-04,BTC,49000000\n"
    december, january = parse_official_prices_csv(text, ALMATY, CALENDAR)
    assert (december.base, december.quote, december.source, december.rate) == (
        "BTC",
        "KZT",
        SOURCE,
        Decimal("48123456.78"),
    )
    assert december.instant == datetime(2026, 12, 30, 19, tzinfo=UTC)
    assert january.instant.astimezone(ALMATY).date() == date(2027, 1, 4)


def test_every_bad_line_is_listed_and_a_non_working_day_is_named() -> None:
    text = HEADER + (
        "01.01.2027,BTC,1\n"  # a holiday
        "2027-01-02,BTC,1\n"  # a Saturday
        "32.01.2027,BTC,1\n"
        "2027-01-05,btc,1\n"
        "2027-01-06,BTC,-5\n"
        "2027-01-07,BTC,0\n"
        "2027-01-08,BTC,1\n2027-01-08,BTC,2\n"
        "2027-01-11,BTC,1\n"  # after today
    )
    with pytest.raises(CsvImportError) as caught:
        parse_official_prices_csv(text, ALMATY, CALENDAR, "p.csv", today=date(2027, 1, 10))
    assert caught.value.problems == [
        "p.csv:2: 2027-01-01 (Friday) is not a working day in calendar.holidays/working_days: "
        "the Committee publishes on working days only",
        "p.csv:3: 2027-01-02 (Saturday) is not a working day in calendar.holidays/working_days: "
        "the Committee publishes on working days only",
        "p.csv:4: date '32.01.2027' does not exist (no such day in the calendar)",
        "p.csv:5: asset 'btc' must be a ticker such as BTC",
        "p.csv:6: price_kzt '-5' must be a positive decimal in tenge such as 48123456.78",
        "p.csv:7: price_kzt '0' must be a positive decimal in tenge such as 48123456.78",
        "p.csv:9: BTC 2027-01-08 appears twice with different prices",
        "p.csv:10: date 2027-01-11 is after today (2027-01-10)",
    ]


def test_a_wrong_header_names_the_one_expected() -> None:
    with pytest.raises(CsvImportError, match="the header must be date,asset,price_kzt"):
        parse_official_prices_csv("date,currency,rate,quant\n", ALMATY, CALENDAR, "p.csv")
