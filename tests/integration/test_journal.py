"""The regulator's journal through the command line and the store, on SQLite and PostgreSQL
(issue 26, item 6): a refund takes the operation's credit back and its outflow is approved, a
payment to the wrong operation's address is reassigned, a write-off lowers a due; entries are
signed, listed on the statement, and a statement as of before an entry is unchanged."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from collector.accounts.reserve import reserve_figures
from collector.accounts.service import AccountsService
from collector.cli import main
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.config.sections import DatabaseConfig
from collector.metrics import build_registry
from collector.metrics.reserve import ReserveMetrics
from collector.sources.reserve import ReserveWatched
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import ChainTipRecord, ReserveOutputRecord, ReserveSpendRecord
from remittance.reserve import Movement
from tests.conftest import holding
from tests.support.configs import editing
from tests.support.poppler import pdf_words
from tests.support.scenario import AS_OF, DEMO_ADDRESS, OBSERVED_AT, populate, write_config

OVERPAID = "b" * 64  # op-demo pays 3 BTC against 300,001 sat due
REFUND = "c" * 64  # the reserve pays 1.9999 BTC of it back to op-demo
WRONG = "d" * 64  # op-other pays 50,000 sat to op-demo's address
OPERATION_ADDRESS = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # op-demo's own wallet
REFUND_SAT = 199_990_000


@pytest.fixture
def config_path(database_url: str, tmp_path: Path) -> Path:
    path = write_config(tmp_path, database=database_url)
    asyncio.run(populate(database_url))
    asyncio.run(_overpay_and_refund(database_url))
    return path


def _output(txid: str, amount_sat: int, height: int, day: int, **kind: str) -> ReserveOutputRecord:
    address = kind.pop("address", DEMO_ADDRESS)
    operation = kind.pop("operation", "op-demo")
    block_time = datetime(2026, 11, day, 12, tzinfo=UTC)
    return ReserveOutputRecord(
        txid, 0, operation, address, amount_sat, "confirmed", height, "22" * 32, block_time, **kind
    )


async def _overpay_and_refund(database_url: str) -> None:
    engine = open_engine(DatabaseConfig(url=database_url))
    async with Store(engine, FrozenClock(OBSERVED_AT)) as store:
        await store.upsert_reserve_outputs(
            [
                _output(OVERPAID, 300_000_000, 950_100, 6),
                _output(WRONG, 50_000, 950_101, 6),
                # Change back to the reserve's address, and the refund paid outside it.
                _output(REFUND, 100_000_000 - 10_000, 950_200, 8, kind="internal"),
            ]
        )
        await store.upsert_reserve_outputs(
            [
                ReserveOutputRecord(
                    REFUND,
                    1,
                    "",
                    OPERATION_ADDRESS,
                    REFUND_SAT,
                    "confirmed",
                    950_200,
                    "22" * 32,
                    datetime(2026, 11, 8, 12, tzinfo=UTC),
                    kind="outflow",
                    role="outside",
                )
            ]
        )
        await store.add_reserve_spends([ReserveSpendRecord(REFUND, OVERPAID, 0)])
        await store.save_chain_tip(ChainTipRecord("main", 950_999, "11" * 32, OBSERVED_AT))


def _statement(
    config: Path, out: Path, as_of: str, operation: str = "op-demo", period: str = "2026-10"
) -> dict[str, Any]:
    argv = ["statement", "--config", str(config), "--operation", operation, "--period",
            period, "--format", "json", "--out", str(out), "--as-of", as_of]  # fmt: skip
    assert main(argv) == 0
    return json.loads(out.read_text())["statement"]  # type: ignore[no-any-return]


def _journal(config: Path, *args: str) -> int:
    return main(["journal", "add", *args, "--config", str(config)])


NOW = datetime.now(UTC).isoformat()


def test_a_refund_takes_the_credit_back_and_its_outflow_is_approved(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    before = _statement(config_path, tmp_path / "before.json", NOW)
    # Before the journal: op-demo keeps a 3 BTC credit, and the refund is unapproved.
    assert before["summary"]["account_balance_sat"] == 300_001 - 300_250_000
    movement = asyncio.run(_refund_movement(config_path))
    assert movement.unapproved_sat == REFUND_SAT
    issued = tmp_path / "issued.json"
    _statement(config_path, issued, AS_OF.isoformat())

    refund = ["refund", "--operation", "op-demo", "--amount-sat", str(REFUND_SAT), "--output",
              f"{REFUND}:1", "--reason", "overpayment returned"]  # fmt: skip
    assert _journal(config_path, *refund, "--reference", "ARDFM letter 2026-11/17") == 0

    after = _statement(config_path, tmp_path / "after.json", datetime.now(UTC).isoformat())
    assert after["summary"]["account_balance_sat"] == 300_001 - 300_250_000 + REFUND_SAT
    public_key = str(config_path.parent / "statement-key.pub.pem")
    verify = ["statement", "verify", str(tmp_path / "after.json"), "--public-key", public_key]
    assert main(verify) == 0  # read back whole, the journal included
    [entry] = after["journal"]
    assert (entry["kind"], entry["amount_sat"]) == ("refund", REFUND_SAT)
    assert entry["reference"] == "ARDFM letter 2026-11/17"
    movement = asyncio.run(_refund_movement(config_path))
    assert (movement.unapproved_sat, movement.refunded_sat) == (0, REFUND_SAT)
    assert movement.reasons == () and movement.destination == "refund"
    outflows = asyncio.run(_outflow_metric(config_path))
    assert (outflows["refund"], outflows["unapproved"]) == (1.9999, 0.0)
    # A statement as of before the entry was recorded is the one issued then, byte for byte.
    again = tmp_path / "again.json"
    _statement(config_path, again, AS_OF.isoformat())
    assert again.read_bytes() == issued.read_bytes()
    capsys.readouterr()
    assert main(["journal", "list", "--config", str(config_path)]) == 0
    assert "refund op-demo 1.99990000 BTC" in capsys.readouterr().out


def test_the_reserve_report_lists_the_refund_apart_and_the_journal(
    config_path: Path, tmp_path: Path
) -> None:
    before = _report(config_path, tmp_path / "before.json")
    assert [row["txid"] for row in before["unapproved_outflows"]] == [REFUND]
    assert "refunds" not in before and "journal" not in before
    refund = ["refund", "--operation", "op-demo", "--amount-sat", str(REFUND_SAT), "--output",
              f"{REFUND}:1", "--reason", "overpayment returned", "--reference", "L-17"]  # fmt: skip
    assert _journal(config_path, *refund) == 0
    after = _report(config_path, tmp_path / "after.json")
    assert after["unapproved_outflows"] == []
    [row] = after["refunds"]
    assert (row["txid"], row["refunded_sat"]) == (REFUND, REFUND_SAT)
    assert [(e["kind"], e["reference"]) for e in after["journal"]] == [("refund", "L-17")]
    for fmt in ("csv", "pdf"):
        out = tmp_path / f"report.{fmt}"
        assert main(["report", "reserve", "--config", str(config_path), "--period", "2026-11",
                     "--out", str(out)]) == 0  # fmt: skip
    assert f"refund,{REFUND}," in (tmp_path / "report.csv").read_text()
    assert "Regulator's journal" in pdf_words((tmp_path / "report.pdf").read_bytes(), tmp_path)[0]
    kazakh = tmp_path / "report-kk.pdf"
    assert main(["report", "reserve", "--config", str(config_path), "--period", "2026-11",
                 "--out", str(kazakh), "--lang", "kk"]) == 0  # fmt: skip
    words = pdf_words(kazakh.read_bytes(), tmp_path)[0]
    assert "Реттеушінің журналы" in words and "журналда бекітілген" in words
    assert "қайтару op-demo" in words and "[L-17]" in words


def _report(config_path: Path, out: Path) -> dict[str, Any]:
    argv = ["report", "reserve", "--config", str(config_path), "--period", "2026-11", "--out",
            str(out)]  # fmt: skip
    assert main(argv) == 0
    return json.loads(out.read_text())["report"]  # type: ignore[no-any-return]


def test_a_payment_to_the_wrong_operations_address_is_reassigned(
    config_path: Path, tmp_path: Path
) -> None:
    assert _journal(config_path, "reassignment", "--operation", "op-demo", "--to-operation",
                    "op-other", "--output", f"{WRONG}:0", "--reason", "paid to the wrong "
                    "address", "--reference", "op-other letter 12") == 0  # fmt: skip
    now = datetime.now(UTC).isoformat()
    demo = _statement(config_path, tmp_path / "demo.json", now)
    # op-other has no earnings: its account covers the current month only.
    month = now[:7]
    other = _statement(config_path, tmp_path / "other.json", now, "op-other", month)
    assert demo["summary"]["account_balance_sat"] == 300_001 - 300_200_000
    assert other["summary"]["account_balance_sat"] == -50_000
    assert [e["kind"] for e in other["journal"]] == ["reassignment"]
    received = asyncio.run(_received(config_path))
    assert (received["op-demo"], received["op-other"]) == (300_200_000, 50_000)


async def _received(config_path: Path) -> dict[str, int]:
    async with _store(config_path) as store:
        figures = await reserve_figures(store, load_config(config_path))
    assert figures is not None
    return dict(figures.received_sat)


def test_a_write_off_lowers_the_due_never_below_zero(config_path: Path, tmp_path: Path) -> None:
    assert _journal(config_path, "write-off", "--operation", "op-demo", "--period", "2026-10",
                    "--amount-sat", "400000", "--reason", "force majeure", "--reference",
                    "decision 7") == 0  # fmt: skip
    now = datetime.now(UTC).isoformat()
    statement = _statement(config_path, tmp_path / "w.json", now)
    summary = statement["summary"]
    assert (summary["due_sat"], summary["written_off_sat"], summary["shortfall_sat"]) == (
        0,
        300_001,
        0,
    )


@pytest.mark.parametrize(
    ("language", "says"),
    [
        ("en", "Regulator's journal"),
        ("ru", "Журнал регулятора"),
        ("kk", "Реттеушінің журналы"),
    ],
)
def test_entries_are_listed_on_the_csv_and_the_pdf_in_each_language(
    config_path: Path, tmp_path: Path, language: str, says: str
) -> None:
    write_off = ["write-off", "--operation", "op-demo", "--period", "2026-10", "--amount-sat",
                 "1", "--reason", "rounding"]  # fmt: skip
    assert _journal(config_path, *write_off, "--reference", "D-9") == 0
    now = datetime.now(UTC).isoformat()
    common = ["statement", "--config", str(config_path), "--operation", "op-demo", "--period",
              "2026-10", "--as-of", now]  # fmt: skip
    pdf, csv = tmp_path / "s.pdf", tmp_path / "s.csv"
    assert main([*common, "--format", "pdf", "--lang", language, "--out", str(pdf)]) == 0
    assert main([*common, "--format", "csv", "--out", str(csv)]) == 0
    text = pdf_words(pdf.read_bytes(), tmp_path)[0]
    assert says in text and "D-9" in text
    public_key = str(config_path.parent / "statement-key.pub.pem")
    for signed in (pdf, csv):
        assert main(["statement", "verify", str(signed), "--public-key", public_key]) == 0
    assert "statement,journal_entry," in csv.read_text()
    assert "write_off op-demo 2026-10 0.00000001 BTC" in csv.read_text()


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["refund", "--operation", "op-demo", "--amount-sat", "400000000"], "exceeds"),
        (["refund", "--operation", "op-demo", "--amount-sat", "-5"], "amount_sat"),
        (["refund", "--operation", "op-nope", "--amount-sat", "5"], "not configured"),
        (["refund", "--operation", "op-demo", "--amount-sat", "5", "--output", f"{WRONG}:0"],
         "not a stored outflow"),
        (["reassignment", "--operation", "op-other", "--to-operation", "op-demo", "--output",
          f"{WRONG}:0"], "counts for op-demo"),
        (["write-off", "--operation", "op-demo", "--period", "October", "--amount-sat", "5"],
         "period"),
    ],
)  # fmt: skip
def test_bad_input_is_one_line_exit_2_and_appends_nothing(
    config_path: Path, capsys: pytest.CaptureFixture[str], args: list[str], says: str
) -> None:
    assert _journal(config_path, *args, "--reason", "r", "--reference", "ref") == 2
    err = capsys.readouterr().err
    assert says in err and err.count("\n") == 1
    assert asyncio.run(_stored_entries(config_path)) == 0


def test_an_entry_whose_signature_fails_is_refused_and_counted_never_applied(
    config_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _journal(config_path, "write-off", "--operation", "op-demo", "--period", "2026-10",
                    "--amount-sat", "100", "--reason", "r", "--reference", "ref") == 0  # fmt: skip
    asyncio.run(_tamper(config_path))
    statement = _statement(config_path, tmp_path / "t.json", datetime.now(UTC).isoformat())
    assert statement["summary"]["due_sat"] == 300_001
    assert "journal" not in statement
    capsys.readouterr()
    assert main(["journal", "list", "--config", str(config_path)]) == 0
    assert capsys.readouterr().out == "refused 1 (bad_signature): not applied\n"
    assert asyncio.run(_refused_metric(config_path)) == {
        "no_key": 0.0,
        "bad_signature": 1.0,
        "unreadable": 0.0,
    }


def test_an_entry_no_key_can_check_or_whose_row_disagrees_is_refused_too(
    config_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_off = ["write-off", "--operation", "op-demo", "--period", "2026-10", "--amount-sat",
                 "100", "--reason", "r"]  # fmt: skip
    assert _journal(config_path, *write_off, "--reference", "one") == 0
    assert _journal(config_path, *write_off, "--reference", "two") == 0
    asyncio.run(_execute(config_path, "UPDATE journal_entries SET operation_id = 'op-other' "
                                      "WHERE sequence = 2"))  # fmt: skip
    capsys.readouterr()
    assert main(["journal", "list", "--config", str(config_path)]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert "[one]" in listed[0] and listed[1:] == ["refused 1 (unreadable): not applied"]
    with editing(config_path) as document:
        document["statement"] = {}  # no key configured to check the entries with
    assert main(["journal", "list", "--config", str(config_path)]) == 0
    assert capsys.readouterr().out == "refused 2 (no_key): not applied\n"


async def _execute(config_path: Path, statement: str) -> None:
    async with _store(config_path) as store, store.engine.begin() as connection:
        await connection.execute(text(statement))


async def _outflow_metric(config_path: Path) -> dict[str, float]:
    """reservewatch_reserve_outflow_btc_total by destination, from the reserve's figures."""
    async with _store(config_path) as store:
        figures = await reserve_figures(store, load_config(config_path))
    watched = ReserveWatched(950_999, {}, stored_new=True)
    metrics = ReserveMetrics(
        lambda: watched,
        holding(reserve=figures),
        operation_ids=("op-demo", "op-other"),
        holders=(),
    )
    return {
        sample.labels["destination"]: sample.value
        for metric in metrics.metric_families()
        for sample in metric.samples
        if sample.name == "reservewatch_reserve_outflow_btc_total"
    }


async def _refused_metric(config_path: Path) -> dict[str, float]:
    """The live pass's reservewatch_journal_entries_refused samples, by reason."""
    found = await _samples(config_path, "reservewatch_journal_entries_refused")
    return {value: sample for (_, value), sample in found.items()}


async def _samples(config_path: Path, name: str) -> dict[tuple[str, str], float]:
    """The live pass's samples of ``name`` (one label each), by that label."""
    config = load_config(config_path)
    async with _store(config_path) as store:
        service = AccountsService(config, store, FrozenClock(datetime.now(UTC)))
        await service.recompute()
        registry, _ = build_registry([service])
        samples = [
            sample
            for metric in registry.collect()
            for sample in metric.samples
            if sample.name == name
        ]
    return {next(iter(s.labels.items())): s.value for s in samples}


def _store(config_path: Path) -> Store:
    return Store(open_engine(load_config(config_path).database))


async def _refund_movement(config_path: Path) -> Movement:
    async with _store(config_path) as store:
        figures = await reserve_figures(store, load_config(config_path))
    assert figures is not None
    [movement] = [m for m in figures.holdings.movements if m.txid == REFUND]
    return movement


async def _stored_entries(config_path: Path) -> int:
    async with _store(config_path) as store:
        return len(await store.journal_entries())


async def _tamper(config_path: Path) -> None:
    await _execute(
        config_path, "UPDATE journal_entries SET document = replace(document, '100', '900000')"
    )
