"""What people read, in their language: Kazakh, Russian or English words, numbers and dates.

One gettext catalogue per language (``remittance/locale/{en,kk,ru}.po``, package data like the
statement's font), compiled when first used by Babel and read through Babel's
``support.Translations``; Babel (CLDR) also formats the numbers and dates. A msgid is the
English text, with ``{name}`` placeholders filled by :meth:`Wording.text`::

    >>> ru = wording("ru")
    >>> ru.text("Closing balance")
    'Остаток на конец периода'
    >>> ru.sat(1234567)
    '1\\xa0234\\xa0567'
    >>> wording("en").percent(Decimal("0.15"))
    '15\\xa0%'

Only what is shown to people is translated: the JSON's field names and values stay English
(they are a contract).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Final, Literal, get_args
from zoneinfo import ZoneInfo

from babel.dates import format_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal
from babel.support import Translations

from remittance.errors import InvalidInputError
from remittance.money import SAT_PER_BTC

Language = Literal["en", "kk", "ru"]
LANGUAGES: Final[tuple[Language, ...]] = get_args(Language)
CATALOGUES: Final = Path(__file__).parent / "locale"
DOMAIN: Final = "reservewatch"
_NBSP: Final = "\u00a0"


def catalogue_path(language: Language) -> Path:
    """The ``.po`` file of ``language``."""
    return CATALOGUES / f"{language}.po"


@cache
def _translations(language: Language) -> Translations:
    with catalogue_path(language).open("rb") as source:
        catalog = read_po(source, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def language_of(text: str) -> Language:
    """``text`` as a :data:`Language`; raises InvalidInputError naming the allowed ones."""
    for language in LANGUAGES:
        if text == language:
            return language
    msg = f"language must be one of {', '.join(LANGUAGES)}, got {text!r}"
    raise InvalidInputError(msg)


@dataclass(frozen=True, slots=True)
class Wording:
    """Words, numbers and dates in one language."""

    language: Language

    def text(self, message: str, /, **values: object) -> str:
        """``message`` (an English msgid) in this language, ``{name}`` placeholders filled."""
        translated = _translations(self.language).gettext(message)
        return translated.format(**values) if values else translated

    def sat(self, amount: int) -> str:
        """An integer with this language's thousands separator: 1,234,567 or 1 234 567."""
        return str(format_decimal(amount, locale=self.language))

    def btc(self, amount_sat: int) -> str:
        """Satoshis as BTC with eight decimals: 0.01234567 (en) or 0,01234567 (kk, ru)."""
        value = Decimal(amount_sat) / SAT_PER_BTC
        return str(format_decimal(value, format="#,##0.00000000", locale=self.language))

    def btc_axis(self, amount_btc: Decimal) -> str:
        """A chart's BTC tick: as few decimals as it needs, thousands separated."""
        return str(format_decimal(amount_btc, format="#,##0.########", locale=self.language))

    def number(self, value: Decimal) -> str:
        """A measured number with up to three decimals, thousands separated: 28,800.5."""
        return str(format_decimal(value, format="#,##0.###", locale=self.language))

    def decimal(self, value: Decimal, digits: int = 2) -> str:
        """A measured number, ``digits`` decimals, thousands separated."""
        pattern = "#,##0." + "0" * digits if digits else "#,##0"
        return str(format_decimal(value, format=pattern, locale=self.language))

    def percent(self, rate: Decimal) -> str:
        """A rate as a percentage with a (non-breaking) space: 15 % (ISO 31-0 style)."""
        number = format_decimal(rate * 100, format="#,##0.##", locale=self.language)
        return f"{number}{_NBSP}%"

    def day(self, day: date) -> str:
        """A calendar day in words: October 1, 2026 / 1 октября 2026 г. / 2026 ж. 1 қазан."""
        return str(format_date(day, format="long", locale=self.language))

    def short_day(self, day: date) -> str:
        """A day for tables: 2026-10-01 in every language (sorts, and reads everywhere)."""
        return day.isoformat()

    def instant(self, moment: datetime, zone: str) -> str:
        """``moment`` in ``zone``: its day in words, the time, the zone's name."""
        local = moment.astimezone(ZoneInfo(zone))
        return f"{self.day(local.date())}, {local:%H:%M} {zone}"


@cache
def wording(language: str) -> Wording:
    """The :class:`Wording` of ``language`` (``en``, ``kk`` or ``ru``)."""
    return Wording(language_of(language))
