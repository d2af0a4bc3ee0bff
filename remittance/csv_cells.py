"""CSV cells a spreadsheet cannot run: text that starts like a formula is written quoted.

A spreadsheet opening a CSV runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some
also after a leading tab or carriage return) as a formula: ``=HYPERLINK(...)`` in an operation's
name or a hostile Esplora's output "address" would run on the reader's machine. OWASP's advice
is followed: such a text cell gets a leading single quote, which the spreadsheet shows as text.

Only text is guarded: a number (``int``, ``Decimal``, or a number already written as text and
marked with :class:`Number`) is written as it is, so ``-5000`` stays a number. The guard is
applied while a document's rows are built, before the document is signed, so a signature
covers the cells exactly as written.

>>> row(["unapproved", "=HYPERLINK(\\"http://x\\")", -5000, Number("-0.00005000")])
['unapproved', '\\'=HYPERLINK("http://x")', -5000, '-0.00005000']
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, TextIO

FORMULA_STARTS: Final = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Number:
    """A number already formatted as text (``sat_to_btc_text``, a plain-notation decimal)."""

    text: str


def text(value: str) -> str:
    """``value`` as a cell that cannot start a formula."""
    return "'" + value if value.startswith(FORMULA_STARTS) else value


def cell(value: object) -> object:
    """One cell: text guarded, a :class:`Number` unwrapped, anything else (int, Decimal,
    None) as it is."""
    if isinstance(value, Number):
        return value.text
    if isinstance(value, str):
        return text(value)
    return value


def row(values: Iterable[object]) -> list[object]:
    """A CSV row with every cell through :func:`cell`."""
    return [cell(value) for value in values]


class Writer:
    """A ``csv.writer`` (``\\n`` line ends) whose every row goes through :func:`row`."""

    def __init__(self, out: TextIO) -> None:
        self._writer = csv.writer(out, lineterminator="\n")

    def writerow(self, cells: Iterable[object]) -> None:
        self._writer.writerow(row(cells))

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        self._writer.writerows(row(cells) for cells in rows)
