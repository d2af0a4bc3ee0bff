"""The mandatory sale's section of a statement: its data, JSON and CSV rows.

A statement carries the statement's period and every earlier period still short, as of the
statement's instant (:func:`sale_section`); none for an operation whose terms set no mandatory
sale (its statements keep their bytes). Amounts are integer satoshis; the percents are the
exact decimals of the terms; the rules are :mod:`remittance.mandatory_sale`'s.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from remittance.errors import StatementFormatError
from remittance.fee_statement import json_integer
from remittance.i18n import Wording
from remittance.mandatory_sale import PeriodSale


@dataclass(frozen=True, slots=True)
class SaleSection:
    """The statement's mandatory-sale section: the periods shown; ``shortfall_sat`` and
    ``overdue_sat`` the operation's over every period, shown or not."""

    periods: tuple[PeriodSale, ...]
    deadline_days: int
    shortfall_sat: int
    overdue_sat: int


def sale_section(
    periods: Sequence[PeriodSale], deadline_days: int, period: tuple[date, date]
) -> SaleSection:
    """The periods that overlap the days ``period`` (``[start, end)``), and every earlier one
    still short."""
    start, end = period
    shown = tuple(
        p
        for p in periods
        if (p.start < end and start < p.end) or (p.end <= start and p.shortfall_sat)
    )
    return SaleSection(
        periods=shown,
        deadline_days=deadline_days,
        shortfall_sat=sum(p.shortfall_sat for p in periods),
        overdue_sat=sum(p.shortfall_sat for p in periods if p.overdue),
    )


def sale_to_dict(section: SaleSection) -> dict[str, Any]:
    """The section as JSON-ready data, keys in reading order."""
    return {
        "deadline_days": section.deadline_days,
        "shortfall_sat": section.shortfall_sat,
        "overdue_sat": section.overdue_sat,
        "periods": [period_to_dict(p) for p in section.periods],
    }


def period_to_dict(p: PeriodSale) -> dict[str, Any]:
    """One period's figures as JSON-ready data (the statement's and the API balance's)."""
    return {
        "period": p.label,
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "mined_sat": p.mined_sat,
        "percents": [str(percent) for percent in p.percents],
        "required_sat": p.required_sat,
        "sold_sat": p.sold_sat,
        "shortfall_sat": p.shortfall_sat,
        "deadline": p.deadline.isoformat(),
        "overdue": p.overdue,
        "sales": list(p.sales),
    }


def sale_from_dict(data: Mapping[str, Any]) -> SaleSection:
    """Read the section back from :func:`sale_to_dict` data; raises StatementFormatError."""
    try:
        return SaleSection(
            periods=tuple(
                PeriodSale(
                    label=str(p["period"]),
                    start=date.fromisoformat(p["start"]),
                    end=date.fromisoformat(p["end"]),
                    mined_sat=json_integer(p["mined_sat"]),
                    percents=tuple(Decimal(str(percent)) for percent in p["percents"]),
                    required_sat=json_integer(p["required_sat"]),
                    sold_sat=json_integer(p["sold_sat"]),
                    shortfall_sat=json_integer(p["shortfall_sat"]),
                    deadline=datetime.fromisoformat(p["deadline"]),
                    overdue=bool(p["overdue"]),
                    sales=tuple(str(reference) for reference in p["sales"]),
                )
                for p in data["periods"]
            ),
            deadline_days=json_integer(data["deadline_days"]),
            shortfall_sat=json_integer(data["shortfall_sat"]),
            overdue_sat=json_integer(data["overdue_sat"]),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        msg = f"statement mandatory_sale: {error.__class__.__name__}: {error}"
        raise StatementFormatError(msg) from error


SALE_COLUMNS = (
    "section", "period", "start", "end_exclusive", "mined_sat", "percents", "required_sat",
    "sold_sat", "shortfall_sat", "deadline", "overdue", "sales",
)  # fmt: skip


def sale_csv_rows(section: SaleSection) -> list[list[object]]:
    """The section's CSV rows: a column-name row and a ``mandatory_sale`` row per period."""
    rows: list[list[object]] = [[], list(SALE_COLUMNS)]
    for p in section.periods:
        rows.append(
            ["mandatory_sale", p.label, p.start.isoformat(), p.end.isoformat(), p.mined_sat,
             " ".join(str(percent) for percent in p.percents), p.required_sat, p.sold_sat,
             p.shortfall_sat, p.deadline.isoformat(), str(p.overdue).lower(), " ".join(p.sales)]
        )  # fmt: skip
    return rows


def totals_text(words: Wording, shortfall_sat: int, overdue_sat: int) -> str:
    """The operation's shortfall over every period and the rule, in ``words``' language (the
    statement's PDF and the portal's page say it alike)."""
    return words.text(
        "Short over every period: {shortfall} sat, of which past the deadline {overdue} sat. "
        "A period's share is each day's mined satoshis times that day's percent, summed and "
        "rounded half up to a whole satoshi once; the percents and the deadline are the "
        "operation's terms (unconfirmed in law).",
        shortfall=words.sat(shortfall_sat),
        overdue=words.sat(overdue_sat),
    )


def percents_text(words: Wording, percents: tuple[Decimal, ...]) -> str:
    """A period's percents in force, in order: ``50 % / 75 %``."""
    return " / ".join(words.percent(p / Decimal(100)) for p in percents)
