"""Pool adapters and jobs end to end: fake pool APIs on loopback, a real SQLite store."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from prometheus_client import generate_latest

from collector.clock import FrozenClock
from collector.config.sections import POOL_KINDS, DatabaseConfig
from collector.errors import SourceServerError
from collector.metrics import build_registry
from collector.sources.http import RequestCounters
from collector.sources.poller import Poller
from collector.sources.pool_jobs import (
    PoolAccountPolled,
    PoolJob,
    build_pool_jobs,
    restore_last_success,
)
from collector.sources.published import Published
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import EarningRecord
from simulator.fake_pools import FakePoolServer
from tests.support.configs import build_config, operation

NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
FAST = dict.fromkeys(POOL_KINDS, (1000.0, 1.0))
ADDRESS = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ACCOUNTS: dict[str, dict[str, Any]] = {
    "braiins": {"account": "ekibastuz1", "token_env": "T_BRAIINS"},
    "f2pool": {"account": "ekibastuz2", "token_env": "T_F2POOL"},
    "antpool": {
        "account": "ekibastuz3",
        "user_id": "ekibastuz3",
        "token_env": "T_ANT",
        "secret_env": "S_ANT",
    },
    "foundry": {"account": "ekibastuz4", "token_env": "T_FOUNDRY"},
    "luxor": {"account": "ekibastuz5", "token_env": "T_LUXOR"},
    "ocean": {"account": "bc1qocean"},
}
TOKENS = {
    "braiins": "tb",
    "f2pool": "tf",
    "antpool": "ta",
    "foundry": "tfo",
    "luxor": "tl",
    "ocean": None,
}


@dataclass
class World:
    server: FakePoolServer
    store: Store
    session: aiohttp.ClientSession
    clock: FrozenClock
    counters: RequestCounters

    def jobs(
        self,
        kinds: tuple[str, ...],
        since: date | None = None,
        timeout_s: float = 2,
        **extra: Any,
    ) -> list[PoolJob]:
        pools = [
            {
                "kind": kind,
                "base_url": self.server.base_url(kind),
                "backfill_days": 20,
                **ACCOUNTS[kind],
                **extra,
            }
            for kind in kinds
        ]
        config = build_config(operation("ekibastuz-1", ADDRESS, pools=pools))
        return build_pool_jobs(
            config,
            self.store,
            self.session,
            self.counters,
            self.clock,
            since=since,
            rate_limits=FAST,
            timeout_s=timeout_s,
        )


@pytest.fixture
async def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[World]:
    # Environment variables are the documented way tokens reach the collector.
    for env, value in (
        ("T_BRAIINS", "tb"),
        ("T_F2POOL", "tf"),
        ("T_ANT", "ta"),
        ("S_ANT", "sa"),
        ("T_FOUNDRY", "tfo"),
        ("T_LUXOR", "tl"),
    ):
        monkeypatch.setenv(env, value)
    clock = FrozenClock(NOW)
    server = FakePoolServer(clock, slow_s=5, retry_after_s=0)
    await server.start()
    for kind, settings in ACCOUNTS.items():
        server.set_account(
            kind,
            settings.get("user_id", settings["account"]),
            token=TOKENS[kind],
            secret="sa",
            hashrate_hs=120e15,
            hashrate_24h_hs=110e15,
            workers_online=5,
            workers_offline=2,
        )
        server.set_earnings(
            kind,
            settings.get("user_id", settings["account"]),
            {TODAY - timedelta(days=d): 12_345_678 + d for d in range(0, 30)},
            {TODAY - timedelta(days=d): 100e15 for d in range(0, 30)},
        )
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    store = Store(engine)
    async with aiohttp.ClientSession() as session:
        yield World(server, store, session, clock, RequestCounters())
    await store.close()
    await server.close()


ALL = tuple(ACCOUNTS)
WITH_DAY_HASHRATE = {"braiins", "f2pool", "antpool", "foundry", "luxor"}  # OCEAN: samples
# The last mining day each pool shows at noon: F2Pool settles a day at 02:00 the day after,
# Braiins publishes a day's hash rate once the day is over.
LATEST_CREDIT = {"f2pool": TODAY - timedelta(days=1)}
LATEST_HASHRATE = {"braiins": TODAY - timedelta(days=1), "f2pool": TODAY - timedelta(days=1)}


def _mined_by_day(earnings: list[EarningRecord]) -> dict[date, int]:
    """What each day counts as mined by default: mining rewards and fee rebates."""
    days: dict[date, int] = {}
    for e in earnings:
        if e.income in ("mining", "fee_rebate"):
            days[e.day] = days.get(e.day, 0) + e.amount_sat
    return days


@pytest.mark.parametrize("kind", ALL)
async def test_each_pool_normalises_snapshot_and_backfills_earnings(
    world: World, kind: str
) -> None:
    [job] = world.jobs((kind,))
    poller = Poller([job], world.clock)
    assert await poller.run_once() == {job.target: "ok"}
    [status] = await world.store.pool_statuses()
    assert (status.hashrate_hs, status.hashrate_24h_hs) == (120e15, 110e15)
    assert (status.workers_online, status.workers_offline) == (5, 2)
    mined = _mined_by_day(await world.store.earnings("ekibastuz-1"))
    first, last = TODAY - timedelta(days=20), LATEST_CREDIT.get(kind, TODAY)
    assert list(mined) == [first + timedelta(days=d) for d in range((last - first).days + 1)]
    assert mined[TODAY - timedelta(days=3)] == 12_345_681
    assert mined == {day: 12_345_678 + (TODAY - day).days for day in mined}  # every day whole
    days = await world.store.pool_hashrate_days("ekibastuz-1")
    if kind in WITH_DAY_HASHRATE:
        assert (days[0].day, days[-1].day) == (first, LATEST_HASHRATE.get(kind, TODAY))
        assert {(d.hashrate_hs, d.source) for d in days} == {(100e15, "pool")}
    else:  # one sample, today's: no closed day is covered yet
        assert days == []


@pytest.mark.parametrize("kind", ALL)
async def test_repolling_and_overlapping_backfill_never_double_count(
    world: World, kind: str
) -> None:
    [job] = world.jobs((kind,))
    await job.poll()
    first = await world.store.earnings("ekibastuz-1")
    yesterday = TODAY - timedelta(days=1)
    world.server.set_earnings(
        kind, ACCOUNTS[kind].get("user_id", ACCOUNTS[kind]["account"]), {yesterday: 99_999}
    )
    await job.poll()  # re-reads the last days, the pool revised yesterday
    [again] = world.jobs((kind,), since=TODAY - timedelta(days=25))
    await again.poll()  # a backfill overlapping what is stored
    rows = await world.store.earnings("ekibastuz-1")
    assert len(_mined_by_day(rows)) == 26 - (kind in LATEST_CREDIT)
    assert _mined_by_day(rows)[yesterday] == 99_999
    assert [e for e in rows if e.day != yesterday and e.day >= TODAY - timedelta(days=20)] == [
        e for e in first if e.day != yesterday
    ]


async def test_after_first_contact_only_the_last_few_days_are_reread(world: World) -> None:
    [job] = world.jobs(("braiins",))
    first = await job.poll()
    again = await job.poll()
    # Each poll returns what it stored: the status observed and the days it read.
    assert (first.start, first.end) == (TODAY - timedelta(days=20), TODAY + timedelta(days=1))
    assert (again.start, again.end) == (TODAY - timedelta(days=3), TODAY + timedelta(days=1))
    assert again.status == (await world.store.pool_statuses())[0]
    assert {e.day for e in again.earnings} == {TODAY - timedelta(days=n) for n in range(4)}
    assert (again.hashrate_days[0].day, again.unknown_rows) == (TODAY - timedelta(days=3), 0)
    rewards = [
        r for r in world.server.requests_to("braiins") if r.path.startswith("/accounts/rewards")
    ]
    # Each window asked a day wider at each end (only its own days are kept).
    assert rewards[0].query == {
        "from": (TODAY - timedelta(days=21)).isoformat(),
        "to": (TODAY + timedelta(days=1)).isoformat(),
    }
    assert rewards[1].query == {
        "from": (TODAY - timedelta(days=4)).isoformat(),
        "to": (TODAY + timedelta(days=1)).isoformat(),
    }


async def test_a_backfill_started_again_reads_only_the_days_it_has_not_stored(
    world: World,
) -> None:
    await world.jobs(("braiins",))[0].poll()  # the last 20 days are stored
    [job] = world.jobs(("braiins",), since=TODAY - timedelta(days=30))
    await job.poll()
    requests = world.server.requests_to("braiins")
    rewards = [r.query for r in requests if r.path.startswith("/accounts/rewards")]
    # The 10 days before what is stored, then the last 3 (the pool may still revise them);
    # each range asked a day wider at each end.
    assert rewards[1:] == [
        {
            "from": (TODAY - timedelta(days=31)).isoformat(),
            "to": (TODAY - timedelta(days=20)).isoformat(),
        },
        {
            "from": (TODAY - timedelta(days=4)).isoformat(),
            "to": (TODAY + timedelta(days=1)).isoformat(),
        },
    ]


async def test_braiins_daily_hash_rates_are_asked_once_a_poll_whatever_the_ranges(
    world: World,
) -> None:
    # /hash_rate_daily ignores from/to: a backfill in two rewards ranges asks it once (one
    # request fewer at Braiins's 5 s pace), and the next poll asks it again.
    [job] = world.jobs(("braiins",), since=TODAY - timedelta(days=120))
    await job.poll()
    paths = [r.path for r in world.server.requests_to("braiins")]
    assert sum(p.startswith("/accounts/rewards") for p in paths) == 2
    assert sum(p.startswith("/accounts/hash_rate_daily") for p in paths) == 1
    days = await world.store.pool_hashrate_days("ekibastuz-1")
    assert {d.day for d in days if d.source == "pool"}  # both ranges kept their days
    await job.poll()
    paths = [r.path for r in world.server.requests_to("braiins")]
    assert sum(p.startswith("/accounts/hash_rate_daily") for p in paths) == 2


async def test_a_long_backfill_is_split_into_ranges_the_pool_accepts(world: World) -> None:
    [job] = world.jobs(("f2pool",), since=TODAY - timedelta(days=70))  # f2pool: 30 days per call
    await job.poll()
    calls = [r for r in world.server.requests_to("f2pool") if r.path.endswith("transactions/list")]
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("kind", "fault", "result"),
    [
        ("braiins", "html", "bad_response"),
        ("braiins", "truncated", "bad_response"),
        ("braiins", "wrong_unit", "bad_response"),
        ("braiins", "wrong_account", "bad_response"),
        ("braiins", "unauthorized", "unauthorized"),
        ("f2pool", "unauthorized", "unauthorized"),
        ("f2pool", "wrong_account", "bad_response"),
        ("antpool", "unauthorized", "unauthorized"),
        ("antpool", "wrong_account", "bad_response"),
        ("foundry", "garbage", "bad_response"),
        ("foundry", "wrong_account", "bad_response"),
        ("luxor", "wrong_account", "bad_response"),
        ("ocean", "garbage", "bad_response"),  # OCEAN's answers name no account to check
        ("ocean", "server_error", "server_error"),
        ("luxor", "rate_limited", "rate_limited"),
    ],
)
async def test_a_bad_answer_is_counted_and_the_last_good_values_stay(
    world: World, kind: str, fault: str, result: str
) -> None:
    [job] = world.jobs((kind,))
    poller = Poller([job], world.clock)
    assert await poller.run_once() == {job.target: "ok"}
    world.clock.advance(300)
    world.server.misbehave(kind, fault)
    assert await poller.run_once() == {job.target: result}
    assert world.counters.value("pool", result) >= 1
    [status] = await world.store.pool_statuses()
    assert status.observed_at == NOW
    published = Published(poller, pools=[job.target])
    registry, _ = build_registry([poller, published, world.counters])
    pool = f"{kind}/{ACCOUNTS[kind]['account']}"
    labels = {"operation": "ekibastuz-1", "pool": pool}
    assert (
        registry.get_sample_value(
            "reservewatch_pool_hashrate_hashes_per_second", {**labels, "window": "current"}
        )
        == 120e15
    )
    assert (
        registry.get_sample_value("reservewatch_pool_workers", {**labels, "state": "online"}) == 5
    )
    assert (
        registry.get_sample_value(
            "reservewatch_source_up", {"source": "pool", "target": job.target}
        )
        == 0
    )
    assert (
        registry.get_sample_value(
            "reservewatch_source_last_success_timestamp_seconds",
            {"source": "pool", "target": job.target},
        )
        == NOW.timestamp()
    )


async def test_a_slow_pool_times_out_without_storing_anything(world: World) -> None:
    [job] = world.jobs(("ocean",), timeout_s=0.1)
    world.server.slow_s = 1
    world.server.misbehave("ocean", "slow")
    assert await Poller([job], world.clock).run_once() == {job.target: "timeout"}
    assert await world.store.pool_statuses() == []


async def test_braiins_ignoring_an_excess_request_is_a_timeout_retried_after_a_back_off(
    world: World,
) -> None:
    # Braiins answers no 429 to a request beyond its pace: it ignores it (tests/fixtures/pools/
    # README.md). The adapter gives up on it at its timeout, counts it, backs off, asks again.
    [job] = world.jobs(("braiins",), timeout_s=0.2)
    world.server.slow_s = 1
    world.server.misbehave("braiins", "rate_limited", times=1)
    assert await Poller([job], world.clock).run_once() == {job.target: "ok"}
    assert world.counters.value("pool", "timeout") == 1
    assert world.counters.value("pool", "rate_limited") == 0
    assert [r.path for r in world.server.requests_to("braiins")][:2] == [
        "/accounts/profile/json/btc/"
    ] * 2


async def test_server_errors_are_retried_within_one_poll(world: World) -> None:
    [job] = world.jobs(("foundry",))
    world.server.misbehave("foundry", "server_error", times=1)
    # The HttpSource backs off for real here (0.5 s x jitter at most): keep it to one retry.
    assert await Poller([job], world.clock).run_once() == {job.target: "ok"}
    assert world.counters.value("pool", "server_error") == 1


async def test_antpool_requests_are_signed_with_increasing_nonces(world: World) -> None:
    [job] = world.jobs(("antpool",))
    await job.poll()
    nonces = [
        int(dict(p.split("=") for p in r.body.split("&"))["nonce"])
        for r in world.server.requests_to("antpool")
    ]
    assert len(nonces) >= 2
    assert nonces == sorted(set(nonces))


async def test_braiins_sends_the_configured_legacy_header_and_never_logs_the_token(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    [job] = world.jobs(("braiins",), auth_header="SlushPool-Auth-Token")
    await job.poll()
    assert all(
        r.headers.get("SlushPool-Auth-Token") == "tb" for r in world.server.requests_to("braiins")
    )
    world.server.misbehave("braiins", "unauthorized")
    await Poller([job], world.clock).run_once()
    assert "failing (unauthorized)" in caplog.text
    assert "ekibastuz-1/braiins/ekibastuz1" in caplog.text
    assert "tb" not in caplog.text.replace("braiins", "").replace("Access Profile", "")


async def test_last_good_status_is_restored_from_the_store_after_a_restart(world: World) -> None:
    [job] = world.jobs(("luxor",))
    await job.poll()
    stored = await world.store.pool_statuses()
    [again] = world.jobs(("luxor",))
    poller = Poller([again], world.clock)
    restore_last_success(poller, stored)
    published = Published(poller, pools=[again.target], stored_statuses=stored)
    registry, _ = build_registry([published, poller])
    text = generate_latest(registry).decode()
    assert (
        'reservewatch_pool_hashrate_hashes_per_second{operation="ekibastuz-1",'
        'pool="luxor/ekibastuz5",window="24h"} 1.1e+17' in text
    )
    assert (
        registry.get_sample_value(
            "reservewatch_source_last_success_timestamp_seconds",
            {"source": "pool", "target": again.target},
        )
        == NOW.timestamp()
    )


async def test_a_poll_failing_after_the_status_publishes_the_status_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The status is stored before the days are read: a poll whose days fail still publishes
    it (with no days) and it is what is shown, the poll counted failed."""
    [job] = world.jobs(("foundry",))
    poller = Poller([job], world.clock)
    await poller.run_once()
    world.clock.advance(300)
    world.server.set_account("foundry", "ekibastuz4", token="tfo", hashrate_hs=130e15)

    async def refused(start: date, end: date) -> None:
        raise SourceServerError(f"days {start} .. {end}: HTTP 503")

    monkeypatch.setattr(job.adapter, "earnings", refused)
    assert await poller.run_once() == {job.target: "server_error"}
    polled = poller.latest(job.target, PoolAccountPolled)
    assert polled is not None
    today = (NOW + timedelta(seconds=300)).date()
    assert (polled.value.start, polled.value.end, polled.value.earnings) == (today, today, ())
    assert polled.value.status.observed_at == NOW + timedelta(seconds=300)
    registry, _ = build_registry([Published(poller, pools=[job.target])])
    labels = {"operation": "ekibastuz-1", "pool": "foundry/ekibastuz4", "window": "current"}
    hashrate = "reservewatch_pool_hashrate_hashes_per_second"
    assert registry.get_sample_value(hashrate, labels) == 130e15


async def test_luxor_is_asked_up_to_today_never_past_it(world: World) -> None:
    # Luxor refuses an end_date after today: the fake does too, as the pool documents.
    [job] = world.jobs(("luxor",))
    assert await Poller([job], world.clock).run_once() == {job.target: "ok"}
    for endpoint in ("transactions", "revenue"):
        asked = [r.query for r in world.server.requests_to("luxor") if endpoint in r.path]
        assert asked and all(q["end_date"] <= TODAY.isoformat() for q in asked), endpoint
        assert asked[-1]["end_date"] == TODAY.isoformat()
    base = f"{world.server.base_url('luxor')}/api/v2/pool"
    account = {"subaccount_names": ACCOUNTS["luxor"]["account"]}
    for endpoint in ("transactions", "revenue", "hashrate-efficiency"):
        for dates in (
            {"start_date": TODAY.isoformat(), "end_date": (TODAY + timedelta(1)).isoformat()},
            {"start_date": TODAY.isoformat()},  # both dates are required
        ):
            async with world.session.get(
                f"{base}/{endpoint}/BTC",
                params={**account, **dates, "tick_size": "1d"},
                headers={"authorization": TOKENS["luxor"]},
            ) as refused:
                assert refused.status == 400, (endpoint, dates)


async def test_luxors_fake_takes_the_documented_ticks_only(world: World) -> None:
    url = f"{world.server.base_url('luxor')}/api/v2/pool/hashrate-efficiency/BTC"
    day = {"start_date": TODAY.isoformat(), "end_date": TODAY.isoformat()}
    for tick, status in (("1d", 200), ("1w", 200), ("2d", 400), (None, 400)):
        ticks = {} if tick is None else {"tick_size": tick}
        async with world.session.get(
            url,
            params={"subaccount_names": ACCOUNTS["luxor"]["account"], **day, **ticks},
            headers={"authorization": TOKENS["luxor"]},
        ) as response:
            assert response.status == status, tick


async def test_luxor_days_past_revenues_reach_come_from_the_transactions(world: World) -> None:
    # /revenue answers about 45 days back: older days' mining is the "Miner Revenue" rows',
    # the same amounts in the fake, so a 60-day backfill has every day, and no finding.
    world.server.set_earnings(
        "luxor", "ekibastuz5", {TODAY - timedelta(days=d): 7_000_000 for d in range(30, 60)}
    )
    [job] = world.jobs(("luxor",), backfill_days=60)
    poller = Poller([job], world.clock)
    assert await poller.run_once() == {job.target: "ok"}
    mined = _mined_by_day(await world.store.earnings("ekibastuz-1"))
    assert all(TODAY - timedelta(days=d) in mined for d in range(0, 60))
    assert mined[TODAY - timedelta(days=50)] == 7_000_000
    registry, _ = build_registry([Published(poller, pools=[job.target])])
    labels = {"operation": "ekibastuz-1", "pool": "luxor/ekibastuz5"}
    assert registry.get_sample_value("reservewatch_pool_unknown_rows_total", labels) == 0


@pytest.mark.parametrize(("row_date", "shift"), [("mining_day", 0), ("day_after", 1)])
async def test_an_antpool_rows_date_names_its_mining_day_as_the_account_says(
    world: World, row_date: str, shift: int
) -> None:
    # The fake dates each row by its mining day, as the public clients read AntPool's rows.
    [job] = world.jobs(("antpool",), row_date=row_date)
    await job.poll()
    by_day = {e.day: e.amount_sat for e in await world.store.earnings("ekibastuz-1")}
    three_days_ago = TODAY - timedelta(days=3)
    assert by_day[three_days_ago - timedelta(days=shift)] == 12_345_681


@pytest.mark.parametrize(("kind", "unit"), [("ocean", None), ("antpool", "off")])
async def test_a_pool_without_a_daily_hash_rate_gets_one_from_the_collectors_samples(
    world: World, kind: str, unit: str | None
) -> None:
    """Polled hourly through a whole day, the account's day is the time-weighted average of
    what the pool showed, with its coverage, marked as averaged from samples (OCEAN publishes
    none; an account may also set ``day_hashrate_unit: off``)."""
    [job] = world.jobs((kind,), poll_interval_s=3600, day_hashrate_unit=unit)
    account = ACCOUNTS[kind].get("user_id", ACCOUNTS[kind]["account"])
    world.clock.jump(-12 * 3600)  # midnight at the start of TODAY
    for hour in range(25):  # 00:00 … 24:00: every hour of TODAY covered
        rate = 100e15 if hour <= 12 else 140e15
        world.server.set_account(kind, account, token=TOKENS[kind], secret="sa", hashrate_hs=rate)
        await job.poll()
        world.clock.jump(3600)
    [day] = [d for d in await world.store.pool_hashrate_days("ekibastuz-1") if d.day == TODAY]
    assert (day.source, day.coverage) == ("samples", 1.0)
    assert day.hashrate_hs == pytest.approx((12 * 100e15 + 12 * 140e15) / 24)


async def test_a_day_published_by_the_pool_is_never_replaced_by_samples(world: World) -> None:
    [job] = world.jobs(("foundry",), poll_interval_s=3600)
    world.clock.jump(-12 * 3600)
    for _ in range(25):
        await job.poll()
        world.clock.jump(3600)
    days = {d.day: d for d in await world.store.pool_hashrate_days("ekibastuz-1")}
    assert (days[TODAY].source, days[TODAY].hashrate_hs) == ("pool", 100e15)


async def test_rows_of_an_unknown_kind_are_counted_once_and_kept_out(world: World) -> None:
    world.server.add_other_row("f2pool", "ekibastuz2", TODAY - timedelta(days=2), "bonus_x", 777)
    [job] = world.jobs(("f2pool",))
    poller = Poller([job], world.clock)
    await poller.run_once()
    await poller.run_once()  # the same row read again is not counted again
    polled = poller.latest(job.target, PoolAccountPolled)
    assert polled is not None
    assert (polled.value.unknown_rows, polled.value.unknown_rows_total) == (0, 1)
    mined = _mined_by_day(await world.store.earnings("ekibastuz-1"))
    assert mined[TODAY - timedelta(days=2)] == 12_345_680  # the revenue row only
    registry, _ = build_registry([Published(poller, pools=[job.target])])
    text = generate_latest(registry).decode()
    assert (
        'reservewatch_pool_unknown_rows_total{operation="ekibastuz-1",pool="f2pool/ekibastuz2"} 1.0'
        in text
    )


async def test_a_window_that_ends_at_a_mining_days_end_still_reads_that_day(world: World) -> None:
    """F2Pool's fake filters by settlement time (02:00 the day after): asked exactly for
    [D, D+1) it would answer nothing for D; the job asks a day wider at each end."""
    day = TODAY - timedelta(days=5)
    [job] = world.jobs(("f2pool",))
    found = await job.fetch_earnings(day, day + timedelta(days=1))
    assert [(c.day, c.amount_sat) for c in found.credits] == [(day, 12_345_683)]
    narrow = await job.adapter.earnings(day, day + timedelta(days=1))
    assert narrow.credits == ()


# -- the fakes refuse what the real pools refuse (tests/fixtures/pools/README.md) --------------


async def test_foundrys_fake_answers_404_for_a_sub_account_it_does_not_know(world: World) -> None:
    base = world.server.base_url("foundry")
    for path in ("/earnings/nobody", "/subaccount_stats/nobody"):
        async with world.session.get(base + path, headers={"X-API-KEY": "tfo"}) as response:
            assert response.status == 404, path
    async with world.session.get(
        base + "/subaccount_stats/ekibastuz4", headers={"X-API-KEY": "wrong"}
    ) as response:
        assert response.status == 401  # a known sub-account, a wrong key


def _antpool_form(nonce: int) -> dict[str, str]:
    message = f"ekibastuz3ta{nonce}".encode()
    signature = hmac.new(b"sa", message, hashlib.sha256).hexdigest().upper()
    return {"userId": "ekibastuz3", "key": "ta", "nonce": str(nonce), "signature": signature}


async def test_antpools_fake_refuses_a_page_of_more_than_50(world: World) -> None:
    url = world.server.base_url("antpool") + "/api/paymentHistoryV2.htm"
    for nonce, size, code in ((1773144000000, "50", 0), (1773144000001, "51", 1)):
        form = {**_antpool_form(nonce), "pageSize": size}
        async with world.session.post(url, data=form) as response:
            assert (await response.json())["code"] == code, size


async def test_antpools_fake_refuses_a_nonce_that_does_not_increase(world: World) -> None:
    url = world.server.base_url("antpool") + "/api/accountOverview.htm"
    for nonce, code in ((1773144000005, 0), (1773144000005, 1), (1773144000004, 1)):
        async with world.session.post(url, data=_antpool_form(nonce)) as response:
            answer = await response.json()
            assert answer["code"] == code, nonce
    assert answer["message"] == "nonce must increase"


@pytest.mark.parametrize(
    ("kind", "path", "wrong"),
    [
        ("braiins", "/accounts/profile/json/btc/", "POST"),
        ("f2pool", "/v2/hash_rate/info", "GET"),
        ("antpool", "/api/accountOverview.htm", "GET"),
        ("foundry", "/subaccount_stats/ekibastuz4", "POST"),
        ("luxor", "/api/v2/pool/summary/BTC", "POST"),
        ("ocean", "/v1/user_hashrate/bc1qocean", "POST"),
    ],
)
async def test_each_fake_refuses_a_method_its_pool_does_not_take(
    world: World, kind: str, path: str, wrong: str
) -> None:
    url = world.server.base_url(kind) + path
    async with world.session.request(wrong, url) as response:
        assert response.status == 405
        assert response.headers["Allow"] == ("GET" if wrong == "POST" else "POST")


async def test_f2pools_fake_refuses_no_currency_and_an_empty_time_range(world: World) -> None:
    url = world.server.base_url("f2pool") + "/v2/assets/transactions/list"
    body = {"currency": "bitcoin", "mining_user_name": "ekibastuz2", "type": "revenue"}
    start = int(NOW.timestamp())
    for fields, code in (
        ({"start_time": start, "end_time": start + 86_400}, None),
        ({"currency": "", "start_time": start, "end_time": start + 86_400}, 5001),
        ({"start_time": start, "end_time": start}, 5001),
    ):
        async with world.session.post(
            url, json={**body, **fields}, headers={"F2P-API-SECRET": "tf"}
        ) as response:
            assert (await response.json()).get("code") == code, fields
