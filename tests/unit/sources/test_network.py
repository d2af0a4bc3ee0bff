"""NetworkJob against the fake Esplora: backfill, daily rewards, re-orgs, faults, metrics."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import aiohttp
import prometheus_client
import pytest

from collector.clock import FrozenClock
from collector.config.sections import NetworkConfig
from collector.errors import SourceBadResponse, SourceServerError
from collector.metrics import build_registry
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.network import NetworkJob
from collector.sources.network_days import (
    aggregate_days,
    difficulty_hashrate_hs,
    parse_block,
    parse_hashrate_summary,
    parse_tip_height,
)
from collector.sources.poller import Poller
from collector.sources.published import Published
from collector.store.queries import Store
from collector.store.records import BlockRecord
from simulator.fake_chain import FakeChain
from simulator.fake_esplora import serve

START = datetime(2025, 3, 1, tzinfo=UTC)
FAR = datetime(2100, 1, 1, tzinfo=UTC)


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class Rig:
    chain: FakeChain
    store: Store
    clock: FrozenClock
    http: HttpSource
    counters: RequestCounters
    url: str

    def job(
        self, *, backfill_days: int = 2, max_requests: int = 500, since: date | None = None
    ) -> NetworkJob:
        config = NetworkConfig(esplora_url=self.url, backfill_days=backfill_days)
        return NetworkJob(
            config, self.http, self.store, self.clock, max_requests=max_requests, since=since
        )


@pytest.fixture
def store(sqlite_store: Store) -> Store:
    return sqlite_store


async def _rig(store: Store, chain: FakeChain) -> AsyncIterator[Rig]:
    runner, port = await serve(chain)
    counters = RequestCounters()
    async with aiohttp.ClientSession() as session:
        http = HttpSource(session, source="network", counters=counters, sleep=_no_sleep, retries=1)
        clock = FrozenClock(datetime.fromtimestamp(chain.tip.timestamp, UTC) + timedelta(minutes=1))
        yield Rig(chain, store, clock, http, counters, f"http://127.0.0.1:{port}/api")
    await runner.cleanup()


@pytest.fixture
async def rig(store: Store) -> AsyncIterator[Rig]:
    # Three days and a bit of 10-minute blocks starting 2025-03-01 00:05.
    chain = FakeChain(start=START + timedelta(minutes=5), history_blocks=3 * 144 + 20)
    async for value in _rig(store, chain):
        yield value


def _fake_day_rewards(chain: FakeChain) -> dict[date, tuple[int, int]]:
    days: dict[date, tuple[int, int]] = {}
    for block in chain.blocks:
        day = datetime.fromtimestamp(block.timestamp, UTC).date()
        count, total = days.get(day, (0, 0))
        days[day] = (count + 1, total + block.reward_sat)
    return days


async def _assert_store_matches_chain(rig: Rig, from_day: date) -> None:
    expected = _fake_day_rewards(rig.chain)
    stored = {d.day: d for d in await rig.store.network_days()}
    for day, (count, total) in expected.items():
        if day < from_day:
            continue
        assert stored[day].blocks == count, day
        assert stored[day].rewards_sat == total, day
    blocks = await rig.store.blocks(START, FAR)
    by_height = {b.height: b.block_hash for b in blocks}
    for block in rig.chain.blocks:
        if block.height in by_height:
            assert by_height[block.height] == block.block_hash
    assert max(by_height) == rig.chain.tip.height


# -- pure parsing --------------------------------------------------------------------------


def test_block_reward_comes_from_mempool_extras() -> None:
    doc = {
        "id": "ab" * 32,
        "height": 850_000,
        "timestamp": 1_700_000_000,
        "difficulty": 8.3e13,
        "extras": {"reward": 315_000_000, "totalFees": 2_500_000},
    }
    parsed = parse_block(doc)
    assert parsed.record == BlockRecord(
        850_000, "ab" * 32, datetime.fromtimestamp(1_700_000_000, UTC), 315_000_000
    )
    assert parsed.difficulty == 8.3e13


@pytest.mark.parametrize(
    "change",
    [
        {"extras": None},
        {"extras": {"reward": 3.125}},
        {"id": "not-a-hash"},
        {"height": -1},
        {"timestamp": "yesterday"},
    ],
)
def test_malformed_block_is_rejected_with_a_clear_error(change: dict[str, object]) -> None:
    doc: dict[str, object] = {
        "id": "ab" * 32,
        "height": 1,
        "timestamp": 1_700_000_000,
        "extras": {"reward": 1},
    }
    doc.update(change)
    with pytest.raises(SourceBadResponse):
        parse_block(doc)


def test_hashrate_summary_maps_daily_points_to_utc_days() -> None:
    summary = parse_hashrate_summary(
        {
            "hashrates": [{"timestamp": 1_740_787_200, "avgHashrate": 8.1e20}],
            "difficulty": [],
            "currentHashrate": 8.4e20,
            "currentDifficulty": 1.1e14,
        }
    )
    assert summary.daily_hashrate_hs == {date(2025, 3, 1): 8.1e20}
    assert summary.current_hashrate_hs == 8.4e20


def test_hashrate_summary_of_zeros_means_node_down_and_is_rejected() -> None:
    with pytest.raises(SourceBadResponse, match="node down"):
        parse_hashrate_summary({"hashrates": [], "currentHashrate": 0, "currentDifficulty": 0})


def test_tip_height_text_must_be_a_number() -> None:
    assert parse_tip_height("850123\n") == 850123
    with pytest.raises(SourceBadResponse):
        parse_tip_height("<html>")


def test_blocks_are_counted_on_the_utc_day_of_their_timestamp() -> None:
    def block(height: int, when: datetime) -> BlockRecord:
        return BlockRecord(height, f"{height:064x}", when, 312_500_000 + height)

    blocks = {
        10: block(10, datetime(2025, 3, 1, 23, 40, tzinfo=UTC)),
        11: block(11, datetime(2025, 3, 1, 23, 59, 59, tzinfo=UTC)),
        12: block(12, datetime(2025, 3, 2, 0, 0, tzinfo=UTC)),
        13: block(13, datetime(2025, 3, 2, 0, 20, tzinfo=UTC)),
    }
    days = aggregate_days(
        blocks,
        [date(2025, 3, 1), date(2025, 3, 2)],
        daily_hashrate_hs={date(2025, 3, 1): 9e20},
        difficulty_by_height={12: 1e14, 13: 1e14},
    )
    first, second = days
    assert (first.blocks, first.rewards_sat) == (2, 2 * 312_500_000 + 21)
    assert first.hashrate_hs == 9e20  # mempool's daily point wins
    assert first.complete is False  # the parent of its first block is unknown
    assert (second.blocks, second.rewards_sat) == (2, 2 * 312_500_000 + 25)
    assert second.hashrate_hs == difficulty_hashrate_hs(1e14)  # no point: from difficulty
    assert second.complete is False  # no block of a later day yet


def test_a_day_is_complete_once_a_later_block_exists_without_gaps() -> None:
    base = datetime(2025, 3, 1, 23, 0, tzinfo=UTC)
    blocks = {
        h: BlockRecord(h, f"{h:064x}", base + timedelta(minutes=30 * (h - 1)), 1)
        for h in range(1, 6)
    }
    (day,) = aggregate_days(
        blocks, [date(2025, 3, 2)], daily_hashrate_hs={}, difficulty_by_height={}
    )
    assert day.complete is False  # blocks 3..5 are on 2 March, nothing later yet
    blocks[6] = BlockRecord(6, f"{6:064x}", datetime(2025, 3, 3, 0, 1, tzinfo=UTC), 1)
    (day,) = aggregate_days(
        blocks, [date(2025, 3, 2)], daily_hashrate_hs={}, difficulty_by_height={}
    )
    assert day.complete is True
    del blocks[4]
    (day,) = aggregate_days(
        blocks, [date(2025, 3, 2)], daily_hashrate_hs={}, difficulty_by_height={}
    )
    assert day.complete is False


# -- the job against the fake Esplora ------------------------------------------------------


async def test_backfill_stores_blocks_and_daily_rewards_of_the_window(rig: Rig) -> None:
    job = rig.job(backfill_days=2)
    await job.poll()
    assert job.backfill_complete
    window_start = date(2025, 3, 2)  # clock is 2025-03-04 03:25; 2 days back
    await _assert_store_matches_chain(rig, window_start)
    days = {d.day: d for d in await rig.store.network_days()}
    assert days[date(2025, 3, 2)].blocks == 144
    assert days[date(2025, 3, 2)].complete
    assert days[date(2025, 3, 3)].complete
    assert not days[date(2025, 3, 4)].complete  # today
    assert days[date(2025, 3, 2)].hashrate_hs == pytest.approx(difficulty_hashrate_hs(1.4e14))
    tip = await rig.store.chain_tip("main")
    assert tip is not None
    assert (tip.height, tip.block_hash) == (rig.chain.tip.height, rig.chain.tip.block_hash)


async def test_a_second_poll_fetches_one_page_and_changes_nothing(rig: Rig) -> None:
    job = rig.job()
    await job.poll()
    before_days = await rig.store.network_days()
    before_blocks = await rig.store.blocks(START, FAR)
    requests_before = len(rig.chain.requests)
    await job.poll()
    assert await rig.store.network_days() == before_days
    assert await rig.store.blocks(START, FAR) == before_blocks
    # tip height, hash rate, one page of blocks
    assert len(rig.chain.requests) - requests_before == 3


async def test_backfill_is_bounded_per_poll_and_resumes(rig: Rig) -> None:
    job = rig.job(backfill_days=2, max_requests=6)
    polls = 0
    while True:
        await job.poll()
        polls += 1
        if job.backfill_complete:
            break
        assert polls < 20
    assert polls > 1
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_since_reaches_the_window_back_past_backfill_days(rig: Rig) -> None:
    # backfill_days 1 would stop at 3 March; since 2 March, every closed day from it is filled.
    job = rig.job(backfill_days=1, max_requests=6, since=date(2025, 3, 2))
    await job.poll()
    progress = job.progress()
    assert (progress.first_day, progress.days_to_do) == (date(2025, 3, 2), 2)
    assert not progress.walk_complete
    assert progress.requests == 6
    while not job.progress().walk_complete:
        await job.poll()
    progress = job.progress()
    assert (progress.days_done, progress.missing_days) == (2, ())
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_progress_names_the_days_the_chain_has_no_complete_record_of(rig: Rig) -> None:
    # The chain starts on 1 March 00:05: that day's first block has no parent, and February
    # has no block at all.
    job = rig.job(since=date(2025, 2, 27))
    await job.poll()
    progress = job.progress()
    assert progress.walk_complete
    assert progress.missing_days == (date(2025, 2, 27), date(2025, 2, 28), date(2025, 3, 1))
    assert progress.days_done == 2


async def test_a_restarted_job_resumes_from_the_store(rig: Rig) -> None:
    await rig.job(max_requests=8).poll()
    job = rig.job()
    await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))
    first_requests = len(rig.chain.requests)
    await job.poll()
    assert len(rig.chain.requests) - first_requests == 3


async def test_new_blocks_extend_the_chain_and_close_the_day(rig: Rig) -> None:
    job = rig.job()
    await job.poll()
    rig.chain.mine(150)
    await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))
    days = {d.day: d for d in await rig.store.network_days()}
    assert days[date(2025, 3, 4)].complete


async def test_a_reorg_to_a_lower_tip_replaces_blocks_and_day_totals(rig: Rig) -> None:
    job = rig.job()
    await job.poll()
    old_tip = rig.chain.tip.height
    rig.chain.reorg(3, new_blocks=2)
    assert rig.chain.tip.height == old_tip - 1
    seen = await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))
    assert (seen.tip_height, seen.reorg_from) == (old_tip - 1, old_tip - 2)


async def test_a_poll_returns_the_tip_the_current_values_and_the_newest_days_hash_rate(
    rig: Rig,
) -> None:
    job = rig.job()
    seen = await job.poll()
    assert seen.tip_height == rig.chain.tip.height
    assert seen.difficulty == 1.4e14
    assert seen.hashrate_hs == pytest.approx(1.0e21, rel=0.01)
    [*_, today] = await rig.store.network_days()
    assert (seen.latest_day, seen.latest_day_hashrate_hs) == (today.day, today.hashrate_hs)
    assert seen.blocks_fetched > 0
    assert seen.reorg_from is None
    assert (await job.poll()).blocks_fetched == 15  # one page: the chain joins what is stored


async def test_a_deep_reorg_beyond_one_page_is_followed(rig: Rig) -> None:
    job = rig.job()
    await job.poll()
    rig.chain.reorg(40)
    await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_a_server_error_fails_the_poll_and_the_next_one_recovers(rig: Rig) -> None:
    job = rig.job()
    rig.chain.fail_next(500, count=2, path_contains="/v1/blocks")
    with pytest.raises(SourceServerError):
        await job.poll()
    assert rig.counters.value("network", "server_error") == 2  # first try + one retry
    await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_rate_limit_with_retry_after_is_waited_out(rig: Rig) -> None:
    rig.chain.fail_next(429, path_contains="/tip/height", retry_after_s=1)
    await rig.job().poll()
    assert rig.counters.value("network", "rate_limited") == 1
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_truncated_json_keeps_what_was_stored(rig: Rig) -> None:
    job = rig.job()
    await job.poll()
    before = await rig.store.network_days()
    rig.chain.mine(2)
    rig.chain.fail_next(200, path_contains="/v1/blocks")
    with pytest.raises(SourceBadResponse):
        await job.poll()
    assert await rig.store.network_days() == before
    await job.poll()
    await _assert_store_matches_chain(rig, date(2025, 3, 2))


async def test_network_metrics_show_last_good_values(rig: Rig) -> None:
    job = rig.job()
    poller = Poller([job], rig.clock)
    registry, _ = build_registry([Published(poller, network=job.target)])
    assert registry.get_sample_value("reservewatch_network_tip_height") is None
    assert await poller.run_once() == {job.target: "ok"}
    rig.chain.fail_next(500, count=10)
    assert await poller.run_once() == {job.target: "server_error"}
    assert registry.get_sample_value("reservewatch_network_tip_height") == rig.chain.tip.height
    assert registry.get_sample_value("reservewatch_network_difficulty") == 1.4e14
    hashrate = registry.get_sample_value("reservewatch_network_hashrate_hashes_per_second")
    assert hashrate == pytest.approx(1.0e21, rel=0.01)
    assert b"reservewatch_network_tip_height" in prometheus_client.generate_latest(registry)


@pytest.fixture
async def plain_rig(store: Store) -> AsyncIterator[Rig]:
    chain = FakeChain(
        start=START + timedelta(minutes=5), history_blocks=2 * 144 + 20, mempool_api=False
    )
    async for value in _rig(store, chain):
        yield value


async def test_plain_esplora_rewards_come_from_the_coinbase(plain_rig: Rig) -> None:
    job = plain_rig.job(backfill_days=1)
    seen = await job.poll()
    assert job.backfill_complete
    await _assert_store_matches_chain(plain_rig, date(2025, 3, 2))
    assert seen.difficulty == 1.4e14
