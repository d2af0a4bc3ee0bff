"""Braiins Pool's account API, faked under ``/braiins``: ``GET`` with the ``Pool-Auth-Token``
header (or the older ``SlushPool-Auth-Token``): the profile, the workers, the daily rewards and
the daily hash rates, in the formats pool-apis.md §1.1, §1.11 and §1.12 record. A token it does
not know gets Braiins' 403 text; beyond its pace it answers nothing (no 429), as Braiins
documents. tests/fixtures/pools/README.md cites each refusal."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any, Final

from aiohttp import web

from simulator.fake_pools.base import (
    PoolAccounts,
    PoolFake,
    account_shown,
    btc,
    day_start,
    earned_days,
)


async def answer(
    accounts: PoolAccounts, request: web.Request, path: str, body: str, fault: str | None
) -> Any:
    token = request.headers.get("Pool-Auth-Token") or request.headers.get("SlushPool-Auth-Token")
    state = accounts.by_token("braiins", token)
    unit, scale = ("Zh/s", Decimal(1)) if fault == "wrong_unit" else ("Gh/s", Decimal(10**9))
    now = accounts.clock.now()
    if path == "/accounts/profile/json/btc/":
        return {
            "username": account_shown(state, fault),
            "btc": {
                "all_time_reward": "1.23456789",
                "hash_rate_unit": unit,
                "hash_rate_5m": Decimal(str(state.hashrate_hs)) / scale,
                "hash_rate_60m": Decimal(str(state.hashrate_hs)) / scale,
                "hash_rate_24h": Decimal(str(state.hashrate_24h_hs)) / scale,
                "hash_rate_yesterday": Decimal(str(state.hashrate_24h_hs)) / scale,
                "low_workers": 0,
                "off_workers": state.workers_offline,
                "ok_workers": state.workers_online,
                "dis_workers": 0,
                "current_balance": "0.01234567",
                "today_reward": "0.00012345",
                "estimated_reward": "0.00023456",
                "shares_5m": 1000,
                "shares_60m": 12000,
                "shares_24h": 288000,
                "shares_yesterday": 288000,
            },
        }
    if path == "/accounts/workers/json/btc":
        workers: dict[str, Any] = {}
        shown = account_shown(state, fault)
        total = state.workers_online + state.workers_offline
        for index in range(total):
            online = index < state.workers_online
            last_share = now - timedelta(seconds=60 if online else 7200)
            # The pool's own flag lags (re-evaluated every 5 minutes): an offline worker
            # still says "ok" here, so adapters must use last_share.
            # Keys: bare names in the exporter's captures ("worker-a"), "<account>.<name>"
            # as miners log in; which the API writes is unconfirmed: the fake writes both.
            name = f"worker{index}" if index % 2 else f"{shown}.worker{index}"
            workers[name] = {
                "state": "ok",
                "last_share": int(last_share.timestamp()),
                "hash_rate_unit": unit,
                "hash_rate_5m": 100000 if online else 0,
                "hash_rate_60m": 100000,
                "hash_rate_24h": 100000,
                "shares_5m": 10,
                "shares_60m": 120,
                "shares_24h": 2880,
            }
        return {"btc": {"workers": workers}}
    if path == "/accounts/rewards/json/btc":
        start = date.fromisoformat(request.query["from"])
        end = date.fromisoformat(request.query["to"]) + timedelta(days=1)
        # total_reward includes referral income (pool-apis.md §1.11): the fake credits a
        # small referral reward each day, so an adapter that counts total_reward is caught.
        # Braiins OS+ rebates part of the pool fee (bos_plus_reward): mined is
        # mining_reward + bos_plus_reward, so the fake splits each day's amount in two.
        referral = 1_000
        rewards = []
        for day, amount in reversed(earned_days(state, start, end)):
            rebate = amount // 50
            rewards.append(
                {
                    "date": int(day_start(day).timestamp()),
                    "total_reward": str(btc(amount + referral)),
                    "mining_reward": str(btc(amount - rebate)),
                    "bos_plus_reward": str(btc(rebate)),
                    "referral_bonus": "0.00000000",
                    "referral_reward": str(btc(referral)),
                    "calculation_date": int((day_start(day) + timedelta(days=1)).timestamp()),
                }
            )
        return {"btc": {"daily_rewards": rewards}}
    if path == "/accounts/hash_rate_daily/json/btc":
        # It ignores from/to and answers a rolling ~188 days (afaqueadmin/BitFactory
        # src/lib/braiins.ts, checked against the live API; pool-apis.md §1.12); each row
        # carries its own unit. (Newest first is the fake's choice, not a source's.)
        today = now.date()
        rows = [
            {
                "date": int(day_start(day).timestamp()),
                "hash_rate_unit": unit,
                "hash_rate_24h": Decimal(str(rate)) / scale,
                "total_shares": 288_000,
            }
            for day, rate in sorted(state.day_hashrate_hs.items(), reverse=True)
            if today - timedelta(days=188) <= day < today
        ]
        return {"btc": rows}
    return web.Response(status=404, text="Not Found")


def _refusal() -> web.Response:
    # pool-apis.md §1.1: the exporter's live check (403, text/plain).
    return web.Response(status=403, text="Invalid Access Profile token")


# Braiins answers no 429: requests beyond its pace (about one per 5 s) are silently ignored,
# and sustained excess gets the IP banned (academy.braiins.com braiins-pool/monitoring;
# pool-apis.md §1.1, §1.12).
POOL: Final = PoolFake("braiins", "GET", answer, _refusal, silent_when_rate_limited=True)
