"""A statement's e-mail is written in its operation's language."""

from __future__ import annotations

from collector.config import OperationConfig, SmtpConfig
from collector.mail.mailer import compose
from tests.unit.remittance.conftest import worked_example_statement

SMTP = SmtpConfig(host="127.0.0.1", sender="reserve@regulator.test")


def operation(language: str) -> OperationConfig:
    return OperationConfig.model_validate(
        {
            "id": "op-demo",
            "name": "Қазақ Қуат ЖШС",
            "license": "DM-2026-001",
            "remittance": {"rate": "0.1"},
            "reserve_addresses": ["bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"],
            "contacts": ["finance@demo.test"],
            "language": language,
        }
    )


def text_of(language: str, *, correction: bool = False) -> tuple[str, str]:
    message = compose(SMTP, operation(language), worked_example_statement(), {}, correction)
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
