"""OCEAN's public API, faked under ``/ocean``: ``GET /v1/<what>/<account>`` with no key: the
user's hash rate, its workers' and its earnings and payouts, in the shapes of live captures
(naciremadream81/trillion tests/fixtures/ocean/; pool-apis.md §1.11, §1.12)."""

from __future__ import annotations

import hashlib
from datetime import date, timedelta
from typing import Any, Final

from aiohttp import web

from simulator.fake_pools.base import (
    PoolAccounts,
    PoolFake,
    day_start,
    earned_days,
)


async def answer(
    accounts: PoolAccounts, request: web.Request, path: str, body: str, fault: str | None
) -> Any:
    parts = path.strip("/").split("/")
    if len(parts) < 3 or parts[0] != "v1":
        return web.json_response({"error": "not found"}, status=404)
    state = accounts.get("ocean", parts[2])
    if state is None:
        return web.json_response({"result": None, "error": "unknown user"}, status=404)
    # Shapes from live captures (naciremadream81/trillion tests/fixtures/ocean/; pool-apis.md
    # §1.12): hash rates and Unix times are JSON strings; user_hashrate_full keys workers
    # by the bare worker name and names no account, so there is no other account to
    # show (wrong_account changes nothing here).
    now = int(accounts.clock.now().timestamp())
    windows = (60, 300, 600, 1800, 3600, 10800, 43200)
    if parts[1] == "user_hashrate":
        rates = {f"hashrate_{w}s": str(int(state.hashrate_hs)) for w in windows}
        rates["hashrate_86400s"] = str(int(state.hashrate_24h_hs))
        return {
            "result": {
                "snap_ts": str(now),
                "db_ts": str(now - now % 300),
                **rates,
                "active_worker_count": state.workers_online,
                "lastest_share_ts": str(now),  # OCEAN's own spelling
            }
        }
    if parts[1] == "user_hashrate_full":
        workers = {}
        for index in range(state.workers_online + state.workers_offline):
            online = index < state.workers_online
            rates = {
                f"hashrate_{w}s": "100000000000000" if online or w >= 3600 else "0"
                for w in (*windows, 86400)
            }
            workers[f"worker{index}"] = [rates]
        return {"result": {"snap_ts": str(now), "db_ts": str(now - now % 300), "workers": workers}}
    if parts[1] == "earnpay" and len(parts) >= 4:
        start = date.fromisoformat(parts[3])
        end = date.fromisoformat(parts[4]) if len(parts) > 4 else date.max
        earnings = []
        payouts = []
        for day, amount in earned_days(state, start, end):
            half = amount // 2
            for hour, share in ((3, half), (15, amount - half)):  # two blocks that day
                at = day_start(day) + timedelta(hours=hour)
                # ts is ISO text without a zone, UTC, in the live captures; a number in
                # one Swift client (§1.11): the fake writes both.
                ts: Any = int(at.timestamp()) if hour == 3 else at.strftime("%Y-%m-%dT%H:%M:%S")
                block = hashlib.sha256(f"{day}{hour}".encode()).hexdigest()
                earnings.append(
                    {
                        "block_hash": block,
                        "ts": ts,
                        "shares_in_window": 1_000_000,
                        "fees_colected_satoshis": 0,  # OCEAN's own spelling
                        "satoshis_net_earned": share,
                    }
                )
                # Paid in the block's own generation transaction.
                payouts.append(
                    {
                        "ts": (at + timedelta(seconds=14)).strftime("%Y-%m-%dT%H:%M:%S"),
                        "on_chain_txid": hashlib.sha256(block.encode()).hexdigest(),
                        "total_satoshis_net_paid": share,
                        "is_generation_txn": True,
                    }
                )
        return {
            "result": {
                "start_ts": str(int(day_start(start).timestamp())),
                "end_ts": str(now),
                "earnings": earnings,
                "payouts": payouts,
            }
        }
    return web.json_response({"error": "not found"}, status=404)


POOL: Final = PoolFake("ocean", "GET", answer)
