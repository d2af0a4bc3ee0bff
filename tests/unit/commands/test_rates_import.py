"""The NBK rates CSV: both date forms, tenge per unit from rate and quant, a day's rate in
force from midnight in the regulator's zone, and every bad line listed (nothing imported)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from collector.commands.imports import CsvImportError
from collector.commands.rates_import import day_start, parse_rates_csv

ALMATY = ZoneInfo("Asia/Almaty")


def test_nbk_and_iso_dates_give_tenge_per_unit_from_midnight_in_almaty() -> None:
    text = "date,currency,rate,quant\n01.01.2027,USD,470.81,1\n2027-01-02,RUB,512.34,100\n"
    rub, usd = parse_rates_csv(text, ALMATY)  # by currency, then day
    assert (usd.base, usd.quote, usd.rate, usd.source) == (
        "USD",
        "KZT",
        Decimal("470.81"),
        "nbk-csv",
    )
    assert usd.instant == datetime(2026, 12, 31, 19, tzinfo=UTC)  # 00:00 at UTC+5
    assert rub.rate == Decimal("5.1234")
    assert rub.instant == day_start(date(2027, 1, 2), ALMATY)


def test_a_leap_day_is_a_day_and_the_30th_of_february_is_not() -> None:
    ok = parse_rates_csv("date,currency,rate,quant\n29.02.2028,USD,480,1\n", ALMATY)
    assert ok[0].instant.astimezone(ALMATY).date() == date(2028, 2, 29)
    with pytest.raises(CsvImportError, match="no such day"):
        parse_rates_csv("date,currency,rate,quant\n30.02.2028,USD,480,1\n", ALMATY)


def test_every_bad_line_is_listed_with_its_number() -> None:
    text = (
        "date,currency,rate,quant\n"
        "1.1.2027,USD,470,1\n"  # 2: not DD.MM.YYYY
        "02.01.2027,usd,470,1\n"  # 3: not an ISO code
        "03.01.2027,KZT,1,1\n"  # 4: tenge in tenge
        "04.01.2027,USD,-470,1\n"  # 5: negative
        "05.01.2027,USD,470,0\n"  # 6: quant 0
        "06.01.2027,USD,470\n"  # 7: a column short
        "07.01.2027,USD,470,1\n"
        "07.01.2027,USD,471,1\n"  # 9: the same day twice, two rates
        "08.01.2027,USD,1e3,1\n"  # 10: not a plain decimal
        "09.01.2027,EUR,100,3\n"  # 11: not exact per unit
    )
    with pytest.raises(CsvImportError) as caught:
        parse_rates_csv(text, ALMATY, "rates.csv")
    lines = [p.split(":")[1] for p in caught.value.problems]
    assert lines == ["2", "3", "4", "5", "6", "7", "9", "10", "11"]


def test_a_day_beyond_tomorrow_is_refused() -> None:
    text = "date,currency,rate,quant\n02.01.2027,USD,470,1\n03.01.2027,USD,470,1\n"
    with pytest.raises(CsvImportError, match=r"rates.csv:3: .*more than a day after today"):
        parse_rates_csv(text, ALMATY, "rates.csv", today=date(2027, 1, 1))


@pytest.mark.parametrize("header", ["", "day,currency,rate,quant\n", "date,currency,rate\n"])
def test_the_header_is_required(header: str) -> None:
    with pytest.raises(CsvImportError, match="the header must be date,currency,rate,quant"):
        parse_rates_csv(header + "01.01.2027,USD,470,1\n", ALMATY)
