"""F2Pool API v2: POST JSON with an ``F2P-API-SECRET`` header; errors are ``{"code", "msg"}``.

Sources (pool-apis.md §1.2, §1.11): F2Pool's v2 doc (api.f2pool.com/v2/doc/en.html);
tetherto/miningos-wrk-minerpool-f2pool (request bodies; its mock's field shapes).

- Hash rates are H/s; amounts are BTC JSON numbers, read exactly (the HTTP layer parses JSON
  numbers as ``Decimal``).
- ``hash_rate/info``: ``info{name, hash_rate, h24_hash_rate}``; ``hash_rate/worker/list``:
  ``workers[{last_share_at, status}]``.
- ``assets/transactions/list`` (``type=revenue``, ``start_time``/``end_time`` Unix s): rows
  ``type`` (``revenue_fpps`` seen; any ``revenue…`` is mining), ``changed_balance``,
  ``mining_extra{mining_date, hash_rate}`` ("average hashrate on the day of mining"; unit not
  documented, H/s by default: ``day_hashrate_unit``). A row of another ``type`` is unknown:
  counted, logged, never stored. Whether the window filters on mining or settlement time is
  not documented: the job over-fetches a day at each end and keeps rows by ``mining_date``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, ClassVar, TypeVar

from collector.errors import SourceBadResponse, SourceUnauthorized
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

T = TypeVar("T")
_AUTH_CODES = frozenset({5010})  # "permission denied" in F2Pool's v2 error table
_AUTH_WORDS = ("auth", "permission", "secret", "token")


class F2PoolAdapter(PoolAdapterBase):
    # Rate limit: None published; F2Pool's own example clients wait a second between calls.
    descriptor: ClassVar[PoolDescriptor] = PoolDescriptor(
        "f2pool",
        "https://api.f2pool.com",
        rate_limit=(1, 1),
        max_range_days=30,
    )

    async def _call(self, request: str, check: Callable[[Mapping[str, Any]], T], **extra: Any) -> T:
        def checked(answer: Any) -> T:
            return check(self._envelope(request, answer))

        result: T = await self.http.post_json(
            f"{self.base_url}/v2/{request}",
            json_body={"currency": "bitcoin", "mining_user_name": self.account.account, **extra},
            headers={"F2P-API-SECRET": self.token()},
            check=checked,
        )
        return result

    @staticmethod
    def _envelope(request: str, answer: Any) -> Mapping[str, Any]:
        if not isinstance(answer, Mapping):
            raise SourceBadResponse(f"f2pool {request}: expected an object")
        code = answer.get("code")
        if code not in (None, 0):
            message = str(answer.get("msg", ""))[:120]
            if code in _AUTH_CODES or any(word in message.lower() for word in _AUTH_WORDS):
                raise SourceUnauthorized(f"f2pool {request}: code {code}: {message}")
            raise SourceBadResponse(f"f2pool {request}: code {code}: {message}")
        return answer

    async def snapshot(self) -> PoolSnapshot:
        current, day = await self._call("hash_rate/info", self._info)
        online, offline = await self._call("hash_rate/worker/list", self._workers)
        return PoolSnapshot(current, day, online, offline)

    def _info(self, answer: Mapping[str, Any]) -> tuple[float, float]:
        info = n.obj(answer, "info")
        self.check_account(info.get("name"), "hash_rate/info")
        current = n.hashrate_to_hs(n.field(info, "hash_rate"), "H/s", "info.hash_rate")
        day = n.hashrate_to_hs(n.field(info, "h24_hash_rate"), "H/s", "info.h24_hash_rate")
        return current, day

    def _workers(self, answer: Mapping[str, Any]) -> tuple[int, int]:
        workers = n.items(answer, "workers")
        now = self.clock.now()
        online = offline = 0
        for index, worker in enumerate(workers):
            last_share = n.field(worker, "last_share_at")
            if last_share is not None:
                is_online = n.is_online(n.unix_time(last_share, f"workers[{index}]"), now)
            else:  # no share ever: only then trust the flag (0 = online)
                is_online = n.field(worker, "status") == 0
            if is_online:
                online += 1
            else:
                offline += 1
        return online, offline

    async def earnings(self, start: date, end: date) -> PoolDays:
        return await self._call(
            "assets/transactions/list",
            lambda answer: self._revenue(answer, start, end),
            type="revenue",
            start_time=int(n.day_start(start).timestamp()),
            end_time=int(n.day_start(end).timestamp()),
        )

    def _revenue(self, answer: Mapping[str, Any], start: date, end: date) -> PoolDays:
        credits: list[tuple[date, int, Income]] = []
        hashrates: dict[date, float] = {}
        unknown: list[UnknownRow] = []
        unit = self.day_hashrate_unit
        for index, entry in enumerate(n.items(answer, "transactions")):
            where = f"transactions[{index}]"
            amount = n.btc_to_sat(n.field(entry, "changed_balance"), f"{where}.changed_balance")
            kind = str(n.field(entry, "type"))
            if not kind.startswith("revenue"):  # a payout, or a type not documented
                other = entry.get("mining_extra")
                when = other.get("mining_date") if isinstance(other, Mapping) else None
                day = None if when is None else n.utc_day(when, f"{where}.mining_date")
                unknown.append(UnknownRow(day, kind[:60], amount))
                continue
            extra = n.obj(entry, "mining_extra")
            day = n.utc_day(n.field(extra, "mining_date"), f"{where}.mining_extra.mining_date")
            credits.append((day, amount, Income.MINING))
            if unit is not None and extra.get("hash_rate") is not None and start <= day < end:
                hashrates[day] = n.hashrate_to_hs(extra["hash_rate"], unit, f"{where}.hash_rate")
        return PoolDays(
            summed(credits, start, end),
            tuple(DayHashrate(day, rate) for day, rate in sorted(hashrates.items())),
            tuple(u for u in unknown if u.day is None or start <= u.day < end),
        )
