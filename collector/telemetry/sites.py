"""Per-site telemetry state: latest reading, energy counter, minute rollups, curtailment.

Pure and synchronous (the service owns I/O): readings go in with :meth:`SiteBook.apply`, rollup
deltas and changed site states come out with :meth:`SiteBook.take_pending`, to be written in one
transaction by ``Store.flush_telemetry``. A failed write gives them back with
:meth:`SiteBook.requeue`, so nothing is lost while the process lives; a crash loses only what
was never acknowledged to the broker, which redelivers it.

Rules:

* Latest by ``ts``: a reading with the same ``ts`` as the last processed one is a ``duplicate``
  (a redelivery); an older one is ``out_of_order``. Neither moves a gauge nor a rollup, so a
  redelivered reading is counted exactly once, also across restarts (``last_ts`` is persisted
  with the rollups it produced).
* Energy: ``energy_wh`` is the site meter's cumulative counter. The collector's own counter
  ``energy_total_wh`` adds each forward step. A small step back (at most
  ``max(1 kWh, 0.1 % of the meter)``) is a glitch: the reading is rejected ``energy_backwards``.
  A larger step back is a meter reset (or replacement): counting continues from the new value
  and that step adds nothing. A forward step bigger than 10 GW could have drawn in the elapsed
  time is treated the same way (a replaced meter), never as consumption.
* Curtailment share: while a region is under an order, each site's share is
  ``max_power_w × site quota ÷ sum of the quotas of the region's sites``; a site complies while
  its latest power is at most its share.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

from collector.config.model import Config
from collector.config.sections import SiteConfig
from collector.store.records import RollupDelta, SiteStateRecord
from collector.telemetry.miners import MinerSums
from collector.telemetry.payloads import (
    MAX_SITE_POWER_W,
    CurtailmentOrder,
    Rejected,
    SiteReading,
)

ENERGY_JITTER_WH = 1_000
"""Smallest backwards meter step that always counts as a glitch rather than a reset, in Wh."""


def shard_of(site_id: str, count: int) -> int:
    """The shard (``0 <= shard < count``) of a site: SHA-256 of its id, stable everywhere."""
    digest = hashlib.sha256(site_id.encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % count


@dataclass(frozen=True, slots=True)
class SiteSnapshot:
    """The latest picture of one site, for reconciliation against pool hash rates."""

    site_id: str
    operation_id: str
    region: str
    power_w: float
    hashrate_hs: float | None
    energy_total_wh: int
    last_ts: datetime


class LiveSite:
    __slots__ = (
        "ahead_ts_s",
        "config",
        "dirty",
        "energy_total_wh",
        "from_machines",
        "hashrate_hs",
        "inlet_temp_c",
        "last_ts_s",
        "meter_wh",
        "miners_online",
        "miners_total",
        "operation_id",
        "power_w",
        "version",
    )

    def __init__(self, config: SiteConfig, operation_id: str) -> None:
        self.config = config
        self.operation_id = operation_id
        self.last_ts_s: float | None = None  # Unix seconds, as the readings'
        # A reading stamped ahead of the collector's clock is taken, but orders the site's
        # later readings only up to that clock: its own ts is kept here to spot a redelivery.
        self.ahead_ts_s: float | None = None
        self.meter_wh: int | None = None
        self.energy_total_wh = 0
        self.power_w = 0.0
        self.hashrate_hs: float | None = None
        self.miners_online: int | None = None
        self.miners_total: int | None = None
        self.inlet_temp_c: float | None = None
        # Whether the latest reading was the site's machines folded (else its own site-level
        # reading, or restored state): only then may a sweep of silent machines move gauges.
        self.from_machines = False
        self.dirty = False
        # Bumped on every change a scrape could show; the exposition caches per site by it.
        self.version = 0

    @property
    def last_ts(self) -> datetime | None:
        """The latest reading's instant (what orders the next ones)."""
        return None if self.last_ts_s is None else datetime.fromtimestamp(self.last_ts_s, UTC)


class _MinuteSums:
    __slots__ = (
        "energy_wh",
        "hashrate_hs_sum",
        "hashrate_samples",
        "miners_online_last",
        "power_w_max",
        "power_w_sum",
        "samples",
    )

    def __init__(self) -> None:
        self.samples = 0
        self.power_w_sum = 0.0
        self.power_w_max = 0.0
        self.energy_wh = 0
        self.hashrate_hs_sum = 0.0
        self.hashrate_samples = 0
        self.miners_online_last: int | None = None


@dataclass(frozen=True, slots=True)
class Pending:
    """What one flush writes: rollup deltas and the states of the sites they came from."""

    deltas: tuple[RollupDelta, ...]
    states: tuple[SiteStateRecord, ...]

    def __bool__(self) -> bool:
        return bool(self.deltas or self.states)


AHEAD_TOLERANCE_S = 5.0
"""How far (seconds) a site's clock may run ahead of the collector's and still order its
readings."""


class SiteBook:
    """Telemetry state of the configured sites (optionally only those of one shard)."""

    def __init__(self, config: Config, *, owned: Iterable[str] | None = None) -> None:
        self._sites: dict[str, LiveSite] = {}
        self._region_quota_w: dict[str, int] = {}
        for operation in config.operations:
            for site in operation.sites:
                # Quotas sum over every site of a region, owned by this replica or not.
                self._region_quota_w[site.region] = (
                    self._region_quota_w.get(site.region, 0) + site.power_quota_w
                )
                self._sites[site.id] = LiveSite(site, operation.id)
        if owned is not None:
            keep = set(owned)
            self._sites = {k: v for k, v in self._sites.items() if k in keep}
        self._minutes: dict[tuple[str, int], _MinuteSums] = {}  # (site, minute's Unix s)
        self._orders: dict[str, CurtailmentOrder] = {}
        self.pending_readings = 0
        # Bumped on every change a scrape could show (states, orders): metrics cache by it.
        self.version = 0

    # -- sites ----------------------------------------------------------------------------

    def __contains__(self, site_id: object) -> bool:
        return site_id in self._sites

    @property
    def site_ids(self) -> tuple[str, ...]:
        return tuple(self._sites)

    def site_config(self, site_id: str) -> SiteConfig:
        return self._sites[site_id].config

    def restore(self, records: Iterable[SiteStateRecord]) -> None:
        """Continue from persisted states (sites no longer configured are ignored)."""
        for record in records:
            state = self._sites.get(record.site_id)
            if state is None:
                continue
            state.last_ts_s = record.last_ts.timestamp()
            state.meter_wh = record.meter_wh
            state.energy_total_wh = record.energy_total_wh
            state.power_w = record.power_w
            state.hashrate_hs = record.hashrate_hs
            state.miners_online = record.miners_online
            state.miners_total = record.miners_total
            state.version += 1
        self.version += 1

    def apply(
        self,
        site_id: str,
        reading: SiteReading,
        now_s: float | None = None,
        *,
        from_machines: bool = False,
    ) -> None:
        """Take one validated reading; raise :class:`Rejected` for duplicates and glitches.

        With ``now_s`` (the collector's clock, Unix seconds), a reading stamped ahead of it
        moves the site's ordering clock only to ``now_s + AHEAD_TOLERANCE_S``: one forged or
        skewed reading can never make the site's real readings "out of order" (it would
        freeze the site). Unix seconds throughout, as the machine path: no datetime is made
        per reading."""
        state = self._sites.get(site_id)
        if state is None:
            raise Rejected("unknown_site", f"site {site_id!r} is not configured")
        ts_s = reading.ts_s
        last_ts_s = state.last_ts_s
        if last_ts_s is not None:
            if ts_s in (last_ts_s, state.ahead_ts_s):
                raise Rejected("duplicate", f"{site_id}: reading at {reading.ts} already counted")
            if ts_s < last_ts_s:
                raise Rejected("out_of_order", f"{site_id}: reading older than {state.last_ts}")
        added_wh = 0
        meter = reading.energy_wh
        if meter is not None and state.meter_wh is not None:
            step = meter - state.meter_wh
            if step < 0:
                if -step <= max(ENERGY_JITTER_WH, state.meter_wh // 1000):
                    raise Rejected("energy_backwards", f"{site_id}: meter stepped back {-step} Wh")
                # A reset: continue from the new value; this step adds nothing.
            else:
                elapsed_h = (ts_s - last_ts_s) / 3600 if last_ts_s is not None else 0.0
                if step <= MAX_SITE_POWER_W * elapsed_h + ENERGY_JITTER_WH:
                    added_wh = step
        if now_s is not None and ts_s > (ceiling := now_s + AHEAD_TOLERANCE_S):
            state.last_ts_s = ceiling if last_ts_s is None else max(ceiling, last_ts_s)
            state.ahead_ts_s = ts_s
        else:
            state.last_ts_s = ts_s
        if meter is not None:
            state.meter_wh = meter
        state.energy_total_wh += added_wh
        power_w = reading.power_w
        hashrate_hs = reading.hashrate_hs
        miners_online = reading.miners_online
        state.power_w = power_w
        state.hashrate_hs = hashrate_hs
        if miners_online is not None:
            state.miners_online = miners_online
        if reading.miners_total is not None:
            state.miners_total = reading.miners_total
        state.inlet_temp_c = reading.inlet_temp_c
        state.from_machines = from_machines
        state.dirty = True
        state.version += 1
        self.version += 1

        key = (site_id, int(ts_s // 60) * 60)
        sums = self._minutes.get(key)
        if sums is None:
            sums = self._minutes[key] = _MinuteSums()
        sums.samples += 1
        sums.power_w_sum += power_w
        if power_w > sums.power_w_max:  # noqa: PLR1730 - max() costs a call per reading
            sums.power_w_max = power_w
        sums.energy_wh += added_wh
        if hashrate_hs is not None:
            sums.hashrate_hs_sum += hashrate_hs
            sums.hashrate_samples += 1
        if miners_online is not None:
            sums.miners_online_last = miners_online
        self.pending_readings += 1

    def apply_miner_sums(self, site_id: str, sums: MinerSums) -> None:
        """Take a site's folded machine readings as the site's own reading.

        When a machine reported something newer than the site's latest ``ts`` this is a reading
        like any other (gauges, rollup); otherwise (machines went silent, counted offline) only
        the gauges and the persisted state move, and only while the machines gave the site's
        latest reading: a site that reports on its own (site-level) keeps its figures when some
        machines once published for it and went silent (a stray burst would otherwise reset
        its power to 0 W at every sweep, until a restart forgot the machines).
        """
        state = self._sites.get(site_id)
        if state is None:
            raise Rejected("unknown_site", f"site {site_id!r} is not configured")
        ts_s = sums.latest_ts_s
        if state.last_ts_s is None or ts_s > state.last_ts_s:
            self.apply(
                site_id,
                SiteReading(
                    ts_s=ts_s,
                    power_w=sums.power_w,
                    hashrate_hs=sums.hashrate_hs,
                    miners_online=sums.miners_online,
                    miners_total=sums.miners_total,
                ),
                from_machines=True,
            )
            return
        if not state.from_machines:
            return
        if (
            state.power_w != sums.power_w
            or state.hashrate_hs != sums.hashrate_hs
            or state.miners_online != sums.miners_online
            or state.miners_total != sums.miners_total
        ):
            state.power_w = sums.power_w
            state.hashrate_hs = sums.hashrate_hs
            state.miners_online = sums.miners_online
            state.miners_total = sums.miners_total
            state.dirty = True
            state.version += 1
            self.version += 1

    def take_pending(self) -> Pending:
        """Drain what accumulated since the last call (rollup deltas + changed states)."""
        deltas = tuple(
            RollupDelta(
                site_id=site_id,
                operation_id=self._sites[site_id].operation_id,
                minute=datetime.fromtimestamp(minute_s, UTC),
                samples=sums.samples,
                power_w_sum=sums.power_w_sum,
                power_w_max=sums.power_w_max,
                energy_wh=sums.energy_wh,
                hashrate_hs_sum=sums.hashrate_hs_sum,
                hashrate_samples=sums.hashrate_samples,
                miners_online_last=sums.miners_online_last,
            )
            for (site_id, minute_s), sums in self._minutes.items()
        )
        states: list[SiteStateRecord] = []
        for site_id, state in self._sites.items():
            if not state.dirty or state.last_ts_s is None:
                continue
            state.dirty = False
            states.append(
                SiteStateRecord(
                    site_id=site_id,
                    last_ts=datetime.fromtimestamp(state.last_ts_s, UTC),
                    meter_wh=state.meter_wh,
                    energy_total_wh=state.energy_total_wh,
                    power_w=state.power_w,
                    hashrate_hs=state.hashrate_hs,
                    miners_online=state.miners_online,
                    miners_total=state.miners_total,
                )
            )
        self._minutes = {}
        self.pending_readings = 0
        return Pending(deltas, tuple(states))

    def requeue(self, pending: Pending) -> None:
        """Give back what a failed flush did not write; the next flush writes it again."""
        for delta in pending.deltas:
            key = (delta.site_id, int(delta.minute.timestamp()))
            sums = self._minutes.get(key)
            newer = sums is not None
            if sums is None:
                sums = self._minutes[key] = _MinuteSums()
            sums.samples += delta.samples
            sums.power_w_sum += delta.power_w_sum
            sums.power_w_max = max(sums.power_w_max, delta.power_w_max)
            sums.energy_wh += delta.energy_wh
            sums.hashrate_hs_sum += delta.hashrate_hs_sum
            sums.hashrate_samples += delta.hashrate_samples
            if not newer or sums.miners_online_last is None:
                sums.miners_online_last = delta.miners_online_last
            self.pending_readings += delta.samples
        for record in pending.states:
            self._sites[record.site_id].dirty = True

    # -- curtailment ----------------------------------------------------------------------

    def set_order(self, region: str, order: CurtailmentOrder | None) -> None:
        self.version += 1
        if order is None:
            self._orders.pop(region, None)
        else:
            self._orders[region] = order

    def active_order(self, region: str, now: datetime) -> CurtailmentOrder | None:
        order = self._orders.get(region)
        if order is None or (order.until is not None and order.until <= now):
            return None
        return order

    def orders(self) -> Mapping[str, CurtailmentOrder]:
        return dict(self._orders)

    def region_quota_w(self) -> Mapping[str, int]:
        return dict(self._region_quota_w)

    def site_share_w(self, site_id: str, order: CurtailmentOrder) -> float:
        """The site's share of a region's curtailment limit (see the module docstring)."""
        site = self._sites[site_id].config
        total = self._region_quota_w.get(site.region, 0)
        if total == 0:
            return 0.0
        return order.max_power_w * site.power_quota_w / total

    # -- views ----------------------------------------------------------------------------

    def snapshot(self) -> dict[str, SiteSnapshot]:
        """Latest power, hash rate and energy of every site that has reported."""
        return {
            site_id: SiteSnapshot(
                site_id=site_id,
                operation_id=state.operation_id,
                region=state.config.region,
                power_w=state.power_w,
                hashrate_hs=state.hashrate_hs,
                energy_total_wh=state.energy_total_wh,
                last_ts=datetime.fromtimestamp(state.last_ts_s, UTC),
            )
            for site_id, state in self._sites.items()
            if state.last_ts_s is not None
        }

    def hashrates(self) -> dict[str, float | None]:
        """The latest hash rate of every site that has reported (a scrape's cheap view)."""
        return {
            site_id: state.hashrate_hs
            for site_id, state in self._sites.items()
            if state.last_ts_s is not None
        }

    def states(self) -> Iterable[tuple[str, LiveSite]]:
        return self._sites.items()
