"""Payment reminders before a deadline: which are due, and the message, in the operation's
language. Pure (no SMTP, no store, no clock): :func:`collector.mail.mailer.remind_before_deadlines`
sends what :func:`reminders_due` picks and remembers it in the store.

A reminder is due for a period whose deadline has an amount still open once the instant is at
or after ``remind_days_before`` days before that deadline (counted on the regulator's
calendar: the deadline is the end of a day in its zone) and before the deadline itself; once
per (period, deadline), so a restart, or the passes that follow, never send it again. A
collector that was down on the reminder day sends it late rather than not at all, as long as
the deadline has not passed.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from collector.bitcoin.payment import (
    AmountToPay,
    accruing_text,
    bip21_uri,
    payment_breakdown,
    payment_label,
)
from collector.config.sections import OperationConfig, SmtpConfig
from collector.mail.subject import Subject
from remittance.i18n import wording
from remittance.ledger import Settlement


def reminder_instant(deadline: datetime, days_before: int, zone: str) -> datetime:
    """When the reminder of ``deadline`` falls due: ``days_before`` calendar days earlier on
    the regulator's wall clock (``zone``).

    >>> from datetime import UTC
    >>> reminder_instant(datetime(2027, 1, 1, tzinfo=UTC), 3, "UTC").isoformat()
    '2026-12-29T00:00:00+00:00'
    """
    local = deadline.astimezone(ZoneInfo(zone))
    return (local - timedelta(days=days_before)).astimezone(deadline.tzinfo)


def reminders_due(
    settlements: Sequence[Settlement],
    days_before: int,
    zone: str,
    now: datetime,
    sent: Collection[tuple[str, datetime]],
) -> list[Settlement]:
    """The periods to remind of at ``now``: unpaid, deadline ahead, reminder instant reached,
    not reminded of before (``sent`` holds (period, deadline) pairs)."""
    return [
        settlement
        for settlement in settlements
        if settlement.unpaid_sat > 0
        and reminder_instant(settlement.deadline, days_before, zone) <= now < settlement.deadline
        and (settlement.label, settlement.deadline) not in sent
    ]


def compose_reminder(  # noqa: PLR0917 - what the reminder says, in the order it says it
    smtp: SmtpConfig,
    operation: OperationConfig,
    settlement: Settlement,
    payment: AmountToPay,
    zone: str,
    address: str,
) -> EmailMessage:
    """The reminder of ``settlement`` to the operation's contacts, in its language: what is
    open, by when, the amount to pay now with its parts (the amount the portal's page and its
    QR code ask for: ``payment``), where to pay and the payment link. Times in ``zone`` (the
    regulator's)."""
    words = wording(operation.language)
    _ = words.text

    def btc(amount_sat: int) -> str:
        return f"{words.btc(amount_sat)} BTC"

    deadline = words.instant(settlement.deadline, zone)
    uri = bip21_uri(address, payment.total_sat, payment_label(operation.id, words))
    accrual = accruing_text(payment, words)
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(operation.contacts)
    message["Subject"] = Subject(
        _(
            "Reminder: {amount} due by {deadline} ({period}) — {operation}",
            amount=btc(payment.total_sat),
            deadline=deadline,
            period=settlement.label,
            operation=operation.name,
        )
    )
    lines = [
        _(
            "{operation}, licence {licence}: for period {period}, {amount} is still open "
            "and due by {deadline}.",
            operation=operation.name,
            licence=operation.license,
            period=settlement.label,
            amount=btc(settlement.unpaid_sat),
            deadline=deadline,
        ),
        "",
        _("Amount to pay: {amount}", amount=btc(payment.total_sat)),
        *(f"- {part}: {btc(amount)}" for part, amount in payment_breakdown(payment, words, zone)),
        *([] if accrual is None else [accrual]),
        "",
        _("Pay to the reserve address: {address}", address=address),
        _("Payment link (BIP-21): {uri}", uri=uri),
        _("A payment counts once it has the confirmations the regulator requires."),
        "",
        _(
            "If you have paid already, the payment may not have its confirmations yet; it will "
            "show in your next statement."
        ),
    ]
    message.set_content("\n".join(lines))
    return message
