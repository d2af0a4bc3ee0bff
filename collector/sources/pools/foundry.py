"""Foundry USA Pool: GET JSON with an ``X-API-KEY`` header, one key per sub-account.

Sources (pool-apis.md §1.5, §1.11): Foundry's published OpenAPI 6.0.0
(``api.foundryusapool.com/openapi-spec.json``, as vendored in MarathonDH/foundry-pool-rs
``openapi-spec-6.0.json``): camelCase fields, the paths below.

- ``/subaccount_stats/{sub}``: ``name``, ``hashrate5minAvg``, ``hashrate24hrAvg`` (H/s),
  ``activeWorkers``, ``offline15MinWorkerCount``. (snake_case names, seen only in a generated
  Rust client's docs, are read too.)
- ``/earnings/{sub}?coin=BTC&startDateUnixMs=&endDateUnixMs=`` (UTC days, both included): one
  row per day, ``startTime``, ``totalAmount`` (BTC, after fees), ``feeAmount``, ``hashrate``
  (int64; the spec gives no unit). ``hashrate`` is **GH/s**: a live user's client
  (CleanSatMining/dashboard-v0 ``pages/api/sites/[id]/mining/pool/foundry.ts``) multiplies it
  by 1e9 to H/s, a second public script divides it by 1e6 for PH/s (pool-apis.md §1.12). The
  one "H/s" claim is a parser comment tested on a synthetic number. ``day_hashrate_unit``
  overrides it (GH/s by default).
  ``/v2/earnings`` appears only in one third-party parser and is not used.
- A zone-less ``startTime`` is read in ``timestamp_zone`` (UTC by default).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import quote

from collector.errors import SourceBadResponse
from collector.sources.pools import normalise as n
from collector.sources.pools.base import (
    DayHashrate,
    PoolAdapterBase,
    PoolDays,
    PoolDescriptor,
    PoolSnapshot,
    summed,
)
from remittance.obligations import Income


def _first(payload: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in payload and payload[name] is not None:
            return payload[name]
    raise SourceBadResponse(f"{names[0]}: missing from the answer")


class FoundryAdapter(PoolAdapterBase):
    # Rate limit: None published.
    descriptor: ClassVar[PoolDescriptor] = PoolDescriptor(
        "foundry",
        "https://api.foundryusapool.com",
        rate_limit=(2, 1),
        max_range_days=90,
        default_day_hashrate_unit="GH/s",  # /earnings hashrate, as live users read it
    )

    def _headers(self) -> dict[str, str]:
        return {"X-API-KEY": self.token()}

    async def snapshot(self) -> PoolSnapshot:
        sub = quote(self.account.account, safe="")
        snapshot: PoolSnapshot = await self.http.get_json(
            f"{self.base_url}/subaccount_stats/{sub}", headers=self._headers(), check=self._stats
        )
        return snapshot

    def _stats(self, stats: Any) -> PoolSnapshot:
        if not isinstance(stats, Mapping):
            raise SourceBadResponse("subaccount_stats: expected an object")
        self.check_account(stats.get("name"), "subaccount_stats")
        current = _first(stats, "hashrate5minAvg", "hashrate15minAvg", "hashrate5min_avg")
        day = _first(stats, "hashrate24hrAvg", "hashrate24hr_avg")
        online = _first(stats, "activeWorkers", "active_workers")
        offline = _first(stats, "offline15MinWorkerCount", "offline15_min_worker_count")
        return PoolSnapshot(
            hashrate_hs=n.hashrate_to_hs(current, "H/s", "hashrate5minAvg"),
            hashrate_24h_hs=n.hashrate_to_hs(day, "H/s", "hashrate24hrAvg"),
            workers_online=n.count(online, "activeWorkers"),
            workers_offline=n.count(offline, "offline15MinWorkerCount"),
        )

    async def earnings(self, start: date, end: date) -> PoolDays:
        sub = quote(self.account.account, safe="")
        last_day = end - timedelta(days=1)  # the range's days are both included
        found: PoolDays = await self.http.get_json(
            f"{self.base_url}/earnings/{sub}",
            check=lambda answer: self._earnings(answer, start, end),
            headers=self._headers(),
            params={
                "coin": "BTC",
                "startDateUnixMs": str(int(n.day_start(start).timestamp() * 1000)),
                "endDateUnixMs": str(int(n.day_start(last_day).timestamp() * 1000)),
            },
        )
        return found

    def _earnings(self, answer: Any, start: date, end: date) -> PoolDays:
        entries = answer if isinstance(answer, list) else n.items(answer, "earnings")
        credits: list[tuple[date, int, Income]] = []
        hashrates: dict[date, float] = {}
        unit = self.day_hashrate_unit
        for index, entry in enumerate(entries):
            where = f"earnings[{index}]"
            day = n.utc_day(n.field(entry, "startTime"), f"{where}.startTime", self.zone)
            amount = n.btc_to_sat(n.field(entry, "totalAmount"), f"{where}.totalAmount")
            credits.append((day, amount, Income.MINING))
            hashrate = entry.get("hashrate")
            if unit is not None and hashrate is not None and start <= day < end:
                hashrates[day] = n.hashrate_to_hs(hashrate, unit, f"{where}.hashrate")
        return PoolDays(
            summed(credits, start, end),
            tuple(DayHashrate(day, rate) for day, rate in sorted(hashrates.items())),
        )
