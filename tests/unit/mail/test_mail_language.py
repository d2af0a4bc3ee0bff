"""A statement's e-mail is written in its operation's language."""

from __future__ import annotations

import email
import email.policy
import io
from datetime import UTC, datetime
from email.generator import BytesGenerator
from email.message import EmailMessage

import pytest

from collector.bitcoin.payment import AmountToPay, PeriodDue
from collector.config.sections import OperationConfig, SmtpConfig
from collector.mail.mailer import compose
from collector.mail.reminders import compose_reminder
from remittance.ledger import Settlement
from tests.support.configs import operation
from tests.unit.remittance.conftest import worked_example_statement

SMTP = SmtpConfig(host="127.0.0.1", sender="reserve@regulator.test")


def kazakh_operation(language: str) -> OperationConfig:
    kazakh = {"name": "Қазақ Қуат ЖШС", "license": "DM-2026-001", "language": language}
    entry = operation("op-demo", contacts=["finance@demo.test"], **kazakh)
    return OperationConfig.model_validate(entry)


def text_of(language: str, *, correction: bool = False) -> tuple[str, str]:
    message = compose(SMTP, kazakh_operation(language), worked_example_statement(), {}, correction)
    return " ".join(str(message["Subject"]).split()), " ".join(message.get_content().split())


def test_a_kazakh_operations_statement_mail_is_in_kazakh() -> None:
    subject, body = text_of("kk")
    assert subject == (
        "Резервке аударым бойынша үзінді көшірме 2026-10 — Қазақ Қуат ЖШС (DM-2026-001)"
    )
    assert "Берешек: 0,00100001 BTC" in body
    assert "Төлеуге: 0,00300001 BTC (мерзімі 2026 ж. 11 қараша, 00:00 UTC)" in body


def test_a_russian_correction_says_so_in_russian() -> None:
    subject, body = text_of("ru", correction=True)
    assert subject.startswith("Исправление: выписка по отчислениям в резерв 2026-10")
    assert body.startswith("ИСПРАВЛЕНИЕ:")
    assert "Недоимка: 0,00100001 BTC" in body


def _sent(message: EmailMessage) -> EmailMessage:
    """The message as smtplib's send_message writes it to the server, parsed back."""
    out = io.BytesIO()
    BytesGenerator(out).flatten(message, linesep="\r\n")
    back = email.message_from_bytes(out.getvalue(), policy=email.policy.default)
    assert isinstance(back, EmailMessage)
    return back


@pytest.mark.parametrize("correction", [False, True])
@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_the_subject_reads_back_exactly_as_written(language: str, correction: bool) -> None:
    message = compose(SMTP, kazakh_operation(language), worked_example_statement(), {}, correction)
    written = str(message["Subject"])
    assert "  " not in written
    assert str(_sent(message)["Subject"]) == written


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_long_subject_folds_into_short_lines_and_reads_back(language: str) -> None:
    long_name = kazakh_operation(language).model_copy(
        update={"name": "Екібастұз энергетикалық тау-кен өндіру серіктестігі " * 4}
    )
    message = compose(SMTP, long_name, worked_example_statement(), {"s.pdf": b"%PDF-"})
    sent = _sent(message)
    assert str(sent["Subject"]) == str(message["Subject"])
    header = message.as_bytes().split(b"\n\n", 1)[0]
    assert max(len(line) for line in header.splitlines()) <= 78


@pytest.mark.parametrize("language", ["kk", "ru", "en"])
def test_a_reminders_subject_reads_back_exactly_as_written(language: str) -> None:
    settlement = Settlement(
        label="2026-10",
        due_sat=300_001,
        deadline=datetime(2026, 11, 11, tzinfo=UTC),
        allocations=(),
        settled_sat=0,
        unpaid_sat=300_001,
        paid_in_full_at=None,
        deadline_passed=False,
    )
    payment = AmountToPay((PeriodDue("2026-10", settlement.deadline, 300_001, False),), 0, None, 0)
    address = kazakh_operation(language).reserve_addresses[0]
    message = compose_reminder(
        SMTP, kazakh_operation(language), settlement, payment, "Asia/Almaty", address
    )
    assert str(_sent(message)["Subject"]) == str(message["Subject"])
