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
- **An amount assessed after the deadline is due from its assessment**: a period's due may
  come in tranches (`Due.tranches`, built by `assessed_tranches`): what was known at the
  period's deadline (or when its inputs were first known, if later: a collector that was not
  running gives no extra time) is due by it; each increase first known at a later instant (a
  revised input, an edited rate) is due by that instant + the period's `due_days`. A period's
  payments settle its tranches oldest deadline first; shortfall, overdue and late are each
  tranche's against its own deadline.
- **Refunds** (the regulator's journal, `remittance.journal`): `refunded_sat` the reserve paid
  back takes from the credit first; what the credit does not cover un-settles the newest
  settled tranches first (their allocations stay listed: which outputs paid; the amount is
  unpaid again). Balance = Σdue − Σremitted + Σrefunded; a refund above Σremitted is refused.
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
class Tranche:
    """Part of a period's due and the deadline it is due by. `assessed_at`: the instant an
    amount first known after the period's deadline was assessed (None: known by then)."""

    amount_sat: int
    deadline: datetime
    assessed_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Assessment:
    """A period's due as the inputs known at instant `at` gave it."""

    at: datetime
    due_sat: int


@dataclass(frozen=True, slots=True)
class Due:
    """An amount owed by a deadline, under a label (a period label). `tranches`, when given,
    split `due_sat` by deadline (their amounts sum to it); none: all of it by `deadline`."""

    label: str
    due_sat: int
    deadline: datetime
    tranches: tuple[Tranche, ...] = ()

    @classmethod
    def of(cls, obligation: Obligation) -> Due:
        """The due part of a period's obligation."""
        return cls(obligation.period.label, obligation.due_sat, obligation.deadline)

    def parts(self) -> tuple[Tranche, ...]:
        """The tranches, oldest deadline first (one, by `deadline`, when none were given)."""
        return self.tranches or (Tranche(self.due_sat, self.deadline),)


def assessed_tranches(
    due_sat: int,
    deadline: datetime,
    due_days: int,
    assessments: Sequence[Assessment],
    as_of: datetime,
) -> tuple[Tranche, ...]:
    """A closed period's due split by when each part became known.

    `assessments`: the period's first assessment (its due as known at its deadline, or when
    its inputs were first known if later), then its due at each later instant it changed, up
    to `as_of`. The first is due by the deadline; each rise above the highest due known
    before is due by its instant + `due_days` days. A fall takes from the latest tranches
    first. A due above every assessment is taken as assessed at `as_of`; none given: all of
    `due_sat` is due by the deadline.
    """
    if not assessments:
        return (Tranche(due_sat, deadline),)
    step = timedelta(days=due_days)
    first, *rest = assessments
    highest = max(first.due_sat, 0)
    layers = [Tranche(highest, deadline)]
    later = sorted((item for item in rest if first.at < item.at <= as_of), key=_at)
    for item in (*later, Assessment(as_of, due_sat)):
        if item.due_sat > highest:
            layers.append(Tranche(item.due_sat - highest, item.at + step, item.at))
            highest = item.due_sat
    tranches: list[Tranche] = []
    left = max(due_sat, 0)
    for layer in layers:
        amount = min(layer.amount_sat, left)
        if amount > 0 or not tranches:
            tranches.append(Tranche(amount, layer.deadline, layer.assessed_at))
        left -= amount
    return tuple(tranches)


def _at(item: Assessment) -> datetime:
    return item.at


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
    tranches: tuple[Tranche, ...] = ()  # more than one: amounts assessed after the deadline
    shortfall_sat: int = 0  # unpaid on tranches past their own deadline
    overdue_since: datetime | None = None  # the oldest passed deadline of an unpaid tranche


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
    refunded_sat: int = 0  # paid back by the reserve (journal refunds)

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


def settle_fifo(
    dues: Sequence[Due],
    payments: Sequence[ReserveOutput],
    as_of: datetime,
    *,
    refunded_sat: int = 0,
) -> Ledger:
    """Apply counted payments (from `counted_outputs`) to `dues`, oldest obligation first
    (and within one, its tranches oldest deadline first), then take `refunded_sat` back
    (credit first, then the newest settled tranches).

    `dues` must be in period order (oldest first). Payments with `block_time > as_of` are
    ignored.

    Raises:
        InvalidInputError: `refunded_sat` negative or above what the payments remitted.
    """
    parts = [due.parts() for due in dues]
    flat = [(index, tranche) for index, tranches in enumerate(parts) for tranche in tranches]
    remaining = [tranche.amount_sat for _, tranche in flat]
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
        while left_sat > 0 and oldest_open < len(flat):
            if remaining[oldest_open] == 0:
                oldest_open += 1
                continue
            index, tranche = flat[oldest_open]
            applied_sat = min(left_sat, remaining[oldest_open])
            remaining[oldest_open] -= applied_sat
            left_sat -= applied_sat
            allocations[index].append(
                Allocation(
                    txid=payment.txid,
                    vout=payment.vout,
                    address=payment.address,
                    applied_sat=applied_sat,
                    output_amount_sat=payment.amount_sat,
                    block_height=block_height,
                    block_time=block_time,
                    confirmations=payment.confirmations,
                    late_seconds=seconds_past(block_time, tranche.deadline),
                )
            )
            paid_at[index] = block_time
        credit_sat += left_sat
    total_remitted_sat = sum(item[4].amount_sat for item in confirmed)
    if not 0 <= refunded_sat <= total_remitted_sat:
        msg = f"refunds of {refunded_sat} sat exceed the {total_remitted_sat} sat remitted"
        raise InvalidInputError(msg)
    credit_sat = _refund(flat, remaining, credit_sat, refunded_sat)
    unpaid = [0 for _ in dues]
    shortfall = [0 for _ in dues]
    overdue_since: list[datetime | None] = [None for _ in dues]
    for (index, tranche), left in zip(flat, remaining, strict=True):
        unpaid[index] += left
        if left and as_of > tranche.deadline:
            shortfall[index] += left
            since = overdue_since[index] or tranche.deadline
            overdue_since[index] = min(since, tranche.deadline)
    settlements = tuple(
        Settlement(
            label=due.label,
            due_sat=due.due_sat,
            deadline=due.deadline,
            allocations=tuple(allocations[index]),
            settled_sat=due.due_sat - unpaid[index],
            unpaid_sat=unpaid[index],
            paid_in_full_at=paid_at[index] if unpaid[index] == 0 and due.due_sat else None,
            deadline_passed=as_of > due.deadline,
            tranches=due.tranches,
            shortfall_sat=shortfall[index],
            overdue_since=overdue_since[index],
        )
        for index, due in enumerate(dues)
    )
    passed = [item.overdue_since for item in settlements if item.overdue_since is not None]
    total_due_sat = sum(due.due_sat for due in dues)
    return Ledger(
        as_of=as_of,
        settlements=settlements,
        counted_outputs=tuple(item[4] for item in confirmed),
        total_due_sat=total_due_sat,
        total_remitted_sat=total_remitted_sat,
        credit_sat=credit_sat,
        balance_sat=total_due_sat - total_remitted_sat + refunded_sat,
        shortfall_sat=sum(item.shortfall_sat for item in settlements),
        overdue_seconds=seconds_past(as_of, min(passed)) if passed else 0,
        refunded_sat=refunded_sat,
    )


def _refund(
    flat: Sequence[tuple[int, Tranche]], remaining: list[int], credit_sat: int, refunded_sat: int
) -> int:
    """Take a refund back: from the credit first, then from the newest settled tranches
    (`remaining` grows by what they are unpaid again). Returns the credit left."""
    taken = min(credit_sat, refunded_sat)
    left_sat = refunded_sat - taken
    for position in range(len(flat) - 1, -1, -1):
        if left_sat == 0:
            break
        settled = flat[position][1].amount_sat - remaining[position]
        back = min(settled, left_sat)
        remaining[position] += back
        left_sat -= back
    return credit_sat - taken
