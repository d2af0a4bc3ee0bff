"""The reserve end to end: the real collector polls a fake Esplora or a fake bitcoind (their real
formats) into SQLite or PostgreSQL; then the real CLI writes the signed reserve report (JSON,
CSV, PDF), verifies each, and writes the public transparency page.

The chain's story: an operation remits to its descriptor vault (an address past the first
gap), seized coins arrive for a case, the reserve sweeps both into a 2-of-3 custody vault,
and someone pays from the vault to an address outside every wallet — all early in last month.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from collector.app import Collector
from collector.bitcoin.descriptors import parse_descriptor
from collector.clock import FrozenClock
from collector.commands.proofs import register_proof
from collector.config.load import load_config
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import PriceQuoteRecord
from remittance.periods import PeriodKind, period_containing
from remittance.proofs import proof_message
from simulator.bip322_sign import sign_simple
from simulator.fake_bitcoind import FakeBitcoind
from simulator.fake_bitcoind import serve as serve_bitcoind
from simulator.fake_chain import FakeChain
from simulator.fake_esplora import serve as serve_esplora
from simulator.keys import account_private_key, multisig_descriptor, wpkh_descriptor
from tests.support.cli import run_cli
from tests.support.reserve_config import write_descriptor_config

pytestmark = pytest.mark.integration

NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
OUTSIDE = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
REMITTED, SEIZED, UNAPPROVED = 40_000_000, 250_000_000, 10_000_000
OPERATION = wpkh_descriptor(0)
CASE = wpkh_descriptor(5)
VAULT = multisig_descriptor((1, 2, 3), 2)


def address(descriptor: str, index: int) -> str:
    return parse_descriptor(descriptor, "main").address(index)


# The story happens early in last month (the report's period), whatever day it is now.
PERIOD = period_containing(PeriodKind.MONTHLY, (NOW.replace(day=1) - timedelta(days=1)).date())
# The case's order is pending from its 3rd day; the final order forfeits it on the 15th, mid-
# period, after its coins arrived (the 6th): each from the day's start in Almaty (UTC+5).
PENDING_DAY = PERIOD.start_at.date() + timedelta(days=2)
FORFEITED_DAY = PERIOD.start_at.date() + timedelta(days=14)
FORFEITED_AT = datetime.combine(FORFEITED_DAY, datetime.min.time(), UTC) - timedelta(hours=5)


def tell_the_story(chain: FakeChain) -> None:
    chain.mine_until(PERIOD.start_at + timedelta(days=5))
    chain.pay(address(OPERATION, 24), REMITTED, confirm=True)  # past the first gap of 20 …
    chain.pay(address(OPERATION, 4), 1_000, confirm=True)  # … reached through this one
    chain.pay(address(CASE, 0), SEIZED, confirm=True)
    chain.mine_until(PERIOD.start_at + timedelta(days=6))
    chain.pay(address(VAULT, 0), SEIZED - 2_000, spend_from=address(CASE, 0), confirm=True)
    chain.pay(address(VAULT, 1), REMITTED - 2_000, spend_from=address(OPERATION, 24))
    chain.mine_until(PERIOD.start_at + timedelta(days=7))
    left = SEIZED - 2_000 - UNAPPROVED - 1_000
    chain.pay(OUTSIDE, UNAPPROVED, spend_from=address(VAULT, 0),
              extra_outputs=[(address(VAULT, 2), left)])  # fmt: skip
    chain.mine_until(NOW)


def text_of(pdf: Path) -> str:
    done = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    )
    return done.stdout


def config_for(root: Path, database_url: str, network: dict[str, Any]) -> Path:
    return write_descriptor_config(
        root,
        OPERATION,
        database=database_url,
        network={**network, "backfill_days": 1, "poll_interval_s": 5},
        reserve={
            "confirmations": 1,
            "time_zone": "Asia/Almaty",
            "intake": [
                {
                    "case": "KZ-2026-0042",
                    "descriptor": CASE,
                    "authority": "Агентство по финансовому мониторингу",
                    "order_ref": "court order 2-1234/2026",
                    "received_from": "frozen exchange account",
                    "states": [
                        {"state": "order_pending", "from": PENDING_DAY.isoformat()},
                        {
                            "state": "forfeited",
                            "from": FORFEITED_DAY.isoformat(),
                            "order": "final order 2-1234/2026",
                        },
                    ],
                }
            ],
            "custody": [{"name": "cold-vault-1", "descriptor": VAULT}],
        },
    )


@asynccontextmanager
async def served(backend: str, chain: FakeChain) -> AsyncIterator[dict[str, Any]]:
    if backend == "esplora":
        runner, port = await serve_esplora(chain)
        network: dict[str, Any] = {"esplora_url": f"http://127.0.0.1:{port}/api"}
    else:
        node = FakeBitcoind(chain)
        node.import_descriptors([{"desc": d, "range": 99} for d in (OPERATION, CASE, VAULT)])
        runner, port = await serve_bitcoind(node)
        network = {
            "bitcoind": {"url": f"http://127.0.0.1:{port}", "user": "reservewatch",
                         "password_env": "RESERVEWATCH_TEST_RPC_PASSWORD"},
        }  # fmt: skip
    try:
        yield network
    finally:
        await runner.cleanup()


@pytest.mark.parametrize("backend", ["esplora", "bitcoind"])
async def test_the_reserve_comes_out_of_the_store_by_source_with_custody_and_value(
    tmp_path: Path, database_url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESERVEWATCH_TEST_RPC_PASSWORD", "fake-rpc-password")
    chain = FakeChain(start=PERIOD.start_at)
    tell_the_story(chain)
    async with served(backend, chain) as network:
        path = config_for(tmp_path, database_url, network)
        clock = FrozenClock(NOW)
        config = load_config(path)
        engine = open_engine(config.database)
        await upgrade(engine)
        await Store(engine, clock).record_prices(
            [
                PriceQuoteRecord("BTC", "USD", "kraken", PERIOD.start_at, Decimal(90_000)),
                PriceQuoteRecord("USD", "KZT", "nbk-csv", PERIOD.start_at, Decimal("510.25")),
            ]
        )  # fmt: skip
        await engine.dispose()
        async with Collector(config, clock, telemetry=False) as collector:
            results = await collector.run_once()
            assert {t: r for t, r in results.items() if r != "ok"} == {}
            tip = chain.tip.block_hash
            intake = address(CASE, 0)
            message = proof_message(intake, tip)
            signature = sign_simple(account_private_key(5, 0, 0).key, message)
            await register_proof(collector.store, collector.config, intake, message=message,
                                 signature=signature, clock=clock)  # fmt: skip
            await collector.run_once()

            def sample(name: str, **labels: str) -> float | None:
                return collector.registry.get_sample_value(name, labels)

            # /metrics: the outflow counted, the sources kept through custody, the proofs.
            assert sample("reservewatch_reserve_unapproved_outflows_total", reason="outside") == 1.0
            held = (SEIZED - 2_000 - UNAPPROVED - 1_000) / 1e8
            # Forfeited mid-period: the state's now, nothing of it held apart.
            assert sample("reservewatch_reserve_balance_btc", source="seized",
                          holder="KZ-2026-0042") == held  # fmt: skip
            assert sample("reservewatch_reserve_seized_pending_btc", state="order_pending",
                          holder="KZ-2026-0042") == 0.0  # fmt: skip
            assert sample("reservewatch_reserve_case_state", state="forfeited",
                          holder="KZ-2026-0042") == 1.0  # fmt: skip
            assert sample("reservewatch_reserve_wallet_proven", role="intake",
                          holder="KZ-2026-0042") == 1.0  # fmt: skip
            assert sample("reservewatch_reserve_wallet_proven", role="custody",
                          holder="cold-vault-1") == 0.0  # fmt: skip
            assert sample("reservewatch_reserve_value_usd") is not None
    out = tmp_path / "out"
    out.mkdir()
    period = PERIOD.label
    as_of = NOW.isoformat()
    for suffix in ("json", "csv", "pdf"):
        target = out / f"reserve.{suffix}"
        done = run_cli("report", "reserve", "--config", str(path), "--period", period,
                       "--out", str(target), "--as-of", as_of)  # fmt: skip
        assert done.returncode == 0, done.stderr
        verified = run_cli("statement", "verify", str(target), "--public-key",
                           str(tmp_path / "statement-key.pub.pem"))  # fmt: skip
        assert verified.returncode == 0, verified.stderr
        assert f"verified {suffix} reserve report" in verified.stdout
    report = json.loads((out / "reserve.json").read_text())["report"]
    end = {(r["source"], r["holder"]): r["sat"] for r in report["holdings"]["end"]["by_source"]}
    # The seized coins less two fees and the unapproved payment; the remittances less a fee.
    assert end[("seized", "KZ-2026-0042")] == SEIZED - 2_000 - UNAPPROVED - 1_000
    assert end[("mined", "ekibastuz-1")] == REMITTED - 2_000 + 1_000
    assert [m["to_custody_sat"] for m in report["custody_movements"]] == [
        SEIZED - 2_000,
        REMITTED - 2_000,
    ]
    [unapproved] = report["unapproved_outflows"]
    assert unapproved["status"] == "confirmed"
    assert unapproved["paid_to"] == [
        {"address": OUTSIDE, "vout": 0, "sat": UNAPPROVED, "beyond_gap_of": None}
    ]
    assert unapproved["reasons"] == ["outside"]
    assert report["seized"][0]["received_sat"] == SEIZED
    assert (report["seized"][0]["state"], report["seized"][0]["since"]) == (
        "forfeited",
        FORFEITED_AT.isoformat().replace("+00:00", "Z"),
    )
    assert report["holdings"]["end"]["held_apart"]["total_sat"] == 0
    assert report["valuation"]["price_end_usd"] == "90000"
    inflows_usd = Decimal(REMITTED + 1_000 + SEIZED) * 90_000 / 100_000_000
    assert report["valuation"]["inflows_usd"] == f"{inflows_usd:.2f}"
    proofs = {p["holder"]: p["status"] for p in report["proofs"]}
    assert proofs == {
        "KZ-2026-0042": "proven",
        "ekibastuz-1": "unproven",
        "cold-vault-1": "unproven",
    }
    pdf_text = text_of(out / "reserve.pdf")
    assert "Екібастұз Майнинг ЖШС" in pdf_text
    assert "Unapproved outflows" in pdf_text and OUTSIDE in pdf_text
    kazakh = out / "reserve-kk.pdf"
    done = run_cli("report", "reserve", "--config", str(path), "--period", period,
                   "--out", str(kazakh), "--as-of", as_of, "--lang", "kk")  # fmt: skip
    assert done.returncode == 0, done.stderr
    verified = run_cli("statement", "verify", str(kazakh), "--public-key",
                       str(tmp_path / "statement-key.pub.pem"))  # fmt: skip
    assert verified.returncode == 0, verified.stderr
    kazakh_text = text_of(kazakh)
    assert "Рұқсатсыз шығыстар" in kazakh_text and OUTSIDE in kazakh_text
    assert "Unapproved outflows" not in kazakh_text
    page = out / "public"
    done = run_cli("report", "transparency", "--config", str(path), "--out", str(page),
                   "--as-of", as_of)  # fmt: skip
    assert done.returncode == 0, done.stderr
    public = json.loads((page / "transparency.json").read_text())
    shown = {a["address"] for w in public["wallets"] for a in w["addresses"]}
    assert address(OPERATION, 24) in shown and address(VAULT, 2) in shown
    held = {(r["source"], r["holder"]): r["sat"] for r in public["by_source"]}
    assert held[("seized", "KZ-2026-0042")] == SEIZED - 2_000 - UNAPPROVED - 1_000
    text = (page / "transparency.json").read_text()
    assert "due_sat" not in text and "xpub" not in text  # nothing the chain does not show
    proven = {w["holder"]: w["proof"] for w in public["wallets"]}
    assert proven == {"ekibastuz-1": "unproven", "KZ-2026-0042": "proven",
                      "cold-vault-1": "unproven"}  # fmt: skip
    assert "KZ-2026-0042" in (page / "index.html").read_text()  # in Kazakh
    english = (page / "en.html").read_text()
    assert f"{address(CASE, 0)}</code>: <b class=proven>proven</b>" in english
    assert f"No proof of control is registered for <code>{address(VAULT, 0)}</code>" in english


# Issue 27: the custody alarm is not blinded by a coin the watcher never saw arrive, nor by a
# move to a wallet's own address beyond its gap limit; the page and the report agree.
PENDING_OUT = 10_000_000  # in the mempool at the instant, with a 1,000 sat fee
THIS_MONTH = period_containing(PeriodKind.MONTHLY, NOW.date())


def tell_the_custody_story(chain: FakeChain, beyond: int) -> None:
    chain.mine_until(PERIOD.start_at + timedelta(days=5))
    chain.pay(address(VAULT, 0), SEIZED, confirm=True)  # paid to custody from outside
    # Vault address 3 spends a coin the fake never showed (older than the watch): out, and
    # 5,000,000 back to vault address 2.
    chain.pay(OUTSIDE, UNAPPROVED, spend_from=address(VAULT, 3), confirm=True,
              extra_outputs=[(address(VAULT, 2), 5_000_000)])  # fmt: skip
    chain.mine_until(PERIOD.start_at + timedelta(days=6))
    # The vault moves 3,000,000 to its own address far beyond the gap (4 … unused).
    chain.pay(address(VAULT, beyond), 3_000_000, spend_from=address(VAULT, 2), confirm=True,
              extra_outputs=[(address(VAULT, 2), 1_999_000)])  # fmt: skip
    chain.mine_until(NOW)
    chain.pay(OUTSIDE, PENDING_OUT, spend_from=address(VAULT, 0),
              extra_outputs=[(address(VAULT, 1), SEIZED - PENDING_OUT - 1_000)])  # fmt: skip


@pytest.mark.parametrize("backend", ["esplora", "bitcoind"])
async def test_unknown_coins_and_moves_beyond_the_gap_alarm_and_the_page_agrees_with_the_report(
    tmp_path: Path, database_url: str, backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RESERVEWATCH_TEST_RPC_PASSWORD", "fake-rpc-password")
    chain = FakeChain(start=PERIOD.start_at)
    # Through Esplora the vault is watched to 20 past its last used address (3); the node
    # watches its imported range (0 … 99): beyond the gap is past that.
    beyond = 30 if backend == "esplora" else 130
    tell_the_custody_story(chain, beyond)
    async with served(backend, chain) as network:
        path = config_for(tmp_path, database_url, network)
        config = load_config(path)
        async with Collector(config, FrozenClock(NOW), telemetry=False) as collector:
            results = await collector.run_once()
            assert {t: r for t, r in results.items() if r != "ok"} == {}

            def outflows(reason: str) -> float | None:
                return collector.registry.get_sample_value(
                    "reservewatch_reserve_unapproved_outflows_total", {"reason": reason}
                )

            assert outflows("unknown_coin") == 1.0
            assert outflows("beyond_gap") == 1.0
            assert outflows("outside") == 1.0  # the pending one, from the mempool
    as_of = NOW.isoformat()
    out = tmp_path / "out"
    out.mkdir()
    for period in (PERIOD.label, THIS_MONTH.label):
        done = run_cli("report", "reserve", "--config", str(path), "--period", period,
                       "--out", str(out / f"{period}.json"), "--as-of", as_of)  # fmt: skip
        assert done.returncode == 0, done.stderr
    last = json.loads((out / f"{PERIOD.label}.json").read_text())["report"]
    unknown, moved = last["unapproved_outflows"]
    assert unknown["reasons"] == ["unknown_coin"] and len(unknown["unknown_inputs"]) == 1
    assert unknown["paid_to"] == [
        {"address": OUTSIDE, "vout": 0, "sat": UNAPPROVED, "beyond_gap_of": None}
    ]
    assert unknown["by_source"] == [{"source": "unattributed", "holder": "", "sat": UNAPPROVED}]
    assert moved["reasons"] == ["beyond_gap"]
    assert moved["paid_to"] == [{"address": address(VAULT, beyond), "vout": 0, "sat": 3_000_000,
                                 "beyond_gap_of": "cold-vault-1"}]  # fmt: skip
    # One instant, one rule: the page and the report hold the same, the outflow pending apart.
    report = json.loads((out / f"{THIS_MONTH.label}.json").read_text())["report"]
    page = tmp_path / "public"
    done = run_cli("report", "transparency", "--config", str(path), "--out", str(page),
                   "--as-of", as_of)  # fmt: skip
    assert done.returncode == 0, done.stderr
    public = json.loads((page / "transparency.json").read_text())
    assert public["total_sat"] == report["holdings"]["end"]["total_sat"] == SEIZED + 1_999_000
    assert public["by_source"] == report["holdings"]["end"]["by_source"]
    assert public["pending"] == report["holdings"]["pending"]
    assert (public["pending"]["unapproved_sat"], public["pending"]["fee_sat"]) == (
        PENDING_OUT,
        1_000,
    )
    assert public["holdings_rule"] == report["rules"]["holdings_at"]
    assert "Pending, not counted above" in (page / "en.html").read_text()
    assert "Күтуде, жоғарыда есептелмеген" in (page / "index.html").read_text()
