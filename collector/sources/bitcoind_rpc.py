"""Bitcoin Core's JSON-RPC, as the reserve watcher and the network follower read it: the client
(batches, wallets, the errors that are part of the contract) and the parsers of its answers
(getmininginfo, getblockstats, listtransactions), each refusing what Core never sends."""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Final
from urllib.parse import urlsplit, urlunsplit

from collector.config.base import resolve_secret
from collector.config.sections import BitcoindConfig
from collector.errors import (
    SecretError,
    SourceBadResponse,
    SourceServerError,
    SourceUnauthorized,
)
from collector.sources.http import HttpSource
from collector.sources.network_days import HashrateSummary, ParsedBlock, is_hash, timestamp_utc
from collector.store.records import BlockRecord, ReserveOutputRecord
from remittance import money
from remittance.errors import InvalidInputError

RPC_PAGE: Final = 50
DEFAULT_WALLET: Final = "reservewatch"


BLOCKSTATS_FIELDS: Final = ("height", "time", "subsidy", "totalfee", "blockhash")


RPC_ERROR_STATUSES: Final = frozenset({400, 404, 500})


RPC_INVALID_ADDRESS_OR_KEY: Final = -5  # no such transaction, block or address


RPC_INVALID_PARAMETER: Final = -8  # e.g. a height above the tip


RPC_IN_WARMUP: Final = -28


_CONTRACT_ERRORS: Final = {
    -32601: "method not found (is this Bitcoin Core, and recent enough?)",
    -32600: "invalid request",
    -32700: "parse error",
    -18: "wallet not found (create and load it; see collector/sources/bitcoind.py)",
    -19: "wallet not specified (several wallets loaded: put /wallet/<name> in the URL)",
    -4: "wallet error",
}


class BitcoindRpcError(SourceBadResponse):
    """Core answered a call with an error object; ``code`` is Core's ``RPCErrorCode``."""

    def __init__(self, method: str, code: int, message: str) -> None:
        super().__init__(f"{method}: bitcoind error {code}: {message}")
        self.method = method
        self.code = code


@dataclass(frozen=True, slots=True)
class RpcCall:
    method: str
    params: tuple[Any, ...] = ()


def _error(method: str, error: object) -> BitcoindRpcError:
    """An error object as a :class:`BitcoindRpcError`, raising for the codes that mean the
    node is not ready (retried) or the call cannot work at all (counted ``bad_response``)."""
    if not isinstance(error, dict):
        raise SourceBadResponse(f"{method}: error is not an object")
    code, message = error.get("code"), str(error.get("message", ""))[:200]
    if isinstance(code, bool) or not isinstance(code, int):
        raise SourceBadResponse(f"{method}: error code is not an integer")
    if code == RPC_IN_WARMUP:
        raise SourceServerError(f"{method}: bitcoind is starting up: {message}")
    if code in _CONTRACT_ERRORS:
        raise SourceBadResponse(f"{method}: bitcoind error {code}, {_CONTRACT_ERRORS[code]}")
    return BitcoindRpcError(method, code, message)


def _outcome(method: str, doc: object) -> object:
    """One answer's ``result``, or the :class:`BitcoindRpcError` it carries."""
    if not isinstance(doc, dict) or "result" not in doc or "error" not in doc:
        raise SourceBadResponse(f"{method}: not a JSON-RPC answer")
    if doc["error"] is not None:
        return _error(method, doc["error"])
    return doc["result"]


def with_wallet(url: str, wallet: str = DEFAULT_WALLET) -> str:
    """The wallet endpoint: ``url`` if it names one (``.../wallet/<name>``), else
    ``url`` + ``/wallet/<wallet>``."""
    parts = urlsplit(url)
    if "/wallet/" in parts.path:
        return url
    path = parts.path.rstrip("/") + f"/wallet/{wallet}"
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, parts.fragment))


class BitcoindRpc:
    """JSON-RPC calls to one bitcoind endpoint.

    Args:
        http: the source's :class:`HttpSource` (counts, limits, retries).
        url: ``http://host:8332`` or a wallet endpoint ``http://host:8332/wallet/<name>``.
        config: where the credentials come from (``user``, ``password_env``/``password_file``).
    """

    def __init__(self, http: HttpSource, url: str, config: BitcoindConfig) -> None:
        self._http = http
        self.url = url
        self._config = config
        self.host = urlsplit(url).netloc.rsplit("@", 1)[-1]
        self._next_id = 0

    def _authorization(self) -> dict[str, str]:
        try:
            secret = resolve_secret(
                self._config.password_env, self._config.password_file, "network.bitcoind"
            )
        except SecretError as err:
            raise SourceUnauthorized(str(err)) from err
        if secret is None:
            return {}
        user, password = self._config.user, secret.get_secret_value()
        if user is None:
            user, sep, password = password.partition(":")  # a cookie file: user:password
            if not sep:
                raise SourceUnauthorized("network.bitcoind: a password needs a user")
        token = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {token}"}

    def _request(self, call: RpcCall) -> dict[str, Any]:
        self._next_id += 1
        return {"jsonrpc": "1.0", "id": self._next_id, "method": call.method, "params": call.params}

    async def call(self, method: str, *params: Any) -> Any:
        """One call's result; raises :class:`BitcoindRpcError` for an error object."""
        request = self._request(RpcCall(method, params))
        outcome = await self._http.post_json(
            self.url,
            json_body=request,
            headers=self._authorization(),
            check=lambda doc: _outcome(method, doc),
            json_error_statuses=RPC_ERROR_STATUSES,
        )
        if isinstance(outcome, BitcoindRpcError):
            raise outcome
        return outcome

    async def batch(self, calls: Sequence[RpcCall]) -> list[Any]:
        """The calls in one request; each item is its result or a :class:`BitcoindRpcError`."""
        if not calls:
            return []
        requests = [self._request(call) for call in calls]
        ids = [request["id"] for request in requests]

        def check(doc: object) -> list[Any]:
            if not isinstance(doc, list):
                if isinstance(doc, dict) and doc.get("error") is not None:
                    _error("batch", doc["error"])  # raises for the non-answer errors
                raise SourceBadResponse("batch: expected a list of answers")
            by_id = {item.get("id"): item for item in doc if isinstance(item, dict)}
            if sorted(by_id, key=str) != sorted(ids, key=str):
                raise SourceBadResponse("batch: answers do not match the calls")
            return [_outcome(call.method, by_id[i]) for call, i in zip(calls, ids, strict=True)]

        outcomes: list[Any] = await self._http.post_json(
            self.url,
            json_body=requests,
            headers=self._authorization(),
            check=check,
            json_error_statuses=RPC_ERROR_STATUSES,
        )
        return outcomes


def _int(doc: Mapping[str, Any], name: str, where: str, *, signed: bool = False) -> int:
    value = doc.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or (value < 0 and not signed):
        raise SourceBadResponse(f"{where}: {name} must be an integer, got {str(value)[:40]!r}")
    return value


def _positive(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise SourceBadResponse(f"{what} must be a number, got {str(value)[:40]!r}")
    number = float(value)
    if not 0 <= number < float("inf"):
        raise SourceBadResponse(f"{what} must be finite and not negative")
    return number


def parse_mining_info(doc: Any) -> tuple[int, HashrateSummary | None]:
    """``getmininginfo``: the tip height and, when the node has them, current values."""
    if not isinstance(doc, dict):
        raise SourceBadResponse("getmininginfo: expected an object")
    tip = _int(doc, "blocks", "getmininginfo")
    difficulty = _positive(doc.get("difficulty"), "getmininginfo: difficulty")
    hashrate_hs = _positive(doc.get("networkhashps"), "getmininginfo: networkhashps")
    if difficulty == 0 or hashrate_hs == 0:
        return tip, None
    return tip, HashrateSummary(hashrate_hs, difficulty, {})


def parse_block_stats(doc: Any) -> ParsedBlock:
    """``getblockstats`` with :data:`BLOCKSTATS_FIELDS`: reward = subsidy + totalfee."""
    if not isinstance(doc, dict):
        raise SourceBadResponse("getblockstats: expected an object")
    height = _int(doc, "height", "getblockstats")
    where = f"getblockstats {height}"
    block_hash = doc.get("blockhash")
    if not is_hash(block_hash):
        raise SourceBadResponse(f"{where}: blockhash is not a 64-hex hash")
    reward_sat = _int(doc, "subsidy", where) + _int(doc, "totalfee", where)
    when = timestamp_utc(_int(doc, "time", where), where)
    return ParsedBlock(BlockRecord(height, block_hash, when, reward_sat), None)


@dataclass(frozen=True, slots=True)
class WalletEntry:
    """One ``receive`` entry of ``listsinceblock`` (one output of a transaction)."""

    txid: str
    vout: int
    address: str
    amount_sat: int
    confirmations: int
    replaced: bool
    block_height: int | None
    block_hash: str | None
    block_time: int | None
    kind: str = "remittance"  # "internal" when the wallet also spends in the transaction


def btc_to_sat(amount: object, what: str) -> int:
    """A BTC amount as Core writes it (8 decimals, parsed as Decimal) in satoshis: exact, and
    never negative (an output's value)."""
    if isinstance(amount, bool) or not isinstance(amount, int | Decimal):
        raise SourceBadResponse(f"{what} must be a decimal BTC amount, got {str(amount)[:40]!r}")
    try:
        sat = money.btc_to_sat(amount)
    except InvalidInputError as err:
        raise SourceBadResponse(f"{what}: {err}") from err
    if sat < 0:
        raise SourceBadResponse(f"{what} is negative: {amount}")
    return sat


def parse_wallet_entry(doc: Any) -> WalletEntry | None:
    """A ``receive`` entry of ``listsinceblock`` / ``listtransactions``; ``None`` for the
    other categories (``send``, ``generate``...)."""
    if not isinstance(doc, dict):
        raise SourceBadResponse("wallet entry: expected an object")
    if doc.get("category") != "receive":
        return None
    txid = doc.get("txid")
    if not is_hash(txid):
        raise SourceBadResponse("wallet entry: txid is not a 64-hex hash")
    where = f"wallet entry {txid}"
    address = doc.get("address")
    if not isinstance(address, str):
        raise SourceBadResponse(f"{where}: receive without an address")
    confs = _int(doc, "confirmations", where, signed=True)
    height = block_hash = block_time = None
    if confs > 0:
        height = _int(doc, "blockheight", where)
        block_hash = doc.get("blockhash")
        if not is_hash(block_hash):
            raise SourceBadResponse(f"{where}: blockhash is not a 64-hex hash")
        block_time = _int(doc, "blocktime", where)
    return WalletEntry(
        txid=txid,
        vout=_int(doc, "vout", where),
        address=address,
        amount_sat=btc_to_sat(doc.get("amount"), f"{where}: amount"),
        confirmations=confs,
        replaced=doc.get("replaced_by_txid") is not None,
        block_height=height,
        block_hash=block_hash,
        block_time=block_time,
    )


def output_record(
    entry: WalletEntry, operation_id: str, *, in_mempool: bool, role: str = "reserve"
) -> ReserveOutputRecord | None:
    """The stored form of a live entry; ``None`` when it is not live (conflicted, replaced,
    or unconfirmed and out of the mempool)."""
    confirmed = entry.confirmations > 0
    if not confirmed and (entry.confirmations < 0 or entry.replaced or not in_mempool):
        return None
    where = f"wallet entry {entry.txid}"
    return ReserveOutputRecord(
        txid=entry.txid,
        vout=entry.vout,
        operation_id=operation_id,
        address=entry.address,
        amount_sat=entry.amount_sat,
        status="confirmed" if confirmed else "mempool",
        block_height=entry.block_height,
        block_hash=entry.block_hash,
        block_time=None if entry.block_time is None else timestamp_utc(entry.block_time, where),
        kind=entry.kind,
        role=role,
    )
