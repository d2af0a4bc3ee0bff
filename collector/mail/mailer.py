"""E-mailing each operation its statement when a period closes (optional, off by default).

Enabled by ``statement.email`` (an SMTP server; STARTTLS by default, with the server's
certificate checked against ``ca_file`` or the system's trust store). After every accounts
pass, the latest closed period of each operation with ``contacts`` is sent once its inputs are
final — every pool's ``revision_days`` after the period have passed and its network days are
complete — so a statement is not mailed while a pool may still revise it. The store records
what was sent (``issued_statements``, and the documents whole in ``issued_documents``), so a
restart never sends it twice. A period already sent whose due changes later (a restatement) is
sent again as a correction. The signed PDF and JSON are attached; the body says the figures a
reader checks first.

With ``remittance.remind_days_before`` set for an operation, its contacts also get one
reminder that many days before each deadline with an amount still open, in the operation's
language (:mod:`collector.mail.reminders`); the store remembers it (``reminders_sent``).
"""

from __future__ import annotations

import asyncio
import logging
import smtplib
import ssl
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime, timedelta
from email.message import EmailMessage

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from collector.accounts.mandatory_sale import OperationSales
from collector.accounts.mining_fee import OperationFees
from collector.accounts.snapshot import AccountsSnapshot
from collector.bitcoin.payment import amount_to_pay, payment_address
from collector.clock import Clock
from collector.config.base import resolve_secret
from collector.config.keys import load_signing_key
from collector.config.model import Config, regulator_zone
from collector.config.sections import OperationConfig, SmtpConfig
from collector.documents.statements import (
    issued_format,
    sign,
    statement_of_account,
)
from collector.errors import ReservewatchError, SecretError, StatementUnavailable, StoreError
from collector.logs import FailureLog
from collector.mail.reminders import compose_reminder, reminders_due
from collector.mail.subject import Subject
from collector.store.queries import Store
from remittance.account import OperationAccount
from remittance.errors import RemittanceError
from remittance.i18n import wording
from remittance.obligations import Obligation
from remittance.pool_reports import Reconciliation
from remittance.statement import Statement
from remittance.statement_json import statement_sha256

log = logging.getLogger(__name__)


class MailError(ReservewatchError):
    """The statement could not be handed to the SMTP server."""


class MailingIncomplete(MailError):
    """Some operations' statements could not be built, so they were not mailed (the others
    were); ``sent`` is what was."""

    def __init__(self, failed: list[str], sent: list[tuple[str, str]]) -> None:
        super().__init__(
            f"the statements of {len(failed)} operation(s) could not be mailed: "
            + "; ".join(failed)
        )
        self.sent = sent


def compose(
    smtp: SmtpConfig,
    operation: OperationConfig,
    statement: Statement,
    attachments: Mapping[str, bytes],
    correction: bool = False,
) -> EmailMessage:
    """The statement's e-mail, in the operation's language: the figures a reader checks
    first, the digest, and how to verify the attached files."""
    words = wording(operation.language)
    _ = words.text
    message = EmailMessage()
    message["From"] = smtp.sender
    message["To"] = ", ".join(operation.contacts)
    subject = (
        _("Correction: reserve remittance statement {period} — {operation}",
          period=statement.period_label, operation=operation.name)
        if correction
        else _("Reserve remittance statement {period} — {operation}",
               period=statement.period_label, operation=operation.name)
    )  # fmt: skip
    message["Subject"] = Subject(f"{subject} ({operation.license})")
    opening = (
        [
            _(
                "CORRECTION: a pool or the chain revised an input of this period after its "
                "statement was sent; this statement replaces it (see its restatements)."
            ),
            "",
        ]
        if correction
        else []
    )

    def btc(amount_sat: int) -> str:
        return f"{words.btc(amount_sat)} BTC"

    deadline = words.instant(statement.deadline, statement.deadline_timezone)
    message.set_content(
        "\n".join(
            [
                *opening,
                _(
                    "Statement for {operation}, licence {licence}, period {period}.",
                    operation=operation.name,
                    licence=operation.license,
                    period=statement.period_label,
                ),
                "",
                _("Due: {amount} (deadline {deadline})", amount=btc(statement.due_sat),
                  deadline=deadline),
                _("Remitted: {amount}", amount=btc(statement.remitted_sat)),
                _("Shortfall: {amount}", amount=btc(statement.shortfall_sat)),
                "",
                _("Statement SHA-256: {digest}", digest=statement_sha256(statement)),
                _(
                    "The attached files are signed by the regulator; check them with "
                    "`reservewatch statement verify FILE --public-key regulator.pub.pem`."
                ),
            ]
        )
    )  # fmt: skip
    for filename, document in attachments.items():
        maintype, subtype = (
            ("application", "pdf")
            if filename.endswith(".pdf")
            else (
                "application",
                "json",
            )
        )
        message.add_attachment(document, maintype=maintype, subtype=subtype, filename=filename)
    return message


def _send_blocking(smtp: SmtpConfig, message: EmailMessage) -> None:
    context = ssl.create_default_context(cafile=str(smtp.ca_file) if smtp.ca_file else None)
    password = resolve_secret(smtp.password_env, smtp.password_file, "SMTP password")
    try:
        with smtplib.SMTP(smtp.host, smtp.port, timeout=30) as client:
            if smtp.starttls:
                client.starttls(context=context)
            if smtp.username and password is not None:
                client.login(smtp.username, password.get_secret_value())
            client.send_message(message)
    except (smtplib.SMTPException, OSError, ssl.SSLError) as err:
        raise MailError(f"cannot send via {smtp.host}:{smtp.port}: {err}") from err


async def send(smtp: SmtpConfig, message: EmailMessage) -> None:
    """Send ``message`` (smtplib in a worker thread: the event loop never blocks on SMTP)."""
    await asyncio.to_thread(_send_blocking, smtp, message)


def inputs_final(operation: OperationConfig, obligation: Obligation, as_of: datetime) -> bool:
    """Whether a closed period's inputs are final: every pool's revision window has passed
    (``revision_days`` after the period's end) and its network days are complete."""
    window = max((pool.revision_days for pool in operation.pools), default=0)
    return (
        not obligation.is_open
        and as_of >= obligation.period.end_at + timedelta(days=window)
        and not obligation.provisional_days
    )


async def mail_closed_periods(
    config: Config,
    store: Store,
    accounts: Mapping[str, OperationAccount],
    fees: Mapping[str, OperationFees] | None = None,
    *,
    reconciled: Mapping[str, tuple[Reconciliation, ...]] | None = None,
    sales: Mapping[str, OperationSales] | None = None,
) -> list[tuple[str, str]]:
    """Send every operation's latest closed period once its inputs are final, and a
    correction for a period already sent whose due has changed since; return what was sent.

    What is sent is decided and written from the same snapshot: each operation's account in
    ``accounts`` as of its own instant (the statement states that account, never one computed
    again at another instant), and the documents are kept as issued under that instant;
    ``fees``, the same snapshot's digital-mining fees (the statements' fee section), and
    ``reconciled`` its pools' reports reconciled (their section), ``sales`` its mandatory
    sales (theirs).

    One operation (or period) whose statement cannot be built or signed never stops the
    others: it is logged (one warning line, no traceback) and the rest are mailed; then
    :class:`MailingIncomplete` is raised, the mailer's failure. An SMTP server, a store or a
    key that fails fails them all (raised at once)."""
    smtp = config.statement.email
    if smtp is None:
        return []
    sent: list[tuple[str, str]] = []
    failed: list[str] = []
    key = load_signing_key(config.statement.signing_key_file)
    for operation in config.operations:
        account = accounts.get(operation.id)
        if not operation.contacts or account is None:
            continue
        figures = (
            operation,
            account,
            (fees or {}).get(operation.id),
            (sales or {}).get(operation.id),
        )
        months = (reconciled or {}).get(operation.id, ())
        failed.extend(await _mail_operation(smtp, store, figures, key, sent, reconciled=months))
    if failed:
        raise MailingIncomplete(failed, sent)
    return sent


async def _mail_operation(
    smtp: SmtpConfig,
    store: Store,
    figures: tuple[OperationConfig, OperationAccount, OperationFees | None, OperationSales | None],
    key: Ed25519PrivateKey,
    sent: list[tuple[str, str]],
    *,
    reconciled: tuple[Reconciliation, ...] = (),
) -> list[str]:
    """Mail one operation's due statements (see :func:`mail_closed_periods`), appending each
    sent one to ``sent``; return one line for each period whose statement could not be built
    or signed (logged as a warning, no traceback)."""
    operation, account, fees, sales = figures
    failed: list[str] = []
    as_of = account.as_of
    closed = [o for o in account.obligations if not o.is_open]
    issued = await store.issued_dues(operation.id)
    for obligation in closed:
        period = obligation.period.label
        if not inputs_final(operation, obligation, as_of):
            continue
        last = issued.get((operation.id, period))
        mailed = await store.statement_issued(operation.id, period)
        if mailed:
            correction = last is not None and last[1] != obligation.due_sat
            if not correction:
                continue
        elif obligation is not closed[-1]:
            continue  # a first mailing is of the latest closed period only
        else:
            correction = False
        try:
            statement = await statement_of_account(
                store,
                operation,
                period,
                account,
                issued,
                fees=fees,
                reconciled=reconciled,
                sales=sales,
            )
            documents = {
                "pdf": sign(statement, "pdf", key, operation.language),
                "json": sign(statement, "json", key),
            }
        except (StatementUnavailable, RemittanceError) as err:
            log.warning(
                "statement not mailed",
                extra={"operation": operation.id, "period": period, "error": str(err)},
            )
            failed.append(f"{operation.id} {period}: {err}")
            continue
        attachments = {
            f"{operation.id}-{period}.{fmt}": document for fmt, document in documents.items()
        }
        await send(smtp, compose(smtp, operation, statement, attachments, correction))
        for fmt, document in documents.items():
            await store.save_issued_document(
                operation.id,
                period,
                as_of,
                issued_format(fmt, operation.language),
                statement_sha256(statement),
                statement.due_sat,
                document,
            )
        await store.record_statement(
            operation.id, period, as_of, statement_sha256(statement), emailed_to=operation.contacts
        )
        log.info(
            "statement mailed",
            extra={"operation": operation.id, "period": period, "correction": correction},
        )
        sent.append((operation.id, period))
    return failed


async def remind_before_deadlines(
    config: Config,
    store: Store,
    accounts: Mapping[str, OperationAccount],
    now: datetime,
) -> list[tuple[str, str]]:
    """E-mail each operation's contacts the reminders due at ``now``
    (:func:`collector.mail.reminders.reminders_due`) and remember each in the store, so it is sent
    once; return (operation, period) of what was sent."""
    smtp = config.statement.email
    if smtp is None:
        return []
    sent: list[tuple[str, str]] = []
    for operation in config.operations:
        days_before = operation.remittance.remind_days_before
        account = accounts.get(operation.id)
        if days_before is None or not operation.contacts or account is None:
            continue
        zone = operation.remittance.deadline_timezone
        shown_in = str(regulator_zone(config))
        already = await store.reminders_sent(operation.id)
        for settlement in reminders_due(
            account.ledger.settlements, days_before, zone, now, already
        ):
            address = payment_address(
                operation,
                now.date(),
                chain=config.network.chain,
                used=(o.address for o in account.ledger.counted_outputs),
            )
            payment = amount_to_pay(account)
            message = compose_reminder(smtp, operation, settlement, payment, shown_in, address)
            await send(smtp, message)
            await store.record_reminder(
                operation.id,
                settlement.label,
                settlement.deadline,
                now,
                settlement.unpaid_sat,
                operation.contacts,
                operation.language,
            )
            log.info(
                "payment reminder mailed",
                extra={"operation": operation.id, "period": settlement.label},
            )
            sent.append((operation.id, settlement.label))
    return sent


class Mailer:
    """The mailing task: after each accounts pass, send what :func:`mail_closed_periods`
    finds due. Its failures are its own (an SMTP refusal never reads as a failed recompute):
    logged once when they start and once when mailing works again."""

    def __init__(self, config: Config, store: Store, clock: Clock) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        self._failures = FailureLog(log, "mailing statements")

    async def run(self, next_pass: Callable[[], Awaitable[AccountsSnapshot]]) -> None:
        """After each pass, mail from the snapshot it left: its accounts, its fees, its
        pools' reports reconciled and its mandatory sales."""
        while True:
            snapshot = await next_pass()
            accounts = snapshot.accounts
            now = self._clock.now()
            incomplete: MailingIncomplete | None = None
            try:
                try:
                    await mail_closed_periods(
                        self._config,
                        self._store,
                        accounts,
                        snapshot.mining_fees,
                        reconciled=snapshot.pool_reports,
                        sales=snapshot.mandatory_sales,
                    )
                except MailingIncomplete as err:
                    incomplete = err  # the others were mailed; reminders still go out
                await remind_before_deadlines(self._config, self._store, accounts, now)
            except (MailError, StoreError, SecretError, StatementUnavailable) as err:
                self._failures.failed(err)
            else:
                if incomplete is not None:
                    self._failures.failed(incomplete)
                else:
                    self._failures.succeeded()
