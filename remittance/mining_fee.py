"""The digital-mining fee: tenge per kWh of electricity used for mining, a second obligation.

Kazakhstan's Tax Code (Art. 606-1…606-5 as amended by Law 165-VII of 21.12.2022, in force
1 Jan 2023) charges a fee per kWh at a rate set by the average price the miner paid per kWh
(bands), with fixed rates for own generation, own renewable generation and a site with no
working meter; where several rates could apply the highest applies. The tax period is a
calendar quarter; the declaration is due by the 15th and payment by the 25th of the second
month after the quarter. Which points are confirmed and which are configuration: see
``docs/reference/mining-fee.md``.

Money is an ``int`` of tiyn (1 KZT = 100 tiyn). Energy is an ``int`` of Wh, so one part's fee
is ``Wh × tiyn/kWh`` milli-tiyn, exactly; the quarter's sum is rounded half up to a whole
tiyn once (:func:`round_half_up_tiyn`).

>>> schedule = FeeSchedule(date(2023, 1, 1), (FeeBand(0, 2500), FeeBand(2400, 100)))
>>> schedule.rate_tiyn(FeeSite("s1", Supply.GRID, metered=True), Decimal(2400))
100
>>> q = FeeQuarter(2026, 1)
>>> part = FeePart("s1", q.start, q.end, 1_000_500, 100, "band")
>>> quarter_fee(q, [part]).due_tiyn  # 1,000.5 kWh × 1 KZT = 1,000.50 KZT
100050
>>> from zoneinfo import ZoneInfo
>>> payment_deadline(q, ZoneInfo("Asia/Almaty")).isoformat()  # the end of 25 May there
'2026-05-25T19:00:00+00:00'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import pairwise
from typing import Final, Literal

from remittance.errors import InvalidInputError, InvalidTermsError

__all__ = [
    "EnergySource",
    "FeeBand",
    "FeePart",
    "FeePayment",
    "FeeQuarter",
    "FeeSchedule",
    "FeeSite",
    "FeeStanding",
    "PriceSource",
    "QuarterFee",
    "RateReason",
    "Supply",
    "average_price_tiyn",
    "declaration_deadline",
    "fee_standing",
    "payment_deadline",
    "quarter_fee",
    "quarter_parts",
    "quarters_between",
    "round_half_up_tiyn",
    "schedule_on",
]

TIYN_PER_KZT: Final = 100
WH_PER_KWH: Final = 1000
DECLARATION_DAY: Final = 15  # of the second month after the quarter (Art. 606-5)
PAYMENT_DAY: Final = 25


class Supply(StrEnum):
    """Where a site's electricity comes from."""

    GRID = "grid"  # bought: the band of the average price paid applies
    OWN = "own"  # own generation
    OWN_RENEWABLE = "own_renewable"  # own generation from renewable sources


RateReason = Literal["band", "own_generation", "own_renewable", "no_meter"]
PriceSource = Literal["configured", "invoices"]
"""Where a part's average price per kWh came from: the site's configured price in force, or
the quarter's energy invoices (:func:`average_price_tiyn`)."""
EnergySource = Literal["telemetry", "grid_meter", "telemetry+grid_meter", "quota_estimate"]
"""What measured a part's energy: the collector's telemetry, the grid operator's readings, each
for some of its months, or nothing (the no-meter estimate from the site's power quota)."""


@dataclass(frozen=True, slots=True)
class FeeBand:
    """From an average price of ``price_from_tiyn`` per kWh (inclusive) up to the next band's,
    the fee is ``rate_tiyn`` per kWh."""

    price_from_tiyn: int
    rate_tiyn: int


@dataclass(frozen=True, slots=True)
class FeeSchedule:
    """The bands and special rates in force from ``effective_from`` (a day in the regulator's
    zone) until the next schedule's. Bands ascend by price; the first starts at 0."""

    effective_from: date
    bands: tuple[FeeBand, ...]
    own_generation_tiyn: int = 1000
    own_renewable_tiyn: int = 100
    no_meter_tiyn: int = 2500

    def __post_init__(self) -> None:
        prices = [band.price_from_tiyn for band in self.bands]
        if not prices or prices[0] != 0 or prices != sorted(set(prices)):
            msg = "bands must ascend by price_from_tiyn, each once, the first from 0"
            raise InvalidTermsError(msg)
        rates = (
            *(band.rate_tiyn for band in self.bands),
            self.own_generation_tiyn,
            self.own_renewable_tiyn,
            self.no_meter_tiyn,
        )
        if any(rate < 0 for rate in rates):
            raise InvalidTermsError("a fee rate cannot be negative")

    def band_rate_tiyn(self, price_tiyn: Decimal) -> int:
        """The rate of the band ``price_tiyn`` (the average price per kWh) falls in."""
        rate = self.bands[0].rate_tiyn
        for band in self.bands:
            if price_tiyn >= band.price_from_tiyn:
                rate = band.rate_tiyn
        return rate

    def rates(self, site: FeeSite, price_tiyn: Decimal | None) -> dict[RateReason, int]:
        """Every rate that could apply to ``site`` at an average price of ``price_tiyn``."""
        rates: dict[RateReason, int] = {}  # of equal rates, the first named is the reason
        if not site.metered:
            rates["no_meter"] = self.no_meter_tiyn
        if site.supply is Supply.OWN:
            rates["own_generation"] = self.own_generation_tiyn
        if site.supply is Supply.OWN_RENEWABLE:
            rates["own_renewable"] = self.own_renewable_tiyn
        if price_tiyn is not None:
            rates["band"] = self.band_rate_tiyn(price_tiyn)
        return rates

    def rate_tiyn(self, site: FeeSite, price_tiyn: Decimal | None) -> int | None:
        """The highest rate that applies, or None when none does (a grid site without a
        price)."""
        rates = self.rates(site, price_tiyn)
        return max(rates.values()) if rates else None

    def reason(self, site: FeeSite, price_tiyn: Decimal | None) -> RateReason | None:
        """Which rate :meth:`rate_tiyn` chose (the first named, of equal ones)."""
        rates = self.rates(site, price_tiyn)
        if not rates:
            return None
        highest = max(rates.values())
        return next(reason for reason, rate in rates.items() if rate == highest)


@dataclass(frozen=True, slots=True)
class FeeSite:
    """A site as the fee sees it: its supply, and whether its energy was metered (by the
    collector's telemetry or the grid operator's meter)."""

    site_id: str
    supply: Supply
    metered: bool


@dataclass(frozen=True, order=True, slots=True)
class FeeQuarter:
    """A calendar quarter, ``number`` 1-4, of days in the regulator's zone."""

    year: int
    number: int

    def __post_init__(self) -> None:
        if not 1 <= self.number <= 4:
            raise InvalidInputError(f"a quarter is numbered 1-4, not {self.number}")

    @classmethod
    def containing(cls, day: date) -> FeeQuarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year:04d}-Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        """The first day after the quarter."""
        if self.number == 4:
            return date(self.year + 1, 1, 1)
        return date(self.year, 3 * self.number + 1, 1)

    def next(self) -> FeeQuarter:
        if self.number == 4:
            return FeeQuarter(self.year + 1, 1)
        return FeeQuarter(self.year, self.number + 1)


def local_midnight(day: date, zone: tzinfo) -> datetime:
    """00:00 of ``day`` in ``zone``, as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)


def _second_month_after(quarter: FeeQuarter) -> tuple[int, int]:
    month = 3 * quarter.number + 2  # the quarter's last month + 2
    return (quarter.year + 1, month - 12) if month > 12 else (quarter.year, month)


def declaration_deadline(quarter: FeeQuarter, zone: tzinfo) -> datetime:
    """The last instant the quarter's declaration is on time: the end of the 15th of the
    second month after the quarter in ``zone`` (Q1 → the end of 15 May)."""
    year, month = _second_month_after(quarter)
    return local_midnight(date(year, month, DECLARATION_DAY) + timedelta(days=1), zone)


def payment_deadline(quarter: FeeQuarter, zone: tzinfo) -> datetime:
    """The last instant the quarter's fee is paid on time: the end of the 25th of the second
    month after the quarter in ``zone`` (Q4 → the end of 25 February of the next year)."""
    year, month = _second_month_after(quarter)
    return local_midnight(date(year, month, PAYMENT_DAY) + timedelta(days=1), zone)


def quarters_between(first: date, last: date) -> list[FeeQuarter]:
    """The quarters from the one holding ``first`` to the one holding ``last``, in order."""
    quarters: list[FeeQuarter] = []
    quarter = FeeQuarter.containing(first)
    while quarter.start <= last:
        quarters.append(quarter)
        quarter = quarter.next()
    return quarters


def schedule_on(schedules: Sequence[FeeSchedule], day: date) -> FeeSchedule | None:
    """The schedule in force on ``day``: the latest from that day or before; None before the
    first."""
    found = None
    for schedule in schedules:
        if schedule.effective_from <= day:
            found = schedule
    return found


def quarter_parts(quarter: FeeQuarter, changes: Iterable[date]) -> list[tuple[date, date]]:
    """The quarter's days ``[start, end)`` split at each day in ``changes`` inside it (a
    schedule's or a price's ``from``): each part has one schedule and one price."""
    cuts = sorted({day for day in changes if quarter.start < day < quarter.end})
    bounds = [quarter.start, *cuts, quarter.end]
    return list(pairwise(bounds))


@dataclass(frozen=True, slots=True)
class FeePart:
    """One site's energy over part of a quarter, and the rate that applies to it. ``fee`` in
    milli-tiyn (Wh × tiyn/kWh) is exact; only the quarter's total is rounded. ``energy_wh`` is
    a whole number of Wh but for a month's reading shared between two parts by their days."""

    site_id: str
    start: date
    end: date
    energy_wh: int | Fraction
    rate_tiyn: int
    reason: RateReason
    price_tiyn: Decimal | None = None  # the average price per kWh the band was chosen by
    energy_source: EnergySource = "telemetry"
    price_source: PriceSource = "configured"

    def __post_init__(self) -> None:
        if self.energy_wh < 0 or self.rate_tiyn < 0 or self.start >= self.end:
            raise InvalidInputError(f"fee part of {self.site_id}: negative or empty")

    @property
    def fee_millitiyn(self) -> Fraction:
        return Fraction(self.energy_wh) * self.rate_tiyn


def round_half_up_tiyn(millitiyn: int | Fraction) -> int:
    """Thousandths of a tiyn to whole tiyn, halves up: 500 → 1, 1499 → 1, 1500 → 2."""
    if millitiyn < 0:
        raise InvalidInputError("a fee cannot be negative")
    return math.floor(Fraction(millitiyn) / WH_PER_KWH + Fraction(1, 2))


def average_price_tiyn(amount_tiyn: int, energy_wh: int) -> Decimal:
    """The average price paid per kWh over invoices: their amounts over their energy, in
    hundredths of a tiyn per kWh, rounded **down**. The bands start at whole tiyn ("24 KZT or
    more"), so an average reaches a band only when it truly is at or above its start: an
    average of 2,399.995 tiyn stays below 24 KZT (rounded half up to a whole tiyn it would
    have been 24.00 KZT, the 1 KZT band instead of 25).

    >>> average_price_tiyn(480_100_000, 200_000_000)  # 4,801,000.00 KZT for 200,000 kWh
    Decimal('2400.50')
    >>> average_price_tiyn(479_999_000, 200_000_000)  # 2,399.995 tiyn per kWh
    Decimal('2399.99')
    """
    if energy_wh <= 0 or amount_tiyn < 0:
        raise InvalidInputError("an average price needs energy invoiced and no negative amount")
    hundredths = math.floor(Fraction(amount_tiyn * WH_PER_KWH * 100, energy_wh))
    return Decimal(hundredths).scaleb(-2)


@dataclass(frozen=True, slots=True)
class QuarterFee:
    """A quarter's fee: its parts, the exact sum and the fee in whole tiyn. ``missing`` names
    the sites no rate could be found for (a grid site with no average price): the fee is then
    incomplete."""

    quarter: FeeQuarter
    parts: tuple[FeePart, ...]
    due_tiyn: int
    exact_millitiyn: Fraction
    energy_wh: Fraction
    missing: tuple[str, ...] = ()


def quarter_fee(
    quarter: FeeQuarter, parts: Sequence[FeePart], missing: Iterable[str] = ()
) -> QuarterFee:
    """Σ over the quarter's parts of kWh × rate, exact, rounded half up once."""
    for part in parts:
        if part.start < quarter.start or part.end > quarter.end:
            raise InvalidInputError(f"fee part {part.start}..{part.end} is outside {quarter.label}")
    exact = sum((part.fee_millitiyn for part in parts), Fraction(0))
    return QuarterFee(
        quarter=quarter,
        parts=tuple(parts),
        due_tiyn=round_half_up_tiyn(exact),
        exact_millitiyn=exact,
        energy_wh=sum((Fraction(part.energy_wh) for part in parts), Fraction(0)),
        missing=tuple(sorted(set(missing))),
    )


@dataclass(frozen=True, slots=True)
class FeePayment:
    """A bank transfer of the fee: ``amount_tiyn`` paid on ``paid_on`` (the bank's day)."""

    paid_on: date
    amount_tiyn: int
    reference: str

    def __post_init__(self) -> None:
        if self.amount_tiyn <= 0:
            raise InvalidInputError(f"fee payment {self.reference}: the amount must be positive")


@dataclass(frozen=True, slots=True)
class FeeStanding:
    """Where one quarter's fee stands at an instant: ``paid_tiyn`` settled it (the oldest
    quarter first), of which ``paid_late_tiyn`` after the payment deadline; ``overdue_tiyn`` is
    the shortfall once the deadline has passed."""

    fee: QuarterFee
    declaration_deadline: datetime
    payment_deadline: datetime
    paid_tiyn: int
    paid_late_tiyn: int
    shortfall_tiyn: int
    overdue_tiyn: int
    ended: bool  # the quarter is over at the instant: its fee can no longer grow


def fee_standing(
    fees: Sequence[QuarterFee], payments: Sequence[FeePayment], as_of: datetime, zone: tzinfo
) -> tuple[tuple[FeeStanding, ...], int]:
    """Each quarter's standing at ``as_of`` and the credit left over (tiyn). Payments made by
    ``as_of`` (their day has begun in ``zone``) settle quarters oldest first, as the tax
    authority applies a payment to the earliest debt."""
    if as_of.tzinfo is None:
        raise InvalidInputError("as_of must be timezone-aware")
    paid = sorted(
        (p for p in payments if local_midnight(p.paid_on, zone) <= as_of),
        key=lambda p: (p.paid_on, p.reference),
    )
    left = [p.amount_tiyn for p in paid]  # what each payment has not yet settled
    standings = []
    for fee in sorted(fees, key=lambda f: f.quarter):
        deadline = payment_deadline(fee.quarter, zone)
        due_day = deadline.astimezone(zone).date() - timedelta(days=1)
        settled = late = 0
        for index, payment in enumerate(paid):
            take = min(left[index], fee.due_tiyn - settled)
            if take <= 0:
                continue
            left[index] -= take
            settled += take
            if payment.paid_on > due_day:
                late += take
        shortfall = fee.due_tiyn - settled
        standings.append(
            FeeStanding(
                fee=fee,
                declaration_deadline=declaration_deadline(fee.quarter, zone),
                payment_deadline=deadline,
                paid_tiyn=settled,
                paid_late_tiyn=late,
                shortfall_tiyn=shortfall,
                overdue_tiyn=shortfall if as_of > deadline else 0,
                ended=as_of >= local_midnight(fee.quarter.end, zone),
            )
        )
    return tuple(standings), sum(left)
