"""Foundry USA Pool: GET JSON with an ``X-API-KEY`` header, one key per sub-account.

``/subaccount_stats/{sub}`` gives current and 24-hour hash rates (H/s) and worker counts;
``/v2/earnings/{sub}`` one entry per UTC day with ``totalAmount`` (BTC, after fees) and the
day's ``hashrate`` (H/s). Field names are read snake_case or camelCase (the spec's JSON casing
is unconfirmed).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any, ClassVar
from urllib.parse import quote

from collector.errors import SourceBadResponse
from collector.sources.pools import normalise as n
from collector.sources.pools.base import DailyEarning, PoolAdapterBase, PoolSnapshot


def _first(payload: Mapping[str, Any], *names: str) -> Any:
    for name in names:
        if name in payload and payload[name] is not None:
            return payload[name]
    raise SourceBadResponse(f"{names[0]}: missing from the answer")


class FoundryAdapter(PoolAdapterBase):
    kind: ClassVar[str] = "foundry"
    default_base_url: ClassVar[str] = "https://api.foundryusapool.com"
    max_range_days: ClassVar[int] = 90

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
        current = _first(stats, "hashrate5min_avg", "hashrate5minAvg", "hashrate15minAvg")
        day = _first(stats, "hashrate24hr_avg", "hashrate24hrAvg")
        online = _first(stats, "active_workers", "activeWorkers")
        offline = _first(stats, "offline15_min_worker_count", "offline15MinWorkerCount")
        return PoolSnapshot(
            hashrate_hs=n.hashrate_to_hs(current, "H/s", "hashrate5min_avg"),
            hashrate_24h_hs=n.hashrate_to_hs(day, "H/s", "hashrate24hr_avg"),
            workers_online=n.count(online, "active_workers"),
            workers_offline=n.count(offline, "offline15_min_worker_count"),
        )

    async def earnings(self, start: date, end: date) -> list[DailyEarning]:
        sub = quote(self.account.account, safe="")
        found: list[DailyEarning] = await self.http.get_json(
            f"{self.base_url}/v2/earnings/{sub}",
            check=lambda answer: self._earnings(answer, start, end),
            headers=self._headers(),
            params={
                "coin": "BTC",
                "startDateUnixMs": str(int(n.day_start(start).timestamp() * 1000)),
                "endDateUnixMs": str(int(n.day_start(end).timestamp() * 1000)),
            },
        )
        return found

    @staticmethod
    def _earnings(answer: Any, start: date, end: date) -> list[DailyEarning]:
        entries = answer if isinstance(answer, list) else n.items(answer, "earnings")
        result: dict[date, DailyEarning] = {}
        for index, entry in enumerate(entries):
            where = f"earnings[{index}]"
            day = n.utc_day(n.field(entry, "startTime"), f"{where}.startTime")
            amount = n.btc_to_sat(n.field(entry, "totalAmount"), f"{where}.totalAmount")
            hashrate = entry.get("hashrate")
            hashrate_hs = (
                None if hashrate is None else n.hashrate_to_hs(hashrate, "H/s", f"{where}.hashrate")
            )
            if start <= day < end:
                result[day] = DailyEarning(day, amount, hashrate_hs)
        return [result[day] for day in sorted(result)]
