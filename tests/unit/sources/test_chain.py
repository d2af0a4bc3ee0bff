"""ReserveJob against the fake Esplora: paging, confirmations, re-orgs, replacements, metrics."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from collector.accounts.reserve import LiveReserve, received_sat, reserve_figures
from collector.bitcoin.descriptors import parse_descriptor
from collector.bitcoin.wallets import Wallet, WalletBook
from collector.clock import FrozenClock
from collector.config.model import Config
from collector.config.sections import DatabaseConfig
from collector.config.wallets import wallet_book
from collector.errors import SourceBadResponse
from collector.metrics import build_registry
from collector.metrics.reserve import ReserveMetrics
from collector.sources.backends import build_chain_jobs
from collector.sources.chain import ReserveJob, parse_tx, reserve_outputs
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.poller import Poller
from collector.sources.published import Published
from collector.sources.reserve import ReserveWatched
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import ReserveOutputRecord
from simulator.fake_chain import FakeChain
from simulator.fake_esplora import serve
from simulator.keys import multisig_descriptor, wpkh_descriptor
from tests.conftest import holding
from tests.support.configs import build_config, operation
from tests.unit.sources.conftest import Watched

START = datetime(2025, 3, 1, tzinfo=UTC)
ADDR_A1 = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ADDR_A2 = "bc1qxy2kgdygjrsqtzq2n0yrf2493p83kkfjhx0wlh"
ADDR_B = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
STRANGER = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
PAYOUT = "bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t4"  # alpha's payout wallet, where pools pay


async def _no_sleep(_: float) -> None:
    return None


def _config(
    url: str, *, confirmations: int = 6, recheck_blocks: int = 144, payout: str | None = None
) -> Config:
    """alpha pays the reserve at ADDR_A1 and ADDR_A2, beta at ADDR_B; with ``payout``, alpha's
    pools pay it at that address (its payout wallet)."""

    alpha = operation("alpha", ADDR_A1, ADDR_A2, rate="0.5")
    if payout is not None:
        alpha["payout_wallets"] = [{"addresses": [payout]}]
    return build_config(
        alpha,
        operation("beta", ADDR_B, rate="0.5"),
        network={"esplora_url": url},
        reserve={"confirmations": confirmations, "recheck_blocks": recheck_blocks},
    )


@dataclass
class Rig:
    chain: FakeChain
    store: Store
    clock: FrozenClock
    http: HttpSource
    counters: RequestCounters
    session: aiohttp.ClientSession
    url: str

    def job(self, **reserve: int) -> Watched:
        return self.watched(_config(self.url, **reserve))

    def payout_job(self) -> Watched:
        """alpha's pools pay it at PAYOUT, its payout wallet."""
        return self.watched(_config(self.url, payout=PAYOUT))

    def watched(self, config: Config) -> Watched:
        job = ReserveJob(config, self.http, self.store, self.clock)
        return Watched(job, self.store, config)

    async def outputs(self, *statuses: str) -> list[ReserveOutputRecord]:
        return await self.store.reserve_outputs(
            statuses=statuses or ("mempool", "confirmed", "removed")
        )


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    store = Store(engine)
    chain = FakeChain(start=START, history_blocks=20)
    runner, port = await serve(chain)
    counters = RequestCounters()
    async with aiohttp.ClientSession() as session:
        http = HttpSource(session, source="chain", counters=counters, sleep=_no_sleep, retries=1)
        clock = FrozenClock(START + timedelta(days=1))
        yield Rig(chain, store, clock, http, counters, session, f"http://127.0.0.1:{port}/api")
    await runner.cleanup()
    await store.close()


def _by_key(outputs: list[ReserveOutputRecord]) -> dict[tuple[str, int], ReserveOutputRecord]:
    return {(o.txid, o.vout): o for o in outputs}


# -- pure ------------------------------------------------------------------------------------


def _tx_doc(status: dict[str, Any], vout: list[dict[str, Any]]) -> dict[str, Any]:
    return {"txid": "cd" * 32, "vout": vout, "status": status}


def test_each_vout_paying_a_reserve_address_is_one_output() -> None:
    doc = _tx_doc(
        {
            "confirmed": True,
            "block_height": 5,
            "block_hash": "ef" * 32,
            "block_time": 1_740_000_000,
        },
        [
            {"scriptpubkey_address": ADDR_A1, "value": 100_000},
            {"scriptpubkey_address": STRANGER, "value": 5},
            {"scriptpubkey_type": "op_return", "value": 0},
            {"scriptpubkey_address": ADDR_B, "value": 7_000},
        ],
    )
    book = WalletBook(
        [Wallet("reserve", "alpha", (ADDR_A1,)), Wallet("reserve", "beta", (ADDR_B,))]
    )
    outputs = reserve_outputs(parse_tx(doc), book)
    assert [(o.vout, o.operation_id, o.amount_sat, o.status) for o in outputs] == [
        (0, "alpha", 100_000, "confirmed"),
        (3, "beta", 7_000, "confirmed"),
    ]
    assert outputs[0].block_time == datetime.fromtimestamp(1_740_000_000, UTC)


def test_an_output_whose_address_is_none_on_the_chain_is_kept_without_it() -> None:
    hostile = '=HYPERLINK("http://evil.example","x")'
    doc = _tx_doc(
        {"confirmed": False},
        [
            {"scriptpubkey_address": hostile, "value": 60_000},
            {"scriptpubkey_address": "tb1qw508d6qejxtdg4y5r3zarvary0c5xw7kxpjzsx", "value": 1},
            {"scriptpubkey_address": 42, "value": 2},
            {"scriptpubkey_address": ADDR_A1, "value": 39_000},
        ],
    )
    tx = parse_tx(doc, "main")
    assert tx.outputs == ((0, "", 60_000), (1, "", 1), (2, "", 2), (3, ADDR_A1, 39_000))
    assert [vout for vout, _ in tx.bad_addresses] == [0, 1, 2]
    assert tx.bad_addresses[0][1] == hostile


@pytest.mark.parametrize(
    "doc",
    [
        _tx_doc({"confirmed": "yes"}, []),
        _tx_doc({"confirmed": True, "block_height": 5}, []),
        _tx_doc({"confirmed": False}, [{"scriptpubkey_address": ADDR_A1, "value": 0.5}]),
        {"txid": "short", "vout": [], "status": {"confirmed": False}},
    ],
)
def test_malformed_transactions_are_rejected(doc: dict[str, Any]) -> None:
    with pytest.raises(SourceBadResponse):
        parse_tx(doc)


def test_received_counts_only_outputs_with_enough_confirmations() -> None:
    def output(txid: str, height: int | None, status: str = "confirmed") -> ReserveOutputRecord:
        return ReserveOutputRecord(txid, 0, "alpha", ADDR_A1, 1_000, status, height, None, None)

    outputs = [output("a", 100), output("b", 95), output("c", None, "mempool")]
    assert received_sat(outputs, tip_height=100, min_confirmations=1) == {"alpha": 2_000}
    assert received_sat(outputs, tip_height=100, min_confirmations=6) == {"alpha": 1_000}
    assert received_sat(outputs, tip_height=99, min_confirmations=6) == {}


# -- the job ---------------------------------------------------------------------------------


async def test_long_histories_are_paged_and_every_output_stored_once(rig: Rig) -> None:
    for n in range(60):
        rig.chain.pay(ADDR_A1, 10_000 + n, confirm=(n % 3 == 0))
    rig.chain.mine(1)
    await rig.job().poll()
    outputs = await rig.outputs()
    assert len(outputs) == 60
    assert sum(o.amount_sat for o in outputs) == sum(10_000 + n for n in range(60))
    assert {o.status for o in outputs} == {"confirmed"}
    # 25 + 25 + 10, then the empty page that ends the history.
    assert sum(1 for path in rig.chain.requests if "/txs/chain/" in path) == 3


async def test_a_deployment_with_short_pages_is_still_read_to_the_end(rig: Rig) -> None:
    rig.chain.tx_page = 10  # not Esplora's 25: a short page is not the end of the history
    for n in range(35):
        rig.chain.pay(ADDR_A1, 10_000 + n, confirm=True)
    await rig.job().poll()
    assert len(await rig.outputs()) == 35


async def test_a_history_whose_cursor_repeats_fails_instead_of_looping(rig: Rig) -> None:
    rig.chain.tx_page = 10
    for n in range(35):
        rig.chain.pay(ADDR_A1, 10_000 + n, confirm=True)
    first_page = rig.chain.address_txs(ADDR_A1)[1][:10]
    # A broken server whose history goes round: after the first page, the same page again.
    rig.chain.address_txs = lambda _address: ([], first_page * 3)  # type: ignore[method-assign]
    with pytest.raises(SourceBadResponse, match="repeats"):
        await rig.job().poll()


async def test_a_hostile_address_is_stored_as_an_outflow_without_it_and_counted_once(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    hostile = '=HYPERLINK("http://evil.example","x")'
    rig.chain.pay(ADDR_A1, 100_000, confirm=True)
    rig.chain.pay(hostile, 60_000, extra_outputs=[(ADDR_A2, 39_000)], spend_from=ADDR_A1)
    rig.chain.mine(6)
    job = rig.job()
    await job.poll()
    await job.poll()
    kinds = sorted((o.kind, o.address, o.amount_sat) for o in await rig.outputs())
    assert kinds == [
        ("internal", ADDR_A2, 39_000),
        ("outflow", "", 60_000),  # the coins left the reserve: an outflow, not a fee
        ("remittance", ADDR_A1, 100_000),
    ]
    held = job.holdings
    assert held is not None
    assert [(m.unapproved_sat, m.fee_sat) for m in held.movements] == [(60_000, 1_000)]
    registry, _ = build_registry([job.metrics])
    counted = registry.get_sample_value(
        "reservewatch_reserve_unparseable_outputs_total", {"reason": "bad_address"}
    )
    assert counted == 1.0
    warned = [r for r in caplog.records if "no address on the main chain" in r.getMessage()]
    assert len(warned) == 1 and "\n" not in warned[0].getMessage() and warned[0].exc_info is None


async def test_the_reserves_own_change_and_consolidations_are_movements_not_remittances(
    rig: Rig,
) -> None:
    rig.chain.pay(ADDR_A1, 100_000, confirm=True)  # the operation remits
    # The reserve sends to cold storage with change back to another reserve address …
    rig.chain.pay(STRANGER, 60_000, extra_outputs=[(ADDR_A2, 39_000)], spend_from=ADDR_A1)
    # … consolidates into a third one (another operation's: still the reserve's own coins) …
    rig.chain.pay(ADDR_B, 38_000, spend_from=ADDR_A2)
    rig.chain.mine(6)
    job = rig.job()
    await job.poll()
    kinds = sorted((o.kind, o.address, o.amount_sat) for o in await rig.outputs())
    assert kinds == [
        ("internal", ADDR_B, 38_000),
        ("internal", ADDR_A2, 39_000),
        ("outflow", STRANGER, 60_000),  # no wallet watches it: an unapproved outflow
        ("remittance", ADDR_A1, 100_000),
    ]
    assert job.received_sat == {"alpha": 100_000}
    # The coins alpha remitted are held in beta's address now, still as alpha's.
    held = job.holdings
    assert held is not None
    assert held.by_source == {("mined", "alpha"): 38_000}
    assert held.by_wallet == {("reserve", "beta"): 38_000}
    assert [(m.destination, m.unapproved_sat) for m in held.movements] == [
        ("unapproved", 60_000),
        ("internal", 0),
    ]
    remitted = await rig.store.reserve_outputs(statuses=("confirmed",), kinds=("remittance",))
    assert [o.amount_sat for o in remitted] == [100_000]


async def test_an_output_seen_through_two_addresses_is_stored_once(rig: Rig) -> None:
    rig.chain.pay(ADDR_A1, 50_000, extra_outputs=[(ADDR_A2, 20_000), (ADDR_B, 1_000)])
    await rig.job().poll()
    outputs = await rig.outputs()
    assert sorted((o.vout, o.operation_id, o.amount_sat) for o in outputs) == [
        (0, "alpha", 50_000),
        (1, "alpha", 20_000),
        (2, "beta", 1_000),
    ]
    assert {o.status for o in outputs} == {"mempool"}


async def test_received_total_counts_only_after_enough_confirmations(rig: Rig) -> None:
    job = rig.job(confirmations=6)
    registry, _ = build_registry([job.metrics])
    rig.chain.pay(ADDR_A1, 250_000_000, confirm=True)
    rig.chain.mine(4)  # 5 confirmations
    await job.poll()
    alpha = {"operation": "alpha"}
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 0.0
    rig.chain.mine(1)
    await job.poll()
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 2.5
    beta = {"operation": "beta"}
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", beta) == 0.0


async def test_a_poll_returns_its_tip_the_addresses_watched_and_whether_it_stored_anew(
    rig: Rig,
) -> None:
    job = rig.job()
    rig.chain.pay(ADDR_B, 80_000)
    first = await job.poll()
    watched = {"reserve": 3, "intake": 0, "custody": 0, "payout": 0}
    assert first == ReserveWatched(rig.chain.tip.height, watched, stored_new=True)
    assert (await job.poll()).stored_new is False  # the same mempool output: nothing new
    rig.chain.mine(1)
    confirmed = await job.poll()
    assert (confirmed.tip_height, confirmed.stored_new) == (first.tip_height + 1, True)


async def test_a_replaced_mempool_payment_is_removed_and_its_replacement_seen(rig: Rig) -> None:
    job = rig.job()
    txid = rig.chain.pay(ADDR_B, 80_000)
    await job.poll()
    new_txid = rig.chain.replace(txid, [(ADDR_B, 79_000)])
    await job.poll()
    outputs = _by_key(await rig.outputs())
    assert outputs[(txid, 0)].status == "removed"
    assert outputs[(new_txid, 0)].status == "mempool"
    rig.chain.mine(1)
    await job.poll()
    assert _by_key(await rig.outputs())[(new_txid, 0)].status == "confirmed"


async def test_a_reorg_that_drops_a_payment_removes_it_and_a_later_one_restores_it(
    rig: Rig,
) -> None:
    job = rig.job(confirmations=1)
    registry, _ = build_registry([job.metrics])
    txid = rig.chain.pay(ADDR_A2, 300_000, confirm=True)
    rig.chain.mine(2)
    await job.poll()
    alpha = {"operation": "alpha"}
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 0.003
    # The branch that confirmed it loses, with a lower tip; the payment was double-spent.
    dropped = rig.chain.txs[txid]
    rig.chain.reorg(3, new_blocks=2, drop=frozenset({txid}))
    await job.poll()
    assert _by_key(await rig.outputs())[(txid, 0)].status == "removed"
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 0.0
    # It turns up again (rebroadcast and mined): it counts again.
    dropped.block_hash = None
    rig.chain.txs[txid] = dropped
    rig.chain.mempool.append(txid)
    rig.chain.mine(1)
    await job.poll()
    restored = _by_key(await rig.outputs())[(txid, 0)]
    assert restored.status == "confirmed"
    assert restored.block_hash == rig.chain.tip.block_hash
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 0.003


async def test_a_reorg_that_moves_a_payment_follows_it_to_the_new_block(rig: Rig) -> None:
    job = rig.job()
    txid = rig.chain.pay(ADDR_A1, 1_000, confirm=True)
    old_hash = rig.chain.tip.block_hash
    await job.poll()
    rig.chain.reorg(1, new_blocks=1, include_txs=False)  # back to the mempool
    await job.poll()
    assert _by_key(await rig.outputs())[(txid, 0)].status == "mempool"
    rig.chain.mine(1)
    await job.poll()
    moved = _by_key(await rig.outputs())[(txid, 0)]
    assert moved.status == "confirmed"
    assert moved.block_hash not in (None, old_hash)
    assert moved.block_height == rig.chain.tip.height


async def test_a_vanished_recent_output_not_in_histories_is_rechecked_by_status(
    rig: Rig,
) -> None:
    job = rig.job()
    txid = rig.chain.pay(ADDR_A1, 1_000, confirm=True)
    await job.poll()
    status_calls = sum(1 for p in rig.chain.requests if p.endswith("/status"))
    rig.chain.reorg(1, new_blocks=2, drop=frozenset({txid}))
    await job.poll()
    assert sum(1 for p in rig.chain.requests if p.endswith("/status")) == status_calls + 1
    assert _by_key(await rig.outputs())[(txid, 0)].status == "removed"


async def test_repeated_polls_are_idempotent_and_stop_at_deep_known_history(rig: Rig) -> None:
    for n in range(40):
        rig.chain.pay(ADDR_B, 1_000 + n, confirm=True)
    rig.chain.mine(10)
    job = rig.job(recheck_blocks=5)
    await job.poll()
    first = await rig.outputs()
    chain_pages = sum(1 for p in rig.chain.requests if "/txs/chain/" in p)
    await job.poll()
    assert await rig.outputs() == first
    # The first page already reaches an output confirmed deeper than recheck_blocks.
    assert sum(1 for p in rig.chain.requests if "/txs/chain/" in p) == chain_pages


async def test_a_bad_history_page_fails_the_poll_but_other_addresses_are_stored(
    rig: Rig,
) -> None:
    rig.chain.pay(ADDR_A1, 1_000, confirm=True)
    rig.chain.pay(ADDR_B, 2_000, confirm=True)
    rig.chain.fail_next(200, path_contains=f"/address/{ADDR_A1}/")
    with pytest.raises(SourceBadResponse, match="1 address") as failed:
        await rig.job().poll()
    assert [o.amount_sat for o in await rig.outputs()] == [2_000]
    # What it stored before failing is published with the failure (the custody alarm's pass).
    assert isinstance(failed.value.published, ReserveWatched)
    assert failed.value.published.stored_new
    await rig.job().poll()
    assert sorted(o.amount_sat for o in await rig.outputs()) == [1_000, 2_000]


async def test_build_chain_jobs_wires_both_jobs_whose_snapshots_the_metrics_read(
    rig: Rig,
) -> None:
    config = _config(rig.url)
    jobs = build_chain_jobs(config, rig.store, rig.session, rig.counters, rig.clock)
    assert [(j.source, j.target) for j in jobs] == [
        ("network", "127.0.0.1:" + rig.url.split(":")[2].split("/")[0]),
        ("chain", "127.0.0.1:" + rig.url.split(":")[2].split("/")[0] + "/reserve-addresses"),
    ]
    poller = Poller(jobs, rig.clock)
    assert set((await poller.run_once()).values()) == {"ok"}
    figures = await reserve_figures(rig.store, config)  # the accounts' pass
    published = Published(poller, network=jobs[0].target, reserve=jobs[1].target)
    reserve = ReserveMetrics(
        published.reserve,
        holding(reserve=figures),
        operation_ids=(op.id for op in config.operations),
        holders=(wallet.holder for wallet in wallet_book(config).wallets),
    )
    registry, _ = build_registry([published, reserve])
    assert registry.get_sample_value("reservewatch_network_tip_height") == rig.chain.tip.height
    assert (
        registry.get_sample_value("reservewatch_reserve_received_btc_total", {"operation": "beta"})
        == 0.0
    )


# -- wallets: descriptors, intake cases, custody -------------------------------------------


def _wallet_config(url: str, gap_limit: int = 3) -> Config:
    case = {
        "case": "case-7",
        "addresses": [ADDR_B],
        "authority": "Anti-Corruption Agency",
        "order_ref": "order 7",
    }
    return build_config(
        operation("alpha", rate="0.5", reserve_addresses=[], reserve_descriptor=wpkh_descriptor(0)),
        network={"esplora_url": url},
        reserve={
            "confirmations": 1,
            "gap_limit": gap_limit,
            "intake": [case],
            "custody": [{"name": "vault", "descriptor": multisig_descriptor((1, 2, 3), 2)}],
        },
    )


async def test_a_descriptor_wallet_is_followed_past_its_gap_as_it_is_used(rig: Rig) -> None:
    d = parse_descriptor(wpkh_descriptor(0), "main")
    # Index 2 is inside the first gap (3); 5 only once 2 is seen used; 8 once 5 is.
    for index in (2, 5, 8):
        rig.chain.pay(d.address(index), 1_000 * index, confirm=True)
    rig.chain.pay(d.address(20), 99, confirm=True)  # far past every gap: never watched
    job = rig.watched(_wallet_config(rig.url))
    await job.poll()
    assert job.received_sat == {"alpha": 15_000}
    assert job.published is not None
    assert job.published.watched["reserve"] == 12  # 0 … 8 + the gap of 3
    # A restart derives as far again from what is stored, before reading anything.
    again = rig.watched(_wallet_config(rig.url))
    await again.poll()
    assert again.published is not None
    assert again.published.watched == job.published.watched


async def test_seized_coins_and_a_custody_move_keep_their_sources(rig: Rig) -> None:
    d = parse_descriptor(wpkh_descriptor(0), "main")
    vault = parse_descriptor(multisig_descriptor((1, 2, 3), 2), "main")
    rig.chain.pay(d.address(0), 70_000, confirm=True)  # alpha remits
    rig.chain.pay(ADDR_B, 30_000, confirm=True)  # seized coins arrive for case-7
    # The reserve sweeps both into the vault (a 1,000 sat fee) …
    rig.chain.pay(
        vault.address(0),
        49_000,
        confirm=True,
        spend_from=d.address(0),
        extra_outputs=[(d.address(1), 20_000)],
    )
    rig.chain.pay(vault.address(1), 29_000, confirm=True, spend_from=ADDR_B)
    # … then someone pays 10,000 from the vault to an address no wallet watches.
    rig.chain.pay(
        STRANGER, 10_000, spend_from=vault.address(1), extra_outputs=[(vault.address(2), 18_000)]
    )
    job = rig.watched(_wallet_config(rig.url))
    await job.poll()
    held = job.holdings
    assert held is not None
    assert held.by_wallet == {
        ("custody", "vault"): 49_000 + 18_000,
        ("reserve", "alpha"): 20_000,
    }
    # alpha's 70,000 less the 1,000 fee; case-7's 30,000 less two fees and the 10,000 out:
    # held apart, the case seized (no state configured), not the reserve's holdings.
    assert held.by_source == {("mined", "alpha"): 69_000}
    assert job.figures is not None and job.figures.apart == {("seized", "case-7"): 18_000}
    assert [(m.destination, m.to_custody_sat, m.unapproved_sat) for m in held.movements] == [
        ("custody", 49_000, 0),
        ("custody", 29_000, 0),
        ("unapproved", 0, 10_000),  # from custody: not a move to custody; in the mempool
    ]
    registry, _ = build_registry([job.metrics])

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    assert sample("reservewatch_reserve_balance_btc", source="seized", holder="case-7") is None
    assert sample("reservewatch_reserve_seized_pending_btc", state="seized", holder="case-7") == (
        0.00018
    )
    assert sample("reservewatch_reserve_unapproved_outflows_total", reason="outside") == 1.0
    assert sample("reservewatch_reserve_unapproved_outflows_total", reason="unknown_coin") == 0.0
    assert sample("reservewatch_reserve_outflow_btc_total", destination="custody") == 0.00078
    assert sample("reservewatch_reserve_outflow_btc_total", destination="unapproved") == 0.0001


async def test_outflows_of_unknown_coins_and_beyond_the_gap_raise_the_custody_alarm(
    rig: Rig,
) -> None:
    vault = parse_descriptor(multisig_descriptor((1, 2, 3), 2), "main")
    # Vault address 1 spends a coin the watcher never saw arrive (older than its history):
    # 9,000 to a stranger and 3,000 back to the vault.
    rig.chain.pay(
        STRANGER, 9_000, confirm=True, spend_from=vault.address(1),
        extra_outputs=[(vault.address(0), 3_000)],
    )  # fmt: skip
    # The vault moves its 3,000 to its own address 30: 2 … 29 unused, far past the gap of 3.
    rig.chain.pay(vault.address(30), 2_000, spend_from=vault.address(0))
    job = rig.watched(_wallet_config(rig.url))
    await job.poll()
    held = job.holdings
    assert held is not None
    unknown, beyond = held.movements
    assert (unknown.reasons, unknown.unapproved_sat, len(unknown.unknown_inputs)) == (
        ("unknown_coin",),
        9_000,
        1,
    )
    assert unknown.unapproved_by_source == {("unattributed", ""): 9_000}
    assert (beyond.reasons, beyond.unapproved_sat, beyond.fee_sat) == (
        ("beyond_gap",),
        2_000,
        1_000,
    )
    assert beyond.unapproved[0].holder == "vault"
    assert held.total_sat == 0
    assert held.left_by_source == {("unattributed", ""): 12_000}
    registry, _ = build_registry([job.metrics])

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    name = "reservewatch_reserve_unapproved_outflows_total"
    assert sample(name, reason="unknown_coin") == 1.0
    assert sample(name, reason="beyond_gap") == 1.0
    assert sample(name, reason="outside") == 0.0
    assert sample("reservewatch_reserve_outflow_btc_total", destination="unapproved") == 0.00011


async def test_change_left_on_a_spent_address_and_an_outflow_to_a_new_address_are_flagged(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 27, item 10: the vault pays a desk's fresh address and an exchange's old one,
    and leaves its change on the address it spent from (reused, its key exposed)."""
    vault = parse_descriptor(multisig_descriptor((1, 2, 3), 2), "main")
    fresh = parse_descriptor(wpkh_descriptor(9), "main").address(0)
    rig.chain.pay(STRANGER, 5_000, confirm=True)  # the exchange's address, used long before
    rig.chain.mine(200)  # 33 hours
    rig.chain.pay(vault.address(1), 100_000, confirm=True)
    rig.chain.pay(
        fresh, 30_000, confirm=True, spend_from=vault.address(1),
        extra_outputs=[(STRANGER, 20_000), (vault.address(1), 49_000)],
    )  # fmt: skip
    config = _wallet_config(rig.url)
    reserve = config.reserve.model_copy(
        update={"new_destination_days": 1, "exposed_balance_threshold_btc": Decimal("0.0004")}
    )
    config = config.model_copy(update={"reserve": reserve})
    job = rig.watched(config)
    await job.poll()
    histories = await rig.store.destination_histories()
    assert {a: (h.first_seen is not None, h.complete) for a, h in histories.items()} == {
        fresh: (True, True),  # its whole history: the outflow alone
        STRANGER: (True, False),  # read back to before the window, no further
    }
    assert job.figures is not None
    assert sorted((d.address, d.age) for d in job.figures.destinations) == sorted(
        [(fresh, "new"), (STRANGER, "established")]
    )
    registry, _ = build_registry([job.metrics])

    def sample(name: str, **labels: str) -> float | None:
        return registry.get_sample_value(name, labels)

    exposed = "reservewatch_reserve_exposed_balance_btc"
    for reason in ("reused", "exposed_key"):
        assert sample(exposed, role="custody", holder="vault", reason=reason) == 0.00049
        assert sample(exposed, role="reserve", holder="alpha", reason=reason) == 0.0
    ages = "reservewatch_reserve_outflow_destinations_total"
    assert [sample(ages, age=age) for age in ("new", "established", "unknown")] == [1.0, 1.0, 0.0]
    # The live pass names the addresses the metrics cannot, each once.
    live = LiveReserve()
    with caplog.at_level(logging.WARNING, logger="collector.accounts.reserve"):
        for _ in range(2):
            await live.read(rig.store, config, rig.clock.now())
    assert [r.getMessage().split(", first seen")[0] for r in caplog.records] == [
        f"reserve: 0.00049000 BTC rests on {vault.address(1)} of custody wallet vault, "
        "reused and exposed_key",
        f"reserve: tx {job.figures.destinations[0].txid} paid 0.00030000 BTC to {fresh}",
    ]
    # Read once, kept as first read: a later pass (a day on) judges them as they were.
    rig.clock.advance(86_400)
    await job.poll()
    assert await rig.store.destination_histories() == histories


async def test_a_destination_history_answered_badly_stays_unknown_and_is_read_again(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    """Truncated JSON for the destination's history: the reserve's own figures are kept, the
    destination is unknown and logged, and the next pass reads it."""
    rig.chain.pay(ADDR_A1, 50_000, confirm=True)
    rig.chain.pay(STRANGER, 20_000, confirm=True, spend_from=ADDR_A1)
    rig.chain.fail_next(200, path_contains=f"/address/{STRANGER}/")
    job = rig.job(confirmations=1)
    with caplog.at_level(logging.WARNING, logger="collector.sources.chain"):
        await job.poll()
    assert f"reserve: outflow destination {STRANGER} not read" in caplog.text
    assert job.figures is not None
    assert [(d.address, d.age) for d in job.figures.destinations] == [(STRANGER, "unknown")]
    assert job.holdings is not None and job.holdings.movements[0].unapproved_sat == 20_000
    await job.poll()
    assert job.figures is not None
    assert [d.age for d in job.figures.destinations] == ["new"]


# -- an operation's payout wallet: watched, never the reserve's -------------------------------


async def test_a_pools_payment_to_a_payout_wallet_is_stored_apart_and_is_no_reserve_figure(
    rig: Rig,
) -> None:
    job = rig.payout_job()
    rig.chain.pay(PAYOUT, 1_000_000, confirm=True)  # the pool pays alpha
    rig.chain.pay(ADDR_A1, 300_000, confirm=True)  # alpha remits
    rig.chain.mine(6)
    watched = await job.poll()
    assert watched.watched["payout"] == 1
    [paid] = await rig.store.reserve_outputs(statuses=("confirmed",), kinds=("payout",))
    assert (paid.kind, paid.role, paid.operation_id, paid.address, paid.amount_sat) == (
        "payout", "payout", "alpha", PAYOUT, 1_000_000,
    )  # fmt: skip
    assert [o.address for o in await rig.outputs()] == [ADDR_A1]  # the reserve's reads
    assert job.received_sat == {"alpha": 300_000}
    held = job.holdings
    assert held is not None and held.total_sat == 300_000
    assert sorted(held.by_wallet.items()) == [(("reserve", "alpha"), 300_000)]
    figures = job.figures
    assert figures is not None and (figures.exposed, figures.destinations) == ((), ())
    assert {p.role for p in figures.proofs} == {"reserve"}  # no proof asked of a payout wallet
    registry, _ = build_registry([job.metrics])
    watched_payout = {"role": "payout"}
    assert registry.get_sample_value("reservewatch_reserve_addresses_watched", watched_payout) == 1
    mined = {"source": "mined", "holder": "alpha"}
    assert registry.get_sample_value("reservewatch_reserve_balance_btc", mined) == 0.003


async def test_the_operator_spending_its_payout_wallet_is_no_outflow_of_the_reserve(
    rig: Rig,
) -> None:
    job = rig.payout_job()
    rig.chain.pay(PAYOUT, 1_000_000, confirm=True)
    # alpha remits from its payout wallet (change back to it), then spends the rest elsewhere
    rig.chain.pay(ADDR_A1, 300_000, extra_outputs=[(PAYOUT, 600_000)], spend_from=PAYOUT)
    rig.chain.pay(STRANGER, 500_000, spend_from=PAYOUT)
    rig.chain.mine(6)
    await job.poll()
    kinds = sorted((o.kind, o.address, o.amount_sat) for o in await rig.outputs())
    assert kinds == [("remittance", ADDR_A1, 300_000)]  # a remittance, not a movement
    payouts = await rig.store.reserve_outputs(statuses=("confirmed",), kinds=("payout",))
    assert [o.amount_sat for o in payouts] == [1_000_000]  # its own change is no payout
    assert await rig.store.reserve_spends() == []
    assert job.received_sat == {"alpha": 300_000}
    held = job.holdings
    assert held is not None and held.movements == ()
    registry, _ = build_registry([job.metrics])
    unapproved = {"destination": "unapproved"}
    assert registry.get_sample_value("reservewatch_reserve_outflow_btc_total", unapproved) == 0.0


async def test_the_reserve_paying_an_operations_payout_wallet_is_an_unapproved_outflow(
    rig: Rig,
) -> None:
    job = rig.payout_job()
    rig.chain.pay(ADDR_A1, 300_000, confirm=True)
    rig.chain.pay(PAYOUT, 250_000, spend_from=ADDR_A1)  # the reserve's coins to the operator
    rig.chain.mine(6)
    await job.poll()
    kinds = sorted((o.kind, o.role, o.address, o.amount_sat) for o in await rig.outputs())
    assert kinds == [
        ("outflow", "outside", PAYOUT, 250_000),
        ("remittance", "reserve", ADDR_A1, 300_000),
    ]
    assert await rig.store.reserve_outputs(kinds=("payout",)) == []
    held = job.holdings
    assert held is not None
    assert [m.unapproved_sat for m in held.movements] == [250_000]


async def test_each_payout_address_costs_one_request_a_quiet_poll(rig: Rig) -> None:
    rig.chain.pay(PAYOUT, 1_000_000, confirm=True)
    rig.chain.pay(ADDR_A1, 300_000, confirm=True)
    rig.chain.mine(200)  # deeper than recheck_blocks: nothing is asked about again
    costs = []
    for job in (rig.job(), rig.payout_job()):
        await job.poll()
        before = rig.counters.value("chain", "ok")
        await job.poll()
        costs.append(rig.counters.value("chain", "ok") - before)
    # the tip, then one history page per watched address (3 reserve, then 1 payout more)
    assert costs == [1 + 3, 1 + 3 + 1]
