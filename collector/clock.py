"""Clocks, passed in wherever time is read, so tests can freeze or jump time.

Wall time (``now``) dates facts; monotonic time (``monotonic``) measures intervals, so a wall
clock that jumps never stalls a schedule or a back-off.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError


class Clock(Protocol):
    def now(self) -> datetime:
        """The current UTC time, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""
        ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()


class PinnedClock:
    """Wall time that starts at a pinned instant and then runs at the real pace.

    The demo and the tests run a whole live world "as of" any instant with it (the 1st of a
    month, a deadline, a year end, a leap day): everything that reads ``now`` from one
    ``PinnedClock`` agrees on the date, while timers and back-offs run on real monotonic time.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("PinnedClock needs a timezone-aware start")
        self._start = start.astimezone(UTC)
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._origin)

    def monotonic(self) -> float:
        return time.monotonic()


class FrozenClock:
    """A clock that moves only when told to: ``advance`` moves both, ``jump`` only the wall."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("FrozenClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._monotonic = 1000.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._monotonic

    def advance(self, seconds: float) -> None:
        self._now += timedelta(seconds=seconds)
        self._monotonic += seconds

    def jump(self, seconds: float) -> None:
        """Move the wall clock only (forwards or backwards), as NTP or an operator might."""
        self._now += timedelta(seconds=seconds)


def iana_zone(name: str) -> str:
    """``name`` when it is an IANA time zone; a ValueError naming it otherwise."""
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as err:
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Asia/Almaty)") from err
    return name
