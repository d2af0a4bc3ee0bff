"""A fake mempool/Esplora REST server over a simulated chain, for tests and the demo.

The chain (:class:`simulator.fake_chain.FakeChain`) is held in memory and driven by the tests
and the demo; :func:`build_app` serves it in the formats the real APIs use (mempool
``backend/src/api`` routes and Esplora's REST API), all under ``/api``:

    GET /api/blocks/tip/height                      text: the tip's height
    GET /api/blocks/tip/hash                        text: the tip's hash
    GET /api/block-height/{height}                  text: the hash at a height
    GET /api/v1/blocks[/{height}]                   15 blocks descending, each with ``extras``
    GET /api/blocks[/{height}]                      10 blocks descending (plain Esplora)
    GET /api/block/{hash}                           one block (plain Esplora)
    GET /api/block/{hash}/status                    {in_best_chain, height, next_best}
    GET /api/block/{hash}/txs[/{start}]             25 transactions from ``start`` (coinbase first)
    GET /api/v1/mining/hashrate/{interval}          {hashrates, difficulty, currentHashrate, ...}
    GET /api/tx/{txid}  /api/tx/{txid}/status       a transaction / its status (404 when unknown)
    GET /api/address/{addr}/txs                     up to 50 mempool txs, then 25 confirmed
    GET /api/address/{addr}/txs/chain[/{last}]      25 confirmed txs after ``last``, newest first

Misbehaviours for fault tests (:meth:`~simulator.fake_chain.FakeChain.fail_next`): a 500, a 429
with ``Retry-After``, or a truncated JSON body, for the next ``count`` requests whose path
contains a substring.
With ``mempool_api=False`` the ``/api/v1`` routes answer 404, as plain Esplora does.

Importable without pytest: ``python -m simulator.fake_esplora --port 3002`` serves a chain
with three days of history and mines a block every ``--block-interval`` seconds of wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from collector.clock import Clock, SystemClock
from simulator.fake_chain import MINER_ADDRESS, TX_PAGE, FakeBlock, FakeChain, FakeTx, chain_hash

BLOCK_PAGE_V1 = 15
BLOCK_PAGE_ESPLORA = 10
MEMPOOL_PAGE = 50

HASHRATE_INTERVAL_DAYS = {
    "24h": 1, "3d": 3, "1w": 7, "1m": 31, "3m": 92, "6m": 183, "1y": 366, "2y": 731, "3y": 1096,
}  # fmt: skip


# -- JSON in the real formats ----------------------------------------------------------


def status_json(chain: FakeChain, tx: FakeTx) -> dict[str, Any]:
    block = chain.block_by_hash(tx.block_hash) if tx.block_hash else None
    if block is None:
        return {"confirmed": False}
    return {
        "confirmed": True,
        "block_height": block.height,
        "block_hash": block.block_hash,
        "block_time": block.timestamp,
    }


def tx_json(chain: FakeChain, tx: FakeTx) -> dict[str, Any]:
    vin: list[dict[str, Any]]
    if tx.coinbase:
        vin = [{"txid": "0" * 64, "vout": 4294967295, "is_coinbase": True, "sequence": 0}]
    else:
        # Esplora's vin: each input with the output it spends (``prevout``).
        inputs = tx.inputs or [(chain_hash("prev", tx.txid, 0), 0)]
        vin = [
            {
                "txid": prev_txid,
                "vout": prev_vout,
                "is_coinbase": False,
                "prevout": {"scriptpubkey_address": address, "value": value},
                "sequence": 4294967293,
            }
            for (address, value), (prev_txid, prev_vout) in zip(
                tx.spends or [(MINER_ADDRESS, 0)], inputs, strict=False
            )
        ]
    return {
        "txid": tx.txid,
        "version": 2,
        "locktime": 0,
        "vin": vin,
        "vout": [
            {
                "scriptpubkey": "0014" + chain_hash("spk", address)[:40],
                "scriptpubkey_type": "v0_p2wpkh",
                "scriptpubkey_address": address,
                "value": value,
            }
            for address, value in tx.outputs
        ],
        "size": 222,
        "weight": 561,
        "fee": tx.fee_sat,
        "status": status_json(chain, tx),
    }


def block_json(chain: FakeChain, block: FakeBlock, *, extras: bool) -> dict[str, Any]:
    previous = chain.block_at(block.height - 1)
    doc: dict[str, Any] = {
        "id": block.block_hash,
        "height": block.height,
        "version": 536870912,
        "timestamp": block.timestamp,
        "tx_count": len(block.txids),
        "size": 1_500_000,
        "weight": 3_993_000,
        "merkle_root": chain_hash("merkle", block.block_hash),
        "previousblockhash": previous.block_hash if previous else "0" * 64,
        "mediantime": block.timestamp - 3000,
        "nonce": block.height * 31 % 2**32,
        "bits": 386_000_000,
        "difficulty": block.difficulty,
    }
    if extras:
        doc["extras"] = {
            "reward": block.reward_sat,
            "totalFees": block.fees_sat,
            "coinbaseAddress": MINER_ADDRESS,
            "pool": {"id": 0, "name": "Unknown", "slug": "unknown"},
        }
    return doc


def hashrate_json(chain: FakeChain, interval: str) -> dict[str, Any]:
    days = HASHRATE_INTERVAL_DAYS[interval]
    first_day = datetime.fromtimestamp(chain.tip.timestamp, UTC).date() - timedelta(days=days)
    per_day: dict[date, list[float]] = {}
    for block in chain.blocks:
        day = datetime.fromtimestamp(block.timestamp, UTC).date()
        if day >= first_day:
            per_day.setdefault(day, []).append(block.difficulty * 2**32 / 600)
    hashrates = [
        {
            "timestamp": int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp()),
            "avgHashrate": sum(values) / len(values),
        }
        for d, values in sorted(per_day.items())
    ]
    return {
        "hashrates": hashrates,
        "difficulty": [
            {
                "time": chain.tip.timestamp,
                "height": chain.tip.height - chain.tip.height % 2016,
                "difficulty": chain.difficulty,
                "adjustment": 1.01,
            }
        ],
        "currentHashrate": chain.difficulty * 2**32 / 600,
        "currentDifficulty": chain.difficulty,
    }


# -- routes ----------------------------------------------------------------------------

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
CHAIN_KEY = web.AppKey("chain", FakeChain)


def _chain(request: web.Request) -> FakeChain:
    return request.app[CHAIN_KEY]


def _int(request: web.Request, name: str) -> int:
    try:
        return int(request.match_info[name])
    except ValueError as err:
        raise web.HTTPBadRequest(text=f"Invalid {name}") from err


@web.middleware
async def _faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    chain = _chain(request)
    chain.requests.append(request.path)
    if request.path.startswith("/api/v1/") and not chain.mempool_api:
        raise web.HTTPNotFound(text="Not Found")
    fault = chain.take_fault(request.path)
    if fault is None:
        return await handler(request)
    if fault.status == 429:
        headers = {"Retry-After": str(fault.retry_after_s)} if fault.retry_after_s else {}
        return web.Response(status=429, text="Too Many Requests", headers=headers)
    if fault.status >= 500:
        return web.Response(status=fault.status, text="Internal Server Error")
    answer = await handler(request)
    body = answer.body if isinstance(answer, web.Response) else b""
    text = body.decode() if isinstance(body, bytes) else "{}"
    return web.Response(text=text[: max(1, len(text) // 2)], content_type="application/json")


async def _tip_height(request: web.Request) -> web.Response:
    return web.Response(text=str(_chain(request).tip.height))


async def _tip_hash(request: web.Request) -> web.Response:
    return web.Response(text=_chain(request).tip.block_hash)


async def _block_height(request: web.Request) -> web.Response:
    block = _chain(request).block_at(_int(request, "height"))
    if block is None:
        raise web.HTTPNotFound(text="Block not found")
    return web.Response(text=block.block_hash)


def _blocks_page(request: web.Request, size: int, *, extras: bool) -> web.Response:
    chain = _chain(request)
    top = _int(request, "height") if "height" in request.match_info else chain.tip.height
    top = min(top, chain.tip.height)
    page = [chain.block_at(h) for h in range(top, top - size, -1)]
    return web.json_response([block_json(chain, b, extras=extras) for b in page if b is not None])


async def _v1_blocks(request: web.Request) -> web.Response:
    return _blocks_page(request, BLOCK_PAGE_V1, extras=True)


async def _blocks(request: web.Request) -> web.Response:
    return _blocks_page(request, BLOCK_PAGE_ESPLORA, extras=False)


def _block_or_404(request: web.Request) -> FakeBlock:
    block = _chain(request).block_by_hash(request.match_info["hash"])
    if block is None:
        raise web.HTTPNotFound(text="Block not found")
    return block


async def _block(request: web.Request) -> web.Response:
    return web.json_response(block_json(_chain(request), _block_or_404(request), extras=False))


async def _block_status(request: web.Request) -> web.Response:
    chain = _chain(request)
    block = chain.block_by_hash(request.match_info["hash"])
    if block is None:
        return web.json_response({"in_best_chain": False})
    following = chain.block_at(block.height + 1)
    return web.json_response(
        {
            "in_best_chain": True,
            "height": block.height,
            "next_best": following.block_hash if following else None,
        }
    )


async def _block_txs(request: web.Request) -> web.Response:
    chain = _chain(request)
    block = _block_or_404(request)
    start = _int(request, "start") if "start" in request.match_info else 0
    txids = block.txids[start : start + TX_PAGE]
    return web.json_response([tx_json(chain, chain.txs[t]) for t in txids])


def _tx_or_404(request: web.Request) -> FakeTx:
    tx = _chain(request).txs.get(request.match_info["txid"])
    if tx is None:
        raise web.HTTPNotFound(text="Transaction not found")
    return tx


async def _tx(request: web.Request) -> web.Response:
    return web.json_response(tx_json(_chain(request), _tx_or_404(request)))


async def _tx_status(request: web.Request) -> web.Response:
    return web.json_response(status_json(_chain(request), _tx_or_404(request)))


async def _address_txs(request: web.Request) -> web.Response:
    chain = _chain(request)
    mempool, confirmed = chain.address_txs(request.match_info["address"])
    page = mempool[:MEMPOOL_PAGE] + confirmed[: chain.tx_page]
    return web.json_response([tx_json(chain, tx) for tx in page])


async def _address_txs_chain(request: web.Request) -> web.Response:
    chain = _chain(request)
    _, confirmed = chain.address_txs(request.match_info["address"])
    last = request.match_info.get("last")
    start = 0
    if last:
        txids = [tx.txid for tx in confirmed]
        if last not in txids:
            # Esplora answers an empty page when the last seen txid is not in the history.
            return web.json_response([])
        start = txids.index(last) + 1
    page = confirmed[start : start + chain.tx_page]
    return web.json_response([tx_json(chain, tx) for tx in page])


async def _hashrate(request: web.Request) -> web.Response:
    interval = request.match_info["interval"]
    if interval not in HASHRATE_INTERVAL_DAYS:
        raise web.HTTPBadRequest(text="Invalid interval")
    return web.json_response(hashrate_json(_chain(request), interval))


def build_app(chain: FakeChain) -> web.Application:
    """The aiohttp application serving ``chain`` under ``/api``."""
    app = web.Application(middlewares=[_faults])
    app[CHAIN_KEY] = chain
    app.router.add_get("/api/blocks/tip/height", _tip_height)
    app.router.add_get("/api/blocks/tip/hash", _tip_hash)
    app.router.add_get("/api/block-height/{height}", _block_height)
    app.router.add_get("/api/v1/blocks", _v1_blocks)
    app.router.add_get("/api/v1/blocks/{height}", _v1_blocks)
    app.router.add_get("/api/blocks", _blocks)
    app.router.add_get("/api/blocks/{height:[0-9]+}", _blocks)
    app.router.add_get("/api/block/{hash}", _block)
    app.router.add_get("/api/block/{hash}/status", _block_status)
    app.router.add_get("/api/block/{hash}/txs", _block_txs)
    app.router.add_get("/api/block/{hash}/txs/{start}", _block_txs)
    app.router.add_get("/api/v1/mining/hashrate/{interval}", _hashrate)
    app.router.add_get("/api/tx/{txid}", _tx)
    app.router.add_get("/api/tx/{txid}/status", _tx_status)
    app.router.add_get("/api/address/{address}/txs", _address_txs)
    app.router.add_get("/api/address/{address}/txs/chain", _address_txs_chain)
    app.router.add_get("/api/address/{address}/txs/chain/{last}", _address_txs_chain)
    return app


async def serve(
    chain: FakeChain, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start serving ``chain``; returns the runner (call ``cleanup()``) and the bound port."""
    runner = web.AppRunner(build_app(chain), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, int(runner.addresses[0][1])


async def _main(port: int, block_interval_s: int, clock: Clock) -> None:
    start = clock.now() - timedelta(days=3)
    chain = FakeChain(
        start=start,
        block_interval_s=block_interval_s,
        history_blocks=3 * 86_400 // block_interval_s,
    )
    runner, bound = await serve(chain, port=port)
    print(json.dumps({"fake_esplora": f"http://127.0.0.1:{bound}/api"}))
    try:
        while True:
            await asyncio.sleep(1)
            chain.mine_until(clock.now())
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=3002)
    parser.add_argument("--block-interval", type=int, default=600, help="seconds between blocks")
    args = parser.parse_args()
    asyncio.run(_main(args.port, args.block_interval, SystemClock()))


if __name__ == "__main__":
    main()
