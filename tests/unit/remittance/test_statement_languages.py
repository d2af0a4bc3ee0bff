"""Statements that read like a bank's, in Kazakh, Russian and English (read back by poppler).

A4 pages, flags in words, the rate as a percentage, amounts with the language's separators,
and every label from the language's catalogue; the JSON stays English whatever the language.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from remittance import Statement
from remittance.i18n import LANGUAGES, wording
from remittance.pdf import in_words, render_projection_pdf, render_signed_pdf
from remittance.signing import new_private_key, verify
from remittance.statement import PoolAmount, StatementTransfer
from remittance.statement_json import statement_sha256, statement_to_dict
from tests.support.poppler import pdf_word_boxes, pdf_words

KAZAKH_NAME = "Екібастұз Әлем Ғарыш Қуат Ңөсер Өнім Ұлы Үміт Һауа Іргетас ЖШС"
"""An operation named with every letter Kazakh adds to Russian: ә ғ қ ң ө ұ ү һ і."""

LABELS = {
    "en": ["Reserve remittance statement", "Payment deadline", "Closing balance", "Per day"],
    "kk": ["Резервке аударым бойынша үзінді көшірме", "Төлем мерзімі", "Соңғы қалдық",
           "Күндер бойынша"],
    "ru": ["Выписка по отчислениям в резерв", "Срок оплаты", "Остаток на конец периода",
           "По дням"],
}  # fmt: skip
RATE = {
    "en": "10 % of reported earnings",
    "kk": "хабарланған табыстың 10 %",
    "ru": "10 % от заявленного дохода",
}
DEADLINE = {"en": "November 11, 2026", "kk": "2026 ж. 11 қараша", "ru": "11 ноября 2026 г."}
DUE = {"en": "300,001", "kk": "300 001", "ru": "300 001"}  # the summary's due, in sat
DUE_BTC = {"en": "0.00300001", "kk": "0,00300001", "ru": "0,00300001"}
OVERDUE = {  # the worked example: one day past its deadline, as the JSON's 86400 s says
    "en": ("Overdue: 1 d 0 h", "Overdue: no"),
    "kk": ("Мерзімі өткен: 1 тәул. 0 сағ.", "Мерзімі өткен: жоқ"),
    "ru": ("Просрочка: 1 сут. 0 ч", "Просрочка: нет"),
}


@pytest.fixture
def kazakh_statement(worked_statement: Statement) -> Statement:
    return replace(worked_statement, operation_name=KAZAKH_NAME)


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_kazakh_named_operation_renders_in_each_language_on_a4(
    kazakh_statement: Statement, language: str, tmp_path: Path
) -> None:
    key = new_private_key()
    pdf = render_signed_pdf(kazakh_statement, key, language)
    assert verify(pdf, key.public_key()).statement_sha256 == statement_sha256(kazakh_statement)
    text, info = pdf_words(pdf, tmp_path)
    assert "595.276 x 841.89 pts (A4)" in info
    assert KAZAKH_NAME in text
    for label in LABELS[language]:
        assert label in text
    assert RATE[language] in text
    assert DEADLINE[language] in text
    assert DUE[language] in text and DUE_BTC[language] in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_flags_are_written_in_words_never_as_identifiers(
    kazakh_statement: Statement, language: str, tmp_path: Path
) -> None:
    statement = replace(
        kazakh_statement, flags=("reported_below_expected", "expected_incomplete", "shortfall")
    )
    text, _ = pdf_words(render_signed_pdf(statement, new_private_key(), language), tmp_path)
    words = wording(language)
    for flag in statement.flags:
        assert in_words(flag, words) in text
    assert not re.search(r"\b[a-z]+_[a-z_]+\b", text)  # no identifier anywhere on the page


def test_the_sat_and_btc_headers_are_right_aligned_over_their_numbers(
    kazakh_statement: Statement, tmp_path: Path
) -> None:
    pdf = render_signed_pdf(kazakh_statement, new_private_key())
    layout = pdf_words(pdf, tmp_path, layout=True)[0].splitlines()
    header = next(line for line in layout if line.rstrip().endswith("BTC") and "sat" in line)
    due = next(line for line in layout if "0.00300001" in line and "300,001" in line)
    assert header.index("sat") + len("sat") == due.index("300,001") + len("300,001")
    assert len(header.rstrip()) == len(due.rstrip())  # BTC ends where its numbers end


def test_the_chart_axis_is_in_btc(kazakh_statement: Statement, tmp_path: Path) -> None:
    text, _ = pdf_words(render_signed_pdf(kazakh_statement, new_private_key()), tmp_path)
    assert "Daily mined vs expected (BTC)" in text
    assert "0.01" in text.split("Daily mined vs expected (BTC)")[1]  # 1,000,000 sat ticks


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_projection_is_marked_in_its_language(
    kazakh_statement: Statement, language: str, tmp_path: Path
) -> None:
    text, _ = pdf_words(render_projection_pdf(kazakh_statement, language), tmp_path)
    mark = {"en": "PROJECTION", "kk": "БОЛЖАМ", "ru": "ПРОГНОЗ"}[language]
    assert mark in text and KAZAKH_NAME in text


def test_the_json_is_the_same_in_every_language(kazakh_statement: Statement) -> None:
    """The language is the PDF's only: the statement's data, and so its digest, is one."""
    key = new_private_key()
    digests = {
        verify(
            render_signed_pdf(kazakh_statement, key, language), key.public_key()
        ).statement_sha256
        for language in LANGUAGES
    }
    assert digests == {statement_sha256(kazakh_statement)}


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_pdf_says_how_long_overdue_in_each_language(
    worked_statement: Statement, language: str, tmp_path: Path
) -> None:
    assert worked_statement.overdue_seconds == 86_400
    overdue, on_time = OVERDUE[language]
    text = pdf_words(render_signed_pdf(worked_statement, new_private_key(), language), tmp_path)[0]
    assert overdue in text
    paid = replace(worked_statement, shortfall_sat=0, overdue_seconds=0)
    assert on_time in pdf_words(render_signed_pdf(paid, new_private_key(), language), tmp_path)[0]


RIGHT_EDGE = 595.276 - 15 * 72 / 25.4  # A4's width less the 15 mm margin, in points
LEFT_EDGE = 15 * 72 / 25.4


def _crowded(statement: Statement) -> Statement:
    """The worked statement at its widest: 40 late transfers (vout in the thousands, amounts of
    hundreds of BTC), a pool of another kind with a long name, a sampled day and a missing day
    (the long notes), so the transfers' table runs onto a second page."""
    transfer = StatementTransfer(
        txid="0123456789abcdef" * 4,
        vout=1234,
        address="bc1qreserve0",
        amount_sat=98_765_432_109,
        output_amount_sat=98_765_432_109,
        confirmations=123_456,
        block_height=1_950_000,
        block_time=datetime(2026, 11, 5, 9, 30, tzinfo=UTC),
        late_seconds=123 * 86_400 + 23 * 3600,
    )
    first, second, *rest = statement.days
    sampled = replace(
        first,
        pools=(PoolAmount("foundry-sub-account-ekibastuz-2", 123_456_789, "referral", False),),
        pool_hashrate_source="samples",
        pool_hashrate_coverage=Decimal("0.8333"),
    )
    missing = replace(second, expected_sat=None, missing_reason="low_hashrate_coverage")
    return replace(
        statement,
        days=(sampled, missing, *rest),
        transfers=tuple(replace(transfer, vout=1000 + index) for index in range(40)),
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_word_of_every_page_stays_inside_the_margins(
    kazakh_statement: Statement, language: str, tmp_path: Path
) -> None:
    """The transfers' table ran off A4 (its "Late" column cut to an "L", issue 30 item 8):
    each word pdftotext reads ends inside the 15 mm margins, the txid whole on two lines."""
    statement = _crowded(kazakh_statement)
    pdf = render_signed_pdf(statement, new_private_key(), language)
    boxes = pdf_word_boxes(pdf, tmp_path)
    outside = [(word, x_min, x_max) for word, x_min, x_max in boxes
               if x_min < LEFT_EDGE - 0.5 or x_max > RIGHT_EDGE + 0.5]  # fmt: skip
    assert not outside
    text, info = pdf_words(pdf, tmp_path)
    pages = int(re.findall(r"Pages:\s+(\d+)", info)[0])
    assert pages >= 2  # the table continues on the next page, its header repeated
    assert text.count(wording(language).text("Late")) >= 2
    assert text.count("0123456789abcdef" * 2) == 2 * 40  # each txid whole, in two halves
    assert text.count(":1039") == 1
    late = wording(language).text("{days} d {hours} h", days=123, hours=23)
    assert all(word in text for word in late.split())  # wrapped in its column, not cut
    assert (
        statement_to_dict(statement)["transfers"][0]["txid"] == "0123456789abcdef" * 4
    )  # JSON whole
