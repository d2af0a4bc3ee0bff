"""The pools' reports' chain leg read from an operation's payout wallet, on SQLite and
PostgreSQL: the worked example of docs/reference/pool-reports.md ("a payout wallet watched":
Ocean reported and paid 2,000,000 sat into op-demo's payout wallet in October but credited
3,000,005 sat, the last day's credit paid on 1 November), through ``reservewatch
pool-reports``; the payout wallet's outputs change no figure of the reserve; and a month whose
wallets are not all watched stays not observable."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from collector.accounts.inputs import read_inputs
from collector.accounts.pool_reports import pool_reconciliations_as_of
from collector.accounts.reserve import reserve_figures
from collector.cli import main
from collector.clock import FrozenClock
from collector.commands.pool_report_import import import_pool_report
from collector.config.load import load_config
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine
from collector.store.queries import Store, open_store
from collector.store.records import ReserveOutputRecord
from remittance.pool_reports import MonthReadings
from tests.support.configs import editing
from tests.support.scenario import DEMO_TAX_IDENTITY, OTHER_ADDRESS, populate, write_config

HEADER = (
    "pool,period,iin_bin,name,licence_number,licence_date,wallet,distribution_date,amount_btc\n"
)
PAYOUT_WALLET = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # op-demo's, where Ocean pays it
DEMO = "123456789012,Demo Mining LLP,DM-2026-001,2026-01-15"
EXAMPLE = HEADER + f"ocean,2026-10,{DEMO},{PAYOUT_WALLET},2026-10-31,0.02\n"
IMPORTED = datetime(2026, 11, 20, tzinfo=UTC)


def _payout(txid: str, amount_sat: int, height: int, when: datetime) -> ReserveOutputRecord:
    """An output paying op-demo's payout wallet, as the chain watchers store it."""
    return ReserveOutputRecord(
        txid, 0, "op-demo", PAYOUT_WALLET, amount_sat, "confirmed", height, "22" * 32, when,
        kind="payout", role="payout",
    )  # fmt: skip


async def _populate_with_payouts(database_url: str) -> None:
    """The worked example's store, and Ocean's two payments into the payout wallet."""
    await populate(database_url)
    engine = open_engine(DatabaseConfig(url=database_url))
    async with Store(engine, FrozenClock(IMPORTED)) as store:
        await store.upsert_reserve_outputs(
            [
                _payout("b" * 64, 2_000_000, 949_900, datetime(2026, 10, 31, 18, tzinfo=UTC)),
                _payout("c" * 64, 1_000_005, 949_940, datetime(2026, 11, 1, 0, 40, tzinfo=UTC)),
            ]
        )


@pytest.fixture
def config(tmp_path: Path, database_url: str) -> Path:
    payout = [{"addresses": [PAYOUT_WALLET]}]
    demo = {"tax_identity": DEMO_TAX_IDENTITY, "payout_wallets": payout}
    path = write_config(tmp_path, database=database_url, demo=demo)
    asyncio.run(_populate_with_payouts(database_url))
    return path


def test_the_worked_example_finds_the_credit_above_what_the_pool_reported_and_paid(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = tmp_path / "ocean-report.csv"
    report.write_text(EXAMPLE)
    assert main(["import", "pool-report", str(report), "--config", str(config)]) == 0
    assert "1 new monthly reports stored" in capsys.readouterr().out
    assert main(["pool-reports", "--config", str(config)]) == 1
    *months, total = capsys.readouterr().out.splitlines()
    assert months == [
        "op-demo ocean 2026-10: report 2,000,000 sat, api 3,000,005 sat, chain 2,000,000 sat",
        "  finding report_api: 2,000,000 vs 3,000,005 sat, 1,000,005 apart, 3,000 allowed",
        "  finding api_chain: 3,000,005 vs 2,000,000 sat, 1,000,005 apart, 3,000 allowed",
    ]
    assert total.endswith(", 2 findings")


def test_the_payout_wallets_outputs_change_no_figure_of_the_reserve(config: Path) -> None:
    loaded = load_config(config)

    async def figures() -> tuple[dict[str, int], int, int, list[int]]:
        async with open_store(loaded.database, FrozenClock(IMPORTED)) as store:
            found = await reserve_figures(store, loaded, as_of=IMPORTED)
            assert found is not None
            outflows = sum(m.unapproved_sat for m in found.holdings.movements)
            ledger = await read_inputs(store, loaded, as_of=IMPORTED)
            remitted = [o.amount_sat for o in ledger.outputs["op-demo"]]
            return dict(found.received_sat), found.holdings.total_sat, outflows, remitted

    # Only November's 200,000 sat remittance into the reserve address: not the 3,000,005 sat
    # the payout wallet received (received, holdings, outflows, the ledger's remittances).
    assert asyncio.run(figures()) == ({"op-demo": 200_000}, 200_000, 0, [200_000])
    page = config.parent / "public"
    argv = ["report", "transparency", "--config", str(config), "--out", str(page), "--as-of",
            "2026-11-21T00:00:00+00:00"]  # fmt: skip
    assert main(argv) == 0
    wallets = json.loads((page / "transparency.json").read_text())["wallets"]
    assert [(w["role"], w["holder"]) for w in wallets] == [
        ("reserve", "op-demo"),
        ("reserve", "op-other"),
    ]  # the payout wallet is not the reserve's: not on the public page
    assert not [f for f in page.iterdir() if PAYOUT_WALLET in f.read_text()]


def test_a_month_naming_a_wallet_nobody_watches_is_not_observable(
    config: Path, tmp_path: Path
) -> None:
    report = tmp_path / "report.csv"
    report.write_text(
        HEADER
        + f"ocean,2026-10,{DEMO},{PAYOUT_WALLET},2026-10-31,0.02\n"
        + f"ocean,2026-10,{DEMO},{OTHER_ADDRESS},2026-10-31,0.01\n"  # op-other's, not op-demo's
    )
    loaded = load_config(config)
    assert asyncio.run(import_pool_report(loaded, report, FrozenClock(IMPORTED))) == 0

    async def readings() -> MonthReadings:
        async with open_store(loaded.database, FrozenClock(IMPORTED)) as store:
            [month] = (await pool_reconciliations_as_of(store, loaded, IMPORTED))["op-demo"]
            return month.readings

    assert asyncio.run(readings()) == MonthReadings(3_000_000, 3_000_005, None)


def test_pool_reports_as_of_before_the_payout_wallet_was_declared_reads_it_unwatched(
    config: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The payout wallets are terms: ``pool-reports --as-of`` reads those recorded by then."""
    before = tmp_path / "before.yaml"
    with editing(config, to=before) as document:
        del document["operations"][0]["payout_wallets"]
    report = tmp_path / "ocean-report.csv"
    report.write_text(EXAMPLE)
    assert main(["import", "pool-report", str(report), "--config", str(before)]) == 0
    assert main(["pool-reports", "--config", str(before)]) == 1  # records those terms
    undeclared = datetime.now(UTC)
    assert main(["pool-reports", "--config", str(config)]) == 1  # records the payout wallet
    capsys.readouterr()
    assert main(["pool-reports", "--config", str(config), "--as-of", undeclared.isoformat()]) == 1
    first = capsys.readouterr().out.splitlines()[0]
    assert first.endswith("api 3,000,005 sat, chain not observable")
