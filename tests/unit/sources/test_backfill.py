"""A backfill: the network polled until its window is walked, the others until they succeed;
its progress line on a terminal and off one; the one line saying what is missing."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest

from collector.clock import FrozenClock
from collector.config.sections import DatabaseConfig, NetworkConfig
from collector.errors import SourceError, SourceUnauthorized
from collector.sources.backfill import Backfill, ProgressLine
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.network import NetworkJob
from collector.sources.poller import Poller
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from simulator.fake_chain import FakeChain
from simulator.fake_esplora import serve

START = datetime(2025, 3, 1, tzinfo=UTC)


async def _no_sleep(_: float) -> None:
    return None


@dataclass
class ScriptedJob:
    target: str
    failures: list[SourceError | None] = field(default_factory=list)
    source: str = "pool"
    interval_s: float = 60

    async def poll(self) -> None:
        if self.failures and (failure := self.failures.pop(0)) is not None:
            raise failure


@dataclass
class Rig:
    network: NetworkJob
    counters: RequestCounters
    clock: FrozenClock


@pytest.fixture
async def rig(tmp_path: Path) -> AsyncIterator[Rig]:
    # Three days and a bit of 10-minute blocks from 1 March 00:05.
    chain = FakeChain(start=START + timedelta(minutes=5), history_blocks=3 * 144 + 20)
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    store = Store(engine)
    runner, port = await serve(chain)
    counters = RequestCounters()
    clock = FrozenClock(datetime.fromtimestamp(chain.tip.timestamp, UTC) + timedelta(minutes=1))
    async with aiohttp.ClientSession() as session:
        http = HttpSource(session, source="network", counters=counters, sleep=_no_sleep, retries=1)
        config = NetworkConfig(esplora_url=f"http://127.0.0.1:{port}/api", backfill_days=1)
        network = NetworkJob(config, http, store, clock, max_requests=6, since=date(2025, 3, 2))
        yield Rig(network, counters, clock)
    await runner.cleanup()
    await store.close()


def _backfill(rig: Rig, others: list[ScriptedJob], stream: io.StringIO, *, tty: bool) -> Backfill:
    poller = Poller([rig.network, *others], rig.clock, sleep=_no_sleep)
    return Backfill(
        poller,
        rig.network,
        rig.counters,
        rig.clock,
        since=date(2025, 3, 2),
        requests_per_second=10,
        progress=ProgressLine(stream, rig.clock, tty=tty),
    )


async def test_the_network_is_polled_until_every_day_from_since_is_stored(rig: Rig) -> None:
    stream = io.StringIO()
    pool = ScriptedJob("op/braiins/a", [SourceUnauthorized("HTTP 401"), None])
    result = await _backfill(rig, [pool], stream, tty=False).run()
    assert result.missing is None
    assert result.results == {rig.network.target: "ok", "op/braiins/a": "ok"}
    assert rig.network.progress().days_done == 2
    lines = stream.getvalue().splitlines()
    # Off a terminal: the first line and the last (the frozen clock never reaches 10 s).
    assert lines == [
        "backfill from 2025-03-02: network 0/2 days, 0 requests (limit 10/s, 0 rate-limited), "
        "ETA ?; pool 0/1",
        f"backfill from 2025-03-02: done: network 2/2 days, {rig.network.requests_made} "
        "requests (limit 10/s, 0 rate-limited), took 0:00:00; pool 1/1",
    ]


async def test_on_a_terminal_the_line_is_redrawn_in_place(rig: Rig) -> None:
    stream = io.StringIO()
    await _backfill(rig, [], stream, tty=True).run()
    text = stream.getvalue()
    assert text.startswith("\rbackfill from 2025-03-02: network 0/2 days")
    assert text.count("\r") > 2  # one drawing per poll
    assert text.endswith("\x1b[K\n")


async def test_a_source_that_keeps_failing_is_named_in_one_line(rig: Rig) -> None:
    pool = ScriptedJob("op/f2pool/b", [SourceUnauthorized("HTTP 401")] * 10)
    result = await _backfill(rig, [pool], io.StringIO(), tty=False).run()
    assert result.missing == "backfill from 2025-03-02 incomplete: op/f2pool/b: unauthorized"


def test_off_a_terminal_a_line_is_printed_every_n_seconds_and_the_last_always() -> None:
    clock = FrozenClock(START)
    stream = io.StringIO()
    line = ProgressLine(stream, clock, tty=False, every_s=10)
    for step in range(25):
        line.show(f"at {step}")
        clock.advance(1)
    line.show("end", final=True)
    assert stream.getvalue().splitlines() == ["at 0", "at 10", "at 20", "end"]
