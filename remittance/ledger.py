"""Which on-chain outputs count as remitted, and FIFO settlement of obligations.

- An output counts when it is in the caller's current view of the chain, pays one of the
  operation's reserve addresses, is in a block (`block_time` set) and has at least
  `required_confirmations`. An output removed by a re-org or replaced is simply absent from the
  view and so no longer counts. Each `(txid, vout)` counts once, however often it is listed.
- Counted payments are applied in chain order — (block height, txid, vout), never the
  miner-set block time, which may run backwards between blocks — to the oldest obligation
  with an unpaid amount (FIFO). What is left after the last obligation is a credit carried
  forward to later obligations.
- As of an instant: only payments with `block_time <= as_of` count. The deadline is the last
  instant at which a payment is on time: an obligation's deadline has passed when
  `as_of > deadline` (at exactly the deadline nothing is past due yet). Shortfall = unpaid
  amount on obligations whose deadline has passed; overdue seconds = `as_of − the oldest passed
  deadline still unpaid`, in whole seconds rounded up (so at least 1 once passed; 0 if none).
  Balance = Σdue − Σremitted (positive = owes, negative = credit); it always equals
  Σunpaid − credit.
- A payment applied to an obligation after its deadline (block time > deadline; a block timed
  exactly at the deadline is on time) is **late**: each such allocation carries `late_seconds`
  (block time − deadline, whole seconds rounded up), even once the balance is zero;
  `Ledger.late_allocations` counts them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from remittance.errors import InvalidInputError
from remittance.obligations import Obligation


@dataclass(frozen=True, slots=True)
class ReserveOutput:
    """One transaction output paying a reserve address, as the chain watcher currently sees it."""

    txid: str
    vout: int
    address: str
    amount_sat: int
    block_height: int | None
    block_time: datetime | None
    confirmations: int


@dataclass(frozen=True, slots=True)
class Due:
    """An amount owed by a deadline, under a label (a period label)."""

    label: str
    due_sat: int
    deadline: datetime

    @classmethod
    def of(cls, obligation: Obligation) -> Due:
        """The due part of a period's obligation."""
        return cls(obligation.period.label, obligation.due_sat, obligation.deadline)


@dataclass(frozen=True, slots=True)
class Allocation:
    """The part of one counted output applied to one obligation."""

    txid: str
    vout: int
    address: str
    applied_sat: int
    output_amount_sat: int
    block_height: int
    block_time: datetime
    confirmations: int
    late_seconds: int = 0  # how long after the obligation's deadline it arrived (0: on time)


@dataclass(frozen=True, slots=True)
class Settlement:
    """One obligation after FIFO settlement: which outputs paid how much of it."""

    label: str
    due_sat: int
    deadline: datetime
    allocations: tuple[Allocation, ...]
    settled_sat: int
    unpaid_sat: int
    paid_in_full_at: datetime | None
    deadline_passed: bool


@dataclass(frozen=True, slots=True)
class Ledger:
    """An operation's running account as of one instant."""

    as_of: datetime
    settlements: tuple[Settlement, ...]
    counted_outputs: tuple[ReserveOutput, ...]
    total_due_sat: int
    total_remitted_sat: int
    credit_sat: int
    balance_sat: int
    shortfall_sat: int
    overdue_seconds: int

    @property
    def late_allocations(self) -> int:
        """Payments (or parts of them) that settled an obligation after its deadline."""
        return sum(1 for s in self.settlements for a in s.allocations if a.late_seconds > 0)

    def settlement_for(self, label: str) -> Settlement | None:
        """The settlement of the obligation labelled `label`, if there is one."""
        return next((item for item in self.settlements if item.label == label), None)


def seconds_past(instant: datetime, deadline: datetime) -> int:
    """How long `instant` is after `deadline`, in whole seconds rounded up: 0 at or before the
    deadline, at least 1 after it (the one rule for late and overdue)."""
    delta = instant - deadline
    if delta <= timedelta(0):
        return 0
    return delta.days * 86_400 + delta.seconds + (1 if delta.microseconds else 0)


def confirmations(block_height: int | None, tip_height: int | None) -> int:
    """Blocks on top of (and including) an output's block, counted from the best tip: 0
    when either is unknown, and never negative (a tip below the block: a re-org under way)."""
    if block_height is None or tip_height is None:
        return 0
    return max(0, tip_height - block_height + 1)


def counted_outputs(
    outputs: Iterable[ReserveOutput],
    required_confirmations: int,
    *,
    reserve_addresses: frozenset[str] | None = None,
    as_of: datetime | None = None,
) -> tuple[ReserveOutput, ...]:
    """The outputs that count as remitted, each `(txid, vout)` once, in settlement order.

    Args:
        outputs: the chain watcher's current view; may list an output more than once.
        required_confirmations: an output needs at least this many (>= 1) to count.
        reserve_addresses: if given, outputs paying other addresses are ignored.
        as_of: if given, outputs in blocks later than this instant are ignored.
    """
    if required_confirmations < 1:
        msg = f"required_confirmations must be >= 1, got {required_confirmations}"
        raise InvalidInputError(msg)
    by_outpoint: dict[tuple[str, int], ReserveOutput] = {}
    for output in outputs:
        if output.amount_sat < 0 or output.vout < 0:
            msg = f"output {output.txid}:{output.vout}: negative amount or vout"
            raise InvalidInputError(msg)
        if output.block_time is not None and output.block_time.utcoffset() is None:
            msg = f"output {output.txid}:{output.vout}: block_time must be timezone-aware"
            raise InvalidInputError(msg)
        key = (output.txid, output.vout)
        known = by_outpoint.get(key)
        if known is not None and known.amount_sat != output.amount_sat:
            msg = (
                f"output {output.txid}:{output.vout} listed with two amounts "
                f"({known.amount_sat} and {output.amount_sat} sat)"
            )
            raise InvalidInputError(msg)
        if known is None or output.confirmations > known.confirmations:
            by_outpoint[key] = output
    counted = [
        (output.block_height, output.txid, output.vout, output)
        for output in by_outpoint.values()
        if output.block_time is not None
        and output.block_height is not None
        and output.confirmations >= required_confirmations
        and (reserve_addresses is None or output.address in reserve_addresses)
        and (as_of is None or output.block_time <= as_of)
    ]
    counted.sort(key=lambda item: item[:3])
    return tuple(item[3] for item in counted)


def settle_fifo(dues: Sequence[Due], payments: Sequence[ReserveOutput], as_of: datetime) -> Ledger:
    """Apply counted payments (from `counted_outputs`) to `dues`, oldest obligation first.

    `dues` must be in period order (oldest first). Payments with `block_time > as_of` are
    ignored.
    """
    remaining = [due.due_sat for due in dues]
    allocations: list[list[Allocation]] = [[] for _ in dues]
    paid_at: list[datetime | None] = [None for _ in dues]
    confirmed = [
        (payment.block_height, payment.txid, payment.vout, payment.block_time, payment)
        for payment in payments
        if payment.block_time is not None
        and payment.block_height is not None
        and payment.block_time <= as_of
    ]
    confirmed.sort(key=lambda item: item[:3])  # chain order: height, then txid and vout
    credit_sat = 0
    oldest_open = 0
    for block_height, _, _, block_time, payment in confirmed:
        left_sat = payment.amount_sat
        while left_sat > 0 and oldest_open < len(dues):
            if remaining[oldest_open] == 0:
                oldest_open += 1
                continue
            applied_sat = min(left_sat, remaining[oldest_open])
            remaining[oldest_open] -= applied_sat
            left_sat -= applied_sat
            allocations[oldest_open].append(
                Allocation(
                    txid=payment.txid,
                    vout=payment.vout,
                    address=payment.address,
                    applied_sat=applied_sat,
                    output_amount_sat=payment.amount_sat,
                    block_height=block_height,
                    block_time=block_time,
                    confirmations=payment.confirmations,
                    late_seconds=seconds_past(block_time, dues[oldest_open].deadline),
                )
            )
            if remaining[oldest_open] == 0:
                paid_at[oldest_open] = block_time
        credit_sat += left_sat
    settlements = tuple(
        Settlement(
            label=due.label,
            due_sat=due.due_sat,
            deadline=due.deadline,
            allocations=tuple(allocations[index]),
            settled_sat=due.due_sat - remaining[index],
            unpaid_sat=remaining[index],
            paid_in_full_at=paid_at[index] if remaining[index] == 0 else None,
            deadline_passed=as_of > due.deadline,
        )
        for index, due in enumerate(dues)
    )
    overdue = [item for item in settlements if item.deadline_passed and item.unpaid_sat > 0]
    total_due_sat = sum(due.due_sat for due in dues)
    total_remitted_sat = sum(item[4].amount_sat for item in confirmed)
    return Ledger(
        as_of=as_of,
        settlements=settlements,
        counted_outputs=tuple(item[4] for item in confirmed),
        total_due_sat=total_due_sat,
        total_remitted_sat=total_remitted_sat,
        credit_sat=credit_sat,
        balance_sat=total_due_sat - total_remitted_sat,
        shortfall_sat=sum(item.unpaid_sat for item in overdue),
        overdue_seconds=(
            seconds_past(as_of, min(item.deadline for item in overdue)) if overdue else 0
        ),
    )
