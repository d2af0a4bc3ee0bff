"""A period's statement as data, built from a computed account (its JSON document:
:mod:`remittance.statement_json`; its CSV: :mod:`remittance.statement_csv`).

A statement reads like a bank statement for one operation and one period, as of one instant:

- what was mined (per day and pool), what was expected, the basis, the rate and what is due;
- opening balance = what earlier periods still owe after FIFO settlement as of `as_of`;
- transfers = every counted output that settled *this* period's obligation under FIFO, whenever
  it arrived (up to `as_of`), with the part of it applied here (`amount_sat`) and its full
  value (`output_amount_sat`);
- closing balance = opening + due − remitted (never negative: FIFO pays older periods first);
- paid ahead = what was remitted as of `as_of` beyond this period (settling later periods or
  held as credit); account balance = the whole account's Σdue − Σremitted;
- shortfall = this period's unpaid amount once its deadline has passed (0 before).

Energy: `energy_kwh = energy_wh_in_period / 1000`. Implied efficiency (J/TH) =
`energy_wh × 3600 / (Σ_days pool_hashrate_hs(day) × 86 400 / 1e12)` over the period's days that
have a pool-reported average hash rate (so the energy should cover those same days), rounded half
up to 0.01 J/TH; None without energy or without hash work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal

from remittance.account import OperationAccount
from remittance.errors import InvalidInputError
from remittance.fee_statement import FeeSection
from remittance.journal import JournalEntry
from remittance.ledger import seconds_past
from remittance.obligations import Basis, DayFigures, MissingReason
from remittance.periods import PeriodKind
from remittance.pool_reports import Reconciliation
from remittance.sale_statement import SaleSection

_SECONDS_PER_DAY = 86_400
_HS_PER_THS = Decimal(10) ** 12
_EFFICIENCY_QUANTUM = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class OperationInfo:
    """Who the statement is about."""

    operation_id: str
    name: str
    licence: str


@dataclass(frozen=True, slots=True)
class PoolAmount:
    """What one pool account credited on one day, of one kind; `counted` in mined or not."""

    pool: str
    amount_sat: int
    income: str = "mining"
    counted: bool = True


@dataclass(frozen=True, slots=True)
class IncomeLine:
    """Σ of one kind of pool credit over the period, and whether mined counts it."""

    income: str
    amount_sat: int
    counted: bool


@dataclass(frozen=True, slots=True)
class RevisedInput:
    """One input of a restated period whose value changed since the period was issued."""

    input: str  # e.g. "earning ocean/pool-b 2026-10-30", "network rewards 2026-10-30",
    # "pool hash rate ocean/pool-a 2026-10-30" (H/s), "terms remittance.rate"
    old: int | str | None  # None: not known when the period was issued; terms: JSON text
    new: int | str | None  # None: no longer known


@dataclass(frozen=True, slots=True)
class Restatement:
    """A closed period whose due changed after a statement of it was issued."""

    period_label: str
    issued_as_of: datetime
    issued_due_sat: int
    due_sat: int
    inputs: tuple[RevisedInput, ...] = ()

    @property
    def delta_sat(self) -> int:
        """What the revision adds to (or, negative, takes from) what is due."""
        return self.due_sat - self.issued_due_sat


@dataclass(frozen=True, slots=True)
class StatementTranche:
    """Part of the period's due assessed after its deadline, and its own deadline (the
    assessment + the period's `due_days`); the rest is due by the period's deadline."""

    amount_sat: int
    assessed_at: datetime
    deadline: datetime


@dataclass(frozen=True, slots=True)
class StatementDay:
    """One day of the period. `expected_sat` is rounded for display; None on a missing day."""

    day: date
    mined_sat: int
    pools: tuple[PoolAmount, ...]
    expected_sat: int | None
    pool_hashrate_hs: Decimal | None
    network_hashrate_hs: Decimal | None
    network_rewards_sat: int | None
    missing_reason: MissingReason | None
    pool_hashrate_source: str | None = None  # pool | samples | pool+samples
    pool_hashrate_coverage: Decimal | None = None  # share of the day sampled (samples only)


@dataclass(frozen=True, slots=True)
class StatementTransfer:
    """A counted output that settled (part of) this period's obligation."""

    txid: str
    vout: int
    address: str
    amount_sat: int
    output_amount_sat: int
    confirmations: int
    block_height: int
    block_time: datetime
    late_seconds: int = 0  # arrived this long after the period's deadline (0: on time)


@dataclass(frozen=True, slots=True)
class Statement:
    """One operation's statement for one period, as of one instant."""

    operation_id: str
    operation_name: str
    licence: str
    period_label: str
    period_kind: PeriodKind
    period_start: date
    period_end: date
    deadline: datetime
    is_open: bool
    as_of: datetime
    rate: Decimal
    basis: Basis
    discrepancy_tolerance: Decimal
    mined_sat: int
    expected_sat: int
    basis_sat: int
    due_sat: int
    remitted_sat: int
    opening_balance_sat: int
    closing_balance_sat: int
    shortfall_sat: int
    overdue_seconds: int
    paid_ahead_sat: int
    account_balance_sat: int
    flags: tuple[str, ...]
    days: tuple[StatementDay, ...]
    transfers: tuple[StatementTransfer, ...]
    energy_kwh: Decimal | None
    implied_efficiency_j_per_th: Decimal | None
    deadline_timezone: str = "UTC"  # the deadline is the end of a day in this zone
    restatements: tuple[Restatement, ...] = ()  # closed periods revised since they were issued
    unrated_days: tuple[date, ...] = ()  # no rate in force: nothing due for them
    provisional_days: tuple[date, ...] = ()  # network figures not final yet
    income: tuple[IncomeLine, ...] = ()  # pool credits by kind, counted or not
    assessed_later: tuple[StatementTranche, ...] = ()  # due by their own, later deadlines
    clawback_carried_in_sat: int = 0  # earlier periods' clawbacks taken off this due
    clawback_carried_out_sat: int = 0  # below 0 this period, carried on to the next
    mining_fee: FeeSection | None = None  # the digital-mining fee's quarters (tenge)
    mandatory_sale: SaleSection | None = None  # the share of the mined coins to sell
    journal: tuple[JournalEntry, ...] = ()  # the regulator's adjustments applied to the account
    written_off_sat: int = 0  # taken off the rules' due by the journal (due_sat is after it)
    pool_reports: tuple[Reconciliation, ...] = ()  # the pools' reports reconciled, by month

    @property
    def missing_days(self) -> tuple[StatementDay, ...]:
        """The days that added nothing to the expected figure."""
        return tuple(day for day in self.days if day.missing_reason is not None)


def build_statement(
    account: OperationAccount,
    operation: OperationInfo,
    period_label: str,
    *,
    energy_wh_in_period: int | None = None,
    as_of: datetime | None = None,
    restatements: Sequence[Restatement] = (),
) -> Statement:
    """The statement of `period_label` from a computed account.

    The account fixes the instant; `as_of`, if given, must equal `account.as_of`. Hash-rate
    inputs for the implied efficiency come from the account's per-day figures.

    Raises:
        InvalidInputError: the account does not cover the period, `as_of` differs, the
            operation ids differ, or the energy is negative.
    """
    if as_of is not None and as_of != account.as_of:
        msg = f"as_of {as_of.isoformat()} differs from the account's {account.as_of.isoformat()}"
        raise InvalidInputError(msg)
    if operation.operation_id != account.operation:
        msg = f"operation {operation.operation_id!r} is not the account's {account.operation!r}"
        raise InvalidInputError(msg)
    if energy_wh_in_period is not None and energy_wh_in_period < 0:
        msg = f"energy_wh_in_period must be >= 0, got {energy_wh_in_period}"
        raise InvalidInputError(msg)
    obligation = account.obligation_for(period_label)
    settlements = account.ledger.settlements
    index = next((i for i, item in enumerate(settlements) if item.label == period_label), None)
    if obligation is None or index is None:
        msg = f"the account of {account.operation} does not cover period {period_label}"
        raise InvalidInputError(msg)
    settlement = settlements[index]
    opening_balance_sat = sum(item.unpaid_sat for item in settlements[:index])
    settled_through_sat = sum(item.settled_sat for item in settlements[: index + 1])
    shortfall_sat = settlement.shortfall_sat
    overdue_since = settlement.overdue_since
    overdue_seconds = seconds_past(account.as_of, overdue_since) if overdue_since else 0
    missing_by_day = {missing.day: missing.reason for missing in obligation.missing_days}
    days = tuple(
        StatementDay(
            day=figures.day,
            mined_sat=figures.mined_sat,
            pools=_day_pools(figures),
            expected_sat=figures.expected_display_sat,
            pool_hashrate_hs=figures.pool_hashrate_hs,
            network_hashrate_hs=figures.network_hashrate_hs,
            network_rewards_sat=figures.network_rewards_sat,
            missing_reason=missing_by_day.get(figures.day),
            pool_hashrate_source=figures.pool_hashrate_source,
            pool_hashrate_coverage=figures.pool_hashrate_coverage,
        )
        for figures in obligation.days
    )
    transfers = tuple(
        StatementTransfer(
            txid=allocation.txid,
            vout=allocation.vout,
            address=allocation.address,
            amount_sat=allocation.applied_sat,
            output_amount_sat=allocation.output_amount_sat,
            confirmations=allocation.confirmations,
            late_seconds=allocation.late_seconds,
            block_height=allocation.block_height,
            block_time=allocation.block_time.astimezone(UTC),
        )
        for allocation in settlement.allocations
    )
    flags = [str(flag) for flag in obligation.flags]
    if shortfall_sat:
        flags.append("shortfall")
    if any(transfer.late_seconds for transfer in transfers):
        flags.append("paid_late")
    return Statement(
        operation_id=operation.operation_id,
        operation_name=operation.name,
        licence=operation.licence,
        period_label=period_label,
        period_kind=obligation.period.kind,
        period_start=obligation.period.start,
        period_end=obligation.period.end,
        deadline=obligation.deadline,
        is_open=obligation.is_open,
        as_of=account.as_of.astimezone(UTC),
        rate=obligation.rate,
        basis=obligation.basis,
        discrepancy_tolerance=account.terms.discrepancy_tolerance,
        mined_sat=obligation.mined_sat,
        expected_sat=obligation.expected_sat,
        basis_sat=obligation.basis_sat,
        due_sat=settlement.due_sat,
        written_off_sat=obligation.due_sat - settlement.due_sat,
        remitted_sat=settlement.settled_sat,
        opening_balance_sat=opening_balance_sat,
        closing_balance_sat=opening_balance_sat + settlement.due_sat - settlement.settled_sat,
        shortfall_sat=shortfall_sat,
        overdue_seconds=overdue_seconds,
        paid_ahead_sat=account.ledger.total_remitted_sat
        - account.ledger.refunded_sat
        - settled_through_sat,
        account_balance_sat=account.ledger.balance_sat,
        flags=tuple(flags),
        days=days,
        transfers=transfers,
        energy_kwh=None if energy_wh_in_period is None else Decimal(energy_wh_in_period) / 1000,
        implied_efficiency_j_per_th=_implied_efficiency(energy_wh_in_period, days),
        deadline_timezone=str(account.terms.deadline_zone),
        restatements=tuple(restatements),
        unrated_days=obligation.unrated_days,
        provisional_days=obligation.provisional_days,
        clawback_carried_in_sat=obligation.carried_in_sat,
        clawback_carried_out_sat=obligation.carried_out_sat,
        income=tuple(
            IncomeLine(str(kind), amount, kind in obligation.counted_income)
            for kind, amount in obligation.income_sat
        ),
        assessed_later=tuple(
            StatementTranche(t.amount_sat, t.assessed_at.astimezone(UTC), t.deadline)
            for t in settlement.tranches
            if t.assessed_at is not None
        ),
        journal=account.journal.entries,
    )


def _day_pools(figures: DayFigures) -> tuple[PoolAmount, ...]:
    """A day's credits: counted ones (by kind where a pool credited several), then the rest."""
    if figures.counted_kinds:
        counted = tuple(PoolAmount(p, a, str(k)) for p, k, a in figures.counted_kinds)
    else:
        counted = tuple(PoolAmount(pool, amount) for pool, amount in figures.earnings_by_pool)
    return counted + tuple(PoolAmount(p, a, str(k), counted=False) for p, k, a in figures.uncounted)


def _implied_efficiency(energy_wh: int | None, days: Sequence[StatementDay]) -> Decimal | None:
    if energy_wh is None:
        return None
    hashes = sum(
        (day.pool_hashrate_hs * _SECONDS_PER_DAY for day in days if day.pool_hashrate_hs),
        start=Decimal(0),
    )
    if hashes <= 0:
        return None
    joules = Decimal(energy_wh) * 3600
    return (joules / (hashes / _HS_PER_THS)).quantize(_EFFICIENCY_QUANTUM, ROUND_HALF_UP)
