"""The bitcoind JSON-RPC source against the fake bitcoind: the Esplora tests' properties."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from collector.bitcoin.descriptors import parse_descriptor
from collector.clock import FrozenClock
from collector.config.load import parse_config
from collector.config.model import Config
from collector.config.sections import BitcoindConfig, DatabaseConfig, NetworkConfig
from collector.errors import SourceBadResponse, SourceServerError, SourceUnauthorized
from collector.metrics import build_registry
from collector.sources.backends import build_chain_jobs, uses_bitcoind
from collector.sources.bitcoind import BitcoindNetworkJob, BitcoindReserveJob
from collector.sources.bitcoind_rpc import (
    RPC_PAGE,
    BitcoindRpc,
    BitcoindRpcError,
    btc_to_sat,
    parse_block_stats,
    with_wallet,
)
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.network_days import difficulty_hashrate_hs
from collector.sources.poller import Poller
from collector.sources.published import Published
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import BlockRecord, ReserveOutputRecord
from simulator.fake_bitcoind import FakeBitcoind, serve
from simulator.fake_chain import FakeChain
from simulator.keys import multisig_descriptor, wpkh_descriptor
from tests.support.configs import build_config, operation, raw_config
from tests.unit.sources.conftest import Watched

START = datetime(2025, 3, 1, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)
ADDR_A = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ADDR_B = "3J98t1WpEZ73CNmQviecrnyiWrnqRhWNLy"
COLD = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"  # cold storage: not a watched address


async def _no_sleep(_: float) -> None:
    return None


def _network(url: str, password_file: Path) -> dict[str, Any]:
    """The node at ``url`` (its password in ``password_file``), two days backfilled."""
    node = {"url": url, "user": "reservewatch", "password_file": str(password_file)}
    return {"bitcoind": node, "backfill_days": 2}


def _raw(url: str, password_file: Path, **reserve: int) -> dict[str, Any]:
    """alpha pays the reserve at ADDR_A, beta at ADDR_B, both at 50 %; through the node."""
    return raw_config(
        operation("alpha", ADDR_A, rate="0.5"),
        operation("beta", ADDR_B, rate="0.5"),
        network=_network(url, password_file),
        reserve=reserve,
    )


def _config(url: str, password_file: Path, **reserve: int) -> Config:
    return parse_config(_raw(url, password_file, **reserve))


@dataclass
class Rig:
    chain: FakeChain
    node: FakeBitcoind
    store: Store
    clock: FrozenClock
    counters: RequestCounters
    session: aiohttp.ClientSession
    url: str
    password_file: Path

    def http(self, source: str) -> HttpSource:
        return HttpSource(
            self.session, source=source, counters=self.counters, sleep=_no_sleep, retries=1
        )

    def rpc(self, source: str = "network", *, wallet: bool = False) -> BitcoindRpc:
        config = _config(self.url, self.password_file).network.bitcoind
        assert config is not None
        url = with_wallet(self.url) if wallet else self.url
        return BitcoindRpc(self.http(source), url, config)

    def network_job(self, *, max_requests: int = 120) -> BitcoindNetworkJob:
        config = _config(self.url, self.password_file).network
        return BitcoindNetworkJob(
            config, self.rpc(), self.store, self.clock, max_requests=max_requests
        )

    def reserve_job(self, **reserve: int) -> Watched:
        config = _config(self.url, self.password_file, **reserve)
        return self.watched(config)

    def watched(self, config: Config) -> Watched:
        job = BitcoindReserveJob(config, self.rpc("chain", wallet=True), self.store, self.clock)
        return Watched(job, self.store, config)

    async def outputs(self) -> dict[tuple[str, int], ReserveOutputRecord]:
        records = await self.store.reserve_outputs(statuses=("mempool", "confirmed", "removed"))
        return {(o.txid, o.vout): o for o in records}


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    password_file = tmp_path / "rpc-password"
    password_file.write_text("fake-rpc-password\n")
    password_file.chmod(0o600)
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    store = Store(engine)
    # Three days and a bit of 10-minute blocks starting 2025-03-01 00:05.
    chain = FakeChain(start=START + timedelta(minutes=5), history_blocks=3 * 144 + 20)
    node = FakeBitcoind(chain)
    node.import_address(ADDR_A)
    node.import_address(ADDR_B)
    runner, port = await serve(node)
    counters = RequestCounters()
    async with aiohttp.ClientSession() as session:
        clock = FrozenClock(datetime.fromtimestamp(chain.tip.timestamp, UTC) + timedelta(minutes=1))
        url = f"http://127.0.0.1:{port}"
        yield Rig(chain, node, store, clock, counters, session, url, password_file)
    await runner.cleanup()
    await store.close()


async def _assert_store_matches_chain(rig: Rig, from_day: date) -> None:
    expected: dict[date, tuple[int, int]] = {}
    for block in rig.chain.blocks:
        day = datetime.fromtimestamp(block.timestamp, UTC).date()
        count, total = expected.get(day, (0, 0))
        expected[day] = (count + 1, total + block.reward_sat)
    stored = {d.day: d for d in await rig.store.network_days()}
    for day, (count, total) in expected.items():
        if day >= from_day:
            assert (stored[day].blocks, stored[day].rewards_sat) == (count, total), day
    by_height = {b.height: b.block_hash for b in await rig.store.blocks(START, FAR)}
    for block in rig.chain.blocks:
        if block.height in by_height:
            assert by_height[block.height] == block.block_hash
    assert max(by_height) == rig.chain.tip.height


# -- pure ------------------------------------------------------------------------------------


def test_block_reward_is_subsidy_plus_total_fee() -> None:
    parsed = parse_block_stats(
        {
            "height": 880_000,
            "time": 1_740_787_500,
            "subsidy": 312_500_000,
            "totalfee": 4_321_987,
            "blockhash": "ab" * 32,
        }
    )
    assert parsed.record.reward_sat == 316_821_987
    assert parsed.record.time == datetime(2025, 3, 1, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    "change", [{"subsidy": 3.125}, {"blockhash": "zz"}, {"time": -5}, {"totalfee": None}]
)
def test_malformed_block_stats_are_rejected(change: dict[str, object]) -> None:
    doc: dict[str, object] = {
        "height": 1, "time": 1, "subsidy": 1, "totalfee": 1, "blockhash": "ab" * 32,
    }  # fmt: skip
    doc.update(change)
    with pytest.raises(SourceBadResponse):
        parse_block_stats(doc)


def test_btc_amounts_become_exact_satoshis() -> None:
    assert btc_to_sat(Decimal("0.00080000"), "amount") == 80_000
    assert btc_to_sat(Decimal("20999999.97690000"), "amount") == 2_099_999_997_690_000
    with pytest.raises(SourceBadResponse):
        btc_to_sat(Decimal("0.000000001"), "amount")
    with pytest.raises(SourceBadResponse):
        btc_to_sat(0.5, "amount")


def test_wallet_endpoint_is_added_unless_the_url_names_one() -> None:
    assert with_wallet("http://node:8332") == "http://node:8332/wallet/reservewatch"
    assert with_wallet("http://node:8332/wallet/reserve") == "http://node:8332/wallet/reserve"


def test_bitcoind_is_used_only_when_esplora_url_is_not_written() -> None:
    bitcoind = BitcoindConfig(url="http://node:8332")
    assert uses_bitcoind(NetworkConfig(bitcoind=bitcoind))
    assert uses_bitcoind(NetworkConfig(bitcoind=bitcoind, esplora_url=None))
    assert not uses_bitcoind(NetworkConfig(bitcoind=bitcoind, esplora_url="http://e/api"))
    assert not uses_bitcoind(NetworkConfig())


# -- the client ------------------------------------------------------------------------------


async def test_an_rpc_error_object_sent_with_http_500_is_an_answer_not_a_server_error(
    rig: Rig,
) -> None:
    rpc = rig.rpc()
    with pytest.raises(BitcoindRpcError) as caught:
        await rpc.call("getblockhash", 10**9)
    assert caught.value.code == -8
    assert rig.counters.value("network", "ok") == 1
    assert rig.counters.value("network", "server_error") == 0


async def test_an_unknown_method_counts_bad_response(rig: Rig) -> None:
    with pytest.raises(SourceBadResponse, match="method not found"):
        await rig.rpc().call("getblockchainfoo")
    assert rig.counters.value("network", "bad_response") == 1


async def test_wrong_credentials_count_unauthorized_and_are_not_retried(rig: Rig) -> None:
    rig.password_file.write_text("wrong")
    with pytest.raises(SourceUnauthorized):
        await rig.rpc().call("getblockcount")
    assert rig.counters.value("network", "unauthorized") == 1
    assert rig.node.http_requests == 1


async def test_a_cookie_file_authenticates_without_a_user(rig: Rig, tmp_path: Path) -> None:
    cookie = tmp_path / ".cookie"
    cookie.write_text("reservewatch:fake-rpc-password")
    rpc = BitcoindRpc(
        rig.http("network"), rig.url, BitcoindConfig(url=rig.url, password_file=cookie)
    )
    assert await rpc.call("getblockcount") == rig.chain.tip.height


async def test_a_plain_text_5xx_is_a_retried_server_error(rig: Rig) -> None:
    rig.chain.fail_next(503, count=2, path_contains="getblockcount")
    with pytest.raises(SourceServerError):
        await rig.rpc().call("getblockcount")
    assert rig.counters.value("network", "server_error") == 2


# -- the network job -------------------------------------------------------------------------


async def test_backfill_stores_blocks_and_daily_rewards_of_the_window(rig: Rig) -> None:
    job = rig.network_job()
    await job.poll()
    assert job.backfill_complete
    await _assert_store_matches_chain(rig, date(2025, 3, 2))
    days = {d.day: d for d in await rig.store.network_days()}
    assert days[date(2025, 3, 2)].blocks == 144
    assert days[date(2025, 3, 2)].complete and days[date(2025, 3, 3)].complete
    assert not days[date(2025, 3, 4)].complete
    assert days[date(2025, 3, 2)].hashrate_hs == pytest.approx(difficulty_hashrate_hs(1.4e14))
    assert days[date(2025, 3, 2)].difficulty == 1.4e14
    tip = await rig.store.chain_tip("main")
    assert tip is not None
    assert (tip.height, tip.block_hash) == (rig.chain.tip.height, rig.chain.tip.block_hash)


async def test_a_second_poll_asks_for_one_page_and_changes_nothing(rig: Rig) -> None:
    job = rig.network_job()
    await job.poll()
    before = (await rig.store.network_days(), await rig.store.blocks(START, FAR))
    requests = rig.node.http_requests
    await job.poll()
    assert (await rig.store.network_days(), await rig.store.blocks(START, FAR)) == before
    # getmininginfo, one page of getblockstats, one batch of day values
    assert rig.node.http_requests - requests == 3


async def test_backfill_is_bounded_per_poll_and_resumes(rig: Rig) -> None:
    job = rig.network_job(max_requests=3)
    polls = 0
    while not job.backfill_complete or polls == 0:
        await job.poll()
        polls += 1
        assert polls < 20
    assert polls > 1
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_new_blocks_close_the_day_across_midnight(rig: Rig) -> None:
    job = rig.network_job()
    await job.poll()
    rig.chain.mine(150)
    await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))
    assert {d.day: d for d in await rig.store.network_days()}[date(2025, 3, 4)].complete


class RecordingStore(Store):
    """The real store, noting how many blocks each block write carried."""

    def __init__(self, store: Store) -> None:
        super().__init__(store.engine)
        self.upserted: list[int] = []
        self.replaced: list[int] = []

    async def upsert_blocks(self, blocks: Sequence[BlockRecord]) -> None:
        self.upserted.append(len(blocks))
        await super().upsert_blocks(blocks)

    async def replace_blocks_from(self, blocks: Sequence[BlockRecord]) -> None:
        self.replaced.append(len(blocks))
        await super().replace_blocks_from(blocks)


async def test_each_poll_writes_only_the_blocks_it_fetched(rig: Rig) -> None:
    store = RecordingStore(rig.store)
    job = BitcoindNetworkJob(
        _config(rig.url, rig.password_file).network, rig.rpc(), store, rig.clock, max_requests=3
    )
    await job.poll()  # head + two pages
    assert store.upserted == [100] and store.replaced == []
    await job.poll()  # the tip's page is known: resumes the backfill below it
    assert store.upserted[-1] <= 2 * RPC_PAGE and store.replaced == []
    rig.chain.reorg(3)
    while not job.backfill_complete:
        await job.poll()
    assert store.replaced == [3]
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_a_reorg_to_a_lower_tip_replaces_blocks_and_day_totals(rig: Rig) -> None:
    job = rig.network_job()
    await job.poll()
    old_tip = rig.chain.tip.height
    rig.chain.reorg(3, new_blocks=2)
    seen = await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))
    assert seen.tip_height == old_tip - 1


async def test_a_deep_reorg_beyond_one_page_is_followed(rig: Rig) -> None:
    job = rig.network_job()
    await job.poll()
    rig.chain.reorg(70)
    await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_truncated_json_keeps_what_was_stored(rig: Rig) -> None:
    job = rig.network_job()
    await job.poll()
    before = await rig.store.network_days()
    rig.chain.mine(2)
    rig.chain.fail_next(200, path_contains="getblockstats")
    with pytest.raises(SourceBadResponse):
        await job.poll()
    assert await rig.store.network_days() == before
    await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_network_metrics_come_from_getmininginfo(rig: Rig) -> None:
    job = rig.network_job()
    poller = Poller([job], rig.clock)
    registry, _ = build_registry([Published(poller, network=job.target)])
    assert await poller.run_once() == {job.target: "ok"}
    assert registry.get_sample_value("reservewatch_network_tip_height") == rig.chain.tip.height
    assert registry.get_sample_value("reservewatch_network_difficulty") == 1.4e14
    hashrate = registry.get_sample_value("reservewatch_network_hashrate_hashes_per_second")
    assert hashrate == pytest.approx(difficulty_hashrate_hs(1.4e14))


# -- the reserve job -------------------------------------------------------------------------


async def test_every_output_paying_a_reserve_address_is_stored_once(rig: Rig) -> None:
    txid = rig.chain.pay(ADDR_A, 50_000, extra_outputs=[(ADDR_B, 1_000), (ADDR_A, 7)])
    job = rig.reserve_job()
    assert (await job.poll()).stored_new
    assert not (await job.poll()).stored_new  # the same outputs, as they were: nothing new
    outputs = await rig.outputs()
    assert sorted((o.vout, o.operation_id, o.amount_sat, o.status) for o in outputs.values()) == [
        (0, "alpha", 50_000, "mempool"),
        (1, "beta", 1_000, "mempool"),
        (2, "alpha", 7, "mempool"),
    ]
    rig.chain.mine(1)
    watched = await job.poll()
    assert (watched.tip_height, watched.stored_new) == (rig.chain.tip.height, True)
    confirmed = (await rig.outputs())[(txid, 0)]
    assert (confirmed.status, confirmed.block_height) == ("confirmed", rig.chain.tip.height)
    assert confirmed.block_time == datetime.fromtimestamp(rig.chain.tip.timestamp, UTC)


async def test_the_reserves_own_spends_are_movements_not_remittances(rig: Rig) -> None:
    rig.chain.pay(ADDR_A, 100_000, confirm=True)  # the operation remits
    # The reserve pays out with change back to a reserve address, then consolidates: the
    # wallet lists both with "send" entries as well as the "receive" of the change.
    rig.chain.pay(COLD, 60_000, extra_outputs=[(ADDR_A, 39_000)], spend_from=ADDR_A)
    rig.chain.pay(ADDR_B, 38_000, spend_from=ADDR_A, confirm=True)
    rig.chain.mine(6)
    job = rig.reserve_job()
    await job.poll()
    kinds = sorted((o.kind, o.operation_id, o.amount_sat) for o in (await rig.outputs()).values())
    assert kinds == [
        ("internal", "alpha", 39_000),
        ("internal", "beta", 38_000),
        ("outflow", "", 60_000),  # to an address no wallet watches (gettransaction's decoded)
        ("remittance", "alpha", 100_000),
    ]
    assert job.received_sat == {"alpha": 100_000}
    held = job.holdings
    assert held is not None
    assert held.by_source == {("mined", "alpha"): 38_000}
    assert [m.destination for m in held.movements] == ["unapproved", "internal"]
    # bitcoind keeps no index of other addresses' histories: how new COLD is, it cannot tell.
    assert job.figures is not None
    assert [(d.address, d.age) for d in job.figures.destinations] == [(COLD, "unknown")]


def _wallet_config(rig: Rig, gap_limit: int = 3) -> Config:
    return build_config(
        operation("alpha", rate="0.5", reserve_addresses=[], reserve_descriptor=wpkh_descriptor(0)),
        network=_network(rig.url, rig.password_file),
        reserve={
            "confirmations": 1,
            "gap_limit": gap_limit,
            "intake": [
                {"case": "case-7", "addresses": [ADDR_B], "authority": "AFM", "order_ref": "7"}
            ],
            "custody": [{"name": "vault", "descriptor": multisig_descriptor((1, 2, 3), 2)}],
        },
    )


async def test_descriptor_wallets_must_be_imported_and_the_error_says_how(rig: Rig) -> None:
    config = _wallet_config(rig)
    job = rig.watched(config)
    with pytest.raises(SourceBadResponse, match="importdescriptors") as caught:
        await job.poll()
    assert wpkh_descriptor(0) in str(caught.value)
    # Imported with a range shorter than the gap limit: refused as well.
    rig.node.import_descriptors([{"desc": wpkh_descriptor(0), "range": [0, 1]}])
    with pytest.raises(SourceBadResponse, match=r"range below reserve\.gap_limit"):
        await job.poll()


async def test_descriptor_wallets_through_bitcoind_hold_by_source(rig: Rig) -> None:
    d = parse_descriptor(wpkh_descriptor(0), "main")
    vault = parse_descriptor(multisig_descriptor((1, 2, 3), 2), "main")
    rig.node.import_descriptors(
        [{"desc": wpkh_descriptor(0), "range": 99}, {"desc": vault.text, "range": [0, 99]}]
    )
    rig.chain.pay(d.address(40), 70_000, confirm=True)  # within the node's range, past our gap
    rig.chain.pay(ADDR_B, 30_000, confirm=True)  # seized coins for case-7
    rig.chain.pay(vault.address(0), 69_000, confirm=True, spend_from=d.address(40))
    rig.chain.pay(COLD, 10_000, spend_from=ADDR_B, extra_outputs=[(vault.address(1), 19_000)])
    job = rig.watched(_wallet_config(rig))
    await job.poll()
    held = job.holdings
    assert held is not None
    assert held.by_wallet == {("custody", "vault"): 88_000}
    assert held.by_source == {("mined", "alpha"): 69_000}  # case-7 seized: held apart
    assert job.figures is not None and job.figures.apart == {("seized", "case-7"): 19_000}
    assert [(m.destination, m.to_custody_sat, m.unapproved_sat) for m in held.movements] == [
        ("custody", 69_000, 0),
        ("unapproved", 19_000, 10_000),  # in the mempool: counted at once
    ]
    assert job.published is not None
    assert job.published.watched["reserve"] == 100  # as far as the node watches


async def test_received_total_counts_only_after_enough_confirmations(rig: Rig) -> None:
    job = rig.reserve_job(confirmations=6)
    registry, _ = build_registry([job.metrics])
    rig.chain.pay(ADDR_A, 250_000_000, confirm=True)
    rig.chain.mine(4)
    await job.poll()
    alpha = {"operation": "alpha"}
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 0.0
    rig.chain.mine(1)
    await job.poll()
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 2.5


async def test_a_replaced_mempool_payment_is_removed_and_its_replacement_seen(rig: Rig) -> None:
    job = rig.reserve_job()
    txid = rig.chain.pay(ADDR_B, 80_000)
    await job.poll()
    new_txid = rig.chain.replace(txid, [(ADDR_B, 79_000)])
    await job.poll()
    outputs = await rig.outputs()
    assert outputs[(txid, 0)].status == "removed"
    assert outputs[(new_txid, 0)].status == "mempool"
    rig.chain.mine(1)
    await job.poll()
    assert (await rig.outputs())[(new_txid, 0)].status == "confirmed"


async def test_a_reorg_that_drops_a_payment_removes_it_and_a_later_one_restores_it(
    rig: Rig,
) -> None:
    job = rig.reserve_job(confirmations=1)
    registry, _ = build_registry([job.metrics])
    alpha = {"operation": "alpha"}
    txid = rig.chain.pay(ADDR_A, 300_000, confirm=True)
    rig.chain.mine(2)
    await job.poll()
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 0.003
    dropped = rig.chain.txs[txid]
    rig.chain.reorg(3, new_blocks=2, drop=frozenset({txid}))
    await job.poll()
    assert (await rig.outputs())[(txid, 0)].status == "removed"
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 0.0
    dropped.block_hash = None
    rig.chain.txs[txid] = dropped
    rig.chain.mempool.append(txid)
    rig.chain.mine(1)
    await job.poll()
    restored = (await rig.outputs())[(txid, 0)]
    assert (restored.status, restored.block_hash) == ("confirmed", rig.chain.tip.block_hash)
    assert registry.get_sample_value("reservewatch_reserve_received_btc_total", alpha) == 0.003


async def test_a_reorg_that_moves_a_payment_follows_it_to_the_new_block(rig: Rig) -> None:
    job = rig.reserve_job()
    txid = rig.chain.pay(ADDR_A, 1_000, confirm=True)
    old_hash = rig.chain.tip.block_hash
    await job.poll()
    rig.chain.reorg(1, new_blocks=1, include_txs=False)
    await job.poll()
    assert (await rig.outputs())[(txid, 0)].status == "mempool"
    rig.chain.mine(1)
    await job.poll()
    moved = (await rig.outputs())[(txid, 0)]
    assert moved.status == "confirmed"
    assert moved.block_hash not in (None, old_hash)


async def test_repeated_polls_are_idempotent_and_list_only_recent_blocks(rig: Rig) -> None:
    for n in range(30):
        rig.chain.pay(ADDR_B, 1_000 + n, confirm=True)
    rig.chain.mine(10)
    job = rig.reserve_job(recheck_blocks=5)
    await job.poll()
    first = await rig.outputs()
    assert len(first) == 30
    await job.poll()
    assert await rig.outputs() == first
    assert rig.node.calls.count("gettransaction") == 0  # nothing vanished: no recheck


async def test_an_address_missing_from_the_wallet_fails_with_the_fix(rig: Rig) -> None:
    rig.node.addresses.discard(ADDR_B)
    with pytest.raises(SourceBadResponse, match="importdescriptors"):
        await rig.reserve_job().poll()


async def test_build_chain_jobs_uses_bitcoind_when_only_it_is_configured(rig: Rig) -> None:
    rig.chain.pay(ADDR_B, 5_000, confirm=True)
    jobs = build_chain_jobs(
        _config(rig.url, rig.password_file), rig.store, rig.session, rig.counters, rig.clock
    )
    assert [(j.source, j.target) for j in jobs] == [
        ("network", rig.url.removeprefix("http://")),
        ("chain", rig.url.removeprefix("http://") + "/reserve-wallet"),
    ]
    poller = Poller(jobs, rig.clock)
    assert set((await poller.run_once()).values()) == {"ok"}
    registry, _ = build_registry([Published(poller, network=jobs[0].target)])
    assert registry.get_sample_value("reservewatch_network_tip_height") == rig.chain.tip.height
    assert [o.amount_sat for o in (await rig.outputs()).values()] == [5_000]


async def test_a_payout_wallet_through_bitcoind_is_stored_apart_and_its_spends_are_not_the_reserves(
    rig: Rig,
) -> None:
    payout = parse_descriptor(wpkh_descriptor(5), "main")
    rig.node.import_descriptors([{"desc": payout.text, "range": 99}])
    config = _raw(rig.url, rig.password_file, confirmations=1)
    config["operations"][0]["payout_wallets"] = [{"descriptor": payout.text}]
    rig.chain.pay(payout.address(0), 1_000_000, confirm=True)  # the pool pays alpha
    # alpha remits from its payout wallet, with change back to it (the node lists a "send")
    rig.chain.pay(
        ADDR_A, 300_000, extra_outputs=[(payout.address(1), 600_000)], spend_from=payout.address(0)
    )
    # the reserve pays alpha's payout wallet: its coins leave the reserve
    rig.chain.pay(payout.address(2), 50_000, extra_outputs=[(ADDR_A, 240_000)], spend_from=ADDR_A)
    rig.chain.mine(6)
    job = rig.watched(parse_config(config))
    await job.poll()
    kinds = sorted((o.kind, o.role, o.amount_sat) for o in (await rig.outputs()).values())
    assert kinds == [
        ("internal", "reserve", 240_000),
        ("outflow", "outside", 50_000),
        ("remittance", "reserve", 300_000),  # paid from the payout wallet: still a remittance
    ]
    payouts = await rig.store.reserve_outputs(statuses=("confirmed",), kinds=("payout",))
    assert [(o.operation_id, o.address, o.amount_sat) for o in payouts] == [
        ("alpha", payout.address(0), 1_000_000)  # the change to payout.address(1) is no payout
    ]
    assert len(await rig.store.reserve_spends()) == 1  # the reserve's own spend only
    assert job.received_sat == {"alpha": 300_000}
    held = job.holdings
    assert held is not None and held.by_source == {("mined", "alpha"): 240_000}
    assert [(m.destination, m.unapproved_sat) for m in held.movements] == [("unapproved", 50_000)]
    assert job.published is not None
    assert job.published.watched["payout"] >= 20  # the gap limit past the last one used
