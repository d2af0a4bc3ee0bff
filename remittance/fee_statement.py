"""The digital-mining fee's section of a statement: its data, JSON, CSV rows and PDF table.

A statement carries the fee of each quarter its period falls in, and of every earlier quarter
still short, as of the statement's instant (:func:`fee_section`); none for an operation with no
site owing the fee (its statements keep their bytes). Amounts are integer tiyn; a part's fee is
exact (``fee_millitiyn``, a whole number or a fraction ``n/d`` of a thousandth of a tiyn) and
only the quarter's fee is rounded (:mod:`remittance.mining_fee`). Energy is shown in kWh to the
Wh, rounded half up for reading only.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from remittance.errors import StatementFormatError
from remittance.mining_fee import TIYN_PER_KZT, WH_PER_KWH, FeeStanding

_KWH = Decimal("0.001")


def _kwh(energy_wh: Fraction) -> Decimal:
    exact = Decimal(energy_wh.numerator) / Decimal(energy_wh.denominator) / WH_PER_KWH
    return exact.quantize(_KWH, rounding=ROUND_HALF_UP)


def kzt_text(amount_tiyn: int) -> str:
    """Tiyn as tenge with two decimals: 366850715 → '3668507.15'."""
    sign = "-" if amount_tiyn < 0 else ""
    whole, tiyn = divmod(abs(amount_tiyn), TIYN_PER_KZT)
    return f"{sign}{whole}.{tiyn:02d}"


@dataclass(frozen=True, slots=True)
class FeeLine:
    """One site's part of a quarter: its days, energy, the rate and why, the exact fee."""

    site_id: str
    start: date
    end: date
    energy_kwh: Decimal
    energy_source: str  # telemetry | grid_meter | telemetry+grid_meter | quota_estimate
    price_tiyn_per_kwh: Decimal | None
    rate_tiyn: int
    reason: str  # band | own_generation | own_renewable | no_meter
    fee_millitiyn: Fraction
    price_source: str = "configured"  # the price's: configured | invoices ("" with none)


@dataclass(frozen=True, slots=True)
class FeeQuarterLine:
    """One quarter's fee and where it stands at the statement's instant."""

    quarter: str
    start: date
    end: date
    declaration_deadline: datetime
    payment_deadline: datetime
    ended: bool
    energy_kwh: Decimal
    exact_millitiyn: Fraction
    due_tiyn: int
    paid_tiyn: int
    paid_late_tiyn: int
    shortfall_tiyn: int
    overdue_tiyn: int
    missing_sites: tuple[str, ...]
    parts: tuple[FeeLine, ...]


@dataclass(frozen=True, slots=True)
class FeeSection:
    """The statement's fee section; ``overdue_tiyn`` and ``credit_tiyn`` are the operation's
    over every quarter, shown or not."""

    quarters: tuple[FeeQuarterLine, ...]
    overdue_tiyn: int
    credit_tiyn: int
    time_zone: str = "UTC"  # the quarters' days and deadlines are this zone's (the regulator's)


def fee_section(
    standings: Sequence[FeeStanding],
    credit_tiyn: int,
    period: tuple[date, date],
    time_zone: str,
) -> FeeSection | None:
    """The quarters the days ``period`` (``[start, end)``) fall in and every earlier one still
    short."""
    period_start, period_end = period
    shown = [
        s
        for s in standings
        if (s.fee.quarter.start < period_end and period_start < s.fee.quarter.end)
        or (s.fee.quarter.end <= period_start and s.shortfall_tiyn > 0 and s.ended)
    ]
    if not standings:
        return None
    return FeeSection(
        quarters=tuple(_quarter_line(s) for s in shown),
        overdue_tiyn=sum(s.overdue_tiyn for s in standings),
        credit_tiyn=credit_tiyn,
        time_zone=time_zone,
    )


def _quarter_line(standing: FeeStanding) -> FeeQuarterLine:
    fee = standing.fee
    return FeeQuarterLine(
        quarter=fee.quarter.label,
        start=fee.quarter.start,
        end=fee.quarter.end,
        declaration_deadline=standing.declaration_deadline,
        payment_deadline=standing.payment_deadline,
        ended=standing.ended,
        energy_kwh=_kwh(fee.energy_wh),
        exact_millitiyn=fee.exact_millitiyn,
        due_tiyn=fee.due_tiyn,
        paid_tiyn=standing.paid_tiyn,
        paid_late_tiyn=standing.paid_late_tiyn,
        shortfall_tiyn=standing.shortfall_tiyn,
        overdue_tiyn=standing.overdue_tiyn,
        missing_sites=fee.missing,
        parts=tuple(
            FeeLine(
                site_id=part.site_id,
                start=part.start,
                end=part.end,
                energy_kwh=_kwh(Fraction(part.energy_wh)),
                energy_source=part.energy_source,
                price_tiyn_per_kwh=part.price_tiyn,
                rate_tiyn=part.rate_tiyn,
                reason=part.reason,
                fee_millitiyn=part.fee_millitiyn,
                price_source=part.price_source if part.price_tiyn is not None else "",
            )
            for part in fee.parts
        ),
    )


def fee_to_dict(section: FeeSection) -> dict[str, Any]:
    """The section as JSON-ready data, keys in reading order."""
    return {
        "time_zone": section.time_zone,
        "overdue_tiyn": section.overdue_tiyn,
        "overdue_kzt": kzt_text(section.overdue_tiyn),
        "credit_tiyn": section.credit_tiyn,
        "quarters": [
            {
                "quarter": q.quarter,
                "start": q.start.isoformat(),
                "end": q.end.isoformat(),
                "declaration_deadline": q.declaration_deadline.isoformat(),
                "payment_deadline": q.payment_deadline.isoformat(),
                "ended": q.ended,
                "energy_kwh": str(q.energy_kwh),
                "exact_millitiyn": str(q.exact_millitiyn),
                "due_tiyn": q.due_tiyn,
                "due_kzt": kzt_text(q.due_tiyn),
                "paid_tiyn": q.paid_tiyn,
                "paid_late_tiyn": q.paid_late_tiyn,
                "shortfall_tiyn": q.shortfall_tiyn,
                "overdue_tiyn": q.overdue_tiyn,
                "missing_sites": list(q.missing_sites),
                "parts": [
                    {
                        "site": p.site_id,
                        "start": p.start.isoformat(),
                        "end": p.end.isoformat(),
                        "energy_kwh": str(p.energy_kwh),
                        "energy_source": p.energy_source,
                        "price_tiyn_per_kwh": None
                        if p.price_tiyn_per_kwh is None
                        else str(p.price_tiyn_per_kwh),
                        "price_source": p.price_source or None,
                        "rate_tiyn": p.rate_tiyn,
                        "reason": p.reason,
                        "fee_millitiyn": str(p.fee_millitiyn),
                    }
                    for p in q.parts
                ],
            }
            for q in section.quarters
        ],
    }


def fee_from_dict(data: Mapping[str, Any]) -> FeeSection:
    """Read the section back from :func:`fee_to_dict` data; raises StatementFormatError."""
    try:
        return FeeSection(
            quarters=tuple(_quarter_from(q) for q in data["quarters"]),
            overdue_tiyn=json_integer(data["overdue_tiyn"]),
            credit_tiyn=json_integer(data["credit_tiyn"]),
            time_zone=str(data["time_zone"]),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as error:
        msg = f"statement mining_fee: {error.__class__.__name__}: {error}"
        raise StatementFormatError(msg) from error


def json_integer(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not an integer")
    return value


def _quarter_from(q: Mapping[str, Any]) -> FeeQuarterLine:
    return FeeQuarterLine(
        quarter=str(q["quarter"]),
        start=date.fromisoformat(q["start"]),
        end=date.fromisoformat(q["end"]),
        declaration_deadline=datetime.fromisoformat(q["declaration_deadline"]),
        payment_deadline=datetime.fromisoformat(q["payment_deadline"]),
        ended=bool(q["ended"]),
        energy_kwh=Decimal(q["energy_kwh"]),
        exact_millitiyn=Fraction(q["exact_millitiyn"]),
        due_tiyn=json_integer(q["due_tiyn"]),
        paid_tiyn=json_integer(q["paid_tiyn"]),
        paid_late_tiyn=json_integer(q["paid_late_tiyn"]),
        shortfall_tiyn=json_integer(q["shortfall_tiyn"]),
        overdue_tiyn=json_integer(q["overdue_tiyn"]),
        missing_sites=tuple(str(site) for site in q["missing_sites"]),
        parts=tuple(
            FeeLine(
                site_id=str(p["site"]),
                start=date.fromisoformat(p["start"]),
                end=date.fromisoformat(p["end"]),
                energy_kwh=Decimal(p["energy_kwh"]),
                energy_source=str(p["energy_source"]),
                price_tiyn_per_kwh=None
                if p["price_tiyn_per_kwh"] is None
                else Decimal(p["price_tiyn_per_kwh"]),
                rate_tiyn=json_integer(p["rate_tiyn"]),
                reason=str(p["reason"]),
                fee_millitiyn=Fraction(p["fee_millitiyn"]),
                # A statement issued before invoices were imported has no price_source.
                price_source=str(
                    p.get("price_source")
                    or ("" if p["price_tiyn_per_kwh"] is None else "configured")
                ),
            )
            for p in q["parts"]
        ),
    )


QUARTER_COLUMNS = (
    "section", "quarter", "start", "end_exclusive", "declaration_deadline", "payment_deadline",
    "ended", "energy_kwh", "exact_millitiyn", "due_tiyn", "paid_tiyn", "paid_late_tiyn",
    "shortfall_tiyn", "overdue_tiyn", "missing_sites",
)  # fmt: skip
PART_COLUMNS = (
    "section", "quarter", "site", "start", "end_exclusive", "energy_kwh", "energy_source",
    "price_tiyn_per_kwh", "price_source", "rate_tiyn", "reason", "fee_millitiyn",
)  # fmt: skip


def fee_csv_rows(section: FeeSection) -> list[list[object]]:
    """The section's CSV rows: a column-name row and a row per quarter, then the same for
    each part (``mining_fee_quarter`` and ``mining_fee_part`` sections)."""
    rows: list[list[object]] = [[], list(QUARTER_COLUMNS)]
    for q in section.quarters:
        rows.append(
            ["mining_fee_quarter", q.quarter, q.start.isoformat(), q.end.isoformat(),
             q.declaration_deadline.isoformat(), q.payment_deadline.isoformat(),
             str(q.ended).lower(), str(q.energy_kwh), str(q.exact_millitiyn), q.due_tiyn,
             q.paid_tiyn, q.paid_late_tiyn, q.shortfall_tiyn, q.overdue_tiyn,
             " ".join(q.missing_sites)]
        )  # fmt: skip
    rows += [[], list(PART_COLUMNS)]
    for q in section.quarters:
        for p in q.parts:
            price = "" if p.price_tiyn_per_kwh is None else str(p.price_tiyn_per_kwh)
            rows.append(
                ["mining_fee_part", q.quarter, p.site_id, p.start.isoformat(), p.end.isoformat(),
                 str(p.energy_kwh), p.energy_source, price, p.price_source, p.rate_tiyn,
                 p.reason, str(p.fee_millitiyn)]
            )  # fmt: skip
    return rows
