"""The translation catalogues: one per language, each complete, placeholders kept.

The msgids are the English text the code passes to ``_``/``text`` (or marks with ``N_``);
Babel's extractor reads them from the source, so a label added in code but not in the
catalogues fails here.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

from remittance import official_price, reserve, reserve_report, valuation
from remittance.cases import CASES_RULE
from remittance.i18n import LANGUAGES, catalogue_path

ROOT = Path(__file__).resolve().parents[3]
SOURCES = [
    ROOT / "remittance" / "pdf.py",
    ROOT / "remittance" / "fee_pdf.py",
    ROOT / "remittance" / "sale_pdf.py",
    ROOT / "remittance" / "reserve_pdf.py",
    ROOT / "remittance" / "journal.py",
    *(
        ROOT / "collector" / name
        for name in (
            "bitcoin/payment.py",
            "mail/mailer.py",
            "mail/reminders.py",
            "http/portal.py",
            "http/portal_pages.py",
            "documents/public_page.py",
            "documents/grid_report.py",
        )
    ),
]
RULES = (
    reserve.RULE,
    reserve.HOLDINGS_AT_RULE,
    reserve_report.OPERATIONS_RULE,
    reserve_report.UNAPPROVED_RULE,
    valuation.RULE,
    official_price.RULE,
    CASES_RULE,
)
"""The rules the reserve report and the public page state, translated through the catalogues
(a constant, not a literal the extractor finds: a rule edited in code leaves its old msgid)."""
PLACEHOLDER = re.compile(r"\{(\w*)[^{}]*\}")


def catalogue(language: str) -> Catalog:
    with catalogue_path(language).open("rb") as source:  # type: ignore[arg-type]
        return read_po(source, locale=language)


def used_msgids() -> set[str]:
    found: set[str] = set()
    for path in SOURCES:  # each must exist: a file moved away would be checked no more
        for _line, message, _comments, _context in extract_from_file(
            "python", str(path), keywords={"_": None, "N_": None, "text": None}
        ):
            if isinstance(message, str):
                found.add(message)
    return found


def test_every_language_has_its_catalogue() -> None:
    assert sorted(path.stem for path in catalogue_path("en").parent.glob("*.po")) == sorted(
        LANGUAGES
    )


def test_every_message_the_code_shows_is_in_the_catalogues() -> None:
    english = {message.id for message in catalogue("en") if message.id}
    assert used_msgids() - english == set()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_rule_the_reserve_documents_state_is_translated(language: str) -> None:
    messages = catalogue(language)
    missing = [rule[:60] for rule in RULES if not (m := messages.get(rule)) or not m.string]
    assert missing == []


@pytest.mark.parametrize("language", LANGUAGES)
def test_each_catalogue_translates_every_message_and_keeps_its_placeholders(
    language: str,
) -> None:
    english = {message.id for message in catalogue("en") if message.id}
    translated = {message.id: message.string for message in catalogue(language) if message.id}
    assert translated.keys() == english
    for msgid, msgstr in translated.items():
        assert isinstance(msgid, str) and isinstance(msgstr, str)
        assert msgstr.strip(), f"{language}: {msgid!r} is not translated"
        assert sorted(PLACEHOLDER.findall(msgstr)) == sorted(PLACEHOLDER.findall(msgid)), (
            f"{language}: {msgid!r} changes its placeholders"
        )


@pytest.mark.parametrize("language", ["kk", "ru"])
def test_kazakh_and_russian_are_written_in_cyrillic(language: str) -> None:
    """A catalogue copied from English by mistake would pass the completeness test."""
    translated = [m.string for m in catalogue(language) if m.id and isinstance(m.string, str)]
    cyrillic = [text for text in translated if re.search("[а-яА-ЯёЁәғқңөұүһі]", text)]
    assert len(cyrillic) >= 0.9 * len(translated)
    if language == "kk":
        assert any(re.search("[әғқңөұүһі]", text) for text in translated)
