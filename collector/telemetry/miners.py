"""Latest state of every mining machine, compactly, and its per-site sums.

Sites that cannot aggregate on their own side publish one reading per machine (see
``README.md``). :class:`MinerFleet` keeps each machine's latest reading in columns — one
``array`` of Unix seconds, of watts, of H/s and of online flags per site, plus a ``dict`` from
machine id to row — about 120 bytes a machine with its id, so a million machines fit in
roughly 120 MB instead of the gigabyte a dict of objects would take.

:meth:`MinerFleet.site_sums` folds a site's columns (with numpy, zero-copy) into the figures
the site-level path already understands: power and hash rate summed over the machines heard
from within ``offline_after_s``, machines online among those, and machines known. A machine
silent for longer counts as offline and adds nothing. Metrics stay per site: no machine id ever
becomes a label.

Rules per machine, as for sites: a reading with the same ``ts`` as the machine's latest is a
``duplicate``, an older one ``out_of_order``. Machine state is memory only: after a restart the
sums rebuild as machines report again (within one reporting interval).
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from collector.telemetry.payloads import MinerReading, Rejected

DEFAULT_MAX_MINERS_PER_SITE = 250_000
"""Distinct machines kept per site; more is garbage or an attack on memory (``too_many_miners``)."""


@dataclass(frozen=True, slots=True)
class MinerSums:
    """One site's machines folded: what the site would have reported had it aggregated."""

    latest_ts_s: float
    power_w: float
    hashrate_hs: float
    miners_online: int
    miners_total: int
    miners_fresh: int


class _SiteMiners:
    """The columns of one site's machines. Rows are never removed (ids are stable fleets)."""

    __slots__ = ("hashrate_hs", "latest_ts_s", "online", "power_w", "rows", "ts_s")

    def __init__(self) -> None:
        self.rows: dict[str, int] = {}
        self.ts_s = array("d")
        self.power_w = array("f")
        self.hashrate_hs = array("d")
        self.online = array("b")
        self.latest_ts_s = 0.0

    def nbytes(self) -> int:
        return sum(
            column.buffer_info()[1] * column.itemsize
            for column in (self.ts_s, self.power_w, self.hashrate_hs, self.online)
        )


AHEAD_TOLERANCE_S = 5.0
"""How far a machine's clock may run ahead of the collector's and still order its readings."""


class MinerFleet:
    """Every reporting machine's latest reading, per site. Pure and synchronous."""

    def __init__(
        self, *, offline_after_s: float, max_miners_per_site: int = DEFAULT_MAX_MINERS_PER_SITE
    ) -> None:
        self._offline_after_s = offline_after_s
        self._max_per_site = max_miners_per_site
        self._sites: dict[str, _SiteMiners] = {}
        self._changed: set[str] = set()

    def apply(self, site_id: str, reading: MinerReading, now_s: float | None = None) -> None:
        """Keep a machine's reading if newer than its latest; raise :class:`Rejected` if not.

        With ``now_s`` (the collector's clock), a reading stamped ahead of it is kept as of
        ``now_s + AHEAD_TOLERANCE_S`` at most: one reading from a clock running fast (or a
        forged one) never makes the machine's real readings "out of order"."""
        site = self._sites.get(site_id)
        if site is None:
            site = self._sites[site_id] = _SiteMiners()
        row = site.rows.get(reading.miner_id)
        ts_s = reading.ts_s
        if now_s is not None and ts_s > now_s + AHEAD_TOLERANCE_S:
            ts_s = now_s + AHEAD_TOLERANCE_S
        if row is None:
            if len(site.rows) >= self._max_per_site:
                raise Rejected(
                    "too_many_miners", f"{site_id}: more than {self._max_per_site} machines"
                )
            site.rows[reading.miner_id] = len(site.ts_s)
            site.ts_s.append(ts_s)
            site.power_w.append(reading.power_w)
            site.hashrate_hs.append(reading.hashrate_hs)
            site.online.append(reading.online)
        else:
            last = site.ts_s[row]
            if ts_s <= last:
                if ts_s == last:
                    raise Rejected("duplicate", f"{reading.miner_id}: reading already counted")
                raise Rejected("out_of_order", f"{reading.miner_id}: older than its latest")
            site.ts_s[row] = ts_s
            site.power_w[row] = reading.power_w
            site.hashrate_hs[row] = reading.hashrate_hs
            site.online[row] = reading.online
        site.latest_ts_s = max(site.latest_ts_s, ts_s)
        self._changed.add(site_id)

    def knows(self, site_id: str, miner_id: str) -> bool:
        """Whether the machine has reported before (its id was valid then)."""
        site = self._sites.get(site_id)
        return site is not None and miner_id in site.rows

    def take_changed(self) -> set[str]:
        """Sites with a new machine reading since the last call."""
        changed, self._changed = self._changed, set()
        return changed

    @property
    def site_ids(self) -> Iterable[str]:
        return self._sites.keys()

    def site_sums(self, site_id: str, now_s: float) -> MinerSums | None:
        """The site's machines folded at ``now_s`` (``None`` if none ever reported)."""
        site = self._sites.get(site_id)
        if site is None or not site.rows:
            return None
        ts_s = np.frombuffer(site.ts_s, dtype=np.float64)
        fresh = ts_s >= now_s - self._offline_after_s
        power_w = np.frombuffer(site.power_w, dtype=np.float32)
        hashrate_hs = np.frombuffer(site.hashrate_hs, dtype=np.float64)
        online = np.frombuffer(site.online, dtype=np.int8)
        return MinerSums(
            latest_ts_s=site.latest_ts_s,
            power_w=float(power_w.sum(where=fresh, dtype=np.float64)),
            hashrate_hs=float(hashrate_hs.sum(where=fresh)),
            miners_online=int(np.count_nonzero(online.astype(bool) & fresh)),
            miners_total=len(site.rows),
            miners_fresh=int(np.count_nonzero(fresh)),
        )

    def machines(self) -> int:
        """Machines known across all sites."""
        return sum(len(site.rows) for site in self._sites.values())

    def column_bytes(self) -> int:
        """Bytes the numeric columns take (the id dictionaries come on top)."""
        return sum(site.nbytes() for site in self._sites.values())
