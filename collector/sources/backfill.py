"""``run --once --since D``: fill every source from ``D``, show how far it is, say what is missing.

The network walk spends at most ``max_requests`` requests a poll (~12 days of blocks), so a
backfill polls the network job again and again until its window (``D`` up to today) is walked;
every other job (pool accounts from ``D``, the reserve's addresses, prices) is polled until it
succeeds once. A failed poll is tried again after a back-off until the target's breaker opens
(:meth:`~collector.sources.poller.Poller.poll_until`). Progress *is* the store: a backfill
stopped and started again fetches only what is not stored yet.

While it runs, :class:`ProgressLine` shows one line on stderr, redrawn in place on a terminal
and printed every ``every_s`` seconds otherwise::

    backfill from 2026-09-06: network 45/90 days, 1203 requests (limit 200/s, 0 rate-limited),
    ETA 0:00:12; pool 10/10, chain 1/1

(one line). At the end :attr:`BackfillResult.missing` says, in one line, what could not be
filled; ``run`` then exits 1.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final, TextIO

from collector.clock import Clock
from collector.sources.http import RequestCounters
from collector.sources.network import BackfillProgress, BlockFollower
from collector.sources.poller import Poller

PLAIN_EVERY_S: Final = 10.0
"""Seconds between two progress lines when stderr is not a terminal."""


class ProgressLine:
    """One status line: redrawn in place on a terminal (``\\r``, erase to the end), else
    printed as a plain line at most every ``every_s`` seconds (and always the last one)."""

    def __init__(
        self, stream: TextIO, clock: Clock, *, tty: bool, every_s: float = PLAIN_EVERY_S
    ) -> None:
        self._stream = stream
        self._clock = clock
        self._tty = tty
        self._every_s = every_s
        self._last_printed: float | None = None
        self._drawn = False

    def show(self, text: str, *, final: bool = False) -> None:
        if self._tty:
            self._stream.write(f"\r{text}\x1b[K" + ("\n" if final else ""))
            self._drawn = not final
        else:
            now = self._clock.monotonic()
            due = self._last_printed is None or now - self._last_printed >= self._every_s
            if not (due or final):
                return
            self._stream.write(f"{text}\n")
            self._last_printed = now
        self._stream.flush()


@dataclass(frozen=True, slots=True)
class BackfillResult:
    """Each target's last poll result and, when something could not be filled, one line
    saying what (``None``: everything was)."""

    results: dict[str, str]
    missing: str | None


def _clock_text(seconds: float) -> str:
    return str(timedelta(seconds=round(seconds)))


def _days_text(days: Sequence[date]) -> str:
    if len(days) == 1:
        return days[0].isoformat()
    return f"{days[0].isoformat()}..{days[-1].isoformat()} ({len(days)} days)"


class Backfill:
    """One backfill from ``since`` over every job of ``poller``; ``network`` is its network
    job (polled until its window is walked).

    Args:
        poller: every job, the network's included.
        network: the network job (Esplora or bitcoind).
        counters: the HTTP requests made, by source and result (requests and rate limiting).
        clock: monotonic time for the rate and the ETA.
        since: the first day filled.
        requests_per_second: the network host's configured limit, shown.
        progress: where the progress line goes.
    """

    def __init__(
        self,
        poller: Poller,
        network: BlockFollower,
        counters: RequestCounters,
        clock: Clock,
        *,
        since: date,
        requests_per_second: float,
        progress: ProgressLine,
    ) -> None:
        self._poller = poller
        self._network = network
        self._counters = counters
        self._clock = clock
        self._since = since
        self._rate_limit = requests_per_second
        self._progress = progress
        self._results: dict[str, str] = {}
        self._started = clock.monotonic()
        self._first_done: int | None = None  # network days done at the first poll's end
        self._first_at = self._started
        self._stalled = False
        self._blocks_before = -1

    async def run(self) -> BackfillResult:
        targets = list(self._poller.health())
        others = [t for t in targets if t != self._network.target]
        self._show()
        await asyncio.gather(
            self._poller.poll_until(
                self._network.target, self._network_finished, after_poll=self._network_polled
            ),
            *(self._poll_other(target) for target in others),
        )
        self._show(final=True)
        return BackfillResult(dict(self._results), self._missing())

    async def _poll_other(self, target: str) -> None:
        def polled(result: str) -> None:
            self._results[target] = result
            self._show()

        await self._poller.poll_until(target, lambda: True, after_poll=polled)

    def _network_polled(self, result: str) -> None:
        self._results[self._network.target] = result
        progress = self._network.progress()
        if result == "ok":
            if self._first_done is None:
                self._first_done = progress.days_done
                self._first_at = self._clock.monotonic()
            # A poll that stored no block and left the walk unfinished would repeat forever.
            self._stalled = (
                not progress.walk_complete and progress.blocks_stored == self._blocks_before
            )
            self._blocks_before = progress.blocks_stored
        self._show()

    def _network_finished(self) -> bool:
        return self._network.progress().walk_complete or self._stalled

    # -- what is shown ------------------------------------------------------------------------

    def _network_text(self, progress: BackfillProgress) -> str:
        rate_limited = self._counters.value("network", "rate_limited")
        text = (
            f"network {progress.days_done}/{progress.days_to_do} days, "
            f"{progress.requests} requests (limit {self._rate_limit:g}/s, "
            f"{rate_limited} rate-limited)"
        )
        now = self._clock.monotonic()
        left = progress.days_to_do - progress.days_done
        if left == 0 or progress.walk_complete:
            return f"{text}, took {_clock_text(now - self._started)}"
        # The rate since the first poll: that one also read what was stored and the tip.
        gained = progress.days_done - (self._first_done or 0)
        if self._first_done is None or gained <= 0:
            return f"{text}, ETA ?"
        return f"{text}, ETA {_clock_text(left * (now - self._first_at) / gained)}"

    def _sources_text(self) -> str:
        by_source: dict[str, list[str]] = {}
        for target, health in self._poller.health().items():
            if target != self._network.target:
                by_source.setdefault(health.source, []).append(target)
        return ", ".join(
            f"{source} {sum(self._results.get(t) == 'ok' for t in found)}/{len(found)}"
            for source, found in sorted(by_source.items())
        )

    def _show(self, *, final: bool = False) -> None:
        progress = self._network.progress()
        head = f"backfill from {self._since.isoformat()}"
        if final:
            head += ": done" if self._missing() is None else ": stopped"
        self._progress.show(
            f"{head}: {self._network_text(progress)}; {self._sources_text()}", final=final
        )

    def _missing(self) -> str | None:
        problems: list[str] = []
        network = self._network.progress()
        result = self._results.get(self._network.target, "not polled")
        if network.missing_days:
            why = (
                "its chain has no complete day there"
                if result == "ok" and network.walk_complete
                else result
            )
            problems.append(
                f"network days {_days_text(network.missing_days)} missing"
                f" ({self._network.target}: {why})"
            )
        elif result != "ok":
            problems.append(f"{self._network.target}: {result}")
        problems.extend(
            f"{target}: {result}"
            for target, result in sorted(self._results.items())
            if target != self._network.target and result != "ok"
        )
        if not problems:
            return None
        return f"backfill from {self._since.isoformat()} incomplete: " + "; ".join(problems)
