"""Foundry USA Pool's API, faked under ``/foundry``: ``GET`` with ``X-API-KEY``, the paths of
its published OpenAPI 6.0.0 (MarathonDH/foundry-pool-rs openapi-spec-6.0.json; pool-apis.md
§1.11, §1.12): a sub-account's stats and its daily earnings. tests/fixtures/pools/README.md
cites each refusal."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
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


async def answer(
    accounts: PoolAccounts, request: web.Request, path: str, body: str, fault: str | None
) -> Any:
    # The published OpenAPI 6.0.0's paths (pool-apis.md §1.11); /v2/earnings is not one.
    match = re.fullmatch(r"/(subaccount_stats|earnings)/([^/]+)", path)
    if match is None:
        return web.json_response({"error": "not found"}, status=404)
    state = accounts.get("foundry", match.group(2))
    if state is None:
        # OpenAPI 6.0.0 (MarathonDH/foundry-pool-rs openapi-spec-6.0.json): 404 "Not Found:
        # Cannot find subaccount with the name provided" (/subaccount_stats), "Sub-account
        # not found" (/earnings); not 401, which says the key is wrong.
        return web.json_response({"error": "Sub-account not found"}, status=404)
    if request.headers.get("X-API-KEY") != state.token:
        raise Refused
    if match.group(1) == "subaccount_stats":
        return {
            "name": account_shown(state, fault),
            "activeWorkers": state.workers_online,
            "offline15MinWorkerCount": state.workers_offline,
            "offline24HrWorkerCount": 0,
            "hashrate5minAvg": state.hashrate_hs,
            "hashrate15minAvg": state.hashrate_hs,
            "hashrate1hrAvg": state.hashrate_hs,
            "hashrate24hrAvg": state.hashrate_24h_hs,
            "lastShareTime": iso(accounts.clock.now()),
            "isActive": True,
        }
    start_ms = int(request.query.get("startDateUnixMs", "0"))
    end_ms = int(request.query.get("endDateUnixMs", str(2**42)))
    start = datetime.fromtimestamp(start_ms / 1000, UTC).date()
    last = datetime.fromtimestamp(end_ms / 1000, UTC).date()  # inclusive (the spec)
    return [
        {
            "startTime": iso(day_start(day)),
            "endTime": iso(day_start(day + timedelta(days=1))),
            "totalAmount": btc(amount),
            "feeAmount": btc(amount // 49),
            # GH/s, an int64 (OpenAPI 6.0.0), as live users read it: CleanSatMining/
            # dashboard-v0 multiplies it by 1e9 (pool-apis.md §1.12).
            "hashrate": round(state.day_hashrate_hs.get(day, state.hashrate_24h_hs) / 1e9),
        }
        for day, amount in earned_days(state, start, last + timedelta(days=1))
    ]


POOL: Final = PoolFake("foundry", "GET", answer)
