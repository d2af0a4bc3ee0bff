"""What an operation's portal page shows, read from its account (the accounts' snapshot).

Pure: an :class:`~remittance.account.OperationAccount` already computed, the operation's
config and the day in; a frozen :class:`OperationView` out. Nothing is recomputed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from collector.bitcoin.address import Chain
from collector.bitcoin.payment import bip21_uri, payment_address
from collector.config.sections import OperationConfig
from remittance.account import OperationAccount

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
    zone: str
    as_of: datetime
    balance_sat: int
    shortfall_sat: int
    overdue_seconds: int
    credit_sat: int
    next_deadline: datetime | None
    due_at_next_deadline_sat: int
    pay_sat: int  # everything owed now: what the payment URI asks for
    address: str
    uri: str
    periods: tuple[PeriodLine, ...]  # newest first, at most STATEMENTS_LISTED


def operation_view(
    operation: OperationConfig, account: OperationAccount, chain: Chain = "main"
) -> OperationView:
    """The page's figures from ``account`` (as of ``account.as_of``)."""
    ledger = account.ledger
    upcoming = [s for s in ledger.settlements if not s.deadline_passed]
    next_deadline = min((s.deadline for s in upcoming), default=None)
    due_next = sum(s.unpaid_sat for s in upcoming if s.deadline == next_deadline)
    open_labels = {o.period.label for o in account.obligations if o.is_open}
    pay_sat = max(ledger.balance_sat, 0)
    paid = (o.address for o in account.ledger.counted_outputs)
    address = payment_address(operation, account.as_of.date(), chain=chain, used=paid)
    return OperationView(
        operation_id=operation.id,
        name=operation.name,
        licence=operation.license,
        language=operation.language,
        zone=str(account.terms.deadline_zone),
        as_of=account.as_of,
        balance_sat=ledger.balance_sat,
        shortfall_sat=ledger.shortfall_sat,
        overdue_seconds=ledger.overdue_seconds,
        credit_sat=ledger.credit_sat,
        next_deadline=next_deadline,
        due_at_next_deadline_sat=due_next,
        pay_sat=pay_sat,
        address=address,
        uri=bip21_uri(address, pay_sat, f"reserve remittance {operation.id}"),
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
