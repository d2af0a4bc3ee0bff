"""OCEAN: a public API (no credentials) keyed by the user name (a BTC address), ``{"result": ...}``.

Sources (pool-apis.md §1.8, §1.11, §1.12): tetherto/miningos-wrk-minerpool-ocean (paths, the
envelope); live captures in naciremadream81/trillion ``tests/fixtures/ocean/`` (field shapes);
an open-source Swift client (earnpay fields). OCEAN's own docs were not seen.

- ``/v1/user_hashrate/{user}``: ``hashrate_300s`` … ``hashrate_86400s`` (H/s, JSON strings in
  the live captures: past 2**53, so read as decimals).
- ``/v1/user_hashrate_full/{user}``: ``workers{"<worker>": [{hashrate_60s, hashrate_300s,
  …}]}``, keyed by the bare worker name (live captures), not ``<user>.<worker>``: a name says
  nothing of the account, and may hold a dot. A worker with no 300-second hash rate is
  offline (OCEAN gives no per-worker last-share times).
- ``/v1/earnpay/{user}/{start}/{end}``: ``earnings[{block_hash, ts, shares_in_window,
  satoshis_net_earned, fees_colected_satoshis}]``, one per block share, summed per UTC day of
  ``ts``. ``ts`` is ISO text without a zone in the live captures, UTC (the trillion client
  stamps it UTC), and a number in a Swift client: a zone-less ``ts`` is read in
  ``timestamp_zone`` (UTC by default). ``amount_sats`` appears only in a third-party mock and
  is not read.
- OCEAN publishes no daily hash rate the sources agree on: the day's hash rate comes from the
  collector's own samples of ``user_hashrate``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, tzinfo
from typing import Any, ClassVar, Final, TypeVar
from urllib.parse import quote

from collector.errors import SourceBadResponse
from collector.sources.pools import normalise as n
from collector.sources.pools.base import (
    PoolAdapterBase,
    PoolDays,
    PoolDescriptor,
    PoolSnapshot,
    summed,
)
from remittance.obligations import Income

T = TypeVar("T")
_AMOUNT_FIELD: Final = "satoshis_net_earned"
_TIME_FIELDS: Final = ("ts", "time", "block_ts")


class OceanAdapter(PoolAdapterBase):
    # Rate limit: None published; Tether's worker waits a second between calls.
    descriptor: ClassVar[PoolDescriptor] = PoolDescriptor(
        "ocean",
        "https://api.ocean.xyz",
        rate_limit=(1, 1),
        max_range_days=90,
        needs=frozenset(),
        default_day_hashrate_unit="off",  # it publishes none: the collector's samples
    )

    async def _result(self, path: str, check: Callable[[Any], T]) -> T:
        found: T = await self.http.get_json(
            f"{self.base_url}/v1/{path}", check=lambda answer: check(n.field(answer, "result"))
        )
        return found

    async def snapshot(self) -> PoolSnapshot:
        user = quote(self.account.account, safe="")
        current, day = await self._result(f"user_hashrate/{user}", _rates)
        online, offline = await self._result(f"user_hashrate_full/{user}", self._workers)
        return PoolSnapshot(current, day, online, offline)

    def _workers(self, full: Any) -> tuple[int, int]:
        workers = n.obj(full, "workers")
        online = offline = 0
        for name, samples in workers.items():
            latest = samples[0] if isinstance(samples, list) and samples else samples
            if not isinstance(latest, Mapping):
                raise SourceBadResponse(f"workers.{str(name)[:60]}: expected hash rate samples")
            recent = n.field(latest, "hashrate_300s") if "hashrate_300s" in latest else None
            if recent is None:
                recent = n.field(latest, "hashrate_60s")
            if n.decimal(recent, f"workers.{name}") > 0:
                online += 1
            else:
                offline += 1
        return online, offline

    async def earnings(self, start: date, end: date) -> PoolDays:
        user = quote(self.account.account, safe="")
        return await self._result(
            f"earnpay/{user}/{start.isoformat()}/{end.isoformat()}",
            lambda result: PoolDays(summed(_earnings(result, self.zone), start, end)),
        )


def _rates(rates: Any) -> tuple[float, float]:
    if not isinstance(rates, Mapping):
        raise SourceBadResponse("user_hashrate: result is not an object")
    current = n.hashrate_to_hs(n.field(rates, "hashrate_300s"), "H/s", "hashrate_300s")
    day = n.hashrate_to_hs(n.field(rates, "hashrate_86400s"), "H/s", "hashrate_86400s")
    return current, day


def _earnings(result: Any, zone: tzinfo) -> list[tuple[date, int, Income]]:
    entries = result if isinstance(result, list) else n.items(result, "earnings")
    rows: list[tuple[date, int, Income]] = []
    for index, entry in enumerate(entries):
        where = f"earnings[{index}]"
        if not isinstance(entry, Mapping):
            raise SourceBadResponse(f"{where}: expected an object")
        when = next((entry[k] for k in _TIME_FIELDS if entry.get(k) is not None), None)
        if when is None or entry.get(_AMOUNT_FIELD) is None:
            raise SourceBadResponse(f"{where}: needs ts and satoshis_net_earned")
        day = n.utc_day(when, f"{where}.ts", zone)
        rows.append((day, n.sat(entry[_AMOUNT_FIELD], f"{where}.{_AMOUNT_FIELD}"), Income.MINING))
    return rows
