"""The reserve report's operations tables (issue 27, item 7): per period ending within the
report's, Due = Settled + Past deadline + Not yet due, settled by payments whenever they
arrived; per operation, the payments within the report's period = to earlier periods + to
those listed + to later ones + credit; a report made before its period's end, or with
deadlines still ahead, says it is provisional and marks the open period."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from remittance import (
    Basis,
    DailyEarning,
    DailyNetwork,
    DailyPoolHashrate,
    PeriodKind,
    RateChange,
    RemittanceTerms,
    ReserveOutput,
    compute_account,
)
from remittance.periods import parse_report_period
from remittance.reserve_pdf import render_report_pdf
from remittance.reserve_report import (
    ReportInputs,
    build_report,
    operation_row,
)
from remittance.reserve_report_csv import render_report_csv
from remittance.signing import new_private_key, report_sha256
from remittance.valuation import ExchangeRate, Price
from tests.support.poppler import pdf_word_boxes

AS_OF = datetime(2026, 12, 5, 12, tzinfo=UTC)  # a report for 2026 made on 5 December
TERMS = RemittanceTerms(
    rates=(RateChange(date(2026, 1, 1), Decimal("0.10")),),
    period=PeriodKind.MONTHLY,
    due_days=10,
    basis=Basis.REPORTED,
)
DAYS = [date(2026, 10, 29) + timedelta(days=n) for n in range(38)]  # to 5 December


def _payment(n: int, sat: int, when: datetime) -> ReserveOutput:
    return ReserveOutput(f"{n:064x}", 0, "bc1qreserve0", sat, 950_000 + n, when, 100)


def _report(label: str, **more: Any) -> dict[str, Any]:
    account = compute_account(
        "op",
        TERMS,
        [DailyEarning("op", "pool-a", day, 1_000_000) for day in DAYS],
        [DailyPoolHashrate("op", day, Decimal("2e16")) for day in DAYS],
        [DailyNetwork(day, 144, 45_000_000_000, Decimal("9e20")) for day in DAYS],
        [
            _payment(1, 200_000, datetime(2026, 11, 5, 9, 30, tzinfo=UTC)),  # October's, in part
            _payment(2, 3_400_000, datetime(2026, 12, 3, 9, 30, tzinfo=UTC)),  # late, and more
        ],
        6,
        AS_OF,
    )
    span = parse_report_period(label)
    inputs = ReportInputs(
        period=span,
        as_of=AS_OF,
        tip_height=950_100,
        zone="Asia/Almaty",
        coins=[],
        spends=[],
        operations=[operation_row("op", "Op LLP", "KZ-1", account, span)],
        cases=[],
        inflow_confirmations=6,
        **more,
    )
    return build_report(inputs)


def _adds_up(op: dict[str, Any]) -> None:
    for p in [*op["periods"], op]:
        assert p["due_sat"] == p["settled_sat"] + p["unpaid_sat"]
        assert p["unpaid_sat"] == p["past_deadline_sat"] + p["not_yet_due_sat"]
    assert op["received_sat"] == (
        op["received_to_earlier_sat"]
        + op["received_to_listed_sat"]
        + op["received_to_later_sat"]
        + op["received_credit_sat"]
    )


def test_a_year_report_made_in_december_is_provisional_and_its_columns_add_up() -> None:
    report = _report("2026")
    [op] = report["operations"]
    _adds_up(op)
    periods = {p["period"]: p for p in op["periods"]}
    assert list(periods) == ["2026-10", "2026-11", "2026-12"]
    # October: 300,000 due, paid 200,000 on 5 November and the rest late on 3 December.
    assert (periods["2026-10"]["due_sat"], periods["2026-10"]["settled_sat"]) == (300_000, 300_000)
    # November (deadline 10 December): paid; December: open, 5 days so far, 300,000 paid.
    assert periods["2026-11"]["settled_sat"] == periods["2026-11"]["due_sat"] == 3_000_000
    assert periods["2026-12"]["provisional"] == ["open"]
    assert periods["2026-12"]["due_sat"] == 500_000
    assert periods["2026-12"]["not_yet_due_sat"] == 500_000 - 300_000
    assert (op["received_sat"], op["received_to_listed_sat"]) == (3_600_000, 3_600_000)
    assert report["provisional"] == {
        "provisional": True,
        "reasons": ["period_not_ended", "deadlines_not_passed"],
    }
    assert "Settled: the part of Due paid" in report["rules"]["operations"]


def test_payments_in_a_month_are_traced_to_the_periods_they_settled() -> None:
    november = _report("2026-11")
    [op] = november["operations"]
    _adds_up(op)
    # November's payment settled October (an earlier period); November itself was settled by
    # December's payment, outside the report's period, and shows as settled all the same.
    assert [p["period"] for p in op["periods"]] == ["2026-11"]
    assert (op["received_sat"], op["received_to_earlier_sat"]) == (200_000, 200_000)
    assert op["settled_sat"] == 3_000_000
    assert november["provisional"] == {"provisional": True, "reasons": ["deadlines_not_passed"]}
    [december] = _report("2026-12")["operations"]
    _adds_up(december)
    # 3,400,000 on 3 December: 100,000 to October, 3,000,000 to November, 300,000 to December.
    assert december["received_to_earlier_sat"] == 3_100_000
    assert december["received_to_listed_sat"] == 300_000
    october = _report("2026-10")
    assert october["provisional"] == {"provisional": False, "reasons": []}
    [op] = october["operations"]
    assert op["past_deadline_sat"] == 0 and op["settled_sat"] == 300_000


# Issue 27, item 11: the PDF keeps each heading with what follows it, names the zone of its
# times and says the period is whole UTC days, writes a derived price source in words and
# 0.00 for nothing held; the CSV gives each kind of row its own column names.
PRICES = [
    Price(datetime(2026, 11, 1, tzinfo=UTC), "USD", Decimal(90_000), "kraken"),
]
RATES = [ExchangeRate(datetime(2026, 11, 1, tzinfo=UTC), "USD", Decimal("510.25"), "nbk-csv")]


def _pages(report: dict[str, Any], tmp_path: Path, language: str = "en") -> list[list[str]]:
    path = tmp_path / "report.pdf"
    path.write_bytes(render_report_pdf(report, report_sha256(report), new_private_key(), language))
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    return [[line.strip() for line in page.splitlines() if line.strip()] for page in
            text.split("\f") if page.strip()]  # fmt: skip


def test_the_pdf_reads_as_it_means_and_the_csv_names_each_rows_columns(tmp_path: Path) -> None:
    report = _report("2026", prices=PRICES, rates=RATES)
    [page, *_] = _pages(report, tmp_path)
    text = "\n".join(page)
    assert "the UTC days 2026-01-01 to 2026-12-31" in text
    assert "2026-12-05 17:00 Asia/Almaty" in text and "+05" not in text
    assert "Provisional." in text and "2026-12 * (open)" in text
    valuation = _pages(report, tmp_path)
    words = " ".join(" ".join(p) for p in valuation)
    assert "kraken (BTC/USD) × nbk-csv (USD/KZT rate) in tenge" in words
    assert "kraken*nbk-csv" not in words
    assert "Holdings at the start 0.00 0.00" in " ".join(words.split())
    assert report["valuation"]["holdings_start_usd"] == "0.00"  # nothing held: 0.00, not unknown
    # However long what comes before, a heading is never the last line of a page.
    headings = {"Valuation", "Unapproved outflows", "National hash-rate share", "Rules",
                "Proofs of control", "Movements to custody"}  # fmt: skip
    outflow = {"txid": "ab" * 32, "block_time": "2026-11-02T00:00:00Z", "unapproved_sat": 1,
               "paid_to": [{"address": "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2", "sat": 1,
                            "beyond_gap_of": None}],
               "by_source": [], "reasons": ["outside"]}  # fmt: skip
    for count in range(40):  # pushes each heading in turn to a page foot
        for page in _pages({**report, "unapproved_outflows": [outflow] * count}, tmp_path):
            body = [line for line in page if not line.startswith(("Report SHA", "Ed25519"))]
            body = body[:-1] if body[-1].startswith("page") else body
            assert body[-1] not in headings, (count, body[-3:])
    rows = list(csv.reader(io.StringIO(render_report_csv(report, "cd" * 32).decode())))
    headers = {row[0]: row for row in rows if row and row[0] != "section"}
    sections = [row for row in rows if row and row[0] == "section"]
    assert [
        "section",
        "operation",
        "period",
        "deadline",
        "due_sat",
        "settled_sat",
        "unpaid_sat",
        "past_deadline_sat",
        "not_yet_due_sat",
        "provisional",
    ] in sections
    for row in rows[2:]:  # after the name and digest lines, each row under its own header
        if row and row[0] != "section":
            header = max((i for i, r in enumerate(rows) if r and r[0] == "section"
                          and i < rows.index(row)), default=-1)  # fmt: skip
            assert len(rows[header]) == len(row), (rows[header], row)
    assert headers["report_field"]
    assert ["report_field", "provisional", "true"] in rows


# Issue 30, item 2: the report in Kazakh, Russian and English, every label from the language's
# catalogue, the language's separators, an operation named with every letter Kazakh adds to
# Russian (ә ғ қ ң ө ұ ү һ і), and no word past the page's right edge.
KAZAKH_NAME = "Екібастұз Әлем Ғарыш Қуат Ңөсер Өнім Ұлы Үміт Һауа Іргетас ЖШС"
REPORT_LABELS = {
    "en": ["State crypto reserve — report for 2026", "Holdings by source", "Past deadline",
           "Not yet due", "Unapproved outflows", "Proofs of control", "Price per BTC at the end",
           "0.03600000", "45,922,500.00"],
    "kk": ["Мемлекеттік криптовалюта резерві — 2026 есебі", "Активтер көздер бойынша",
           "Мерзімі өткен", "Мерзімі келмеген", "Рұқсатсыз шығыстар", "Бақылау дәлелдері",
           "Кезең соңындағы 1 BTC бағасы", "0,03600000", "45 922 500,00", "2026-12 * (ашық)"],
    "ru": ["Государственный криптовалютный резерв — отчёт за 2026", "Активы по источникам",
           "Просрочено", "Срок не наступил", "Несанкционированные списания",
           "Доказательства контроля", "Цена 1 BTC на конец периода", "0,03600000",
           "45 922 500,00", "2026-12 * (открыт)"],
}  # fmt: skip


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_report_reads_in_each_language_inside_the_page(language: str, tmp_path: Path) -> None:
    report = _report("2026", prices=PRICES, rates=RATES)
    report["operations"][0]["name"] = KAZAKH_NAME
    report["unapproved_outflows"] = [
        {"txid": "cd" * 32, "block_time": None, "unapproved_sat": 5,
         "paid_to": [{"address": "bc1q0xcqpzrky6eff2g52qdye53xkk9jxkvrh6yhyw", "sat": 5,
                      "beyond_gap_of": None}],
         "by_source": [{"holder": "", "sat": 5}], "reasons": ["unknown_coin"]},
    ]  # fmt: skip
    report["proofs"] = [
        {"role": "reserve", "holder": "op", "status": "unproven", "registered_at": None,
         "expires_at": None,
         "address": "bc1p5d7rjq7g6rdk2yhzks9smlaqtedr4dekq08ge8ztwac72sfr9rusxg3297"},
    ]  # fmt: skip
    pdf = render_report_pdf(report, report_sha256(report), new_private_key(), language)
    words = " ".join(" ".join(page) for page in _pages(report, tmp_path, language))
    for label in REPORT_LABELS[language]:
        assert label in words, (language, label)
    assert all(part in words for part in KAZAKH_NAME.split())
    if language != "en":
        for english in ("Holdings by source", "Unapproved outflows", "Rules", "Provisional",
                        "unattributed", "in the mempool", "page "):  # fmt: skip
            assert english not in words, (language, english)
    right_margin = 595.28 - 15 * 72 / 25.4  # A4 less the 15 mm margin, in points
    assert max(right for _, _, right in pdf_word_boxes(pdf, tmp_path)) <= right_margin + 0.5
