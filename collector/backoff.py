"""Capped exponential back-off with "equal jitter": the one rule every retry and reconnect uses.

Attempt *n* waits uniformly between c/2 and c, ``c = min(cap, base·2ⁿ)``: never zero (no
thundering herd of instant retries), never beyond the cap.

>>> delay_s(0, base_s=0.5, cap_s=30, unit=0.0)
0.25
>>> delay_s(10, base_s=0.5, cap_s=30, unit=1.0)
30.0
"""

from __future__ import annotations

import random
from collections.abc import Callable


def delay_s(attempt: int, *, base_s: float, cap_s: float, unit: float) -> float:
    """The wait before retry ``attempt`` (0 first), ``unit`` a number in [0, 1] for jitter."""
    ceiling = min(cap_s, base_s * 2.0 ** min(attempt, 60))
    return ceiling / 2 + unit * ceiling / 2


class Backoff:
    """Successive delays for a loop that reconnects or retries until it succeeds."""

    def __init__(
        self,
        *,
        base_s: float = 0.5,
        cap_s: float = 60.0,
        rng: Callable[[], float] | None = None,
    ) -> None:
        self._base_s = base_s
        self._cap_s = cap_s
        self._attempt = 0
        self._rng = rng or random.Random().random  # noqa: S311 - jitter, not cryptography

    def next_delay_s(self) -> float:
        delay = delay_s(self._attempt, base_s=self._base_s, cap_s=self._cap_s, unit=self._rng())
        self._attempt = min(self._attempt + 1, 60)
        return delay

    def reset(self) -> None:
        self._attempt = 0
