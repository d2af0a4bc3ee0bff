"""A fake Bitcoin Core JSON-RPC server over :class:`~simulator.fake_chain.FakeChain`.

It serves the same simulated chain the fake Esplora serves (drive it with ``FakeChain.mine``,
``pay``, ``replace``, ``reorg``, ``fail_next``), in Core's JSON-RPC 1.0 formats: ``POST /``
or ``POST /wallet/<name>`` with ``{"jsonrpc": "1.0", "id", "method", "params"}`` or an array
of them. A single call's error object comes with HTTP 500 (404 for an unknown method), a
batch's with 200; wrong or missing basic-auth credentials get 401 with an empty body.

Chain: ``getblockcount``, ``getbestblockhash``, ``getblockhash``, ``getblockheader``,
``getblockstats``, ``getmininginfo``, ``getnetworkhashps``, ``getdifficulty``,
``getmempoolentry``. Wallet (one watch-only descriptor wallet): ``importdescriptors``
(``addr(<address>)`` and ranged descriptors, checksum required), ``listdescriptors``,
``getaddressinfo``, ``listsinceblock``, ``gettransaction`` (``verbose``: ``decoded``).
The wallet remembers every transaction that paid one of its addresses: one the chain later
replaced or dropped stays listed with 0 confirmations and out of the mempool, as Core's does.

``FakeChain.fail_next(status, path_contains=<method>)`` makes the next requests whose method
names contain the text answer 500/503 (plain text), 429, or (200) truncated JSON.

Importable without pytest: ``python -m simulator.fake_bitcoind --port 18443 --user rw
--password secret --address bc1q...`` serves three days of history and mines as time passes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import hmac
import json
import re
from datetime import timedelta
from typing import Any, Final

from aiohttp import web
from embit.descriptor.checksum import add_checksum

from collector.bitcoin.address import Chain
from collector.bitcoin.descriptors import DescriptorError, parse_descriptor
from collector.clock import Clock, SystemClock
from remittance.money import SAT_PER_BTC
from simulator.fake_chain import SUBSIDY_SAT, FakeBlock, FakeChain, FakeTx
from simulator.serving import serve_app

_ADDR_DESCRIPTOR = re.compile(r"^addr\(([^)]+)\)(#[a-z0-9]{8})?$")


class RpcFailure(Exception):
    """A JSON-RPC error object to answer with."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _btc(sat: int) -> float:
    # Core prints amounts with 8 decimals; a float's shortest repr of sat/1e8 is that number.
    return sat / SAT_PER_BTC


class FakeBitcoind:
    """Core's view of ``chain``, with one watch-only wallet called ``wallet``."""

    def __init__(
        self,
        chain: FakeChain,
        *,
        user: str = "reservewatch",
        password: str = "fake-rpc-password",  # noqa: S107 - a fake server's fixed password
        wallet: str = "reservewatch",
        chain_name: Chain = "main",
    ) -> None:
        self.chain = chain
        self.chain_name = chain_name
        self.user = user
        self.password = password
        self.wallet = wallet
        self.addresses: set[str] = set()
        self.calls: list[str] = []  # method names, in order
        self.http_requests = 0
        self._wallet_txs: dict[str, FakeTx] = {}
        self.descriptors: list[dict[str, Any]] = []  # as listdescriptors shows them
        self._listed_chains: dict[str, dict[int, str]] = {}  # lastblock -> chain as then

    def import_address(self, address: str) -> None:
        self.addresses.add(address)

    # -- chain reads ----------------------------------------------------------------------

    def _height_block(self, height: object) -> FakeBlock:
        if isinstance(height, bool) or not isinstance(height, int):
            raise RpcFailure(-3, "Expected type number")
        if height > self.chain.tip.height:
            raise RpcFailure(
                -8, f"Target block height {height} after current tip {self.chain.tip.height}"
            )
        block = self.chain.block_at(height)
        if block is None:
            raise RpcFailure(-8, "Block height out of range")
        return block

    def _hash_block(self, block_hash: object) -> FakeBlock:
        block = self.chain.block_by_hash(str(block_hash))
        if block is None:
            raise RpcFailure(-5, "Block not found")
        return block

    def _confirmations(self, block: FakeBlock) -> int:
        return self.chain.tip.height - block.height + 1

    def network_hashps(self, nblocks: int = 120, height: int = -1) -> float:
        """Core's estimate: the work of ``nblocks`` blocks ending at ``height`` over the time
        between the earliest and latest of them and the block before."""
        tip = self.chain.tip.height
        top = tip if height < 0 or height > tip else height
        first_height = self.chain.blocks[0].height
        count = min(nblocks if nblocks > 0 else 120, top - first_height)
        if count <= 0:
            return 0.0
        blocks = [self.chain.block_at(h) for h in range(top - count, top + 1)]
        times = [b.timestamp for b in blocks if b is not None]
        span_s = max(times) - min(times)
        if span_s == 0:
            return 0.0
        work = sum(b.difficulty * 2**32 for b in blocks[1:] if b is not None)
        return work / span_s

    def block_header(self, block: FakeBlock) -> dict[str, Any]:
        previous = self.chain.block_at(block.height - 1)
        following = self.chain.block_at(block.height + 1)
        header: dict[str, Any] = {
            "hash": block.block_hash,
            "confirmations": self._confirmations(block),
            "height": block.height,
            "version": 536870912,
            "time": block.timestamp,
            "mediantime": block.timestamp - 3000,
            "nonce": block.height * 31 % 2**32,
            "bits": "17034219",
            "difficulty": block.difficulty,
            "nTx": len(block.txids),
        }
        if previous is not None:
            header["previousblockhash"] = previous.block_hash
        if following is not None:
            header["nextblockhash"] = following.block_hash
        return header

    def block_stats(self, block: FakeBlock, fields: list[str] | None) -> dict[str, Any]:
        stats: dict[str, Any] = {
            "blockhash": block.block_hash,
            "height": block.height,
            "time": block.timestamp,
            "mediantime": block.timestamp - 3000,
            "subsidy": SUBSIDY_SAT,
            "totalfee": block.fees_sat,
            "txs": len(block.txids),
        }
        if fields is None:
            return stats
        unknown = [f for f in fields if f not in stats]
        if unknown:
            raise RpcFailure(-8, f"Invalid selected statistic '{unknown[0]}'")
        return {f: stats[f] for f in fields}

    # -- the wallet -----------------------------------------------------------------------

    def _sync_wallet(self) -> None:
        for txid, tx in self.chain.txs.items():
            touched = [address for address, _ in (*tx.outputs, *tx.spends)]
            if any(address in self.addresses for address in touched):
                self._wallet_txs[txid] = tx

    def _tx_block(self, tx: FakeTx) -> FakeBlock | None:
        live = self.chain.txs.get(tx.txid) is tx
        if not live or tx.block_hash is None:
            return None
        return self.chain.block_by_hash(tx.block_hash)

    def _tx_fields(self, tx: FakeTx) -> dict[str, Any]:
        block = self._tx_block(tx)
        fields: dict[str, Any] = {
            "confirmations": self._confirmations(block) if block else 0,
            "txid": tx.txid,
            "walletconflicts": [],
            "time": block.timestamp if block else self.chain.tip.timestamp,
            "bip125-replaceable": "no" if block else "yes",
        }
        if block is not None:
            fields |= {
                "blockhash": block.block_hash,
                "blockheight": block.height,
                "blockindex": block.txids.index(tx.txid),
                "blocktime": block.timestamp,
            }
        else:
            fields["trusted"] = False
        return fields

    def _receive_entries(self, tx: FakeTx) -> list[dict[str, Any]]:
        """The wallet's entries for ``tx``: a ``receive`` per output to a watched address and,
        when it spends from a watched address, a ``send`` per output (amount negative,
        ``involvesWatchonly``), as Bitcoin Core lists a watch-only wallet's own spends."""
        sends = [
            {
                "involvesWatchonly": True,
                "address": address,
                "category": "send",
                "amount": -_btc(value),
                "label": "",
                "vout": vout,
                "fee": -_btc(tx.fee_sat),
                "abandoned": False,
                **self._tx_fields(tx),
            }
            for vout, (address, value) in enumerate(tx.outputs)
            if any(spent in self.addresses for spent, _ in tx.spends)
        ]
        return sends + [
            {
                "address": address,
                "parent_descs": [f"addr({address})"],
                "category": "receive",
                "amount": _btc(value),
                "label": "",
                "vout": vout,
                **self._tx_fields(tx),
            }
            for vout, (address, value) in enumerate(tx.outputs)
            if address in self.addresses
        ]

    def list_since_block(self, block_hash: object, target_confirmations: int) -> dict[str, Any]:
        since_height = -1
        if block_hash not in (None, ""):
            block = self.chain.block_by_hash(str(block_hash))
            if block is not None:
                since_height = block.height
            elif str(block_hash) in self._listed_chains:
                # A block re-organised away: list from where its chain forks from the best.
                then = self._listed_chains[str(block_hash)]
                common = [
                    h
                    for h, old in then.items()
                    if (b := self.chain.block_at(h)) and b.block_hash == old
                ]
                since_height = max(common, default=-1)
            else:
                raise RpcFailure(-5, "Block not found")
        if target_confirmations < 1:
            raise RpcFailure(-8, "Invalid parameter")
        transactions: list[dict[str, Any]] = []
        for tx in self._wallet_txs.values():
            block = self._tx_block(tx)
            if block is None or block.height > since_height:
                transactions.extend(self._receive_entries(tx))
        last_height = max(
            self.chain.blocks[0].height, self.chain.tip.height + 1 - target_confirmations
        )
        last = self.chain.block_at(last_height)
        if last is None:
            raise RpcFailure(-1, "no block at the list's last height")
        self._listed_chains[last.block_hash] = {b.height: b.block_hash for b in self.chain.blocks}
        return {"transactions": transactions, "removed": [], "lastblock": last.block_hash}

    def get_transaction(self, txid: object, verbose: bool = False) -> dict[str, Any]:
        """``gettransaction txid include_watchonly verbose``; ``verbose`` adds ``decoded``
        (decoderawtransaction's object: each input's outpoint, each output's value, ``n``
        and ``scriptPubKey.address``)."""
        tx = self._wallet_txs.get(str(txid))
        if tx is None:
            raise RpcFailure(-5, "Invalid or non-wallet transaction id")
        entries = self._receive_entries(tx)
        decoded = (
            {
                "decoded": {
                    "txid": tx.txid,
                    "hash": tx.txid,
                    "version": 2,
                    "locktime": 0,
                    "vin": [
                        {"txid": prev_txid, "vout": prev_vout, "sequence": 4294967293}
                        for prev_txid, prev_vout in tx.inputs
                    ],
                    "vout": [
                        {
                            "value": _btc(value),
                            "n": n,
                            "scriptPubKey": {"address": address, "type": "witness_v0_keyhash"},
                        }
                        for n, (address, value) in enumerate(tx.outputs)
                    ],
                }
            }
            if verbose
            else {}
        )
        return decoded | {
            "amount": _btc(
                sum(value for address, value in tx.outputs if address in self.addresses)
            ),
            **self._tx_fields(tx),
            "details": [
                {k: e[k] for k in ("address", "category", "amount", "label", "vout")}
                for e in entries
            ],
            "hex": "02000000",
        }

    def import_descriptors(self, requests: object) -> list[dict[str, Any]]:
        """``addr(<address>)`` descriptors and ranged ones (``wpkh(xpub/0/*)#checksum``, with
        ``range`` [begin, end] or an end; Core's default end is 999), checksum required."""
        if not isinstance(requests, list):
            raise RpcFailure(-3, "Expected type array")
        results: list[dict[str, Any]] = []
        for request in requests:
            text = str(request.get("desc", "")) if isinstance(request, dict) else ""
            match = _ADDR_DESCRIPTOR.match(text)
            if match is not None:
                self.import_address(match.group(1))
                self.descriptors.append({"desc": text, "timestamp": 0, "active": False})
                results.append({"success": True})
                continue
            try:
                d = parse_descriptor(text, self.chain_name)
            except DescriptorError as err:
                results.append({"success": False, "error": {"code": -5, "message": str(err)}})
                continue
            wanted = request.get("range", 999) if isinstance(request, dict) else 999
            begin, end = (0, wanted) if isinstance(wanted, int) else (wanted[0], wanted[1])
            for branch in range(d.branches):
                for index in range(begin, end + 1 if d.ranged else 1):
                    self.import_address(d.address(index, branch))
            for body in d.single_path_bodies():
                entry: dict[str, Any] = {
                    "desc": add_checksum(body),
                    "timestamp": 0,
                    "active": False,
                }
                if d.ranged:
                    entry |= {"range": [begin, end], "next": 0, "next_index": 0}
                self.descriptors.append(entry)
            results.append({"success": True})
        return results

    # -- dispatch -------------------------------------------------------------------------

    def answer(self, method: str, params: list[Any], wallet: str | None) -> Any:
        self.calls.append(method)
        self._sync_wallet()
        chain = self.chain

        def param(index: int, default: Any = None) -> Any:
            value = params[index] if index < len(params) else None
            return default if value is None else value

        if method in _WALLET_METHODS and wallet not in (None, self.wallet):
            raise RpcFailure(-18, "Requested wallet does not exist or is not loaded")
        match method:
            case "getblockcount":
                return chain.tip.height
            case "getbestblockhash":
                return chain.tip.block_hash
            case "getblockhash":
                return self._height_block(param(0)).block_hash
            case "getblockheader":
                return self.block_header(self._hash_block(param(0)))
            case "getblockstats":
                target = param(0)
                block = (
                    self._hash_block(target)
                    if isinstance(target, str)
                    else self._height_block(target)
                )
                return self.block_stats(block, param(1))
            case "getdifficulty":
                return chain.tip.difficulty
            case "getnetworkhashps":
                return self.network_hashps(int(param(0, 120)), int(param(1, -1)))
            case "getmininginfo":
                return {
                    "blocks": chain.tip.height,
                    "difficulty": chain.tip.difficulty,
                    "networkhashps": self.network_hashps(),
                    "pooledtx": len(chain.mempool),
                    "chain": "main",
                    "warnings": [],
                }
            case "getmempoolentry":
                if param(0) not in chain.mempool:
                    raise RpcFailure(-5, "Transaction not in mempool")
                tx = chain.txs[str(param(0))]
                return {"vsize": 141, "weight": 561, "time": chain.tip.timestamp,
                        "fees": {"base": _btc(tx.fee_sat)}, "bip125-replaceable": True}  # fmt: skip
            case "getaddressinfo":
                address = str(param(0, ""))
                if not address:
                    raise RpcFailure(-5, "Invalid address")
                mine = address in self.addresses
                return {"address": address, "ismine": mine, "iswatchonly": False,
                        "solvable": mine, "labels": [""] if mine else []}  # fmt: skip
            case "importdescriptors":
                return self.import_descriptors(param(0))
            case "listsinceblock":
                return self.list_since_block(param(0), int(param(1, 1)))
            case "gettransaction":
                return self.get_transaction(param(0), bool(param(2, False)))
            case "listdescriptors":
                return {"wallet_name": self.wallet, "descriptors": list(self.descriptors)}
        raise RpcFailure(-32601, "Method not found")


_WALLET_METHODS: Final = frozenset(
    {"getaddressinfo", "importdescriptors", "listsinceblock", "gettransaction", "listdescriptors"}
)
FAKE_KEY = web.AppKey("bitcoind", FakeBitcoind)


def _authorized(fake: FakeBitcoind, header: str | None) -> bool:
    if not header or not header.startswith("Basic "):
        return False
    try:
        given = base64.b64decode(header[6:], validate=True).decode()
    except (binascii.Error, UnicodeDecodeError):
        return False
    return hmac.compare_digest(given, f"{fake.user}:{fake.password}")


def _reply(fake: FakeBitcoind, request: Any, wallet: str | None) -> tuple[dict[str, Any], int]:
    """One request's answer object and the HTTP status a lone request would get."""
    if not isinstance(request, dict) or not isinstance(request.get("method"), str):
        error = {"code": -32600, "message": "Invalid Request object"}
        return {"result": None, "error": error, "id": None}, 400
    ident = request.get("id")
    params = request.get("params", [])
    try:
        result = fake.answer(request["method"], params if isinstance(params, list) else [], wallet)
    except RpcFailure as failure:
        status = 404 if failure.code == -32601 else 500
        error = {"code": failure.code, "message": failure.message}
        return {"result": None, "error": error, "id": ident}, status
    return {"result": result, "error": None, "id": ident}, 200


async def _rpc(request: web.Request) -> web.StreamResponse:
    fake = request.app[FAKE_KEY]
    fake.http_requests += 1
    if not _authorized(fake, request.headers.get("Authorization")):
        return web.Response(status=401, headers={"WWW-Authenticate": 'Basic realm="jsonrpc"'})
    wallet = request.match_info.get("wallet")
    try:
        body = json.loads(await request.read())
    except ValueError:
        error = {"code": -32700, "message": "Parse error"}
        return web.json_response({"result": None, "error": error, "id": None}, status=500)
    methods = (
        [r.get("method", "") for r in body]
        if isinstance(body, list)
        else [body.get("method", "")]
        if isinstance(body, dict)
        else []
    )
    fault = fake.chain.take_fault(",".join(str(m) for m in methods))
    if fault is not None and fault.status != 200:
        headers = {"Retry-After": str(fault.retry_after_s)} if fault.retry_after_s else {}
        return web.Response(status=fault.status, text="Work queue depth exceeded", headers=headers)
    if isinstance(body, list):
        answer: Any = [_reply(fake, item, wallet)[0] for item in body]
        status = 200
    else:
        answer, status = _reply(fake, body, wallet)
    text = json.dumps(answer)
    if fault is not None:  # a 200 cut short
        text = text[: max(1, len(text) // 2)]
    return web.Response(text=text, status=status, content_type="application/json")


def build_app(fake: FakeBitcoind) -> web.Application:
    app = web.Application()
    app[FAKE_KEY] = fake
    app.router.add_post("/", _rpc)
    app.router.add_post("/wallet/{wallet}", _rpc)
    return app


async def serve(
    fake: FakeBitcoind, host: str = "127.0.0.1", port: int = 0
) -> tuple[web.AppRunner, int]:
    """Start serving ``fake``; returns the runner (call ``cleanup()``) and the bound port."""
    return await serve_app(build_app(fake), host, port)


async def _main(args: argparse.Namespace, clock: Clock) -> None:
    start = clock.now() - timedelta(days=3)
    chain = FakeChain(
        start=start,
        block_interval_s=args.block_interval,
        history_blocks=3 * 86_400 // args.block_interval,
    )
    fake = FakeBitcoind(chain, user=args.user, password=args.password)
    for address in args.address:
        fake.import_address(address)
    runner, bound = await serve(fake, port=args.port)
    print(json.dumps({"fake_bitcoind": f"http://127.0.0.1:{bound}"}))
    try:
        while True:
            await asyncio.sleep(1)
            chain.mine_until(clock.now())
    finally:
        await runner.cleanup()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=18443)
    parser.add_argument("--user", default="reservewatch")
    parser.add_argument("--password", default="fake-rpc-password")
    parser.add_argument("--address", action="append", default=[], help="a watched address")
    parser.add_argument("--block-interval", type=int, default=600, help="seconds between blocks")
    asyncio.run(_main(parser.parse_args(), SystemClock()))


if __name__ == "__main__":
    main()
