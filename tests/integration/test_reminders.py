"""Payment reminders e-mailed before a deadline to a local SMTP server: on the reminder day,
not the day before, once per deadline (a restart does not resend), in the operation's
language. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from email.header import decode_header, make_header
from email.message import Message
from pathlib import Path

from collector.accounts.compute import compute_accounts
from collector.accounts.inputs import read_inputs
from collector.config.load import load_config
from collector.config.model import Config
from collector.mail.mailer import remind_before_deadlines
from collector.store.database import open_engine
from collector.store.queries import Store
from tests.integration.conftest import Inbox, mailing_statement_config
from tests.support.configs import editing
from tests.support.scenario import DEMO_ADDRESS, populate, write_config

REMINDER_DAY = datetime(2026, 11, 8, tzinfo=UTC)  # 3 days before the 2026-10 deadline (11th)


def reminding_config(
    tmp_path: Path, database_url: str, port: int, ca_file: Path, remind_days_before: int | None = 3
) -> Config:
    """The scenario mailing through the local server, op-demo in Kazakh and reminded
    ``remind_days_before`` days before each deadline (never when ``None``)."""
    demo = {"contacts": ["finance@demo.test"], "language": "kk", "name": "Қазақ Қуат ЖШС"}
    path = write_config(
        tmp_path,
        database=database_url,
        statement=mailing_statement_config(tmp_path, port, ca_file),
        demo=demo,
    )
    with editing(path) as document:
        document["operations"][0]["remittance"]["remind_days_before"] = remind_days_before
    return load_config(path)


async def remind(config: Config, now: datetime) -> list[tuple[str, str]]:
    """One mailer pass at ``now``, with a store opened afresh (as after a restart)."""
    async with Store(open_engine(config.database)) as store:
        accounts = compute_accounts(config, await read_inputs(store, config), now)
        return await remind_before_deadlines(config, store, accounts, now)


def words(text: str) -> str:
    """``text`` with each run of spaces (Babel's narrow no-break ones too) made one space."""
    return " ".join(text.split())


def body_of(message: Message) -> str:
    payload = message.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return payload.decode()


async def test_one_reminder_on_the_reminder_day_in_the_operations_language(
    tmp_path: Path, database_url: str, smtp_server: tuple[Inbox, int, Path]
) -> None:
    inbox, port, ca_file = smtp_server
    config = reminding_config(tmp_path, database_url, port, ca_file)
    await populate(database_url)

    assert await remind(config, datetime(2026, 11, 7, 23, 59, 59, tzinfo=UTC)) == []
    assert await remind(config, REMINDER_DAY) == [("op-demo", "2026-10")]
    assert await remind(config, REMINDER_DAY) == []
    assert await remind(config, datetime(2026, 11, 10, 23, 59, tzinfo=UTC)) == []  # restarted
    assert await remind(config, datetime(2026, 11, 11, tzinfo=UTC)) == []  # deadline passed

    [message] = inbox.messages
    assert inbox.tls == [True]
    assert message["To"] == "finance@demo.test"
    assert words(str(make_header(decode_header(message["Subject"])))) == (
        "Еске салу: 2026 ж. 11 қараша, 00:00 UTC дейін 0,00100001 BTC төлеу керек (2026-10) "
        "— Қазақ Қуат ЖШС"
    )
    body = words(body_of(message))
    assert f"Резерв мекенжайына төлеңіз: {DEMO_ADDRESS}" in body
    assert f"bitcoin:{DEMO_ADDRESS}?amount=0.00100001&label=" in body


async def test_without_remind_days_before_nobody_is_reminded(
    tmp_path: Path, database_url: str, smtp_server: tuple[Inbox, int, Path]
) -> None:
    inbox, port, ca_file = smtp_server
    config = reminding_config(tmp_path, database_url, port, ca_file, remind_days_before=None)
    await populate(database_url)
    assert await remind(config, REMINDER_DAY) == []
    assert inbox.messages == []
