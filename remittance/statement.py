"""A period's statement as data, and its JSON (its CSV: :mod:`remittance.statement_csv`).

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

JSON: amounts are integers in fields ending `_sat`, with `_btc` text beside them for humans
(ignored when reading back); measured numbers and rates are decimal strings; keys come in a fixed
order. `canonical_bytes` (sorted keys, no spaces, ASCII) is what `sha256` hashes and what the
signature covers.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from remittance.account import OperationAccount
from remittance.errors import InvalidInputError, StatementFormatError
from remittance.fee_statement import FeeSection, fee_from_dict, fee_to_dict
from remittance.journal import JournalEntry
from remittance.json_bytes import canonical_json_bytes, readable_json_bytes
from remittance.ledger import seconds_past
from remittance.money import sat_to_btc_text
from remittance.obligations import Basis, DayFigures, MissingReason
from remittance.periods import PeriodKind
from remittance.pool_report_statement import (
    section_from_list,
    section_to_list,
)
from remittance.pool_reports import Reconciliation
from remittance.sale_statement import SaleSection, sale_from_dict, sale_to_dict
from remittance.statement_reader import StatementReader

STATEMENT_FORMAT = "reservewatch-statement/1"

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

    def to_dict(self) -> dict[str, Any]:
        """The statement as JSON-ready data, keys in reading order."""
        return _statement_to_dict(self)

    def canonical_bytes(self) -> bytes:
        """Sorted keys, no spaces, ASCII: the bytes that are hashed and signed."""
        return canonical_json_bytes(self.to_dict())

    def sha256(self) -> str:
        """Hex SHA-256 of `canonical_bytes`."""
        return hashlib.sha256(self.canonical_bytes()).hexdigest()

    def to_json(self) -> str:
        """Readable JSON, keys in reading order."""
        return readable_json_bytes(self.to_dict()).decode()

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Statement:
        """Read a statement back from `to_dict` data; raises StatementFormatError."""
        return _statement_from_dict(data)

    @classmethod
    def from_json(cls, text: str | bytes) -> Statement:
        """Read a statement back from `to_json` text; raises StatementFormatError."""
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            msg = f"statement is not JSON: {error}"
            raise StatementFormatError(msg) from error
        if not isinstance(data, dict):
            msg = "statement JSON must be an object"
            raise StatementFormatError(msg)
        return _statement_from_dict(data)


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


def decimal_text(value: Decimal | None) -> str | None:
    # Plain notation (20000000000000000, not 2E+16): these are read by people too.
    return None if value is None else format(value, "f")


def _statement_to_dict(statement: Statement) -> dict[str, Any]:
    def amount(name: str, value: int) -> dict[str, Any]:
        return {f"{name}_sat": value, f"{name}_btc": sat_to_btc_text(value)}

    return {
        "format": STATEMENT_FORMAT,
        "operation": {
            "id": statement.operation_id,
            "name": statement.operation_name,
            "licence": statement.licence,
        },
        "period": {
            "label": statement.period_label,
            "kind": str(statement.period_kind),
            "start": statement.period_start.isoformat(),
            "end": statement.period_end.isoformat(),
            "deadline": statement.deadline.isoformat(),
            "deadline_timezone": statement.deadline_timezone,
            "is_open": statement.is_open,
            **(
                {
                    "assessed_later": [
                        {
                            **amount("amount", item.amount_sat),
                            "assessed_at": item.assessed_at.isoformat(),
                            "deadline": item.deadline.isoformat(),
                        }
                        for item in statement.assessed_later
                    ]
                }
                if statement.assessed_later
                else {}
            ),
        },
        "as_of": statement.as_of.isoformat(),
        "terms": {
            "rate": str(statement.rate),
            "basis": str(statement.basis),
            "discrepancy_tolerance": str(statement.discrepancy_tolerance),
        },
        "summary": {
            **amount("mined", statement.mined_sat),
            **amount("expected", statement.expected_sat),
            **amount("basis", statement.basis_sat),
            **amount("due", statement.due_sat),
            **clawbacks_carried(statement),
            **amount("remitted", statement.remitted_sat),
            **amount("opening_balance", statement.opening_balance_sat),
            **amount("closing_balance", statement.closing_balance_sat),
            **amount("shortfall", statement.shortfall_sat),
            "overdue_seconds": statement.overdue_seconds,
            **amount("paid_ahead", statement.paid_ahead_sat),
            **amount("account_balance", statement.account_balance_sat),
            "income": [
                {
                    "income": line.income,
                    "counted": line.counted,
                    **amount("amount", line.amount_sat),
                }
                for line in statement.income
            ],
        },
        "flags": list(statement.flags),
        "missing_days": [
            {"day": day.day.isoformat(), "reason": str(day.missing_reason)}
            for day in statement.missing_days
        ],
        "restatements": [
            {
                "period": item.period_label,
                "issued_as_of": item.issued_as_of.isoformat(),
                "issued_due_sat": item.issued_due_sat,
                **amount("due", item.due_sat),
                **amount("delta", item.delta_sat),
                "inputs": [
                    {"input": revised.input, "old": revised.old, "new": revised.new}
                    for revised in item.inputs
                ],
            }
            for item in statement.restatements
        ],
        "unrated_days": [day.isoformat() for day in statement.unrated_days],
        "provisional_days": [day.isoformat() for day in statement.provisional_days],
        "days": [
            {
                "day": day.day.isoformat(),
                **amount("mined", day.mined_sat),
                "pools": [
                    {
                        "pool": p.pool,
                        "income": p.income,
                        "counted": p.counted,
                        "amount_sat": p.amount_sat,
                    }
                    for p in day.pools
                ],
                "expected_sat": day.expected_sat,
                "pool_hashrate_hs": decimal_text(day.pool_hashrate_hs),
                "pool_hashrate_source": day.pool_hashrate_source,
                "pool_hashrate_coverage": decimal_text(day.pool_hashrate_coverage),
                "network_hashrate_hs": decimal_text(day.network_hashrate_hs),
                "network_rewards_sat": day.network_rewards_sat,
                "missing_reason": None if day.missing_reason is None else str(day.missing_reason),
            }
            for day in statement.days
        ],
        "transfers": [
            {
                "txid": transfer.txid,
                "vout": transfer.vout,
                "address": transfer.address,
                **amount("amount", transfer.amount_sat),
                "output_amount_sat": transfer.output_amount_sat,
                "confirmations": transfer.confirmations,
                "block_height": transfer.block_height,
                "block_time": transfer.block_time.isoformat(),
                "late_seconds": transfer.late_seconds,
            }
            for transfer in statement.transfers
        ],
        "energy": {
            "energy_kwh": decimal_text(statement.energy_kwh),
            "implied_efficiency_j_per_th": decimal_text(statement.implied_efficiency_j_per_th),
        },
        # Only where the operation owes the fee: other statements keep their bytes.
        **(
            {}
            if statement.mining_fee is None
            else {"mining_fee": fee_to_dict(statement.mining_fee)}
        ),
        # Only where the terms set a mandatory sale.
        **(
            {}
            if statement.mandatory_sale is None
            else {"mandatory_sale": sale_to_dict(statement.mandatory_sale)}
        ),
        # Only where there is an entry: statements without one keep their bytes.
        **({"journal": [e.listed() for e in statement.journal]} if statement.journal else {}),
        # Only where a pool's report names the period: other statements keep their bytes.
        **(
            {"pool_reports": section_to_list(statement.pool_reports)}
            if statement.pool_reports
            else {}
        ),
    }


def _statement_from_dict(data: Mapping[str, Any]) -> Statement:
    root = StatementReader(data, "")
    if root.text("format") != STATEMENT_FORMAT:
        msg = f"statement format must be {STATEMENT_FORMAT!r}"
        raise StatementFormatError(msg)
    operation = root.child("operation")
    period = root.child("period")
    terms = root.child("terms")
    summary = root.child("summary")
    energy = root.child("energy")
    days = []
    for day in root.children("days"):
        days.append(
            StatementDay(
                day=day.day("day"),
                mined_sat=day.integer("mined_sat"),
                pools=tuple(
                    PoolAmount(
                        pool.text("pool"),
                        pool.integer("amount_sat"),
                        pool.optional_text("income") or "mining",
                        pool.optional_boolean("counted", default=True),
                    )
                    for pool in day.children("pools")
                ),
                expected_sat=day.optional_integer("expected_sat"),
                pool_hashrate_hs=day.optional_decimal("pool_hashrate_hs"),
                network_hashrate_hs=day.optional_decimal("network_hashrate_hs"),
                network_rewards_sat=day.optional_integer("network_rewards_sat"),
                missing_reason=day.optional_choice("missing_reason", MissingReason),
                pool_hashrate_source=day.optional_text("pool_hashrate_source"),
                pool_hashrate_coverage=(
                    day.optional_decimal("pool_hashrate_coverage")
                    if day.has("pool_hashrate_coverage")
                    else None
                ),
            )
        )
    return Statement(
        operation_id=operation.text("id"),
        operation_name=operation.text("name"),
        licence=operation.text("licence"),
        period_label=period.text("label"),
        period_kind=period.choice("kind", PeriodKind),
        period_start=period.day("start"),
        period_end=period.day("end"),
        deadline=period.instant("deadline"),
        deadline_timezone=period.optional_text("deadline_timezone") or "UTC",
        is_open=period.boolean("is_open"),
        as_of=root.instant("as_of"),
        rate=terms.decimal("rate"),
        basis=terms.choice("basis", Basis),
        discrepancy_tolerance=terms.decimal("discrepancy_tolerance"),
        mined_sat=summary.integer("mined_sat"),
        expected_sat=summary.integer("expected_sat"),
        basis_sat=summary.integer("basis_sat"),
        due_sat=summary.integer("due_sat"),
        remitted_sat=summary.integer("remitted_sat"),
        opening_balance_sat=summary.integer("opening_balance_sat"),
        closing_balance_sat=summary.integer("closing_balance_sat"),
        shortfall_sat=summary.integer("shortfall_sat"),
        overdue_seconds=summary.integer("overdue_seconds"),
        paid_ahead_sat=summary.integer("paid_ahead_sat"),
        account_balance_sat=summary.integer("account_balance_sat"),
        flags=root.texts("flags"),
        days=tuple(days),
        transfers=tuple(
            StatementTransfer(
                txid=transfer.text("txid"),
                vout=transfer.integer("vout"),
                address=transfer.text("address"),
                amount_sat=transfer.integer("amount_sat"),
                output_amount_sat=transfer.integer("output_amount_sat"),
                confirmations=transfer.integer("confirmations"),
                block_height=transfer.integer("block_height"),
                block_time=transfer.instant("block_time"),
                late_seconds=transfer.optional_integer("late_seconds") or 0,
            )
            for transfer in root.children("transfers")
        ),
        energy_kwh=energy.optional_decimal("energy_kwh"),
        implied_efficiency_j_per_th=energy.optional_decimal("implied_efficiency_j_per_th"),
        restatements=tuple(
            Restatement(
                period_label=item.text("period"),
                issued_as_of=item.instant("issued_as_of"),
                issued_due_sat=item.integer("issued_due_sat"),
                due_sat=item.integer("due_sat"),
                inputs=tuple(
                    RevisedInput(
                        revised.text("input"),
                        revised.optional_scalar("old"),
                        revised.optional_scalar("new"),
                    )
                    for revised in item.children("inputs")
                ),
            )
            for item in root.optional_children("restatements")
        ),
        assessed_later=tuple(
            StatementTranche(
                item.integer("amount_sat"), item.instant("assessed_at"), item.instant("deadline")
            )
            for item in period.optional_children("assessed_later")
        ),
        unrated_days=root.days("unrated_days"),
        provisional_days=root.days("provisional_days"),
        clawback_carried_in_sat=summary.integer("clawback_carried_in_sat")
        if summary.has("clawback_carried_in_sat")
        else 0,
        clawback_carried_out_sat=summary.integer("clawback_carried_out_sat")
        if summary.has("clawback_carried_out_sat")
        else 0,
        income=tuple(
            IncomeLine(line.text("income"), line.integer("amount_sat"), line.boolean("counted"))
            for line in summary.optional_children("income")
        ),
        mining_fee=fee_from_dict(data["mining_fee"]) if root.has("mining_fee") else None,
        mandatory_sale=sale_from_dict(data["mandatory_sale"])
        if root.has("mandatory_sale")
        else None,
        journal=tuple(_journal_entry(item) for item in root.optional_children("journal")),
        written_off_sat=summary.integer("written_off_sat") if summary.has("written_off_sat") else 0,
        pool_reports=section_from_list(operation.text("id"), data["pool_reports"])
        if root.has("pool_reports")
        else (),
    )


def _journal_entry(item: StatementReader) -> JournalEntry:
    try:
        return JournalEntry.from_dict(item._data)
    except InvalidInputError as err:
        msg = f"statement field {item._path}: {err}"
        raise StatementFormatError(msg) from err


def clawbacks_carried(statement: Statement) -> dict[str, int]:
    """A clawback carried in or out, only where there is one (older statements keep their
    bytes)."""
    return {
        name: value
        for name, value in (
            ("clawback_carried_in_sat", statement.clawback_carried_in_sat),
            ("clawback_carried_out_sat", statement.clawback_carried_out_sat),
            ("written_off_sat", statement.written_off_sat),
        )
        if value
    }
