"""The mandatory sale: the share of its mined coins an operation must sell on a licensed AIFC
exchange, and how much of it an exchange's statement evidences.

The Law on Digital Assets (No. 193-VII of 6 Feb 2023) was reported to oblige digital miners to
sell part of their mined coins through AIFC-licensed exchanges from 2024; the share reported
varies (25 % in 2023, 50 % in 2024, 75 % in 2025) and no statute text read confirms it, nor the
time allowed to sell. Both are configuration (``docs/reference/mandatory-sale.md`` cites the
sources): an effective-dated schedule of percentages per operation, and ``deadline_days``.

The rules, per remittance period of the operation (its UTC days ``[start, end)``):

- **required** = Σ over the period's days of the day's mined satoshis × the percent in force
  that day (a schedule change inside a period splits it by day), exact, rounded half up to a
  whole satoshi once per period; a period mined net negative (a clawback) requires 0;
- **sold**: the exchange sales imported, oldest first, settle the periods oldest first; a sale
  counts for a period when its day is in ``[start, end + deadline_days)`` — coins mined late in a
  period may be sold in the days after it — and what a sale has left over counts for later
  periods whose window holds its day;
- **shortfall** = required − sold, never below 0; **overdue** once the period's deadline (the end
  of its window, UTC) has passed at the instant read.

>>> schedule = (SaleStep(date(2024, 1, 1), Decimal(25)), SaleStep(date(2024, 1, 16), Decimal(50)))
>>> days = [(date(2024, 1, d), 1_000_000) for d in range(1, 32)]  # 0.01 BTC a day in January
>>> period_required_sat(days, schedule)  # 15 days at 25 %, 16 at 50 %
11750000
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final

from remittance.errors import InvalidInputError, InvalidTermsError
from remittance.money import MAX_SUPPLY_SAT, round_half_up_sat

__all__ = [
    "ExchangeSale",
    "PeriodSale",
    "SaleStep",
    "percent_on",
    "period_required_sat",
    "sale_standing",
]

HUNDRED: Final = Fraction(100)


@dataclass(frozen=True, slots=True)
class SaleStep:
    """From ``effective_from`` (a UTC day) until the next step's, ``percent`` of each day's
    mined coins must be sold."""

    effective_from: date
    percent: Decimal

    def __post_init__(self) -> None:
        if not Decimal(0) <= self.percent <= Decimal(100):
            raise InvalidTermsError(f"a sale share is 0-100 %, not {self.percent}")


def percent_on(schedule: Sequence[SaleStep], day: date) -> Decimal:
    """The percent in force on ``day``: the latest step from that day or before; 0 before the
    first (no obligation yet)."""
    found = Decimal(0)
    for step in sorted(schedule, key=lambda s: s.effective_from):
        if step.effective_from <= day:
            found = step.percent
    return found


def period_required_sat(
    mined_by_day: Iterable[tuple[date, int]], schedule: Sequence[SaleStep]
) -> int:
    """Σ day's mined satoshis × the day's percent, rounded half up once; never below 0."""
    exact = sum(
        (Fraction(percent_on(schedule, day)) / HUNDRED * mined for day, mined in mined_by_day),
        Fraction(0),
    )
    return round_half_up_sat(exact) if exact > 0 else 0


@dataclass(frozen=True, slots=True)
class ExchangeSale:
    """A sale of mined coins on an exchange, as its statement shows: ``sold_sat`` on ``sold_on``
    (a UTC day), ``reference`` unique per operation."""

    sold_on: date
    exchange: str
    sold_sat: int
    reference: str
    proceeds: Decimal | None = None  # in the statement's quote currency, shown only

    def __post_init__(self) -> None:
        if not 0 < self.sold_sat <= MAX_SUPPLY_SAT:
            raise InvalidInputError(f"sale {self.reference}: the amount must be positive")


@dataclass(frozen=True, slots=True)
class PeriodSale:
    """One period's mandatory sale at an instant: ``percents`` the distinct percents its days
    had, in order; ``sales`` the references that counted for it."""

    label: str
    start: date
    end: date
    mined_sat: int
    percents: tuple[Decimal, ...]
    required_sat: int
    sold_sat: int
    shortfall_sat: int
    deadline: datetime
    overdue: bool
    sales: tuple[str, ...]


def _deadline(end: date, deadline_days: int) -> datetime:
    return datetime.combine(end + timedelta(days=deadline_days), time(0), tzinfo=UTC)


def sale_standing(
    periods: Sequence[tuple[str, date, date, Sequence[tuple[date, int]]]],
    schedule: Sequence[SaleStep],
    sales: Sequence[ExchangeSale],
    as_of: datetime,
    deadline_days: int = 0,
) -> tuple[PeriodSale, ...]:
    """Each period's (label, start, end, mined per day) standing at ``as_of``: sales whose day
    has begun by then settle periods oldest first, each only within its window."""
    if as_of.tzinfo is None:
        raise InvalidInputError("as_of must be timezone-aware")
    if deadline_days < 0:
        raise InvalidTermsError("deadline_days cannot be negative")
    made = sorted(
        (s for s in sales if datetime.combine(s.sold_on, time(0), tzinfo=UTC) <= as_of),
        key=lambda s: (s.sold_on, s.reference),
    )
    left = [sale.sold_sat for sale in made]
    standings = []
    for label, start, end, days in sorted(periods, key=lambda p: p[1]):
        required = period_required_sat(days, schedule)
        window_end = end + timedelta(days=deadline_days)
        sold = 0
        counted: list[str] = []
        for index, sale in enumerate(made):
            take = min(left[index], required - sold)
            if take <= 0 or not start <= sale.sold_on < window_end:
                continue
            left[index] -= take
            sold += take
            counted.append(sale.reference)
        percents = tuple(dict.fromkeys(percent_on(schedule, day) for day, _ in days))
        deadline = _deadline(end, deadline_days)
        shortfall = required - sold
        standings.append(
            PeriodSale(
                label=label,
                start=start,
                end=end,
                mined_sat=sum(mined for _, mined in days),
                percents=percents,
                required_sat=required,
                sold_sat=sold,
                shortfall_sat=shortfall,
                deadline=deadline,
                overdue=shortfall > 0 and as_of >= deadline,
                sales=tuple(counted),
            )
        )
    return tuple(standings)
