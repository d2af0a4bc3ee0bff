"""Luxor's v2 pool API, faked under ``/luxor``: ``GET`` with the ``authorization`` header and a
``subaccount_names`` query: the summary, the workers, the transactions, the per-day revenue and
the hash rate (docs.luxor.tech/mining/api/v2; afaqueadmin/BitFactory's references; pool-apis.md
§1.11, §1.12). tests/fixtures/pools/README.md cites each refusal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from simulator.fake_pools.base import (
    PoolAccounts,
    PoolFake,
    Refused,
    account_shown,
    btc,
    day_start,
    earned_days,
    iso,
)

LUXOR_TICKS: Final = ("5m", "1h", "1d", "1w", "1M")
LUXOR_REVENUE_DAYS: Final = 45  # how far back /revenue answers (BitFactory's live test)


async def answer(
    accounts: PoolAccounts, request: web.Request, path: str, body: str, fault: str | None
) -> Any:
    state = accounts.named("luxor", request.query.get("subaccount_names", ""))
    if request.headers.get("authorization") != state.token:
        raise Refused
    shown = account_shown(state, fault)
    no_more = {"page_number": 1, "page_size": 500, "previous_page_url": None}
    if path == "/api/v2/pool/summary/BTC":
        return {
            "currency_type": "BTC",
            "hashrate_5m": str(int(state.hashrate_hs)),
            "hashrate_1h": str(int(state.hashrate_hs)),
            "hashrate_24h": str(int(state.hashrate_24h_hs)),
            "hashrate_stale_1h": "0",
            "hashrate_stale_24h": "0",
            "efficiency_5m": "0.99",
            "uptime_24h": "0.98",
            "active_miners": state.workers_online,
            "revenue_24h": [{"currency_type": "BTC", "revenue": "0.00100000"}],
            "revenue_all_time": [{"currency_type": "BTC", "revenue": "1.00000000"}],
            "balance": [{"currency_type": "BTC", "revenue": "0.01000000"}],
            "hashprice": [{"currency_type": "BTC", "value": "0.00000050"}],
        }
    if path == "/api/v2/pool/workers/BTC":
        now = accounts.clock.now()
        workers = [
            {
                "id": str(index),
                "subaccount_name": shown,
                "name": f"worker{index}",
                "firmware": "luxos",
                "hashrate": "100000000000000",
                "efficiency": "0.99",
                "stale_shares": 0,
                "rejected_shares": 0,
                "last_share_time": iso(
                    now - timedelta(seconds=60 if index < state.workers_online else 7200)
                ),
                "status": "ACTIVE",
            }
            for index in range(state.workers_online + state.workers_offline)
        ]
        return {
            "currency_type": "BTC",
            "total_active": state.workers_online,
            "total_inactive": state.workers_offline,
            "workers": workers,
            "pagination": {**no_more, "item_count": len(workers), "next_page_url": None},
        }
    dated = (
        "/api/v2/pool/transactions/BTC",
        "/api/v2/pool/revenue/BTC",
        "/api/v2/pool/hashrate-efficiency/BTC",
    )
    if path in dated:
        window = _window(accounts, request)
        if isinstance(window, web.Response):
            return window
        start, end = window
    if path == "/api/v2/pool/revenue/BTC":
        # Luxor's own per-day figure (afaqueadmin/BitFactory src/lib/luxor.ts
        # RevenueResponse; CleanSatMining's RevenueItem): one MINING row per day, the
        # "Miner Revenue" part of the day (the rebate is apart, as the dashboard export's
        # "Mining" and "LuxOS" columns), not paged, about 45 days back (BitFactory
        # LUXOR_API_HISTORICAL_DATA_INVESTIGATION.md).
        oldest = accounts.clock.now().date() - timedelta(days=LUXOR_REVENUE_DAYS)
        return {
            "currency_type": "BTC",
            "start_date": start.isoformat(),
            "end_date": end.isoformat(),
            "subaccounts": [{"id": 1, "name": shown}],
            "revenue": [
                {
                    "date_time": iso(day_start(day)),
                    "revenue": {
                        "currency_type": "BTC",
                        "revenue_type": "MINING",
                        "revenue": btc(amount - amount // 50),
                    },
                }
                for day, amount in earned_days(state, max(start, oldest), end + timedelta(1))
            ],
        }
    if path == "/api/v2/pool/transactions/BTC":
        # A day's income is two rows, "Miner Revenue" (docs.luxor.tech/mining/api/v2/
        # payments/get-transactions) and "LuxOS Rebate" (part of the fee returned for
        # running LuxOS; afaqueadmin/BitFactory counts both as income): mined is their
        # sum, so an adapter that leaves the rebate out is caught. currency_amount is a
        # JSON number (pool-apis.md §1.11). Luxor's own v2 doc example is a "Miner
        # Revenue" row typed debit (BitFactory books these as credits whatever the
        # type): every other day's is typed so here, so an adapter that drops debits
        # unread is caught. Accrual rows mostly have no transaction ID (BitFactory's
        # pool-transactions page). A Monday also has a "Payout" debit, not income.
        days = earned_days(state, start, end + timedelta(days=1))
        transactions = [
            {
                "date_time": iso(day_start(day) + timedelta(hours=1)),
                "currency_type": "BTC",
                "currency_amount": btc(part),
                "usd_equivalent": 0,
                "transaction_id": "",
                "transaction_type": row_type,
                "transaction_category": category,
            }
            for day, amount in days
            for category, part, row_type in (
                (
                    "Miner Revenue",
                    amount - amount // 50,
                    "debit" if day.toordinal() % 2 else "credit",
                ),
                ("LuxOS Rebate", amount // 50, "credit"),
            )
        ]  # start_date and end_date are whole days, both included
        transactions += [
            {
                "date_time": iso(day_start(day) + timedelta(hours=3)),
                "currency_type": "BTC",
                "currency_amount": Decimal("0.005"),
                "usd_equivalent": 0,
                "transaction_id": f"payout-{day.isoformat()}",
                "transaction_type": "debit",
                "transaction_category": "Payout",
            }
            for day, _ in days
            if day.weekday() == 0
        ]
        transactions += [
            {
                "date_time": iso(day_start(day) + timedelta(hours=2)),
                "currency_type": "BTC",
                "currency_amount": btc(extra_sat),
                "usd_equivalent": 0,
                "transaction_id": f"tx-{day.isoformat()}-{category}",
                "transaction_type": "credit",
                "transaction_category": category,
            }
            for day, rows in sorted(state.other_rows.items())
            if start <= day <= end
            for category, extra_sat in rows
        ]
        return {
            "currency_type": "BTC",
            "transactions": transactions,
            "pagination": {**no_more, "item_count": len(transactions), "next_page_url": None},
        }
    if path == "/api/v2/pool/hashrate-efficiency/BTC":
        # tick_size is required, one of 5m, 1h, 1d, 1w, 1M (afaqueadmin/BitFactory
        # LUXOR_V2_API_COMPLETE_ENDPOINTS_REFERENCE.md); the fake holds day figures only
        # and answers them whatever the tick.
        if request.query.get("tick_size") not in LUXOR_TICKS:
            return web.json_response(
                {"error": "tick_size must be one of " + ", ".join(LUXOR_TICKS)}, status=400
            )
        ticks = [
            {
                "date_time": iso(day_start(day)),
                "hashrate": str(int(rate)),
                "efficiency": "0.99",
            }
            for day, rate in sorted(state.day_hashrate_hs.items())
            if start <= day <= end
        ]
        return {
            "currency_type": "BTC",
            "hashrate_efficiency": ticks,
            "pagination": {**no_more, "item_count": len(ticks), "next_page_url": None},
        }
    return web.json_response({"error": "not found"}, status=404)


def _window(accounts: PoolAccounts, request: web.Request) -> tuple[date, date] | web.Response:
    """``start_date`` and ``end_date`` (days, both included), or Luxor's refusal: both are
    required (afaqueadmin/BitFactory LUXOR_V2_API_COMPLETE_ENDPOINTS_REFERENCE.md), and an
    end date after today is an error (Luxor's own MiningOS worker: "end_date never must be
    bigger than today, otherwise the API will return an error")."""
    try:
        start = date.fromisoformat(request.query["start_date"])
        end = date.fromisoformat(request.query["end_date"])
    except (KeyError, ValueError):
        return web.json_response({"error": "start_date and end_date are required"}, status=400)
    if end > accounts.clock.now().date():
        return web.json_response({"error": "End date must be in the past or today"}, status=400)
    return start, end


POOL: Final = PoolFake("luxor", "GET", answer)
