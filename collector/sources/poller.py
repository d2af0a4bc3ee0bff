"""The one generic poller: schedule, circuit breaker, health, one failure log, one recovery log.

Jobs (pool accounts, the network source, the chain watcher) only fetch, normalise and store;
they raise :class:`SourceError` when they cannot. The poller runs each job on its own interval,
never inside a Prometheus scrape, and keeps per target:

* ``up`` (1 after a success, 0 after a failure), the time of the last success, the last result;
* a circuit breaker: after ``breaker_threshold`` failures in a row the job is skipped for
  ``breaker_open_s`` seconds (monotonic), then tried once (half-open): a success closes it, a
  failure opens it again, so a dead pool does not eat the schedule or its rate limit;
* one WARNING when a target starts failing, one INFO when it recovers (not one per poll).

Exposes, for example::

    reservewatch_source_up{source="pool",target="ekibastuz-1/braiins/ekibastuz1"} 1.0
    reservewatch_source_last_success_timestamp_seconds{source="pool",target="..."} 1.7e9
    reservewatch_source_poll_duration_seconds_bucket{source="pool",le="1.0"} 3.0
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Iterable, Sequence, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final, Protocol

from collector.backoff import Backoff
from collector.clock import Clock
from collector.errors import SourceError, StoreError

log = logging.getLogger(__name__)

POLL_DURATION_BUCKETS_S: Final = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
BREAKER_OPEN: Final = "breaker_open"
"""The result reported for a job skipped because its breaker is open."""

Sleep = Callable[[float], Awaitable[None]]


class PollJob(Protocol):
    """One thing polled on a schedule."""

    @property
    def source(self) -> str:
        """``pool``, ``network`` or ``chain``."""
        ...

    @property
    def target(self) -> str:
        """A bounded label, e.g. ``ekibastuz-1/braiins/ekibastuz1`` or ``esplora``."""
        ...

    @property
    def interval_s(self) -> float:
        """Seconds between the starts of two polls."""
        ...

    async def poll(self) -> object:
        """Fetch, normalise, store; return what was published (or None). Raise
        :class:`SourceError` on failure."""
        ...


@dataclass(slots=True)
class TargetHealth:
    """What the poller knows about one job; read by health checks and metrics."""

    source: str
    target: str
    up: bool = False
    last_success: datetime | None = None
    last_result: str = "pending"
    failures_in_row: int = 0
    breaker_open_until: float | None = None  # monotonic seconds
    failing_logged: bool = False


@dataclass(slots=True)
class PollDurations:
    """How long one source kind's polls took: counts per bucket of
    :data:`POLL_DURATION_BUCKETS_S`, their number and their sum."""

    counts: list[int] = field(default_factory=lambda: [0] * len(POLL_DURATION_BUCKETS_S))
    total: int = 0
    sum_s: float = 0.0

    def observe(self, seconds: float) -> None:
        self.total += 1
        self.sum_s += seconds
        for index, bound in enumerate(POLL_DURATION_BUCKETS_S):
            if seconds <= bound:
                self.counts[index] += 1


class Poller:
    """Runs many jobs, each on its own interval, concurrently.

    Args:
        jobs: the jobs; their targets must be unique.
        clock: wall time dates successes; monotonic time drives the breaker.
        breaker_threshold: failures in a row that open a target's breaker.
        breaker_open_s: how long an open breaker skips its target.
        poll_timeout_s: the longest one poll may take (a backfill through a slow pool).
        sleep: waits between polls (tests pass their own).
        rng: a number in [0, 1), spreads the first polls over a few seconds.
        start_spread_s: the first poll of each job starts within this many seconds.
    """

    def __init__(
        self,
        jobs: Sequence[PollJob],
        clock: Clock,
        *,
        breaker_threshold: int = 5,
        breaker_open_s: float = 300,
        poll_timeout_s: float = 900,
        sleep: Sleep = asyncio.sleep,
        rng: Callable[[], float] = random.random,
        start_spread_s: float = 5,
    ) -> None:
        targets = [job.target for job in jobs]
        duplicates = sorted({t for t in targets if targets.count(t) > 1})
        if duplicates:
            raise ValueError(f"duplicate poll targets: {', '.join(duplicates)}")
        if breaker_threshold < 1:
            raise ValueError("breaker_threshold must be at least 1")
        self._jobs = {job.target: job for job in jobs}
        self._clock = clock
        self._breaker_threshold = breaker_threshold
        self._breaker_open_s = breaker_open_s
        self._poll_timeout_s = poll_timeout_s
        self._sleep = sleep
        self._rng = rng
        self._start_spread_s = start_spread_s
        self._health = {job.target: TargetHealth(job.source, job.target) for job in jobs}
        self._durations: dict[str, PollDurations] = {}
        self._not_polled_yet = set(self._jobs)
        self._first_round = asyncio.Event()  # set once every job has been polled once
        self._polled_once = asyncio.Event()  # set as each job's first poll ends
        self._polls = dict.fromkeys(self._jobs, 0)  # polls ended, per target
        self._poll_ended = asyncio.Event()  # set as any poll ends
        if not self._not_polled_yet:
            self._first_round.set()

    # -- state ----------------------------------------------------------------------------

    def health(self) -> dict[str, TargetHealth]:
        """Per target, what the poller knows (live objects: read, do not change)."""
        return dict(self._health)

    def seed_last_success(self, target: str, when: datetime) -> None:
        """Restore a target's last success time (e.g. from the store) before the first poll."""
        health = self._health[target]
        if health.last_success is None or when > health.last_success:
            health.last_success = when

    async def first_round(self) -> None:
        """Return once every job has been polled once since start (whatever the results)."""
        await self._first_round.wait()

    async def first_polled(self, known: Set[str] = frozenset()) -> set[str]:
        """Every target polled once since start (whatever the results), once it holds one
        not in ``known``; at once when every job has been."""
        while (polled := set(self._jobs) - self._not_polled_yet) <= known and self._not_polled_yet:
            self._polled_once.clear()
            await self._polled_once.wait()
        return polled

    async def polled(self, targets: Set[str]) -> None:
        """Return once a poll of one of ``targets`` has ended after this call (whatever its
        result): what a consumer of a job's figures waits for to read them again at once."""
        before = sum(self._polls[t] for t in targets)
        while sum(self._polls[t] for t in targets) == before:
            self._poll_ended.clear()
            await self._poll_ended.wait()

    # -- running --------------------------------------------------------------------------

    async def run(self) -> None:
        """Poll every job on its schedule until cancelled."""
        try:
            async with asyncio.TaskGroup() as group:
                for target, job in self._jobs.items():
                    group.create_task(self._loop(job), name=f"poll:{target}")
        except asyncio.CancelledError:
            log.debug("poller stopped")
            raise

    async def run_once(self, targets: Iterable[str] | None = None) -> dict[str, str]:
        """Poll every job (or those of ``targets``) once, concurrently (breakers respected);
        target -> result."""
        chosen = list(self._jobs if targets is None else targets)
        results = await asyncio.gather(*(self.poll_target(t) for t in chosen))
        return dict(zip(chosen, results, strict=True))

    async def poll_until(
        self,
        target: str,
        finished: Callable[[], bool],
        *,
        after_poll: Callable[[str], None] | None = None,
    ) -> str:
        """Poll ``target`` again and again until a poll succeeds and ``finished()`` holds (a
        backfill done a bounded poll at a time). A failed poll is tried again after a
        jittered back-off until the target's breaker opens; returns the last poll's result.
        ``after_poll`` is told each poll's result."""
        backoff = Backoff(base_s=1.0, cap_s=30.0, rng=self._rng)
        while True:
            result = await self.poll_target(target)
            given_up = result == BREAKER_OPEN
            if given_up:
                result = self._health[target].last_result
            if after_poll is not None:
                after_poll(result)
            if given_up:
                return result
            if result == "ok":
                backoff.reset()
                if finished():
                    return result
            else:
                await self._sleep(backoff.next_delay_s())

    async def poll_target(self, target: str) -> str:
        """Poll one target now, through its breaker; returns the result label."""
        job = self._jobs[target]
        health = self._health[target]
        now_m = self._clock.monotonic()
        if health.breaker_open_until is not None and now_m < health.breaker_open_until:
            return BREAKER_OPEN
        started = self._clock.monotonic()
        try:
            async with asyncio.timeout(self._poll_timeout_s):
                await job.poll()
        except TimeoutError:
            result = "timeout"
            reason = f"poll took longer than {self._poll_timeout_s}s"
        except SourceError as err:
            result, reason = err.result, str(err)
        except StoreError as err:
            result, reason = "store_error", str(err)
        else:
            result, reason = "ok", ""
        self._observe(job.source, self._clock.monotonic() - started)
        if result == "ok":
            self._succeeded(health)
        else:
            self._failed(health, result, reason)
        self._polls[target] += 1
        self._poll_ended.set()
        return result

    async def _loop(self, job: PollJob) -> None:
        await self._sleep(self._rng() * min(self._start_spread_s, job.interval_s))
        while True:
            started = self._clock.monotonic()
            await self.poll_target(job.target)
            if job.target in self._not_polled_yet:
                self._not_polled_yet.discard(job.target)
                self._polled_once.set()
                if not self._not_polled_yet:
                    self._first_round.set()
            health = self._health[job.target]
            wait_s = job.interval_s - (self._clock.monotonic() - started)
            if health.breaker_open_until is not None:
                wait_s = max(wait_s, health.breaker_open_until - self._clock.monotonic())
            await self._sleep(max(wait_s, 0.0))

    def _succeeded(self, health: TargetHealth) -> None:
        if health.failing_logged:
            log.info(
                "%s %s recovered after %d failed poll(s)",
                health.source,
                health.target,
                health.failures_in_row,
            )
        health.up = True
        health.last_success = self._clock.now()
        health.last_result = "ok"
        health.failures_in_row = 0
        health.breaker_open_until = None
        health.failing_logged = False

    def _failed(self, health: TargetHealth, result: str, reason: str) -> None:
        health.up = False
        health.last_result = result
        health.failures_in_row += 1
        if not health.failing_logged:
            log.warning("%s %s failing (%s): %s", health.source, health.target, result, reason)
            health.failing_logged = True
        else:
            log.debug("%s %s still failing (%s): %s", health.source, health.target, result, reason)
        if health.failures_in_row >= self._breaker_threshold:
            if (
                health.breaker_open_until is None
                or health.failures_in_row == self._breaker_threshold
            ):
                log.warning(
                    "%s %s: circuit breaker open for %.0fs after %d failures in a row",
                    health.source,
                    health.target,
                    self._breaker_open_s,
                    health.failures_in_row,
                )
            health.breaker_open_until = self._clock.monotonic() + self._breaker_open_s

    def _observe(self, source: str, seconds: float) -> None:
        self._durations.setdefault(source, PollDurations()).observe(max(seconds, 0.0))

    # -- what the metrics show (collector.metrics.sources) -------------------------------

    def durations(self) -> dict[str, PollDurations]:
        """Each source kind's poll durations so far."""
        return dict(self._durations)
