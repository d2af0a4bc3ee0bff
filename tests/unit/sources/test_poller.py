"""The generic poller: results, breaker opening and closing on a frozen clock, logs, metrics,
and each job's latest published snapshot with its age."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pytest
from prometheus_client import generate_latest

from collector.clock import FrozenClock
from collector.errors import SourceError, SourceServerError, SourceUnauthorized
from collector.metrics import build_registry
from collector.sources.poller import BREAKER_OPEN, Poller, Published

START = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Seen:
    """What a scripted job publishes: which of its polls it was."""

    poll: int


@dataclass
class ScriptedJob:
    target: str
    failures: list[SourceError | None] = field(default_factory=list)
    source: str = "pool"
    interval_s: float = 60
    polls: int = 0

    async def poll(self) -> Seen:
        self.polls += 1
        if self.failures:
            failure = self.failures.pop(0)
            if failure is not None:
                raise failure
        return Seen(self.polls)


async def test_run_once_reports_each_targets_result() -> None:
    good = ScriptedJob("op/braiins/a")
    bad = ScriptedJob("op/f2pool/b", [SourceUnauthorized("HTTP 403")])
    poller = Poller([good, bad], FrozenClock(START))
    assert await poller.run_once() == {"op/braiins/a": "ok", "op/f2pool/b": "unauthorized"}
    health = poller.health()
    assert health["op/braiins/a"].up
    assert health["op/braiins/a"].last_success == START
    assert not health["op/f2pool/b"].up


async def test_breaker_opens_after_threshold_and_closes_after_a_good_half_open_poll() -> None:
    clock = FrozenClock(START)
    job = ScriptedJob("op/luxor/x", [SourceServerError("HTTP 500")] * 3)
    poller = Poller([job], clock, breaker_threshold=3, breaker_open_s=300)
    for _ in range(3):
        assert await poller.poll_target("op/luxor/x") == "server_error"
    assert await poller.poll_target("op/luxor/x") == BREAKER_OPEN
    assert job.polls == 3
    clock.advance(299)
    assert await poller.poll_target("op/luxor/x") == BREAKER_OPEN
    clock.advance(1)
    assert await poller.poll_target("op/luxor/x") == "ok"  # half-open try succeeds
    assert poller.health()["op/luxor/x"].breaker_open_until is None
    assert await poller.poll_target("op/luxor/x") == "ok"


async def test_failed_half_open_poll_reopens_the_breaker() -> None:
    clock = FrozenClock(START)
    job = ScriptedJob("t", [SourceServerError("HTTP 500")] * 3)
    poller = Poller([job], clock, breaker_threshold=2, breaker_open_s=100)
    await poller.poll_target("t")
    await poller.poll_target("t")
    clock.advance(100)
    assert await poller.poll_target("t") == "server_error"
    clock.advance(50)
    assert await poller.poll_target("t") == BREAKER_OPEN
    assert job.polls == 3


async def test_a_wall_clock_jump_does_not_close_an_open_breaker() -> None:
    clock = FrozenClock(START)
    job = ScriptedJob("t", [SourceServerError("HTTP 500")])
    poller = Poller([job], clock, breaker_threshold=1, breaker_open_s=100)
    await poller.poll_target("t")
    clock.jump(3600)
    assert await poller.poll_target("t") == BREAKER_OPEN


async def test_failure_is_logged_once_and_recovery_once(caplog: pytest.LogCaptureFixture) -> None:
    job = ScriptedJob("op/ocean/u", [SourceServerError("HTTP 502")] * 3)
    poller = Poller([job], FrozenClock(START), breaker_threshold=10)
    with caplog.at_level(logging.INFO, logger="collector.sources.poller"):
        for _ in range(4):
            await poller.poll_target("op/ocean/u")
    messages = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert len([m for m in messages if "failing" in m]) == 1
    assert len([m for m in messages if "recovered" in m]) == 1
    assert "op/ocean/u" in messages[0]


async def test_metrics_expose_up_last_success_and_poll_durations() -> None:
    clock = FrozenClock(START)
    poller = Poller(
        [ScriptedJob("op/braiins/a"), ScriptedJob("op/antpool/b", [SourceError("x")])], clock
    )
    await poller.run_once()
    registry, _ = build_registry([poller])
    assert (
        registry.get_sample_value(
            "reservewatch_source_up", {"source": "pool", "target": "op/braiins/a"}
        )
        == 1
    )
    assert (
        registry.get_sample_value(
            "reservewatch_source_up", {"source": "pool", "target": "op/antpool/b"}
        )
        == 0
    )
    assert (
        registry.get_sample_value(
            "reservewatch_source_last_success_timestamp_seconds",
            {"source": "pool", "target": "op/braiins/a"},
        )
        == START.timestamp()
    )
    assert (
        registry.get_sample_value(
            "reservewatch_source_poll_duration_seconds_count", {"source": "pool"}
        )
        == 2
    )
    text = generate_latest(registry).decode()
    assert 'target="op/antpool/b"' in text


async def test_run_polls_each_job_on_its_own_interval_until_cancelled() -> None:
    clock = FrozenClock(START)
    sleeps: list[float] = []
    job = ScriptedJob("t", interval_s=30)
    third_poll_done = asyncio.Event()

    async def fake_sleep(seconds: float) -> None:
        sleeps.append(seconds)
        if job.polls >= 3:
            third_poll_done.set()
            await asyncio.Event().wait()  # park until cancelled
        clock.advance(seconds)

    poller = Poller([job], clock, sleep=fake_sleep, rng=lambda: 0.0)
    task = asyncio.create_task(poller.run())
    await asyncio.wait_for(third_poll_done.wait(), timeout=5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert job.polls == 3
    assert sleeps == [0.0, 30.0, 30.0, 30.0]


async def test_first_polls_are_told_as_each_job_has_had_its_own() -> None:
    jobs = [ScriptedJob("fast"), ScriptedJob("slow")]
    gate = asyncio.Event()

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.01))

    async def slow_poll() -> Seen:
        await gate.wait()
        return Seen(1)

    jobs[1].poll = slow_poll  # type: ignore[method-assign]
    poller = Poller(jobs, FrozenClock(START), sleep=sleep, rng=lambda: 0.0, start_spread_s=0)
    running = asyncio.create_task(poller.run())
    try:
        async with asyncio.timeout(5):
            assert await poller.first_polled() == {"fast"}
            waiting = asyncio.create_task(poller.first_polled({"fast"}))
            await asyncio.sleep(0.05)
            assert not waiting.done()  # nothing new yet: "fast" polling again is not news
            gate.set()
            assert await waiting == {"fast", "slow"}
            assert await poller.first_polled({"fast", "slow"}) == {"fast", "slow"}  # at once
    finally:
        running.cancel()


def test_duplicate_targets_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate poll targets: t"):
        Poller([ScriptedJob("t"), ScriptedJob("t")], FrozenClock(START))


async def test_the_first_round_ends_once_every_job_was_polled_whatever_its_result() -> None:
    jobs = [ScriptedJob("a"), ScriptedJob("b", [SourceServerError("HTTP 500")])]

    async def sleep(seconds: float) -> None:
        await asyncio.sleep(min(seconds, 0.01))

    poller = Poller(jobs, FrozenClock(START), sleep=sleep, rng=lambda: 0.0, start_spread_s=0)
    running = asyncio.create_task(poller.run())
    try:
        async with asyncio.timeout(5):
            await poller.first_round()
    finally:
        running.cancel()
    assert all(job.polls >= 1 for job in jobs)  # b's failed first poll counts as polled


async def test_poll_until_polls_until_finished_and_retries_a_failure_after_a_back_off() -> None:
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    job = ScriptedJob("network", [None, SourceServerError("HTTP 500"), None, None])
    poller = Poller([job], FrozenClock(START), sleep=sleep, rng=lambda: 0.0)
    seen: list[str] = []
    result = await poller.poll_until("network", lambda: job.polls >= 4, after_poll=seen.append)
    assert result == "ok"
    assert seen == ["ok", "server_error", "ok", "ok"]
    assert waits == [0.5]  # one back-off, after the failure only


async def test_poll_until_gives_up_when_the_breaker_opens_with_the_last_failure() -> None:
    async def sleep(_: float) -> None:
        return None

    job = ScriptedJob("network", [SourceServerError("HTTP 500")] * 10)
    poller = Poller([job], FrozenClock(START), sleep=sleep, breaker_threshold=3)
    assert await poller.poll_until("network", lambda: True) == "server_error"
    assert job.polls == 3


async def test_the_latest_snapshot_a_job_returned_is_kept_with_when_it_was_taken() -> None:
    clock = FrozenClock(START)
    poller = Poller([ScriptedJob("t")], clock)
    assert poller.latest("t", Seen) is None  # nothing published before the first poll
    await poller.poll_target("t")
    clock.advance(90)
    await poller.poll_target("t")
    assert poller.latest("t", Seen) == Published(Seen(2), START + timedelta(seconds=90))


async def test_a_failed_poll_keeps_the_last_snapshot_and_its_age_grows() -> None:
    clock = FrozenClock(START)
    poller = Poller([ScriptedJob("t", [None, SourceServerError("HTTP 500")])], clock)
    await poller.poll_target("t")
    kept = poller.latest("t", Seen)
    clock.advance(300)
    assert await poller.poll_target("t") == "server_error"
    assert poller.latest("t", Seen) is kept
    assert kept is not None
    assert kept.value == Seen(1)
    assert kept.age(clock.now()) == timedelta(seconds=300)


async def test_what_a_failing_poll_published_before_it_failed_is_kept_and_it_still_fails() -> None:
    clock = FrozenClock(START)
    partial = SourceError("1 address not read").with_published(Seen(7))
    poller = Poller([ScriptedJob("t", [partial])], clock)
    assert await poller.poll_target("t") == "bad_response"
    assert not poller.health()["t"].up
    assert poller.latest("t", Seen) == Published(Seen(7), START)


async def test_asking_a_job_for_a_snapshot_of_another_kind_is_a_type_error() -> None:
    poller = Poller([ScriptedJob("t")], FrozenClock(START))
    await poller.poll_target("t")
    with pytest.raises(TypeError, match="t publishes Seen, not int"):
        poller.latest("t", int)
