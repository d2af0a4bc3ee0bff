"""The reserve report's official valuation: each figure in tenge says which official price and
which day it used; a holiday or weekend takes the last working day's price."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from remittance.official_price import RULE, PublishedPrice, WorkingCalendar
from remittance.periods import parse_report_period
from remittance.reserve import Coin
from remittance.reserve_report import ReportInputs, build_report
from remittance.reserve_report_csv import render_report_csv

VAULT = "bc1qrp33g0q5c5txsp9arysrx4k6zdkfs4nce4xj0gdcccefvpysxf3qccfmv3"


def _report(published: dict[date, PublishedPrice]) -> dict[str, object]:
    coins = [  # 1 BTC on New Year's Day, 15:00 in Almaty: a holiday
        Coin("a" * 64, 0, 100_000_000, "reserve", "op", VAULT, "confirmed", 900_000,
             datetime(2027, 1, 1, 10, tzinfo=UTC)),
    ]  # fmt: skip
    return build_report(
        ReportInputs(
            period=parse_report_period("2027-01"),
            as_of=datetime(2027, 2, 2, tzinfo=UTC),
            tip_height=905_000,
            zone="Asia/Almaty",
            coins=coins,
            spends=[],
            operations=[],
            cases=[],
            inflow_confirmations=1,
            official_prices=published,
            calendar=WorkingCalendar(holidays=frozenset({date(2027, 1, 1)})),
        )
    )


def test_each_tenge_figure_names_its_official_price_and_day() -> None:
    published = {
        date(2026, 12, 31): PublishedPrice(Decimal("48123456.78")),
        date(2027, 2, 1): PublishedPrice(Decimal(50_000_000)),
    }
    report = _report(published)
    official = report["official_valuation"]
    assert isinstance(official, dict)
    assert official["rule"] == RULE
    # The end, 1 February 00:00 UTC, is 05:00 on Monday 1 February in Almaty: its own price.
    assert (official["holdings_end"]["day"], official["holdings_end"]["price_day"]) == (
        "2027-02-01",
        "2027-02-01",
    )
    assert official["holdings_end"]["value_kzt"] == "50000000.00"
    assert official["holdings_start"]["value_kzt"] == "0.00"  # nothing held on 1 January
    [inflow] = official["inflows"]
    assert (inflow["day"], inflow["price_day"], inflow["value_kzt"]) == (
        "2027-01-01",
        "2026-12-31",
        "48123456.78",
    )
    csv_text = render_report_csv(report, "0" * 64).decode()
    assert "official_valuation,holdings_end,2027-02-01,2027-02-01,50000000,100000000," in csv_text
    assert "official_valuation,inflow,2027-01-01,2026-12-31,48123456.78,100000000," in csv_text


def test_without_an_imported_price_there_is_no_official_valuation() -> None:
    assert _report({})["official_valuation"] is None
    missing = _report({date(2026, 12, 31): PublishedPrice(Decimal(1))})["official_valuation"]
    assert isinstance(missing, dict)
    assert missing["holdings_end"] is None  # 1 February has no publication
