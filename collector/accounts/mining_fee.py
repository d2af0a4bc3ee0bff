"""The digital-mining fee's figures as of an instant, per operation: each quarter's fee from
each site's energy and price, and where it stands against the fee's bank transfers.

A site owes the fee from its ``mining_fee.from`` day. Its energy in a part of a quarter is, for
each month of the part: the collector's telemetry (``telemetry_energy_observed``, as the store
knew it then); else the grid operator's readings (``import meter``; a month's reading shared
between parts by days). A part none of whose months was measured has **no meter**: the
no-meter rate on the most its power quota allows (quota × hours). Its average price paid per kWh in
a quarter is that of its energy invoices of the quarter's months (``import energy-invoices``, as the
store knew them then): Σ tenge paid ÷ Σ kWh invoiced, in hundredths of a tiyn rounded down
(:func:`remittance.mining_fee.average_price_tiyn`); with no invoice of the quarter, the configured
price in force. The rules are :mod:`remittance.mining_fee`'s; the schedule and the prices are the
configuration as known at the instant (:func:`collector.accounts.terms.known_config`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Final, Literal

from collector.config.model import Config, regulator_zone
from collector.config.sections import OperationConfig, SiteConfig
from collector.store.queries import Store
from collector.store.records import EnergyInvoiceRecord, GridMeterRecord
from remittance.errors import InvalidTermsError, RemittanceError
from remittance.mining_fee import (
    EnergySource,
    FeePart,
    FeePayment,
    FeeQuarter,
    FeeSchedule,
    FeeSite,
    FeeStanding,
    PriceSource,
    QuarterFee,
    Supply,
    average_price_tiyn,
    fee_standing,
    local_midnight,
    quarter_fee,
    quarter_parts,
    quarters_between,
    schedule_on,
)

log = logging.getLogger(__name__)

SECONDS_PER_HOUR: Final = 3600
ProblemReason = Literal["price_missing", "no_meter"]
PROBLEM_REASONS: Final[tuple[ProblemReason, ...]] = ("price_missing", "no_meter")
REFUSED_REASONS: Final = ("invalid_input", "invalid_terms")


@dataclass(frozen=True, slots=True)
class OperationFees:
    """One operation's fee, quarter by quarter, at an instant; ``credit_tiyn`` is paid beyond
    every quarter's fee."""

    operation_id: str
    standings: tuple[FeeStanding, ...]
    credit_tiyn: int
    payments: tuple[FeePayment, ...]
    time_zone: str = "UTC"  # the regulator's: the quarters' days and deadlines are its
    # Why the rules refused the operation's inputs (no standings then), one of REFUSED_REASONS.
    refused: str | None = None

    @property
    def due_tiyn(self) -> int:
        return sum(s.fee.due_tiyn for s in self.standings)

    @property
    def paid_tiyn(self) -> int:
        return sum(p.amount_tiyn for p in self.payments)

    @property
    def overdue_tiyn(self) -> int:
        return sum(s.overdue_tiyn for s in self.standings)

    def problem_sites(self) -> dict[ProblemReason, int]:
        """How many sites of the latest quarter had no price (fee incomplete) or no meter."""
        counts: dict[ProblemReason, int] = dict.fromkeys(PROBLEM_REASONS, 0)
        if self.standings:
            latest = self.standings[-1].fee
            counts["price_missing"] = len(latest.missing)
            counts["no_meter"] = len(
                {p.site_id for p in latest.parts if p.energy_source == "quota_estimate"}
            )
        return counts


def _price(site: SiteConfig, day: date) -> Decimal | None:
    """The site's configured average price per kWh in force on ``day``."""
    found = None
    for price in site.mining_fee.prices:
        if price.effective_from <= day:
            found = price.price_tiyn_per_kwh
    return found


def invoiced_prices(
    invoices: Sequence[EnergyInvoiceRecord], quarters: Sequence[FeeQuarter]
) -> dict[tuple[str, FeeQuarter], Decimal]:
    """Each site's average price per kWh in each quarter its invoices cover: Σ paid ÷ Σ kWh
    over the invoices of the quarter's months."""
    sums: dict[tuple[str, FeeQuarter], tuple[int, int]] = {}
    for invoice in invoices:
        quarter = FeeQuarter.containing(invoice.period)
        if quarter in quarters:
            amount, energy = sums.get((invoice.site_id, quarter), (0, 0))
            sums[invoice.site_id, quarter] = (
                amount + invoice.amount_tiyn,
                energy + invoice.energy_wh,
            )
    return {key: average_price_tiyn(amount, energy) for key, (amount, energy) in sums.items()}


def _grid_energy(readings: Sequence[GridMeterRecord], start: date, end: date) -> Fraction | None:
    """The grid operator's energy of one site over days ``[start, end)``: a month's reading
    replaces that month's daily ones and is shared by days; None when nothing covers them."""
    months = {r.period_start: r.energy_wh for r in readings if r.period_kind == "month"}
    total: Fraction | None = None
    for reading in readings:
        if reading.period_kind == "month":
            month_end = (reading.period_start + timedelta(days=31)).replace(day=1)
            overlap = (min(end, month_end) - max(start, reading.period_start)).days
            if overlap > 0:
                days = (month_end - reading.period_start).days
                total = (total or Fraction(0)) + Fraction(reading.energy_wh * overlap, days)
        elif (
            start <= reading.period_start < end
            and reading.period_start.replace(day=1) not in months
        ):
            total = (total or Fraction(0)) + reading.energy_wh
    return total


async def mining_fees_as_of(
    store: Store, config: Config, as_of: datetime, operation_id: str | None = None
) -> dict[str, OperationFees]:
    """Every operation's fee (or ``operation_id``'s) as of ``as_of``, from what the store held
    then; an operation with no site owing the fee has none."""
    operations = [
        operation
        for operation in config.operations
        if operation_id in (None, operation.id)
        and any(site.mining_fee.watched_from for site in operation.sites)
    ]
    if not operations:
        return {}
    payments = await store.fee_payments([o.id for o in operations], as_of=as_of)
    fees = {}
    for operation in operations:
        try:
            paid = tuple(
                FeePayment(p.paid_on, p.amount_tiyn, p.reference)
                for p in payments
                if p.operation_id == operation.id
            )
            quarters = await _quarter_fees(store, config, operation, as_of)
            standings, credit = fee_standing(quarters, paid, as_of, regulator_zone(config))
        except RemittanceError as err:  # one operation's bad input: the others are computed
            log.warning(
                "digital-mining fee not computed",
                extra={"operation": operation.id, "error": str(err)},
            )
            reason = "invalid_terms" if isinstance(err, InvalidTermsError) else "invalid_input"
            fees[operation.id] = OperationFees(
                operation.id, (), 0, (), str(regulator_zone(config)), refused=reason
            )
            continue
        fees[operation.id] = OperationFees(
            operation.id, standings, credit, paid, str(regulator_zone(config))
        )
    return fees


async def _quarter_fees(
    store: Store, config: Config, operation: OperationConfig, as_of: datetime
) -> list[QuarterFee]:
    zone = regulator_zone(config)
    schedules = config.mining_fee.rules()
    sites = [site for site in operation.sites if site.mining_fee.watched_from is not None]
    first = max(
        min(site.mining_fee.watched_from for site in sites if site.mining_fee.watched_from),
        schedules[0].effective_from,
    )
    today = as_of.astimezone(zone).date()
    if first > today:
        return []
    changes = {s.effective_from for s in schedules}
    for site in sites:
        changes |= {p.effective_from for p in site.mining_fee.prices}
        changes.add(site.mining_fee.watched_from or first)
    quarters = quarters_between(first, today)
    parts = {q: quarter_parts(q, changes) for q in quarters}
    # Every part's bounds and every month's first day: each month of a part is measured by
    # its own source (the telemetry history may start in the middle of a part).
    months = {date(q.year, q.start.month + i, 1) for q in quarters for i in range(3)}
    days = sorted({day for q in quarters for part in parts[q] for day in part} | months)
    energy = await store.energy_between(
        [s.id for s in sites], [local_midnight(day, zone) for day in days], as_of=as_of
    )
    readings = await store.grid_meter(
        [s.id for s in sites], quarters[0].start, quarters[-1].end, as_of=as_of
    )
    invoiced = invoiced_prices(
        await store.energy_invoices(
            [s.id for s in sites], quarters[0].start, quarters[-1].end, as_of=as_of
        ),
        quarters,
    )
    fees = []
    for quarter in quarters:
        found: list[FeePart] = []
        missing: set[str] = set()
        for site in sites:
            mine = [r for r in readings if r.site_id == site.id]
            for start, end in parts[quarter]:
                if start < (site.mining_fee.watched_from or start) or start > today:
                    continue
                schedule = schedule_on(schedules, start)
                if schedule is None:
                    continue
                passed = min(local_midnight(end, zone), as_of) - local_midnight(start, zone)
                span = _Span(start, end, max(int(passed.total_seconds()), 0))
                slices = [
                    (day, days[i + 1], energy.get((site.id, i)))
                    for i, day in enumerate(days[:-1])
                    if start <= day < end
                ]
                metered = _energy(slices, mine)
                price: tuple[Decimal | None, PriceSource] = (
                    (invoiced[site.id, quarter], "invoices")
                    if (site.id, quarter) in invoiced
                    else (_price(site, start), "configured")
                )
                built = _rated(schedule, site, span, metered, price)
                if built is None:
                    missing.add(site.id)
                else:
                    found.append(built)
        fees.append(quarter_fee(quarter, found, missing))
    return fees


def _energy(
    slices: Sequence[tuple[date, date, tuple[int, int] | None]],
    readings: Sequence[GridMeterRecord],
) -> tuple[Fraction | None, EnergySource]:
    """A site's metered energy over a part, given as its months' slices (days and the
    telemetry of each): a slice with telemetry counts its telemetry, one without counts the
    grid operator's readings; None when nothing measured any slice (no meter)."""
    total, sources = Fraction(0), set()
    for start, end, telemetry in slices:
        if telemetry is not None and telemetry[1] > 0:
            total += telemetry[0]
            sources.add("telemetry")
            continue
        grid = _grid_energy(readings, start, end)
        if grid is not None:
            total += grid
            sources.add("grid_meter")
    if not sources:
        return None, "quota_estimate"
    if sources == {"telemetry"}:
        return total, "telemetry"
    return total, "grid_meter" if sources == {"grid_meter"} else "telemetry+grid_meter"


@dataclass(frozen=True, slots=True)
class _Span:
    """Part of a quarter as seen at an instant: its days and how much of it has passed."""

    start: date
    end: date
    passed_seconds: int


def _rated(
    schedule: FeeSchedule,
    site: SiteConfig,
    span: _Span,
    energy: tuple[Fraction | None, EnergySource],
    priced: tuple[Decimal | None, PriceSource],
) -> FeePart | None:
    """The site's part of the quarter at the highest rate that applies; None without one."""
    energy_wh, source = energy
    price, price_source = priced
    fee_site = FeeSite(site.id, Supply(site.mining_fee.supply), metered=energy_wh is not None)
    rate = schedule.rate_tiyn(fee_site, price)
    reason = schedule.reason(fee_site, price)
    if rate is None or reason is None:
        return None
    if energy_wh is None:  # no meter: the most the quota allows over the part (so far)
        energy_wh = Fraction(site.power_quota_w * span.passed_seconds, SECONDS_PER_HOUR)
    return FeePart(
        site.id, span.start, span.end, energy_wh, rate, reason, price, source, price_source
    )
