"""What an operation's portal page shows, read from its account (the accounts' snapshot).

Pure: an :class:`~remittance.account.OperationAccount` already computed, the operation's
config, the zone its times are shown in and the page's language in; a frozen
:class:`OperationView` out. Nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.bitcoin.address import Chain
from collector.bitcoin.payment import (
    AmountToPay,
    amount_to_pay,
    bip21_uri,
    payment_address,
    payment_label,
)
from collector.config.sections import OperationConfig
from remittance.account import OperationAccount
from remittance.i18n import Wording

STATEMENTS_LISTED = 6
"""The latest periods whose statements the page offers (newest first)."""


@dataclass(frozen=True, slots=True)
class PeriodLine:
    """One period the page lists: its deadline and what of it is unpaid."""

    label: str
    deadline: datetime
    due_sat: int
    unpaid_sat: int
    deadline_passed: bool
    is_open: bool


@dataclass(frozen=True, slots=True)
class OperationView:
    """An operation's balance, next deadline, what to pay and where."""

    operation_id: str
    name: str
    licence: str
    language: str
    zone: str  # the regulator's: every time on the page is shown in it
    as_of: datetime
    balance_sat: int
    shortfall_sat: int
    overdue_seconds: int
    credit_sat: int
    next_deadline: datetime | None
    payment: AmountToPay  # what the page, its payment URI and the reminder ask for
    address: str
    uri: str
    periods: tuple[PeriodLine, ...]  # newest first, at most STATEMENTS_LISTED

    @property
    def pay_sat(self) -> int:
        """The one amount asked for (:func:`~collector.bitcoin.payment.amount_to_pay`)."""
        return self.payment.total_sat


def operation_view(
    operation: OperationConfig,
    account: OperationAccount,
    words: Wording,
    *,
    zone: str,
    chain: Chain = "main",
) -> OperationView:
    """The page's figures from ``account`` (as of ``account.as_of``), its times in ``zone``
    and its payment link labelled in ``words``' language."""
    ledger = account.ledger
    upcoming = [s for s in ledger.settlements if not s.deadline_passed]
    next_deadline = min((s.deadline for s in upcoming), default=None)
    open_labels = {o.period.label for o in account.obligations if o.is_open}
    payment = amount_to_pay(account)
    paid = (o.address for o in account.ledger.counted_outputs)
    address = payment_address(operation, account.as_of.date(), chain=chain, used=paid)
    return OperationView(
        operation_id=operation.id,
        name=operation.name,
        licence=operation.license,
        language=operation.language,
        zone=zone,
        as_of=account.as_of,
        balance_sat=ledger.balance_sat,
        shortfall_sat=ledger.shortfall_sat,
        overdue_seconds=ledger.overdue_seconds,
        credit_sat=ledger.credit_sat,
        next_deadline=next_deadline,
        payment=payment,
        address=address,
        uri=bip21_uri(address, payment.total_sat, payment_label(operation.id, words)),
        periods=tuple(
            PeriodLine(
                s.label,
                s.deadline,
                s.due_sat,
                s.unpaid_sat,
                s.deadline_passed,
                s.label in open_labels,
            )
            for s in reversed(ledger.settlements[-STATEMENTS_LISTED:])
        ),
    )
