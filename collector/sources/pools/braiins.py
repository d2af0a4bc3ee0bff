"""Braiins Pool (formerly Slush Pool): GET JSON with a ``Pool-Auth-Token`` header.

Sources (pool-apis.md §1.1, §1.11, §1.12): help.braiins.com API configuration guide; the
Braiins Academy monitoring page (``Pool-Auth-Token``); nicosmuts/braiins-pool-exporter
``docs/API_DISCOVERY.md`` and ``testdata/braiins/*.json`` (live-captured shapes);
afaqueadmin/BitFactory ``src/lib/braiins.ts`` (``hash_rate_daily``: its shape and its
~188-day window, "VERIFIED 2026-08-11 against the live API"); fischerq/ha-braiins-pool
(rewards' income kinds; it does not parse ``hash_rate_daily``).

- ``/accounts/profile/json/btc/``: ``username``; ``btc.hash_rate_5m``, ``btc.hash_rate_24h`` in
  ``btc.hash_rate_unit`` (Gh/s, Th/s, Ph/s).
- ``/accounts/workers/json/btc``: ``btc.workers{name: {state, last_share (Unix s)}}``.
- ``/accounts/rewards/json/btc?from=&to=``: ``btc.daily_rewards[{date (Unix, UTC day start),
  total_reward, mining_reward, bos_plus_reward, referral_bonus, referral_reward}]``, decimal-BTC
  strings. Kinds: ``mining_reward`` is mining, ``bos_plus_reward`` Braiins OS+'s fee rebate,
  ``referral_bonus`` + ``referral_reward`` referral income; any rest of ``total_reward`` is
  "other". Whether ``to`` is inclusive is unconfirmed: the window is over-fetched (by the job)
  and rows are kept by their ``date``.
- ``/accounts/hash_rate_daily/json/btc``: ``btc[{date (Unix, UTC day start), hash_rate_24h,
  hash_rate_unit, total_shares}]``; it ignores from/to (and ``group``) and answers a rolling
  window of about 188 days (BitFactory ``src/lib/braiins.ts``, checked against the live API).
- A bad token is HTTP 403 with a text body ("Invalid Access Profile token").
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any, ClassVar, Final

from collector.errors import SourceBadResponse
from collector.sources.pools import normalise as n
from collector.sources.pools.base import (
    DayHashrate,
    PoolAdapterBase,
    PoolDays,
    PoolDescriptor,
    PoolSnapshot,
    UnknownRow,
    summed,
)
from remittance.obligations import Income

DEFAULT_AUTH_HEADER = "Pool-Auth-Token"
HASHRATES_REUSED_S = 60.0  # at most; each poll's snapshot clears it (never used across polls)
KINDS: Final = (
    ("mining_reward", Income.MINING),
    ("bos_plus_reward", Income.FEE_REBATE),
    ("referral_bonus", Income.REFERRAL),
    ("referral_reward", Income.REFERRAL),
)


class BraiinsAdapter(PoolAdapterBase):
    # Rate limit: "About one request per five seconds (safe value)" (help.braiins.com).
    descriptor: ClassVar[PoolDescriptor] = PoolDescriptor(
        "braiins",
        "https://pool.braiins.com",
        rate_limit=(1, 5),
        max_range_days=90,
    )

    _hashrates_read: tuple[float, tuple[DayHashrate, ...]] | None = None

    def _headers(self) -> dict[str, str]:
        return {self.account.auth_header or DEFAULT_AUTH_HEADER: self.token()}

    async def snapshot(self) -> PoolSnapshot:
        self._hashrates_read = None  # a poll starts: its daily hash rates are read afresh
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

    async def earnings(self, start: date, end: date) -> PoolDays:
        rewards: PoolDays = await self.http.get_json(
            f"{self.base_url}/accounts/rewards/json/btc",
            headers=self._headers(),
            params={"from": start.isoformat(), "to": (end - timedelta(days=1)).isoformat()},
            check=lambda answer: _rewards(answer, start, end),
        )
        if self.day_hashrate_unit is None:
            return rewards
        hashrates = tuple(h for h in await self._daily_hashrates() if start <= h.day < end)
        return PoolDays(rewards.credits, hashrates, rewards.unknown)

    async def _daily_hashrates(self) -> tuple[DayHashrate, ...]:
        """Every day ``/accounts/hash_rate_daily`` answers (it ignores from/to: ~188 days).
        Asked once per poll, not once per rewards range: a backfill's second range reuses
        the answer of a moment before, which saves one request at the pool's 5 s pace."""
        now = self.clock.monotonic()
        cached = self._hashrates_read
        if cached is not None and now - cached[0] < HASHRATES_REUSED_S:
            return cached[1]
        days: tuple[DayHashrate, ...] = await self.http.get_json(
            f"{self.base_url}/accounts/hash_rate_daily/json/btc",
            headers=self._headers(),
            check=lambda answer: _daily_hashrates(answer, date.min, date.max),
        )
        self._hashrates_read = (now, days)
        return days


def _rewards(answer: Any, start: date, end: date) -> PoolDays:
    rows: list[tuple[date, int, Income]] = []
    unknown: list[UnknownRow] = []
    for index, reward in enumerate(n.items(n.obj(answer, "btc"), "daily_rewards")):
        where = f"daily_rewards[{index}]"
        day = n.utc_day(n.field(reward, "date"), f"{where}.date")
        parts = 0
        for name, income in KINDS:
            if reward.get(name) is not None:
                amount = n.btc_to_sat(reward[name], f"{where}.{name}")
                parts += amount
                rows.append((day, amount, income))
        if reward.get("mining_reward") is None:
            raise SourceBadResponse(f"{where}: no mining_reward")
        if reward.get("total_reward") is not None:
            rest = n.btc_to_sat(reward["total_reward"], f"{where}.total_reward") - parts
            if rest > 0:
                rows.append((day, rest, Income.OTHER))
            elif rest < 0:
                unknown.append(UnknownRow(day, "total_reward below its parts", rest))
    return PoolDays(summed(rows, start, end), (), tuple(unknown))


def _daily_hashrates(answer: Any, start: date, end: date) -> tuple[DayHashrate, ...]:
    found: dict[date, float] = {}
    for index, row in enumerate(n.items(answer, "btc")):
        where = f"btc[{index}]"
        day = n.utc_day(n.field(row, "date"), f"{where}.date")
        unit = str(n.field(row, "hash_rate_unit"))
        if start <= day < end:
            found[day] = n.hashrate_to_hs(
                n.field(row, "hash_rate_24h"), unit, f"{where}.hash_rate_24h"
            )
    return tuple(DayHashrate(day, rate) for day, rate in sorted(found.items()))
