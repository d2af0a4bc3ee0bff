"""F2Pool's v2 API, faked under ``/f2pool``: ``POST`` with a JSON body naming the account
(``mining_user_name``) and the coin (``currency``), authenticated by ``F2P-API-SECRET``: hash
rate, workers and the asset transactions (api.f2pool.com/v2/doc/en.html; pool-apis.md §1.11,
§1.12). Errors are ``{"code", "msg": "error_type: ..."}``; tests/fixtures/pools/README.md cites
each refusal."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
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
)


async def answer(
    accounts: PoolAccounts, request: web.Request, path: str, body: str, fault: str | None
) -> Any:
    params = json.loads(body or "{}")
    state = accounts.named("f2pool", str(params.get("mining_user_name")))
    if request.headers.get("F2P-API-SECRET") != state.token:
        raise Refused
    # Every request names its coin (api.f2pool.com/v2/doc/en.html: the body's `currency`,
    # one of the values the doc lists); errors are {"code", "msg": "error_type: ..."}.
    if not params.get("currency"):
        return {"code": 5001, "msg": "params_error: currency is required"}
    now = accounts.clock.now()
    if path == "/v2/hash_rate/info":
        return {
            "info": {
                "name": account_shown(state, fault),
                "hash_rate": state.hashrate_hs,
                "h1_hash_rate": state.hashrate_hs,
                "h24_hash_rate": state.hashrate_24h_hs,
                "h1_stale_hash_rate": 0,
                "h24_stale_hash_rate": 0,
                "h24_delay_hash_rate": 0,
                "local_hash_rate": state.hashrate_hs,
                "h24_local_hash_rate": state.hashrate_24h_hs,
            }
        }
    if path == "/v2/hash_rate/worker/list":
        workers = []
        for index in range(state.workers_online + state.workers_offline):
            online = index < state.workers_online
            workers.append(
                {
                    "hash_rate_info": {
                        "name": f"worker{index}",
                        "hash_rate": 1.0e14 if online else 0,
                        "h1_hash_rate": 1.0e14,
                        "h24_hash_rate": 1.0e14,
                    },
                    "last_share_at": int(now.timestamp()) - (60 if online else 7200),
                    "status": 0,  # unreliable: adapters use last_share_at
                    "host": "",
                }
            )
        return {"workers": workers}
    if path == "/v2/assets/transactions/list":
        # Whether start_time/end_time filter on mining or settlement time is not
        # documented (pool-apis.md §1.11): the fake takes the harder reading, settlement
        # (02:00 UTC the day after mining), so a window that ends at a mining day's end
        # misses that day.
        start_at = datetime.fromtimestamp(int(params["start_time"]), UTC)
        end_at = datetime.fromtimestamp(int(params["end_time"]), UTC)
        if end_at <= start_at:  # pool-apis.md §1.12: end_time must be later
            return {"code": 5001, "msg": "params_error: end_time must be later than start_time"}
        transactions = []
        for day, amount in sorted(state.earnings_sat.items()):
            settle = day_start(day) + timedelta(days=1, hours=2)
            if not start_at <= settle < end_at or settle > now:
                continue
            transactions.append(
                {
                    "id": int(settle.timestamp()),
                    "type": "revenue_fpps",
                    "changed_balance": btc(amount),
                    "created_at": int(settle.timestamp()),
                    "mining_extra": {
                        "mining_date": int(day_start(day).timestamp()),
                        "settle_date": int(settle.timestamp()),
                        "pps": btc(amount),
                        "pps_fee_rate": Decimal("0.04"),
                        "tx_fee": 0,
                        "tx_fee_rate": 0,
                        "hash_rate": state.day_hashrate_hs.get(day, state.hashrate_24h_hs),
                    },
                    "payout_extra": None,
                }
            )
            for kind, extra_sat in state.other_rows.get(day, ()):
                transactions.append(
                    {
                        "id": int(settle.timestamp()) + 1,
                        "type": kind,
                        "changed_balance": btc(extra_sat),
                        "created_at": int(settle.timestamp()),
                        "mining_extra": {"mining_date": int(day_start(day).timestamp())},
                        "payout_extra": None,
                    }
                )
        return {"transactions": transactions}
    return {"code": 5001, "msg": f"params_error: unknown request {path}"}


def _refusal() -> web.Response:
    # 5010 permission denied: tetherto/miningos-wrk-minerpool-f2pool's mock (wording ours).
    return web.json_response({"code": 5010, "msg": "permission_denied: invalid secret"})


POOL: Final = PoolFake("f2pool", "POST", answer, _refusal)
