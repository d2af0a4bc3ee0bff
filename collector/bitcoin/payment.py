"""Where, how and how much an operation pays: the address in force, the amount asked for,
and the BIP-21 payment URI.

One function says which address an operation is given on a day: with a
``reserve_descriptor``, the descriptor's next receive address not yet paid (a fresh address
for each remittance); otherwise its configured reserve address, or a retired one still in
force. One function says how much it is asked to pay (:func:`amount_to_pay`): the portal's
page, its QR code and the reminder all ask for that amount, with its breakdown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol
from urllib.parse import quote

from collector.bitcoin.address import Chain
from collector.bitcoin.descriptors import parse_descriptor
from remittance.account import OperationAccount
from remittance.i18n import Wording
from remittance.money import SAT_PER_BTC


class Retired(Protocol):
    """A reserve address paid to until a day (exclusive)."""

    @property
    def address(self) -> str: ...
    @property
    def until(self) -> date: ...


class PaysTo(Protocol):
    """Where an operation may be told to pay (an operation's configuration is one)."""

    @property
    def reserve_descriptor(self) -> str | None: ...
    @property
    def retired_addresses(self) -> Sequence[Retired]: ...
    @property
    def reserve_addresses(self) -> Sequence[str]: ...


def payment_address(
    operation: PaysTo,
    today: date,
    *,
    chain: Chain = "main",
    used: Iterable[str] = (),
) -> str:
    """The address ``operation`` pays to on ``today`` (a UTC day).

    With a descriptor: its first receive address (branch 0) not among ``used`` (the
    addresses already paid). Otherwise a retired address is still in force before its
    ``until`` day (the earliest such one, as addresses are handed over one after another);
    after them, the first reserve address.
    """
    if operation.reserve_descriptor is not None:
        return parse_descriptor(operation.reserve_descriptor, chain).first_unused(used)
    in_force = sorted(
        (retired for retired in operation.retired_addresses if today < retired.until),
        key=lambda retired: retired.until,
    )
    return in_force[0].address if in_force else operation.reserve_addresses[0]


def bip21_amount(amount_sat: int) -> str:
    """Satoshis as BIP-21's decimal BTC, without trailing zeros: 100001 → ``0.00100001``,
    100000000 → ``1``."""
    whole, fraction = divmod(amount_sat, SAT_PER_BTC)
    return f"{whole}.{fraction:08d}".rstrip("0").rstrip(".")


def bip21_uri(address: str, amount_sat: int, label: str) -> str:
    """``bitcoin:ADDRESS?amount=…&label=…`` (BIP-21; the label percent-encoded as UTF-8). No
    amount when nothing is owed.

    >>> bip21_uri("bc1qexample", 100_001, "Demo LLP 2026-10")
    'bitcoin:bc1qexample?amount=0.00100001&label=Demo%20LLP%202026-10'
    """
    query = [f"amount={bip21_amount(amount_sat)}"] if amount_sat > 0 else []
    query.append(f"label={quote(label, safe='')}")
    return f"bitcoin:{address}?{'&'.join(query)}"


@dataclass(frozen=True, slots=True)
class PeriodDue:
    """A closed period's unpaid part, and the deadline it is due by."""

    label: str
    deadline: datetime
    unpaid_sat: int
    deadline_passed: bool


@dataclass(frozen=True, slots=True)
class AmountToPay:
    """What an operation is asked to pay now, and what it is made of: every closed period
    still unpaid (those past their deadline, the overdue, and those due by a deadline ahead).
    The open period's accrual so far is not asked for (its figure grows until the period
    ends); it is told apart, as is a credit paid ahead."""

    periods: tuple[PeriodDue, ...]  # oldest first: the order payments settle them (FIFO)
    accruing_sat: int  # the open period's due so far, not yet asked for
    accruing_label: str | None
    credit_sat: int  # paid ahead of everything due so far

    @property
    def overdue_sat(self) -> int:
        """The part whose deadline has passed (the shortfall)."""
        return sum(period.unpaid_sat for period in self.periods if period.deadline_passed)

    @property
    def due_sat(self) -> int:
        """The part due by a deadline still ahead."""
        return sum(period.unpaid_sat for period in self.periods if not period.deadline_passed)

    @property
    def total_sat(self) -> int:
        """The one amount asked for: overdue and due."""
        return self.overdue_sat + self.due_sat

    @property
    def next_deadline(self) -> datetime | None:
        """The earliest deadline still ahead of what is asked for."""
        ahead = [period.deadline for period in self.periods if not period.deadline_passed]
        return min(ahead, default=None)


def amount_to_pay(account: OperationAccount) -> AmountToPay:
    """What ``account``'s operation is asked to pay as of ``account.as_of``: the unpaid part of
    each closed period (overdue or due by its deadline), the open period's accrual told apart.

    A payment is applied oldest period first, so paying the total settles each closed period
    listed, and only those.
    """
    open_labels = {o.period.label for o in account.obligations if o.is_open}
    settlements = account.ledger.settlements
    periods = tuple(
        PeriodDue(s.label, s.deadline, s.unpaid_sat, s.deadline_passed)
        for s in settlements
        if s.unpaid_sat > 0 and s.label not in open_labels
    )
    accruing = [s for s in settlements if s.label in open_labels]
    return AmountToPay(
        periods=periods,
        accruing_sat=sum(s.unpaid_sat for s in accruing),
        accruing_label=accruing[-1].label if accruing else None,
        credit_sat=account.ledger.credit_sat,
    )


def payment_label(operation_id: str, words: Wording) -> str:
    """The BIP-21 label a wallet shows beside the payment, in the reader's language."""
    return words.text("reserve remittance {operation}", operation=operation_id)


def payment_breakdown(payment: AmountToPay, words: Wording, zone: str) -> list[tuple[str, int]]:
    """What the amount to pay is made of, in ``words``' language, deadlines in ``zone``: one
    (what, sat) per period, oldest first."""
    _ = words.text
    return [
        (
            _("{period}: overdue, its deadline ({deadline}) has passed", period=period.label,
              deadline=words.instant(period.deadline, zone))
            if period.deadline_passed
            else _("{period}: due by {deadline}", period=period.label,
                   deadline=words.instant(period.deadline, zone)),
            period.unpaid_sat,
        )
        for period in payment.periods
    ]  # fmt: skip


def accruing_text(payment: AmountToPay, words: Wording) -> str | None:
    """The open period's accrual so far, said as not asked for yet; None when there is none."""
    if payment.accruing_label is None or payment.accruing_sat <= 0:
        return None
    return words.text(
        "{period}: {amount} accrued so far in the open period, not asked for until it ends",
        period=payment.accruing_label,
        amount=f"{words.btc(payment.accruing_sat)} BTC",
    )
