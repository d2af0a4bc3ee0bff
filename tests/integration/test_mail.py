"""Statements e-mailed over SMTP with STARTTLS to a local aiosmtpd server, once per period."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from collector.accounts import AccountsService, compute_accounts, read_inputs
from collector.clock import FrozenClock
from collector.config import load_config
from collector.mailer import Mailer, mail_closed_periods
from collector.statements import render_statement
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import EarningRecord
from remittance.signing import load_public_key, verify
from tests.integration.conftest import Inbox, mailing_statement_config
from tests.support.processes import free_port
from tests.support.scenario import AS_OF, database_url, populate, write_config


def test_a_closed_period_is_mailed_once_over_starttls(
    tmp_path: Path, smtp_server: tuple[Inbox, int, Path]
) -> None:
    inbox, port, ca_file = smtp_server
    config_path = write_config(
        tmp_path, statement=mailing_statement_config(tmp_path, port, ca_file)
    )
    text = config_path.read_text().replace(
        "reserve_addresses:\n  - bc1qar0",
        "contacts: [finance@demo.test]\n  reserve_addresses:\n  - bc1qar0",
    )
    config_path.write_text(text)
    asyncio.run(populate(database_url(config_path)))
    config = load_config(config_path)
    assert config.operations[0].contacts == ("finance@demo.test",)

    async def pass_(as_of: datetime = AS_OF) -> list[tuple[str, str]]:
        async with Store(open_engine(config.database)) as store:
            accounts = compute_accounts(config, await read_inputs(store, config), as_of)
            return await mail_closed_periods(config, store, accounts)

    # On 3 November the pools may still revise October (revision_days 3): nothing is sent.
    assert asyncio.run(pass_(datetime(2026, 11, 3, tzinfo=UTC))) == []
    assert asyncio.run(pass_()) == [("op-demo", "2026-10")]
    assert asyncio.run(pass_()) == []

    [message] = inbox.messages
    assert inbox.tls == [True]
    assert message["To"] == "finance@demo.test"
    assert "2026-10" in message["Subject"]
    public_key = load_public_key((tmp_path / "statement-key.pub.pem").read_bytes())
    attachments = {
        part.get_filename(): part.get_payload(decode=True)
        for part in message.walk()
        if part.get_filename()
    }
    assert set(attachments) == {"op-demo-2026-10.pdf", "op-demo-2026-10.json"}
    for document in attachments.values():
        assert isinstance(document, bytes)
        verify(document, public_key)
    body = message.get_payload()[0].get_payload()  # type: ignore[index,union-attr]
    assert "Shortfall: 0.00100001 BTC" in body

    # The attachment is the statement as of the pass's instant, byte for byte what the
    # statement command builds afresh (not served from what was issued) as of that instant.
    async def built_afresh() -> bytes:
        async with Store(open_engine(config.database)) as store:
            operation = config.operation("op-demo")
            return await render_statement(config, store, operation, "2026-10", "json", AS_OF)

    assert attachments["op-demo-2026-10.json"] == asyncio.run(built_afresh())

    # A pool revises October after it was sent: the next pass sends a correction, once.
    async def revise() -> None:
        later = datetime(2026, 11, 20, tzinfo=UTC)
        async with Store(open_engine(config.database), FrozenClock(later)) as store:
            await store.upsert_earnings(
                [EarningRecord("op-demo", "ocean", "pool-b", date(2026, 10, 30), 450_000)]
            )

    asyncio.run(revise())
    december = datetime(2026, 12, 1, tzinfo=UTC)
    assert asyncio.run(pass_(december)) == [("op-demo", "2026-10")]
    assert asyncio.run(pass_(december)) == []
    correction = inbox.messages[-1]
    subject = str(make_header(decode_header(correction["Subject"])))
    assert subject.startswith("Correction: reserve remittance statement 2026-10")


async def test_the_mailer_is_its_own_task_and_says_when_mailing_fails(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """After each accounts pass the mailer sends what is due; an SMTP server that is not there
    is the mailer's failure (logged once), never a failed recompute."""
    config_path = write_config(
        tmp_path,
        statement={
            "signing_key_file": str(tmp_path / "statement-key.pem"),
            "email": {"host": "127.0.0.1", "port": free_port(), "sender": "r@regulator.test"},
        },
    )
    text = config_path.read_text().replace(
        "reserve_addresses:\n  - bc1qar0",
        "contacts: [finance@demo.test]\n  reserve_addresses:\n  - bc1qar0",
    )
    config_path.write_text(text)
    await populate(database_url(config_path))
    config = load_config(config_path)
    async with Store(open_engine(config.database)) as store:
        clock = FrozenClock(AS_OF)
        accounts = AccountsService(config, store, clock)
        mailer = asyncio.create_task(Mailer(config, store, clock).run(accounts.next_pass))
        await asyncio.sleep(0)
        with caplog.at_level("INFO"):
            for _ in range(2):
                await accounts.recompute()
                await asyncio.sleep(0.5)
        mailer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await mailer
    failures = [r for r in caplog.records if r.getMessage() == "mailing statements failed"]
    assert len(failures) == 1
    assert not [r for r in caplog.records if "recompute failed" in r.getMessage()]
