"""AntPool's user API, faked under ``/antpool``: ``POST`` forms signed with HMAC-SHA256 over
userId + key + nonce, the nonce increasing (pool-apis.md §1.4, §1.12): the account overview and
the payment history, paged (pool-apis.md §1.11, §1.12). tests/fixtures/pools/README.md cites
each refusal."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

from aiohttp import web

from simulator.fake_pools.base import (
    PoolAccounts,
    PoolFake,
    Refused,
    account_shown,
    btc,
)

ANTPOOL_MAX_PAGE_SIZE: Final = 50  # paymentHistoryV2's largest page (pool-apis.md §1.12)


async def answer(
    accounts: PoolAccounts, request: web.Request, path: str, body: str, fault: str | None
) -> Any:
    form = {k: str(v) for k, v in (await request.post()).items()}
    state = accounts.named("antpool", form.get("userId", ""))
    expected = (
        hmac.new(
            (state.secret or "").encode(),
            f"{state.account}{form.get('key', '')}{form.get('nonce', '')}".encode(),
            hashlib.sha256,
        )
        .hexdigest()
        .upper()
    )
    if form.get("key") != state.token or not hmac.compare_digest(
        form.get("signature", ""), expected
    ):
        raise Refused
    # The nonce must increase from one request to the next (pool-apis.md §1.4, §1.12):
    # a repeated or smaller one is refused (the wording is ours, AntPool's unpublished).
    nonce = form.get("nonce", "")
    if not nonce.isdigit() or int(nonce) <= state.last_nonce:
        return {"code": 1, "message": "nonce must increase", "data": None}
    state.last_nonce = int(nonce)
    if path == "/api/accountOverview.htm":
        return {
            "code": 0,
            "message": "ok",
            "data": {
                "userId": account_shown(state, fault),
                "hsLast10m": str(int(state.hashrate_hs)),
                "hsLast1h": str(int(state.hashrate_hs)),
                "hsLast1d": str(int(state.hashrate_24h_hs)),
                "totalWorkerNum": str(state.workers_online + state.workers_offline),
                "activeWorkerNum": str(state.workers_online),
                "inactiveWorkerNum": str(state.workers_offline),
                "invalidWorkerNum": "0",
                "totalAmount": "0.00480411",
                "unpaidAmount": "0.00012345",
                "yesterdayAmount": "0.00023456",
            },
        }
    if path == "/api/paymentHistoryV2.htm":
        page = int(form.get("page", "1"))
        size = int(form.get("pageSize", "10"))
        if not 1 <= size <= ANTPOOL_MAX_PAGE_SIZE:
            # 50 is the most a page holds ("page size max": CleanSatMining/dashboard-v0
            # pages/api/sites/[id]/mining/pool/antpool.ts; pool-apis.md §1.12). What AntPool
            # answers beyond it is not public: the fake refuses (its wording), so an
            # adapter asking for more is caught rather than quietly given 50.
            return {"code": 1, "message": "pageSize must be 1 to 50", "data": None}
        days = sorted(state.earnings_sat.items(), reverse=True)
        total_pages = max(1, -(-len(days) // size))
        rows = []
        for day, amount in days[(page - 1) * size : page * size]:
            fee_part = amount // 10
            day_rate = state.day_hashrate_hs.get(day, state.hashrate_24h_hs)
            rows.append(
                {
                    # The row's date is its mining day, UTC, as the public clients
                    # read it (pool-apis.md §1.11), in AntPool's own text format.
                    "timestamp": f"{day.isoformat()} 00:00:00",
                    "fppsBlockAmount": str(btc(amount - fee_part)),
                    "fppsFeeAmount": str(btc(fee_part)),
                    # Display text and the day's hash rate in H/s (two public clients,
                    # CleanSat antpool.ts and MiningDAO/DeMine lib/antpool.js; §1.12).
                    "hashrate": f"{day_rate / 1e15:.2f} PH/s",
                    "hashrate_unit": int(day_rate),
                }
            )
        return {
            "code": 0,
            "message": "ok",
            "data": {
                "page": page,
                "totalPage": total_pages,
                "pageSize": size,
                "totalRecord": len(days),
                "rows": rows,
            },
        }
    return {"code": 404, "message": "unknown api"}


def _refusal() -> web.Response:
    return web.json_response({"code": 1, "message": "signature error", "data": None})


POOL: Final = PoolFake("antpool", "POST", answer, _refusal)
