"""Luxor REST v2: GET JSON with an ``authorization: <key>`` header (no Bearer prefix).

Sources (pool-apis.md §1.6, §1.11): LuxorLabs/miningos-wrk-minerpool-luxor (Luxor's own
worker: paths, header, the end-date rule); docs.luxor.tech/mining/api/v2/payments/
get-transactions (transaction fields and categories); afaqueadmin/BitFactory, a production
Luxor client (``src/lib/services/poolWorkerAndTransactionService.ts``: the income categories);
a public Next.js dashboard's Luxor client
(``hashrate_efficiency[{date_time, hashrate}]`` in H/s with ``tick_size=1d``, about a 60-day
range per request). Each request is filtered by ``subaccount_names``.

- ``/api/v2/pool/summary/BTC``: ``hashrate_5m``, ``hashrate_24h`` (strings, H/s).
- ``/api/v2/pool/workers/BTC`` (paged, ``pagination.next_page_url``): offline from
  ``last_share_time``.
- ``/api/v2/pool/transactions/BTC?start_date=&end_date=`` (days, both included; ``end_date``
  may not be after today, or Luxor answers an error): rows ``date_time``, ``currency_amount``
  (BTC), ``transaction_type`` (credit | debit), ``transaction_category``. Credits of
  "Miner Revenue" are mining, of "LuxOS Rebate" a fee rebate (counted, as Braiins'
  ``bos_plus_reward``: BitFactory counts these two categories as income) whatever their
  ``transaction_type``: Luxor's own v2 doc example is a "Miner Revenue" row typed debit, and
  BitFactory books these categories as credits whichever type they carry. Their amount is
  taken as given: a negative one (a reversal) is kept negative. Other credit categories are
  kept as "other" income (never mined unless counted); debits of "Payout", "Payment" and
  "Transaction Fee" (the balance paid out; BitFactory's pool-transactions page) are not
  income; any other debit or type is unknown, counted.
- ``/api/v2/pool/revenue/BTC?start_date=&end_date=`` (days, both included, not paged):
  ``revenue[{date_time, revenue{currency_type, revenue_type, revenue}}]``, the day's figure
  Luxor publishes itself (``revenue`` a JSON number, BTC; ``revenue_type`` "MINING"), about
  45 days back (afaqueadmin/BitFactory ``src/lib/luxor.ts`` ``RevenueResponse`` and
  ``LUXOR_API_HISTORICAL_DATA_INVESTIGATION.md``; a public dashboard's Luxor client,
  CleanSatMining, ``RevenueItem``). Which UTC day a transaction's ``date_time`` books to is not
  documented, so a day's mining is Luxor's own MINING figure where ``/revenue`` has the day,
  the "Miner Revenue" rows' sum otherwise (older days); where both have it and they differ by
  more than 1 sat, the difference is an unknown row (counted, logged): a visible finding.
- ``/api/v2/pool/hashrate-efficiency/BTC?tick_size=1d``: ``hashrate_efficiency[{date_time,
  hashrate, efficiency}]``, the day's hash rate (H/s by that client; ``day_hashrate_unit``).
- A zone-less ``date_time`` is read in ``timestamp_zone`` (UTC by default).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date, timedelta
from typing import Any, ClassVar, Final, TypeVar

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

T = TypeVar("T")
PAGE_SIZE: Final = 500
MAX_PAGES: Final = 50
_TIME_FIELDS: Final = ("date_time", "created_at", "timestamp", "date")
# The income categories: "Miner Revenue" (docs.luxor.tech/mining/api/v2/payments/
# get-transactions) and "LuxOS Rebate", the two a production client counts as income
# (afaqueadmin/BitFactory src/lib/services/poolWorkerAndTransactionService.ts
# CREDIT_CATEGORIES; its dashboard export has "Mining (BTC)" and "LuxOS (BTC)" columns). The
# rebate is part of the pool fee returned for running LuxOS, as Braiins' bos_plus_reward.
INCOME_CATEGORIES: Final = {"Miner Revenue": Income.MINING, "LuxOS Rebate": Income.FEE_REBATE}
# Debits that move the balance out, not income (afaqueadmin/BitFactory src/app/(manage)/
# pool-transactions/page.tsx names the categories it sees: "Miner Revenue, LuxOS Rebate,
# Transaction Fee, Payment, Payout").
PAYOUT_CATEGORIES: Final = frozenset({"Payout", "Payment", "Transaction Fee"})
MINING_REVENUE_TYPE: Final = "MINING"  # /revenue's revenue_type of mining (BitFactory, CleanSat)
RECONCILED_WITHIN_SAT: Final = 1  # /revenue and the transactions may differ by rounding only
MISMATCH: Final = "Miner Revenue rows differ from /revenue"
FINAL_HOUR_UTC: Final = 6


class LuxorAdapter(PoolAdapterBase):
    # Rate limit: None published; Luxor's own worker waits a second between calls.
    descriptor: ClassVar[PoolDescriptor] = PoolDescriptor(
        "luxor",
        "https://app.luxor.tech",
        rate_limit=(1, 1),
        max_range_days=60,
    )

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

    async def earnings(self, start: date, end: date) -> PoolDays:
        # end_date is a day included in the answer and must not be after today (Luxor answers
        # an error otherwise): ask for the last wanted day, today at the latest.
        last_day = min(end - timedelta(days=1), self.clock.now().date())
        if last_day < start:
            return PoolDays()
        window = {"start_date": start.isoformat(), "end_date": last_day.isoformat()}
        credits: list[tuple[date, int, Income]] = []
        unknown: list[UnknownRow] = []
        for page in range(1, MAX_PAGES + 1):
            page_credits, page_unknown, more = await self._get(
                "transactions/BTC",
                self._credits,
                **window,
                page_number=str(page),
                page_size=str(PAGE_SIZE),
            )
            credits.extend(page_credits)
            unknown.extend(page_unknown)
            if not more:
                break
        revenue = await self._get("revenue/BTC", self._revenue, **window)
        # A day is final at 06:00 UTC the next day (a production client waits until then,
        # pool-apis.md §1.12): only final days are reconciled.
        now = self.clock.now()
        final_before = now.date() - timedelta(days=0 if now.hour >= FINAL_HOUR_UTC else 1)
        credits, mismatches = _reconciled(credits, revenue, final_before)
        unknown.extend(mismatches)
        hashrates: dict[date, float] = {}
        unit = self.day_hashrate_unit
        for page in range(1, MAX_PAGES + 1) if unit is not None else ():
            page_rates, more = await self._get(
                "hashrate-efficiency/BTC",
                lambda answer: self._hashrates(answer, unit or "H/s"),
                **window,
                tick_size="1d",
                page_number=str(page),
                page_size=str(PAGE_SIZE),
            )
            hashrates.update(page_rates)
            if not more:
                break
        return PoolDays(
            summed(credits, start, end),
            tuple(DayHashrate(d, r) for d, r in sorted(hashrates.items()) if start <= d < end),
            tuple(u for u in unknown if u.day is None or start <= u.day < end),
        )

    def _credits(
        self, answer: Mapping[str, Any]
    ) -> tuple[list[tuple[date, int, Income]], list[UnknownRow], bool]:
        credits: list[tuple[date, int, Income]] = []
        unknown: list[UnknownRow] = []
        transactions = n.items(answer, "transactions")
        for index, entry in enumerate(transactions):
            where = f"transactions[{index}]"
            if not isinstance(entry, Mapping):
                raise SourceBadResponse(f"{where}: expected an object")
            when = next((entry[k] for k in _TIME_FIELDS if entry.get(k) is not None), None)
            if when is None:
                raise SourceBadResponse(f"{where}: no date_time")
            day = n.utc_day(when, f"{where}.date_time", self.zone)
            kind = n.field(entry, "transaction_type")
            amount = n.btc_to_sat(n.field(entry, "currency_amount"), f"{where}.currency_amount")
            category = entry.get("transaction_category")
            name = category if isinstance(category, str) else None
            income = INCOME_CATEGORIES.get(name) if name is not None else None
            if income is not None and kind in ("credit", "debit"):
                credits.append((day, amount, income))  # income whatever its type (above)
            elif kind == "debit" and name in PAYOUT_CATEGORIES:
                continue  # the balance paid out, not income
            elif kind == "credit" and name is not None:
                credits.append((day, amount, Income.OTHER))
            else:
                unknown.append(UnknownRow(day, f"{kind}/{category}"[:60], amount))
        return credits, unknown, bool(transactions) and _more(answer)

    def _revenue(self, answer: Mapping[str, Any]) -> dict[date, int]:
        """Luxor's own MINING figure per UTC day (satoshis)."""
        if isinstance(answer, Mapping) and answer.get("subaccounts") is not None:
            for index, subaccount in enumerate(n.items(answer, "subaccounts")):  # a list or none
                if isinstance(subaccount, Mapping):
                    self.check_account(subaccount.get("name"), f"revenue subaccounts[{index}]")
        mined: dict[date, int] = {}
        for index, row in enumerate(n.items(answer, "revenue")):
            where = f"revenue[{index}]"
            figure = n.obj(row, "revenue")
            if n.field(figure, "revenue_type") != MINING_REVENUE_TYPE:
                continue  # referrals and the like: the transactions' categories carry them
            day = n.utc_day(n.field(row, "date_time"), f"{where}.date_time", self.zone)
            amount = n.btc_to_sat(n.field(figure, "revenue"), f"{where}.revenue.revenue")
            mined[day] = mined.get(day, 0) + amount
        return mined

    def _hashrates(self, answer: Mapping[str, Any], unit: str) -> tuple[dict[date, float], bool]:
        rates: dict[date, float] = {}
        rows = n.items(answer, "hashrate_efficiency")
        for index, row in enumerate(rows):
            where = f"hashrate_efficiency[{index}]"
            day = n.utc_day(n.field(row, "date_time"), f"{where}.date_time", self.zone)
            rates[day] = n.hashrate_to_hs(n.field(row, "hashrate"), unit, f"{where}.hashrate")
        return rates, bool(rows) and _more(answer)


def _reconciled(
    credits: list[tuple[date, int, Income]], revenue: Mapping[date, int], final_before: date
) -> tuple[list[tuple[date, int, Income]], list[UnknownRow]]:
    """The credits with each day's mining taken from ``/revenue`` where it has the day, and a
    finding (rows minus ``/revenue``) for each final day (before ``final_before``) whose
    "Miner Revenue" rows differ from it by more than 1 sat."""
    from_rows: dict[date, int] = {}
    for day, amount, income in credits:
        if income is Income.MINING:
            from_rows[day] = from_rows.get(day, 0) + amount
    kept = [row for row in credits if row[2] is not Income.MINING or row[0] not in revenue]
    kept += [(day, amount, Income.MINING) for day, amount in revenue.items()]
    findings = [
        UnknownRow(day, MISMATCH, from_rows.get(day, 0) - amount)
        for day, amount in sorted(revenue.items())
        if day < final_before and abs(from_rows.get(day, 0) - amount) > RECONCILED_WITHIN_SAT
    ]
    return kept, findings


def _more(answer: Mapping[str, Any]) -> bool:
    pagination = answer.get("pagination")
    return isinstance(pagination, Mapping) and bool(pagination.get("next_page_url"))


def _summary(summary: Mapping[str, Any]) -> tuple[float, float]:
    current = n.hashrate_to_hs(n.field(summary, "hashrate_5m"), "H/s", "hashrate_5m")
    day = n.hashrate_to_hs(n.field(summary, "hashrate_24h"), "H/s", "hashrate_24h")
    return current, day
