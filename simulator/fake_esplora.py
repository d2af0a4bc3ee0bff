"""A fake mempool/Esplora REST server over a simulated chain, for tests and the demo.

The chain is held in memory: blocks (height, hash, timestamp, difficulty, subsidy + fees) and
transactions paying addresses. Tests and the demo drive it with methods — :meth:`FakeChain.mine`,
:meth:`FakeChain.pay`, :meth:`FakeChain.replace`, :meth:`FakeChain.reorg` — or let simulated
time mine blocks (:meth:`FakeChain.mine_until`). :func:`build_app` serves it in the formats the
real APIs use (mempool ``backend/src/api`` routes and Esplora's REST API), all under ``/api``:

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

Misbehaviours for fault tests (:meth:`FakeChain.fail_next`): a 500, a 429 with ``Retry-After``,
or a truncated JSON body, for the next ``count`` requests whose path contains a substring.
With ``mempool_api=False`` the ``/api/v1`` routes answer 404, as plain Esplora does.

Importable without pytest: ``python -m simulator.fake_esplora --port 3002`` serves a chain
with three days of history and mines a block every ``--block-interval`` seconds of wall time.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from collector.clock import Clock, SystemClock

SUBSIDY_SAT = 312_500_000  # 3.125 BTC: heights 840,000 to 1,049,999
BLOCK_PAGE_V1 = 15
BLOCK_PAGE_ESPLORA = 10
TX_PAGE = 25
MEMPOOL_PAGE = 50
DEFAULT_DIFFICULTY = 1.4e14  # D·2^32/600 ≈ 1.0e21 H/s, a realistic network
_MINER_ADDRESS = "bc1qxhmdufsvnuaaaer4ynz88fspdsxq2h9e9cetdj"

HASHRATE_INTERVAL_DAYS = {
    "24h": 1, "3d": 3, "1w": 7, "1m": 31, "3m": 92, "6m": 183, "1y": 366, "2y": 731, "3y": 1096,
}  # fmt: skip


def _hash(*parts: object) -> str:
    return hashlib.sha256(":".join(str(p) for p in parts).encode()).hexdigest()


def default_fees_sat(height: int) -> int:
    """Deterministic, realistic-looking fees for a block: 0.02 to 0.12 BTC."""
    return 2_000_000 + (height * 7919) % 10_000_000


@dataclass
class FakeTx:
    txid: str
    outputs: list[tuple[str, int]]
    fee_sat: int = 1_000
    block_hash: str | None = None  # None while in the mempool
    coinbase: bool = False
    spends: list[tuple[str, int]] = field(default_factory=list)  # (address, value) spent
    inputs: list[tuple[str, int]] = field(default_factory=list)  # (txid, vout) of each spend


@dataclass
class FakeBlock:
    height: int
    block_hash: str
    timestamp: int
    difficulty: float
    fees_sat: int
    txids: list[str] = field(default_factory=list)

    @property
    def reward_sat(self) -> int:
        return SUBSIDY_SAT + self.fees_sat


@dataclass
class _Fault:
    status: int
    path_contains: str
    remaining: int
    retry_after_s: int | None


class FakeChain:
    """A simulated best chain with a mempool; every method changes it the way a node would see."""

    def __init__(
        self,
        *,
        start: datetime,
        start_height: int = 850_000,
        block_interval_s: int = 600,
        difficulty: float = DEFAULT_DIFFICULTY,
        history_blocks: int = 0,
        mempool_api: bool = True,
    ) -> None:
        """``start`` is the time of block ``start_height``; ``history_blocks`` more follow it,
        ``block_interval_s`` apart. ``mempool_api`` False serves plain Esplora only."""
        self.block_interval_s = block_interval_s
        self.difficulty = difficulty
        self.tx_page = TX_PAGE  # confirmed txs per address page (deployments differ)
        self.mempool_api = mempool_api
        self.blocks: list[FakeBlock] = []
        self.txs: dict[str, FakeTx] = {}
        self.mempool: list[str] = []
        self.requests: list[str] = []
        self._faults: list[_Fault] = []
        self._branch = 0
        self._tx_counter = 0
        self._base_height = start_height
        self._append_block(int(start.timestamp()), [])
        self.mine(history_blocks)

    # -- reading ------------------------------------------------------------------------

    @property
    def tip(self) -> FakeBlock:
        return self.blocks[-1]

    def block_at(self, height: int) -> FakeBlock | None:
        index = height - self._base_height
        return self.blocks[index] if 0 <= index < len(self.blocks) else None

    def block_by_hash(self, block_hash: str) -> FakeBlock | None:
        for block in reversed(self.blocks):
            if block.block_hash == block_hash:
                return block
        return None

    # -- changing the chain ---------------------------------------------------------------

    def _append_block(self, timestamp: int, txids: list[str]) -> FakeBlock:
        height = self._base_height + len(self.blocks)
        if height % 2016 == 0 and self.blocks:
            self.difficulty *= 1.01  # a retarget: difficulty steps up 1%
        block = FakeBlock(
            height=height,
            block_hash=_hash("block", height, self._branch),
            timestamp=timestamp,
            difficulty=self.difficulty,
            fees_sat=default_fees_sat(height) + sum(self.txs[t].fee_sat for t in txids),
        )
        coinbase = FakeTx(
            txid=_hash("coinbase", block.block_hash),
            outputs=[(_MINER_ADDRESS, block.reward_sat)],
            fee_sat=0,
            block_hash=block.block_hash,
            coinbase=True,
        )
        self.txs[coinbase.txid] = coinbase
        block.txids = [coinbase.txid, *txids]
        for txid in txids:
            self.txs[txid].block_hash = block.block_hash
        self.blocks.append(block)
        return block

    def mine(self, count: int = 1, *, include_mempool: bool = True) -> list[FakeBlock]:
        """Add ``count`` blocks ``block_interval_s`` apart; the first takes the mempool."""
        mined: list[FakeBlock] = []
        for _ in range(count):
            txids = list(self.mempool) if include_mempool else []
            if include_mempool:
                self.mempool.clear()
            mined.append(self._append_block(self.tip.timestamp + self.block_interval_s, txids))
        return mined

    def mine_until(self, now: datetime) -> list[FakeBlock]:
        """Mine the blocks simulated time has produced by ``now`` (one per interval)."""
        due = (int(now.timestamp()) - self.tip.timestamp) // self.block_interval_s
        return self.mine(max(0, due))

    def pay(
        self,
        address: str,
        amount_sat: int,
        *,
        confirm: bool = False,
        extra_outputs: list[tuple[str, int]] | None = None,
        spend_from: str | None = None,
    ) -> str:
        """A transaction paying ``address`` (and any ``extra_outputs``), in the mempool or,
        with ``confirm``, mined into a new block. ``spend_from`` makes its input spend an
        output of that address (the reserve moving its own coins). Returns its txid."""
        self._tx_counter += 1
        txid = _hash("tx", self._tx_counter, address, amount_sat)
        outputs = [(address, amount_sat), *(extra_outputs or [])]
        spent = sum(value for _, value in outputs) + 1_000
        spends: list[tuple[str, int]] = []
        inputs: list[tuple[str, int]] = []
        if spend_from is not None:
            # Spend the address's unspent outputs, oldest first, as a wallet would; what they
            # do not cover comes from an output the fake never showed (older history).
            for prev_txid, vout, value in self.unspent(spend_from):
                if sum(v for _, v in spends) >= spent:
                    break
                spends.append((spend_from, value))
                inputs.append((prev_txid, vout))
            short = spent - sum(v for _, v in spends)
            if short > 0:
                spends.append((spend_from, short))
                inputs.append((_hash("prev", txid, len(inputs)), 0))
            # Inputs covering more than asked leave the excess to the fee (no change added).
        self.txs[txid] = FakeTx(
            txid=txid,
            outputs=outputs,
            spends=spends,
            inputs=inputs,
            fee_sat=sum(v for _, v in spends) - sum(v for _, v in outputs) if spends else 1_000,
        )
        self.mempool.append(txid)
        if confirm:
            self.mine(1)
        return txid

    def unspent(self, address: str) -> list[tuple[str, int, int]]:
        """``(txid, vout, value)`` of the outputs paying ``address`` no transaction spends."""
        spent = {i for tx in self.txs.values() for i in tx.inputs}
        return [
            (tx.txid, vout, value)
            for tx in self.txs.values()
            if not tx.coinbase
            for vout, (paid, value) in enumerate(tx.outputs)
            if paid == address and (tx.txid, vout) not in spent
        ]

    def replace(self, txid: str, outputs: list[tuple[str, int]] | None = None) -> str:
        """Replace a mempool transaction (RBF) with one paying ``outputs`` (default: the same
        outputs, a higher fee). The old txid becomes unknown. Returns the new txid."""
        old = self.txs[txid]
        if old.block_hash is not None:
            raise ValueError(f"{txid} is confirmed; only mempool transactions can be replaced")
        self.mempool.remove(txid)
        del self.txs[txid]
        self._tx_counter += 1
        new_txid = _hash("replacement", self._tx_counter, txid)
        self.txs[new_txid] = FakeTx(
            txid=new_txid,
            outputs=list(outputs or old.outputs),
            fee_sat=old.fee_sat * 2,
            spends=old.spends,
            inputs=old.inputs,
        )
        self.mempool.append(new_txid)
        return new_txid

    def reorg(
        self,
        depth: int,
        *,
        new_blocks: int | None = None,
        drop: frozenset[str] = frozenset(),
        include_txs: bool = True,
    ) -> None:
        """Replace the last ``depth`` blocks by ``new_blocks`` (default ``depth``) of a new branch.

        Their transactions go back to the mempool, except those in ``drop``, which vanish (a
        double spend won). With ``include_txs`` the new branch's first block confirms them again
        (moved to another block); otherwise they stay in the mempool.
        """
        if not 0 < depth < len(self.blocks):
            raise ValueError("depth must be at least 1 and below the chain's length")
        self._branch += 1
        removed = self.blocks[-depth:]
        del self.blocks[-depth:]
        returned: list[str] = []
        for block in removed:
            for txid in block.txids:
                tx = self.txs.pop(txid) if txid in drop or self.txs[txid].coinbase else None
                if tx is None:
                    self.txs[txid].block_hash = None
                    returned.append(txid)
        self.mempool[:0] = returned
        count = depth if new_blocks is None else new_blocks
        if count:
            self.mine(1, include_mempool=include_txs)
            self.mine(count - 1, include_mempool=False)

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        path_contains: str = "",
        retry_after_s: int | None = None,
    ) -> None:
        """Answer the next ``count`` requests whose path contains ``path_contains`` badly:
        ``status`` 500 or 429 (with ``Retry-After`` when given), or 200 with truncated JSON."""
        self._faults.append(_Fault(status, path_contains, count, retry_after_s))

    def take_fault(self, path: str) -> _Fault | None:
        for fault in self._faults:
            if fault.remaining > 0 and fault.path_contains in path:
                fault.remaining -= 1
                return fault
        return None

    # -- JSON in the real formats ------------------------------------------------------

    def status_json(self, tx: FakeTx) -> dict[str, Any]:
        block = self.block_by_hash(tx.block_hash) if tx.block_hash else None
        if block is None:
            return {"confirmed": False}
        return {
            "confirmed": True,
            "block_height": block.height,
            "block_hash": block.block_hash,
            "block_time": block.timestamp,
        }

    def tx_json(self, tx: FakeTx) -> dict[str, Any]:
        vin: list[dict[str, Any]]
        if tx.coinbase:
            vin = [{"txid": "0" * 64, "vout": 4294967295, "is_coinbase": True, "sequence": 0}]
        else:
            # Esplora's vin: each input with the output it spends (``prevout``).
            inputs = tx.inputs or [(_hash("prev", tx.txid, 0), 0)]
            vin = [
                {
                    "txid": prev_txid,
                    "vout": prev_vout,
                    "is_coinbase": False,
                    "prevout": {"scriptpubkey_address": address, "value": value},
                    "sequence": 4294967293,
                }
                for (address, value), (prev_txid, prev_vout) in zip(
                    tx.spends or [(_MINER_ADDRESS, 0)], inputs, strict=False
                )
            ]
        return {
            "txid": tx.txid,
            "version": 2,
            "locktime": 0,
            "vin": vin,
            "vout": [
                {
                    "scriptpubkey": "0014" + _hash("spk", address)[:40],
                    "scriptpubkey_type": "v0_p2wpkh",
                    "scriptpubkey_address": address,
                    "value": value,
                }
                for address, value in tx.outputs
            ],
            "size": 222,
            "weight": 561,
            "fee": tx.fee_sat,
            "status": self.status_json(tx),
        }

    def block_json(self, block: FakeBlock, *, extras: bool) -> dict[str, Any]:
        previous = self.block_at(block.height - 1)
        doc: dict[str, Any] = {
            "id": block.block_hash,
            "height": block.height,
            "version": 536870912,
            "timestamp": block.timestamp,
            "tx_count": len(block.txids),
            "size": 1_500_000,
            "weight": 3_993_000,
            "merkle_root": _hash("merkle", block.block_hash),
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
                "coinbaseAddress": _MINER_ADDRESS,
                "pool": {"id": 0, "name": "Unknown", "slug": "unknown"},
            }
        return doc

    def address_txs(self, address: str) -> tuple[list[FakeTx], list[FakeTx]]:
        """(mempool txs newest first, confirmed txs newest first) touching ``address``."""
        mempool = [self.txs[t] for t in reversed(self.mempool) if _pays(self.txs[t], address)]
        confirmed = [
            self.txs[t]
            for block in reversed(self.blocks)
            for t in reversed(block.txids)
            if _pays(self.txs[t], address)
        ]
        return mempool, confirmed

    def hashrate_json(self, interval: str) -> dict[str, Any]:
        days = HASHRATE_INTERVAL_DAYS[interval]
        first_day = datetime.fromtimestamp(self.tip.timestamp, UTC).date() - timedelta(days=days)
        per_day: dict[date, list[float]] = {}
        for block in self.blocks:
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
                    "time": self.tip.timestamp,
                    "height": self.tip.height - self.tip.height % 2016,
                    "difficulty": self.difficulty,
                    "adjustment": 1.01,
                }
            ],
            "currentHashrate": self.difficulty * 2**32 / 600,
            "currentDifficulty": self.difficulty,
        }


def _pays(tx: FakeTx, address: str) -> bool:
    """Whether ``tx`` touches ``address``: pays it, or spends from it (an address's history
    lists both)."""
    return any(a == address for a, _ in tx.outputs) or any(a == address for a, _ in tx.spends)


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
    return web.json_response([chain.block_json(b, extras=extras) for b in page if b is not None])


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
    return web.json_response(_chain(request).block_json(_block_or_404(request), extras=False))


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
    return web.json_response([chain.tx_json(chain.txs[t]) for t in txids])


def _tx_or_404(request: web.Request) -> FakeTx:
    tx = _chain(request).txs.get(request.match_info["txid"])
    if tx is None:
        raise web.HTTPNotFound(text="Transaction not found")
    return tx


async def _tx(request: web.Request) -> web.Response:
    return web.json_response(_chain(request).tx_json(_tx_or_404(request)))


async def _tx_status(request: web.Request) -> web.Response:
    return web.json_response(_chain(request).status_json(_tx_or_404(request)))


async def _address_txs(request: web.Request) -> web.Response:
    chain = _chain(request)
    mempool, confirmed = chain.address_txs(request.match_info["address"])
    page = mempool[:MEMPOOL_PAGE] + confirmed[: chain.tx_page]
    return web.json_response([chain.tx_json(tx) for tx in page])


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
    return web.json_response([chain.tx_json(tx) for tx in page])


async def _hashrate(request: web.Request) -> web.Response:
    interval = request.match_info["interval"]
    if interval not in HASHRATE_INTERVAL_DAYS:
        raise web.HTTPBadRequest(text="Invalid interval")
    return web.json_response(_chain(request).hashrate_json(interval))


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
