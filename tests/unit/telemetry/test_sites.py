"""The site book: latest by ts, energy counter across resets, rollups, curtailment share."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collector.config.model import Config
from collector.telemetry.payloads import CurtailmentOrder, Rejected, SiteReading
from collector.telemetry.sites import SiteBook, shard_of
from tests.support.configs import site
from tests.support.telemetry import one_operation

T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)


def config(*sites: dict[str, Any]) -> Config:
    """op-a with ``sites``; s1 (quota 30 W) and s2 (10 W) when none."""
    return one_operation(*sites) if sites else one_operation(site(), site("s2", power_quota_w=10))


def at(seconds: float, power_w: float = 100.0, energy_wh: int | None = None) -> SiteReading:
    ts_s = (T0 + timedelta(seconds=seconds)).timestamp()
    return SiteReading(ts_s=ts_s, power_w=power_w, energy_wh=energy_wh)


def reason_of(book: SiteBook, site_id: str, reading: SiteReading) -> str:
    with pytest.raises(Rejected) as caught:
        book.apply(site_id, reading)
    return caught.value.reason


def test_older_or_repeated_reading_never_rolls_the_latest_back() -> None:
    book = SiteBook(config())
    book.apply("s1", at(20, power_w=5))
    assert reason_of(book, "s1", at(20, power_w=7)) == "duplicate"
    assert reason_of(book, "s1", at(10, power_w=9)) == "out_of_order"
    assert book.snapshot()["s1"].power_w == 5
    assert reason_of(book, "nope", at(30)) == "unknown_site"


def test_energy_counts_forward_steps_and_bridges_a_meter_reset() -> None:
    book = SiteBook(config())
    book.apply("s1", at(0, energy_wh=5_000_000))
    book.apply("s1", at(10, energy_wh=5_000_100))
    assert reason_of(book, "s1", at(20, energy_wh=5_000_050)) == "energy_backwards"
    book.apply("s1", at(30, energy_wh=20))  # the meter was reset to zero
    book.apply("s1", at(40, energy_wh=70))
    assert book.snapshot()["s1"].energy_total_wh == 150


def test_energy_jump_impossible_in_the_elapsed_time_is_not_counted() -> None:
    book = SiteBook(config())
    book.apply("s1", at(0, energy_wh=1_000))
    book.apply("s1", at(10, energy_wh=10**15))  # 10^15 Wh in 10 s: a replaced meter
    book.apply("s1", at(20, energy_wh=10**15 + 40))
    assert book.snapshot()["s1"].energy_total_wh == 40


def test_rollups_sum_per_minute_and_requeue_after_a_failed_flush() -> None:
    book = SiteBook(config())
    book.apply("s1", at(0, power_w=10, energy_wh=0))
    book.apply("s1", at(30, power_w=30, energy_wh=5))
    book.apply("s1", at(61, power_w=50, energy_wh=9))
    pending = book.take_pending()
    assert [
        (d.minute.minute, d.samples, d.power_w_sum, d.power_w_max, d.energy_wh)
        for d in pending.deltas
    ] == [
        (0, 2, 40.0, 30.0, 5),
        (1, 1, 50.0, 50.0, 4),
    ]
    assert [s.last_ts for s in pending.states] == [T0 + timedelta(seconds=61)]
    assert not book.take_pending()
    book.requeue(pending)
    book.apply("s1", at(62, power_w=70, energy_wh=10))
    again = book.take_pending()
    assert [(d.samples, d.energy_wh) for d in again.deltas] == [(2, 5), (2, 5)]


def test_curtailment_share_is_region_limit_times_quota_share() -> None:
    book = SiteBook(config())
    order = CurtailmentOrder(ts=T0, max_power_w=20, until=T0 + timedelta(hours=1))
    book.set_order("r", order)
    assert book.site_share_w("s1", order) == 15
    assert book.site_share_w("s2", order) == 5
    assert book.active_order("r", T0 + timedelta(minutes=59)) == order
    assert book.active_order("r", T0 + timedelta(hours=1)) is None


def test_shards_are_stable_and_cover_every_site_once() -> None:
    ids = [f"site-{n}" for n in range(200)]
    shards = [shard_of(site_id, 3) for site_id in ids]
    assert shards == [shard_of(site_id, 3) for site_id in ids]
    assert set(shards) == {0, 1, 2}
    assert shard_of("site-0", 3) == 0  # SHA-256 based: the same on every machine and Python


def test_one_reading_stamped_ahead_of_the_clock_cannot_freeze_a_site() -> None:
    """A reading 4 minutes ahead (inside the accepted skew) is taken, but the site's real
    readings after it are still in order: its clock moves only to the collector's own."""
    book = SiteBook(config())
    now = at(0).ts_s
    book.apply("s1", at(240, power_w=999), now)  # forged, or a clock running fast
    assert book.snapshot()["s1"].power_w == 999
    book.apply("s1", at(10, power_w=5), now + 10)  # the real next reading
    assert book.snapshot()["s1"].power_w == 5
    assert reason_of_at(book, at(240, power_w=999), now + 20) == "duplicate"
    book.apply("s1", at(30, power_w=6), now + 30)
    assert book.snapshot()["s1"].power_w == 6


def reason_of_at(book: SiteBook, reading: SiteReading, now: float) -> str:
    with pytest.raises(Rejected) as caught:
        book.apply("s1", reading, now)
    return caught.value.reason
