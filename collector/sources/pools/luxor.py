"""Luxor REST v2: GET JSON with an ``authorization: <key>`` header (no Bearer prefix).

``/api/v2/pool/summary/BTC`` (hash rates as strings, H/s), ``/api/v2/pool/workers/BTC``
(paginated; offline from ``last_share_time``), ``/api/v2/pool/transactions/BTC`` (credits,
``currency_amount`` in BTC; only ``transaction_category`` "Miner Revenue" is mined; its
``start_date``/``end_date`` are days, both included, and ``end_date`` may not be after today —
Luxor's own MiningOS worker and a third-party client both note the refusal), each filtered by
``subaccount_names``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any, ClassVar, Final, TypeVar

from collector.errors import SourceBadResponse
from collector.sources.pools import normalise as n
from collector.sources.pools.base import DailyEarning, PoolAdapterBase, PoolSnapshot

T = TypeVar("T")
PAGE_SIZE: Final = 500
MAX_PAGES: Final = 50
_TIME_FIELDS: Final = ("date_time", "created_at", "timestamp", "date")
# The category of mining earnings (docs.luxor.tech/mining/api/v2/payments/get-transactions).
MINER_REVENUE: Final = "Miner Revenue"


class LuxorAdapter(PoolAdapterBase):
    kind: ClassVar[str] = "luxor"
    default_base_url: ClassVar[str] = "https://app.luxor.tech"
    max_range_days: ClassVar[int] = 90

    def _headers(self) -> dict[str, str]:
        return {"authorization": self.token()}

    async def _get(self, path: str, check: Callable[[Mapping[str, Any]], T], **params: str) -> T:
        def checked(answer: Any) -> T:
            if not isinstance(answer, Mapping):
                raise SourceBadResponse(f"luxor {path}: expected an object")
            return check(answer)

        result: T = await self.http.get_json(
            f"{self.base_url}/api/v2/pool/{path}",
            headers=self._headers(),
            params={"subaccount_names": self.account.account, **params},
            check=checked,
        )
        return result

    async def snapshot(self) -> PoolSnapshot:
        current, day = await self._get("summary/BTC", _summary)
        online = offline = 0
        for page in range(1, MAX_PAGES + 1):
            page_online, page_offline, more = await self._get(
                "workers/BTC", self._workers, page_number=str(page), page_size=str(PAGE_SIZE)
            )
            online += page_online
            offline += page_offline
            if not more:
                break
        return PoolSnapshot(current, day, online, offline)

    def _workers(self, answer: Mapping[str, Any]) -> tuple[int, int, bool]:
        now = self.clock.now()
        online = offline = 0
        workers = n.items(answer, "workers")
        for index, worker in enumerate(workers):
            where = f"workers[{index}]"
            self.check_account(n.field(worker, "subaccount_name"), "worker list")
            last_share = worker.get("last_share_time")
            if last_share is not None:
                is_online = n.is_online(n.moment(last_share, f"{where}.last_share_time"), now)
            else:
                is_online = n.field(worker, "status") == "ACTIVE"
            if is_online:
                online += 1
            else:
                offline += 1
        return online, offline, bool(workers) and _more(answer)

    async def earnings(self, start: date, end: date) -> list[DailyEarning]:
        amounts: dict[date, int] = {}
        # end_date is a day included in the answer and must not be after today (Luxor answers
        # an error otherwise): ask for the last wanted day, today at the latest.
        last_day = min(end - timedelta(days=1), self.clock.now().date())
        if last_day < start:
            return []
        for page in range(1, MAX_PAGES + 1):
            credits, more = await self._get(
                "transactions/BTC",
                _credits,
                start_date=start.isoformat(),
                end_date=last_day.isoformat(),
                page_number=str(page),
                page_size=str(PAGE_SIZE),
            )
            for day, amount in credits:
                if start <= day < end:
                    amounts[day] = amounts.get(day, 0) + amount
            if not more:
                break
        return [DailyEarning(day, amount) for day, amount in sorted(amounts.items())]


def _more(answer: Mapping[str, Any]) -> bool:
    pagination = answer.get("pagination")
    return isinstance(pagination, Mapping) and bool(pagination.get("next_page_url"))


def _summary(summary: Mapping[str, Any]) -> tuple[float, float]:
    current = n.hashrate_to_hs(n.field(summary, "hashrate_5m"), "H/s", "hashrate_5m")
    day = n.hashrate_to_hs(n.field(summary, "hashrate_24h"), "H/s", "hashrate_24h")
    return current, day


def _credits(answer: Mapping[str, Any]) -> tuple[list[tuple[date, int]], bool]:
    credits: list[tuple[date, int]] = []
    transactions = n.items(answer, "transactions")
    for index, entry in enumerate(transactions):
        where = f"transactions[{index}]"
        if n.field(entry, "transaction_type") != "credit":
            continue
        category = entry.get("transaction_category")
        if category is not None and category != MINER_REVENUE:
            continue  # not mining earnings (a transfer, a bonus…): never counted as mined
        when = next((entry[k] for k in _TIME_FIELDS if entry.get(k) is not None), None)
        if when is None:
            raise SourceBadResponse(f"{where}: no date_time")
        day = n.utc_day(when, f"{where}.date_time")
        credits.append(
            (day, n.btc_to_sat(n.field(entry, "currency_amount"), f"{where}.currency_amount"))
        )
    return credits, bool(transactions) and _more(answer)
