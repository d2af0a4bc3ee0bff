"""The one back-off rule: capped, exponential, with equal jitter (never zero)."""

from __future__ import annotations

from collector.backoff import Backoff, delay_s


def test_delays_double_from_the_base_and_stop_at_the_cap() -> None:
    ceilings = [delay_s(n, base_s=0.5, cap_s=4, unit=1.0) for n in range(6)]
    assert ceilings == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0]
    assert delay_s(3, base_s=0.5, cap_s=4, unit=0.0) == 2.0  # half the ceiling, never zero
    assert delay_s(10_000, base_s=0.5, cap_s=4, unit=0.5) == 3.0  # no overflow


def test_a_backoff_resets_after_success() -> None:
    backoff = Backoff(base_s=1, cap_s=8, rng=lambda: 1.0)
    assert [backoff.next_delay_s() for _ in range(5)] == [1, 2, 4, 8, 8]
    backoff.reset()
    assert backoff.next_delay_s() == 1
