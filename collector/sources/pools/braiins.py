"""Braiins Pool (formerly Slush Pool): GET JSON with a ``Pool-Auth-Token`` header.

Hash rates come in the unit named by ``hash_rate_unit`` (Gh/s, Th/s, Ph/s); daily rewards are
decimal-BTC strings keyed by a Unix ``date``; a bad token is HTTP 403 with a text body. Mined
for a day is ``mining_reward + bos_plus_reward`` (the mining reward and Braiins OS+'s fee
rebate): ``total_reward`` also holds ``referral_bonus``/``referral_reward`` income, which is not
mining (fischerq/ha-braiins-pool; nicosmuts/braiins-pool-exporter; pool-apis.md §1.11).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar, Final

from collector.errors import SourceBadResponse
from collector.sources.pools import normalise as n
from collector.sources.pools.base import DailyEarning, PoolAdapterBase, PoolSnapshot

DEFAULT_AUTH_HEADER = "Pool-Auth-Token"
MINED_FIELDS: Final = ("mining_reward", "bos_plus_reward")


class BraiinsAdapter(PoolAdapterBase):
    kind: ClassVar[str] = "braiins"
    default_base_url: ClassVar[str] = "https://pool.braiins.com"
    max_range_days: ClassVar[int] = 90

    def _headers(self) -> dict[str, str]:
        return {self.account.auth_header or DEFAULT_AUTH_HEADER: self.token()}

    async def snapshot(self) -> PoolSnapshot:
        current, day = await self.http.get_json(
            f"{self.base_url}/accounts/profile/json/btc/",
            headers=self._headers(),
            check=self._profile,
        )
        online, offline = await self.http.get_json(
            f"{self.base_url}/accounts/workers/json/btc",
            headers=self._headers(),
            check=lambda answer: self._workers(n.obj(n.obj(answer, "btc"), "workers")),
        )
        return PoolSnapshot(current, day, online, offline)

    def _profile(self, profile: Any) -> tuple[float, float]:
        if isinstance(profile, Mapping):
            self.check_account(profile.get("username"), "profile")
        btc = n.obj(profile, "btc")
        unit = str(n.field(btc, "hash_rate_unit"))
        current = n.hashrate_to_hs(n.field(btc, "hash_rate_5m"), unit, "btc.hash_rate_5m")
        day = n.hashrate_to_hs(n.field(btc, "hash_rate_24h"), unit, "btc.hash_rate_24h")
        return current, day

    def _workers(self, workers: Mapping[str, Any]) -> tuple[int, int]:
        now = self.clock.now()
        online = offline = 0
        for name, worker in workers.items():
            prefix, dot, _ = str(name).partition(".")
            if dot:
                self.check_account(prefix, "worker list")
            if isinstance(worker, Mapping) and worker.get("last_share") is not None:
                last_share = n.unix_time(worker["last_share"], f"workers.{name}.last_share")
                is_online = n.is_online(last_share, now)
            else:
                state = n.field(worker, "state")
                is_online = state in ("ok", "low")
            if is_online:
                online += 1
            else:
                offline += 1
        return online, offline

    async def earnings(self, start: date, end: date) -> list[DailyEarning]:
        found: list[DailyEarning] = await self.http.get_json(
            f"{self.base_url}/accounts/rewards/json/btc",
            headers=self._headers(),
            params={"from": start.isoformat(), "to": (end - timedelta(days=1)).isoformat()},
            check=lambda answer: self._rewards(answer, start, end),
        )
        return found

    def _rewards(self, answer: Any, start: date, end: date) -> list[DailyEarning]:
        rewards = n.items(n.obj(answer, "btc"), "daily_rewards")
        result: dict[date, int] = {}
        for index, reward in enumerate(rewards):
            day = n.utc_day(n.field(reward, "date"), f"daily_rewards[{index}].date")
            # Mined = the mining reward and the fee rebate (bos_plus_reward); total_reward also
            # holds referral income (referral_bonus, referral_reward), which is not mining.
            amount = sum(
                n.btc_to_sat(reward[name], f"daily_rewards[{index}].{name}")
                for name in MINED_FIELDS
                if reward.get(name) is not None
            )
            if all(reward.get(name) is None for name in MINED_FIELDS):
                raise SourceBadResponse(f"daily_rewards[{index}]: no mining_reward")
            if start <= day < end:
                result[day] = result.get(day, 0) + amount
        return [DailyEarning(day, amount) for day, amount in sorted(result.items())]
