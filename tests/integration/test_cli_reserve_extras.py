"""``import rates`` and ``proof add|list|message`` through the real command, in a process of
its own: what they store, what they print, and every error one line, never a traceback."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from subprocess import CompletedProcess

import pytest
from embit import ec

from collector.clock import FrozenClock
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import BlockRecord, ChainTipRecord
from remittance.proofs import proof_message
from simulator.bip322_sign import address_of, sign_simple
from tests.support.cli import assert_one_line_error as _one_line_error
from tests.support.cli import run_cli as _run
from tests.support.scenario import database_url, populate, write_config

pytestmark = pytest.mark.integration

KEY = ec.PrivateKey.from_wif("L3VFeEujGtevx9w18HD1fhRbCH67Az2dpCymeRE1SoPK6XQtaN2k")
ADDRESS = address_of(KEY)  # bc1q9vza2e8x573nczrlzms0wvx3gsqjx7vavgkx0l (BIP-322's vectors)
RECENT = "00" * 12 + "ab" * 20
OLD = "00" * 12 + "cd" * 20
TIP = "00" * 12 + "ef" * 20
SEEN = datetime(2026, 12, 1, tzinfo=UTC)


async def _chain(url: str) -> None:
    engine = open_engine(DatabaseConfig(url=url))
    await upgrade(engine)
    async with Store(engine, FrozenClock(SEEN)) as store:
        await store.upsert_blocks(
            [
                BlockRecord(868_000, OLD, SEEN, 312_500_000),
                BlockRecord(870_000, RECENT, SEEN, 312_500_000),
                BlockRecord(870_006, TIP, SEEN, 312_500_000),
            ]
        )
        await store.save_chain_tip(ChainTipRecord("main", 870_006, TIP, SEEN))


async def _rates(url: str) -> list[tuple[str, Decimal]]:
    engine = open_engine(DatabaseConfig(url=url))
    async with Store(engine) as store:
        quotes = await store.price_quotes("USD", "KZT")
    return [(q.instant.isoformat(), q.rate) for q in quotes]


@pytest.fixture
def config(tmp_path: Path) -> Path:
    custody = [{"name": "cold-vault-1", "addresses": [ADDRESS]}]
    return write_config(tmp_path, reserve={"custody": custody})


def test_import_rates_stores_each_day_once_and_refuses_another_rate(
    config: Path, tmp_path: Path
) -> None:
    rates = tmp_path / "rates.csv"
    rates.write_text("date,currency,rate,quant\n01.12.2026,USD,470.81,1\n2026-12-02,USD,471.05,1\n")
    done = _run("import", "rates", str(rates), "--config", str(config))
    assert done.returncode == 0, done.stderr
    assert "imported 2 new rates (0 already stored)" in done.stdout
    again = _run("import", "rates", str(rates), "--config", str(config))
    assert "imported 0 new rates (2 already stored)" in again.stdout
    changed = tmp_path / "changed.csv"
    changed.write_text("date,currency,rate,quant\n01.12.2026,USD,999,1\n")
    refused = _run("import", "rates", str(changed), "--config", str(config))
    assert refused.returncode == 2
    assert "USD 2026-12-01: the store already holds 470.81 KZT" in refused.stderr
    assert "nothing imported" in refused.stderr and "Traceback" not in refused.stderr
    assert [rate for _, rate in asyncio.run(_rates(database_url(config)))] == [
        Decimal("470.81"),
        Decimal("471.05"),
    ]


def test_a_bad_rates_file_lists_its_lines_and_imports_nothing(config: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("date,currency,rate,quant\n01.12.2026,USD,470.81,1\n32.12.2026,USD,1,1\n")
    done = _run("import", "rates", str(bad), "--config", str(config))
    assert done.returncode == 2
    assert f"{bad}:3: date '32.12.2026' does not exist" in done.stderr
    assert "Traceback" not in done.stderr
    missing = _run("import", "rates", str(tmp_path / "missing.csv"), "--config", str(config))
    assert missing.returncode == 2 and "cannot read" in missing.stderr


def test_import_official_prices_stores_working_days_once_and_refuses_another_price(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path, calendar={"holidays": ["2026-11-16"]})
    prices = tmp_path / "official.csv"
    prices.write_text("date,asset,price_kzt\n13.11.2026,BTC,48000000\n2026-11-17,BTC,48100000.5\n")
    done = _run("import", "official-prices", str(prices), "--config", str(path))
    assert done.returncode == 0, done.stderr
    assert "imported 2 new official prices (0 already stored)" in done.stdout
    again = _run("import", "official-prices", str(prices), "--config", str(path))
    assert "imported 0 new official prices (2 already stored)" in again.stdout
    changed = tmp_path / "changed.csv"
    changed.write_text("date,asset,price_kzt\n13.11.2026,BTC,1\n16.11.2026,BTC,1\n")
    refused = _run("import", "official-prices", str(changed), "--config", str(path))
    assert refused.returncode == 2 and "Traceback" not in refused.stderr
    assert "2026-11-16 (Monday) is not a working day" in refused.stderr
    assert "nothing imported" in refused.stderr
    only_changed = tmp_path / "only-changed.csv"
    only_changed.write_text("date,asset,price_kzt\n13.11.2026,BTC,1\n")
    refused = _run("import", "official-prices", str(only_changed), "--config", str(path))
    assert refused.returncode == 2
    assert "BTC 2026-11-13: the store already holds 48000000 KZT" in refused.stderr


def test_the_reserve_report_says_which_official_price_and_day_each_tenge_figure_used(
    tmp_path: Path,
) -> None:
    """The worked example's 200,000 sat reached the reserve on Thursday 5 November 2026; the
    November report's end, 1 December 00:00 UTC, is 05:00 on Tuesday 1 December in Almaty."""
    path = write_config(tmp_path, reserve={"time_zone": "Asia/Almaty"})
    asyncio.run(populate(database_url(path)))
    prices = tmp_path / "official.csv"
    prices.write_text("date,asset,price_kzt\n05.11.2026,BTC,47000000\n01.12.2026,BTC,48000000.5\n")
    assert _run("import", "official-prices", str(prices), "--config", str(path)).returncode == 0
    out = tmp_path / "november.json"
    done = _run(
        "report", "reserve", "--config", str(path), "--period", "2026-11", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    official = json.loads(out.read_text())["report"]["official_valuation"]
    [inflow] = official["inflows"]
    # 200,000 sat x 47,000,000 KZT / 100,000,000 = 94,000.00 KZT
    assert (inflow["day"], inflow["price_day"], inflow["value_kzt"]) == (
        "2026-11-05",
        "2026-11-05",
        "94000.00",
    )
    end = official["holdings_end"]
    # 200,000 sat x 48,000,000.5 KZT / 100,000,000 = 96,000.001 -> 96,000.00 KZT
    assert (end["day"], end["price_day"], end["price_kzt"], end["value_kzt"]) == (
        "2026-12-01",
        "2026-12-01",
        "48000000.5",
        "96000.00",
    )


def test_import_rates_help_states_the_format(config: Path) -> None:
    done = _run("import", "rates", "--help")
    assert "date,currency,rate,quant" in done.stdout
    assert "DD.MM.YYYY" in done.stdout


def _add(config: Path, address: str, signature_file: Path, *message: str) -> CompletedProcess[str]:
    return _run(
        "proof", "add", "--config", str(config), "--address", address,
        "--signature-file", str(signature_file), *message,
    )  # fmt: skip


def _files(tmp_path: Path, message: str, signature: str) -> tuple[Path, Path]:
    message_file = tmp_path / "message.txt"
    message_file.write_text(message)
    signature_file = tmp_path / "signature.txt"
    signature_file.write_text(signature + "\n")
    return message_file, signature_file


def test_a_signed_proof_over_a_recent_block_proves_and_is_listed(
    config: Path, tmp_path: Path
) -> None:
    asyncio.run(_chain(database_url(config)))
    printed = _run("proof", "message", "--config", str(config), "--address", ADDRESS)
    assert printed.returncode == 0, printed.stderr
    assert printed.stdout == proof_message(ADDRESS, TIP)
    message = proof_message(ADDRESS, RECENT)
    message_file, signature_file = _files(tmp_path, message, sign_simple(KEY, message))
    done = _add(config, ADDRESS, signature_file, "--message-file", str(message_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"{ADDRESS} proven (block 870000)"
    listed = _run("proof", "list", "--config", str(config))
    lines = listed.stdout.splitlines()
    assert "reserve op-demo bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq unproven" in lines
    [mine] = [line for line in lines if line.startswith("custody")]
    assert mine.startswith(f"custody cold-vault-1 {ADDRESS} proven 20")
    assert "(block 870000; stands until 20" in mine


def test_a_proof_of_an_address_no_wallet_watches_is_never_listed_as_proven(
    tmp_path: Path,
) -> None:
    config = write_config(tmp_path)  # ADDRESS is none of its wallets'
    asyncio.run(_chain(database_url(config)))
    message = proof_message(ADDRESS, RECENT)
    _, signature_file = _files(tmp_path, message, sign_simple(KEY, message))
    done = _add(config, ADDRESS, signature_file, "--message", message)
    assert done.returncode == 1
    assert done.stdout.strip() == (
        f"{ADDRESS} proven (block 870000); not a watched wallet's address: it proves no "
        "wallet's control"
    )
    lines = _run("proof", "list", "--config", str(config)).stdout.splitlines()
    assert [line.split()[:4] for line in lines] == [
        ["reserve", "op-demo", "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq", "unproven"],
        ["reserve", "op-other", lines[1].split()[2], "unproven"],
        ["-", "-", ADDRESS, "not-reserve"],
    ]


def test_proofs_that_prove_nothing_are_stored_and_say_why(config: Path, tmp_path: Path) -> None:
    asyncio.run(_chain(database_url(config)))
    stale = proof_message(ADDRESS, OLD)
    _, signature_file = _files(tmp_path, stale, sign_simple(KEY, stale))
    done = _add(config, ADDRESS, signature_file, "--message", stale)
    assert done.returncode == 1
    assert "stale (block 868000 is more than 1008 blocks below 870006)" in done.stdout
    other = proof_message(ADDRESS, RECENT)
    _, signature_file = _files(tmp_path, other, sign_simple(KEY, "something else"))
    done = _add(config, ADDRESS, signature_file, "--message", other)
    assert done.returncode == 1
    assert "invalid (the signature does not verify)" in done.stdout
    listed = _run("proof", "list", "--config", str(config)).stdout
    assert f"{ADDRESS} invalid" in listed


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (("--message", "Hello World"), "not a proof message"),
        (("--message-file", "/nonexistent/m.txt"), "cannot read the message"),
    ],
)
def test_bad_proof_input_is_one_line(
    config: Path, tmp_path: Path, args: tuple[str, ...], words: str
) -> None:
    _, signature_file = _files(tmp_path, "", "AAAA")
    done = _add(config, ADDRESS, signature_file, *args)
    _one_line_error(done, 2, words)


def test_a_bad_address_and_a_missing_tip_are_one_line(config: Path, tmp_path: Path) -> None:
    message = proof_message(ADDRESS, RECENT)
    _, signature_file = _files(tmp_path, message, "AAAA")
    done = _add(config, "bc1qnotanaddress", signature_file, "--message", message)
    _one_line_error(done, 2, "--address")
    _one_line_error(
        _run("proof", "message", "--config", str(config), "--address", ADDRESS),
        2,
        "no chain tip in the store yet",
    )
