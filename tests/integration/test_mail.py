"""Statements e-mailed over SMTP with STARTTLS to a local aiosmtpd server, once per period."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, date, datetime
from email.header import decode_header, make_header
from pathlib import Path

import pytest

from collector.accounts.compute import compute_accounts
from collector.accounts.inputs import read_inputs
from collector.accounts.service import AccountsService
from collector.accounts.snapshot import AccountsSnapshot, snapshot_as_of
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.documents.statements import render_statement
from collector.mail.mailer import Mailer, mail_closed_periods
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import EarningRecord
from remittance.signing import load_public_key, verify
from tests.integration.conftest import Inbox, mailing_statement_config
from tests.support import fee_scenario as fee_example
from tests.support.configs import editing, pool
from tests.support.processes import free_port
from tests.support.scenario import AS_OF, database_url, populate, write_config


def test_a_closed_period_is_mailed_once_over_starttls(
    tmp_path: Path, smtp_server: tuple[Inbox, int, Path]
) -> None:
    inbox, port, ca_file = smtp_server
    config_path = write_config(
        tmp_path,
        statement=mailing_statement_config(tmp_path, port, ca_file),
        demo={"contacts": ["finance@demo.test"]},
    )
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
        demo={"contacts": ["finance@demo.test"]},
    )
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


async def test_one_operation_whose_statement_cannot_be_built_never_stops_the_others(
    tmp_path: Path,
    smtp_server: tuple[Inbox, int, Path],
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """op-demo (listed first) has a statement that cannot be built; op-other is still mailed,
    on every pass, and the failure is one warning line and the mailer's failure."""

    from collector.errors import StatementUnavailable
    from collector.mail import mailer as mailer_module
    from collector.mail.mailer import MailError, MailingIncomplete
    from tests.support.scenario import OBSERVED_AT

    inbox, port, ca_file = smtp_server
    config_path = write_config(
        tmp_path,
        statement=mailing_statement_config(tmp_path, port, ca_file),
        demo={"contacts": ["finance@demo.test"]},
        other={"contacts": ["finance@other.test"], "pools": [pool("pool-c")]},
    )
    await populate(database_url(config_path))
    config = load_config(config_path)
    async with Store(open_engine(config.database), FrozenClock(OBSERVED_AT)) as store:
        await store.upsert_earnings(
            [EarningRecord("op-other", "ocean", "pool-c", date(2026, 10, 30), 2_000_000)]
        )

    real = mailer_module.statement_of_account

    async def breaks_for_op_demo(*args: object, **kwargs: object) -> object:
        operation = args[1]
        if getattr(operation, "id", None) == "op-demo":
            raise StatementUnavailable("op-demo 2026-10: the energy rollup cannot be read")
        return await real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(mailer_module, "statement_of_account", breaks_for_op_demo)

    async def pass_() -> MailError:
        async with Store(open_engine(config.database)) as store:
            accounts = compute_accounts(config, await read_inputs(store, config), AS_OF)
            with pytest.raises(MailError) as raised:
                await mail_closed_periods(config, store, accounts)
            return raised.value

    with caplog.at_level("INFO", logger="collector.mail.mailer"):
        first = await pass_()
        second = await pass_()
    assert isinstance(first, MailingIncomplete)
    assert first.sent == [("op-other", "2026-10")]
    assert second.sent == []  # op-other was mailed once; op-demo still fails
    assert "op-demo 2026-10" in str(first)
    [message] = inbox.messages
    assert message["To"] == "finance@other.test"
    warnings = [r for r in caplog.records if r.getMessage() == "statement not mailed"]
    assert len(warnings) == 2  # one line per pass, no traceback
    assert all(r.levelname == "WARNING" and r.exc_info is None for r in warnings)
    assert {getattr(r, "operation", None) for r in warnings} == {"op-demo"}

    # The Mailer task: the failure is its own, logged once, and the next pass mails again.
    caplog.clear()
    async with Store(open_engine(config.database)) as store:
        inputs = await read_inputs(store, config)
        snapshot = AccountsSnapshot(AS_OF, config, inputs, compute_accounts(config, inputs, AS_OF))
        asked: list[int] = []
        two_passes_done = asyncio.Event()

        async def next_pass() -> AccountsSnapshot:
            asked.append(1)
            if len(asked) > 2:  # the mailer asks for a third pass once two are done
                two_passes_done.set()
                await asyncio.Event().wait()
            return snapshot

        task = asyncio.create_task(Mailer(config, store, FrozenClock(AS_OF)).run(next_pass))
        with caplog.at_level("INFO", logger="collector.mail.mailer"):
            await asyncio.wait_for(two_passes_done.wait(), timeout=60)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    failures = [r for r in caplog.records if r.getMessage() == "mailing statements failed"]
    assert len(failures) == 1
    assert "op-demo 2026-10" in getattr(failures[0], "error", "")


JUNE_5 = datetime(2026, 6, 5, tzinfo=UTC)


def test_a_mailed_statement_carries_the_fee_section_the_command_builds(
    tmp_path: Path, smtp_server: tuple[Inbox, int, Path]
) -> None:
    """The digital-mining fee's worked example on 5 June (May's pool revision window over):
    the mailed May statement is, byte for byte, what ``statement`` builds as of the pass's
    instant — its fee section included."""
    inbox, port, ca_file = smtp_server
    config_path = fee_example.write_fee_config(tmp_path)
    with editing(config_path) as document:
        document["statement"] = mailing_statement_config(tmp_path, port, ca_file)
        document["operations"][0]["contacts"] = ["finance@demo.test"]
    asyncio.run(fee_example.populate_fee(database_url(config_path)))
    config = load_config(config_path)

    async def pass_and_afresh() -> tuple[list[tuple[str, str]], bytes]:
        async with Store(open_engine(config.database)) as store:
            snapshot = await snapshot_as_of(store, config, JUNE_5)
            sent = await mail_closed_periods(config, store, snapshot.accounts, snapshot.mining_fees)
            [(_, period)] = sent
            operation = config.operation("op-demo")
            return sent, await render_statement(config, store, operation, period, "json", JUNE_5)

    sent, afresh = asyncio.run(pass_and_afresh())
    [message] = inbox.messages
    [json_document] = [
        part.get_payload(decode=True)
        for part in message.walk()
        if (part.get_filename() or "").endswith(".json")
    ]
    assert sent == [("op-demo", "2026-05")]
    assert json_document == afresh
    assert b'"overdue_kzt": "668507.15"' in afresh
