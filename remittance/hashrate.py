"""A day's hash rate from point samples: a time-weighted average, and how much of the day the
samples cover.

Where a pool publishes no daily hash rate, the collector's own readings of the account's
current hash rate (a pool's 5- or 10-minute average, read every poll) stand in for it. Rule:

- sample *i* (time tᵢ, value vᵢ) stands for the interval (tᵢ − gᵢ, tᵢ], gᵢ = min(tᵢ − tᵢ₋₁,
  `max_gap_s`) (the first sample: `max_gap_s`): a reading describes the time just before it,
  and never more than `max_gap_s` of it — a longer silence is not covered;
- the day's average = Σ vᵢ × (the part of its interval inside the UTC day) / Σ those parts;
- coverage = Σ those parts / 86 400, rounded half up to 0.0001.

>>> from datetime import UTC, datetime, date, timedelta
>>> at = lambda h: datetime(2026, 11, 3, tzinfo=UTC) + timedelta(hours=h)
>>> daily_average([(at(h), 100.0) for h in range(1, 25)], date(2026, 11, 3), 3600)
(100.0, Decimal('1.0000'))
>>> daily_average([(at(h), 100.0) for h in range(0, 24)], date(2026, 11, 3), 3600)
(100.0, Decimal('0.9583'))
>>> daily_average([(at(12), 100.0)], date(2026, 11, 3), 3600)
(100.0, Decimal('0.0417'))
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

_DAY_S = 86_400.0
_COVERAGE_QUANTUM = Decimal("0.0001")


def daily_average(
    samples: Sequence[tuple[datetime, float]], day: date, max_gap_s: float
) -> tuple[float, Decimal] | None:
    """The time-weighted average over the UTC `day` and its coverage, or None when no sample
    covers any of it. `samples` in time order; give those from `max_gap_s` before the day to
    `max_gap_s` after it (they cover its edges)."""
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    end = start + timedelta(days=1)
    covered = 0.0
    weighted = 0.0
    previous: datetime | None = None
    for moment, value in samples:
        gap = max_gap_s if previous is None else min((moment - previous).total_seconds(), max_gap_s)
        previous = moment
        begin = max(moment - timedelta(seconds=gap), start)
        finish = min(moment, end)
        seconds = (finish - begin).total_seconds()
        if seconds > 0:
            covered += seconds
            weighted += value * seconds
    if covered <= 0:
        return None
    coverage = (Decimal(covered) / Decimal(_DAY_S)).quantize(_COVERAGE_QUANTUM, ROUND_HALF_UP)
    return weighted / covered, coverage
