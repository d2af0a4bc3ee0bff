"""The Bitcoin network and the reserve addresses from a Bitcoin Core node over JSON-RPC.

Used instead of Esplora when ``network.bitcoind`` is configured and ``network.esplora_url`` is
not (see :func:`collector.sources.backends.build_chain_jobs`). Same jobs, same store writes, same
metrics as the Esplora source; only the fetching differs.

:class:`BitcoindRpc` speaks JSON-RPC 1.0 over :class:`~collector.sources.http.HttpSource`
(``{"jsonrpc": "1.0", "id": n, "method": ..., "params": [...]}``; batches are arrays). Core
answers ``{"result": ..., "error": null, "id": n}``; an error object ``{"code", "message"}``
comes with HTTP 500 (404 for an unknown method, 400 for a malformed request), and with HTTP 200
inside a batch. HTTP 401/403 (wrong credentials, ``rpcallowip``) count ``unauthorized``; code
-28 (still loading) counts ``server_error`` and is retried; an unknown method or wallet counts
``bad_response``; other error objects (-5 "not found", -8 "out of range") are answers the jobs
act on. Auth is HTTP basic with ``user`` and the password from ``password_env`` /
``password_file``; with no ``user``, ``password_file`` may be Core's cookie file
(``~/.bitcoin/.cookie``, ``__cookie__:<password>``), re-read on each call because the node
writes a new one when it restarts.

Network (:class:`BitcoindNetworkJob`): ``getmininginfo`` (tip height, difficulty, current hash
rate), pages of 50 ``getblockstats h ["height","time","subsidy","totalfee","blockhash"]`` in one
batch (reward = subsidy + totalfee, satoshis), and per UTC day ``getnetworkhashps n h`` over
the day's ``n`` blocks ending at its last one (work / time: the day's average hash rate) and
``getblockheader`` of that last block (its difficulty is the day's ``difficulty``). Walking,
re-organisations, day completeness and storage are :class:`~collector.sources.network.
BlockFollower`'s, shared with Esplora.

Reserve (:class:`BitcoindReserveJob`) reads a **watch-only descriptor wallet** holding the
reserve addresses. One-time setup by the regulator (the wallet has no private keys; the
timestamp is when the first address could have been paid, so the rescan finds its history)::

    bitcoin-cli -named createwallet wallet_name=reservewatch disable_private_keys=true \\
        blank=true descriptors=true load_on_startup=true
    bitcoin-cli -rpcwallet=reservewatch importdescriptors '[
      {"desc": "addr(bc1q...)#<checksum>", "timestamp": 1735689600, "label": "ekibastuz-1"}]'
    # the checksum: bitcoin-cli getdescriptorinfo "addr(bc1q...)"  ->  "checksum"

The job checks once that every configured address is in the wallet (``getaddressinfo``:
``ismine`` or ``iswatchonly``) and fails with the command to run when one is not. Each pass
then calls ``listsinceblock <lastblock> <recheck_blocks> true`` (the first pass from genesis):
every ``receive`` entry paying a reserve address is an output keyed ``(txid, vout)``;
``confirmations`` > 0 is confirmed in ``blockhash`` at ``blockheight``; 0 is in the mempool if
``getmempoolentry`` knows the txid (otherwise replaced or dropped); below 0 (a conflicting
transaction confirmed) or ``replaced_by_txid`` is not live. Stored outputs in the mempool or
within ``recheck_blocks`` of the tip that the listing did not show are asked for with
``gettransaction`` (-5, unknown: removed). A ``lastblock`` the node no longer knows restarts the
listing from genesis.

A transaction the wallet also lists with ``send`` entries spends from a watched address (Core
lists a watch-only wallet's own spends that way, with ``involvesWatchonly``; see the
``listsinceblock`` RPC help): its ``receive`` entries are the reserve's own change, consolidation
or move to custody, stored as ``internal`` movements and never counted as remittances; it is
read whole with ``gettransaction <txid> true true`` (``decoded``: each input's outpoint, each
output's value and address), its outputs to no watched address stored as ``outflow`` records
and its inputs as spends.

Descriptor wallets (ranged ``wpkh(xpub/0/*)``, ``wsh(sortedmulti(...))``) are imported once with
``importdescriptors`` (``"range": [0, 999]``, at least ``reserve.gap_limit``); the job checks
them with ``listdescriptors`` (a multipath ``<0;1>`` one appears as its two single-path
descriptors) and fails with the command to run when one is missing or its range is short.

``scantxoutset`` is not used: it sees only *unspent* outputs, so a remittance the reserve has
since spent would disappear and look unpaid. The wallet keeps every transaction it has seen.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, Final, TypeGuard
from urllib.parse import urlsplit, urlunsplit

from collector.bitcoin.wallets import WalletBook
from collector.clock import Clock
from collector.config.base import resolve_secret
from collector.config.model import Config
from collector.config.sections import BitcoindConfig, NetworkConfig
from collector.config.wallets import wallet_book
from collector.errors import (
    SecretError,
    SourceBadResponse,
    SourceServerError,
    SourceUnauthorized,
)
from collector.sources.http import HttpSource
from collector.sources.network import (
    BlockFollower,
    HashrateSummary,
    NetworkStatus,
    ParsedBlock,
    Walk,
    timestamp_utc,
)
from collector.sources.reserve import (
    Recheck,
    ReserveStatus,
    recent_unseen,
)
from collector.store.queries import Store
from collector.store.records import BlockRecord, ReserveOutputRecord, ReserveSpendRecord
from remittance import money
from remittance.errors import InvalidInputError

log = logging.getLogger(__name__)

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
_HEX = frozenset("0123456789abcdef")


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


# -- the JSON-RPC client -------------------------------------------------------------------


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


# -- pure parsing --------------------------------------------------------------------------


def _is_hash(value: object) -> TypeGuard[str]:
    return isinstance(value, str) and len(value) == 64 and set(value) <= _HEX


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
    if not _is_hash(block_hash):
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
    if not _is_hash(txid):
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
        if not _is_hash(block_hash):
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


# -- the network job -------------------------------------------------------------------------


class BitcoindNetworkJob(BlockFollower):
    """Tip, hash rate, difficulty, blocks and daily aggregates from bitcoind.

    Args:
        config: ``config.network`` (``chain``, ``poll_interval_s``, ``backfill_days``).
        rpc: the node (any endpoint; no wallet needed).
        store: where blocks, days and the tip are saved.
        clock: dates the backfill window and the tip's ``observed_at``.
        status: the in-memory values exposed as metrics.
        max_requests: the most HTTP requests (a batch is one) one poll makes.
        since: the window reaches back to this day when it is earlier than
            ``backfill_days`` ago (``run --once --since``).
    """

    page_size = RPC_PAGE

    def __init__(
        self,
        config: NetworkConfig,
        rpc: BitcoindRpc,
        store: Store,
        clock: Clock,
        *,
        status: NetworkStatus | None = None,
        max_requests: int = 120,
        since: date | None = None,
    ) -> None:
        super().__init__(
            config, store, clock, status=status, max_requests=max_requests, since=since
        )
        self._rpc = rpc
        self.target = rpc.host

    async def fetch_head(self, walk: Walk) -> tuple[int, HashrateSummary | None]:
        walk.requests += 1
        return parse_mining_info(await self._rpc.call("getmininginfo"))

    async def fetch_page(self, height: int, walk: Walk) -> list[ParsedBlock]:
        heights = range(height, max(-1, height - RPC_PAGE), -1)
        walk.requests += 1
        answers = await self._rpc.batch(
            [RpcCall("getblockstats", (h, list(BLOCKSTATS_FIELDS))) for h in heights]
        )
        page: list[ParsedBlock] = []
        for answer in answers:
            if isinstance(answer, BitcoindRpcError):
                if answer.code == RPC_INVALID_PARAMETER:
                    continue  # above a tip that just fell (a re-organisation under way)
                walk.problems.append(str(answer))
                continue
            try:
                page.append(parse_block_stats(answer))
            except SourceBadResponse as err:
                walk.problems.append(str(err))
        return page

    async def fetch_day_values(self, days: Mapping[date, Sequence[BlockRecord]]) -> None:
        """Per day, ``getnetworkhashps`` over its blocks and the difficulty of its last one."""
        order = sorted(days)
        calls: list[RpcCall] = []
        for day in order:
            last = max(days[day], key=lambda b: b.height)
            calls.append(RpcCall("getnetworkhashps", (len(days[day]), last.height)))
            calls.append(RpcCall("getblockheader", (last.block_hash,)))
        answers = await self._rpc.batch(calls)
        for index, day in enumerate(order):
            hashps, header = answers[2 * index], answers[2 * index + 1]
            for answer in (hashps, header):
                if isinstance(answer, BitcoindRpcError):
                    raise answer
            self._daily_hashrate_hs[day] = _positive(hashps, f"getnetworkhashps {day}")
            if not isinstance(header, dict):
                raise SourceBadResponse("getblockheader: expected an object")
            last = max(days[day], key=lambda b: b.height)
            for block in days[day]:
                self._difficulty.pop(block.height, None)
            if header.get("confirmations") != -1:  # -1: no longer in the best chain
                difficulty = _positive(header.get("difficulty"), "getblockheader: difficulty")
                self._difficulty[last.height] = difficulty


# -- the reserve job -------------------------------------------------------------------------


class BitcoindReserveJob:
    """Watches the reserve addresses through a watch-only wallet; see the module docstring.

    Args:
        config: the whole configuration (``operations``, ``reserve``).
        rpc: the wallet endpoint (``.../wallet/<name>``).
        store: where outputs are saved and read back.
        clock: kept for symmetry with other jobs.
        status: the in-memory values exposed as metrics.
    """

    source = "chain"

    def __init__(
        self,
        config: Config,
        rpc: BitcoindRpc,
        store: Store,
        clock: Clock,
        *,
        status: ReserveStatus | None = None,
        book: WalletBook | None = None,
    ) -> None:
        self._rpc = rpc
        self._reserve = config.reserve
        self._store = store
        self._clock = clock
        self._book = book or wallet_book(config)
        self.status = status or ReserveStatus.for_book(
            (op.id for op in config.operations), self._book
        )
        self.interval_s = config.reserve.poll_interval_s
        self.target = f"{rpc.host}/reserve-wallet"
        self._verified = False
        self._since: str | None = None  # listsinceblock's lastblock of the previous pass

    async def poll(self) -> None:
        tip = _int({"tip": await self._rpc.call("getblockcount")}, "tip", "getblockcount")
        if not self._verified:
            await self._verify_wallet()
        stored = {
            (o.txid, o.vout): o
            for o in await self._store.reserve_outputs(statuses=("mempool", "confirmed"))
        }
        entries, problems, lastblock, spending = await self._list()
        mempool = await self._in_mempool({e.txid for e in entries if e.confirmations == 0})
        seen: dict[tuple[str, int], ReserveOutputRecord] = {}
        for entry in entries:
            owner = self._book.owner(entry.address)
            if owner is None:  # pragma: no cover - _list keeps only the book's addresses
                continue
            record = output_record(
                entry, owner.holder, in_mempool=entry.txid in mempool, role=owner.role
            )
            if record is not None:
                seen[(record.txid, record.vout)] = record
        outflows, spends = await self._spending(spending, mempool)
        seen.update(((o.txid, o.vout), o) for o in outflows)
        await self._store.upsert_reserve_outputs(list(seen.values()))
        await self._store.add_reserve_spends(spends)
        await self._recheck(stored, seen, tip)
        self._since = lastblock
        self.status.watched = self._book.watched_by_role()
        self.status.tip_height = tip
        if problems:
            raise SourceBadResponse(f"{len(problems)} wallet entries refused: {problems[0]}")

    async def _verify_wallet(self) -> None:
        """Every fixed address and every descriptor of every wallet is in the node's wallet;
        a ranged descriptor's imported range covers at least the gap limit (and the book
        derives as far as the node watches, so every entry it lists has an owner)."""
        fixed = [a for w in self._book.wallets for a in w.addresses]
        answers = await self._rpc.batch([RpcCall("getaddressinfo", (a,)) for a in fixed])
        missing: list[str] = []
        for address, answer in zip(fixed, answers, strict=True):
            if isinstance(answer, BitcoindRpcError) or not isinstance(answer, dict):
                missing.append(f"{address} ({answer})")
            elif not (answer.get("ismine") is True or answer.get("iswatchonly") is True):
                missing.append(address)
        if missing:
            raise SourceBadResponse(
                f"reserve address(es) not in the bitcoind wallet: {', '.join(missing[:5])}; "
                "import each with importdescriptors addr(<address>) (see "
                "collector/sources/bitcoind.py)"
            )
        wanted = [w.descriptor for w in self._book.wallets if w.descriptor is not None]
        if wanted:
            listing = await self._rpc.call("listdescriptors")
            imported = _imported_ranges(listing)
            absent: list[str] = []
            for d in wanted:
                ends = [imported.get(_normal(body)) for body in d.single_path_bodies()]
                if None in ends:
                    absent.append(d.text)
                    continue
                watched = min(e for e in ends if e is not None) + 1  # addresses per branch
                if d.ranged and watched < self._reserve.gap_limit:
                    absent.append(d.text)
                elif d.ranged:
                    self._book.derive_to(d.text, watched)
            if absent:
                requests = [
                    {"desc": text, "timestamp": "<when it was first paid, Unix time>",
                     "range": [0, max(999, self._reserve.gap_limit)], "active": False}
                    for text in absent
                ]  # fmt: skip
                raise SourceBadResponse(
                    f"{len(absent)} reserve descriptor(s) not in the bitcoind wallet, or with a "
                    "range below reserve.gap_limit; run: bitcoin-cli -rpcwallet=<wallet> "
                    f"importdescriptors '{json.dumps(requests)}'"
                )
        self._verified = True

    async def _list(self) -> tuple[list[WalletEntry], list[str], str | None, set[str]]:
        """The wallet's receive entries for watched addresses since the last pass's
        ``lastblock`` (all of them on the first pass, or when the node lost that block), and
        the transactions in which the wallet spends."""
        params = (self._since, self._reserve.recheck_blocks, True)
        try:
            listing = await self._rpc.call("listsinceblock", *params)
        except BitcoindRpcError as err:
            if err.code != RPC_INVALID_ADDRESS_OR_KEY or self._since is None:
                raise
            log.info("bitcoind no longer knows block %s: listing the wallet again", self._since)
            listing = await self._rpc.call("listsinceblock", None, *params[1:])
        if not isinstance(listing, dict) or not isinstance(listing.get("transactions"), list):
            raise SourceBadResponse("listsinceblock: expected {transactions: [...]}")
        lastblock = listing.get("lastblock")
        entries: list[WalletEntry] = []
        problems: list[str] = []
        # A transaction in which the wallet also sends spends from a watched address: the
        # reserve moving its own coins (change, consolidation, custody), never a remittance.
        spending = {
            str(doc.get("txid"))
            for doc in listing["transactions"]
            if isinstance(doc, dict) and doc.get("category") == "send" and _is_hash(doc.get("txid"))
        }
        for doc in listing["transactions"]:
            try:
                entry = parse_wallet_entry(doc)
            except SourceBadResponse as err:
                problems.append(str(err))  # one bad entry must not hide the others
                continue
            if entry is not None and entry.address in self._book:
                entries.append(replace(entry, kind="internal") if entry.txid in spending else entry)
        if problems:
            lastblock = self._since  # list the same range again next pass
        return entries, problems, lastblock if _is_hash(lastblock) else None, spending

    async def _spending(
        self, txids: Iterable[str], mempool: set[str]
    ) -> tuple[list[ReserveOutputRecord], list[ReserveSpendRecord]]:
        """For each transaction spending the wallet's coins (``gettransaction`` verbose: its
        ``decoded`` inputs and outputs): the outputs to no watched address (outflows) and
        the outpoints it spends."""
        ordered = sorted(txids)
        answers = await self._rpc.batch(
            [RpcCall("gettransaction", (t, True, True)) for t in ordered]
        )
        outflows: list[ReserveOutputRecord] = []
        spends: list[ReserveSpendRecord] = []
        unconfirmed = [
            t for t, a in zip(ordered, answers, strict=True)
            if isinstance(a, dict) and a.get("confirmations") == 0 and t not in mempool
        ]  # fmt: skip
        mempool = mempool | await self._in_mempool(unconfirmed)
        for txid, answer in zip(ordered, answers, strict=True):
            if isinstance(answer, BitcoindRpcError):
                if answer.code != RPC_INVALID_ADDRESS_OR_KEY:
                    raise answer
                continue  # gone since the listing: the recheck settles it
            decoded = answer.get("decoded") if isinstance(answer, dict) else None
            if not isinstance(decoded, dict):
                raise SourceBadResponse(f"gettransaction {txid}: no decoded transaction")
            spends += _decoded_spends(txid, decoded)
            for vout, address, value in _decoded_outputs(txid, decoded):
                if address in self._book:
                    continue  # a receive entry of the wallet's own
                doc = {**answer, "category": "receive", "vout": vout, "address": address,
                       "amount": Decimal(value) / money.SAT_PER_BTC}  # fmt: skip
                entry = parse_wallet_entry(doc)
                if entry is None:  # pragma: no cover - category is set above
                    continue
                beyond = self._book.beyond_gap(address)  # a wallet's own, past its range
                record = output_record(
                    replace(entry, kind="outflow"),
                    beyond.holder if beyond else "",
                    in_mempool=txid in mempool,
                    role="outside",
                )
                if record is not None:
                    outflows.append(record)
        return outflows, spends

    async def _in_mempool(self, txids: Iterable[str]) -> set[str]:
        ordered = sorted(txids)
        answers = await self._rpc.batch([RpcCall("getmempoolentry", (t,)) for t in ordered])
        present: set[str] = set()
        for txid, answer in zip(ordered, answers, strict=True):
            if isinstance(answer, BitcoindRpcError):
                if answer.code != RPC_INVALID_ADDRESS_OR_KEY:
                    raise answer
                continue  # not in the mempool
            present.add(txid)
        return present

    async def _recheck(
        self,
        stored: Mapping[tuple[str, int], ReserveOutputRecord],
        seen: Mapping[tuple[str, int], ReserveOutputRecord],
        tip: int,
    ) -> None:
        """Ask the wallet about recent stored outputs the listing did not show as live."""
        pending = recent_unseen(stored, seen, tip, self._reserve.recheck_blocks)
        txids = sorted(pending)
        answers = await self._rpc.batch([RpcCall("gettransaction", (t, True)) for t in txids])
        recheck = Recheck()
        candidates: list[tuple[WalletEntry, ReserveOutputRecord]] = []
        for txid, answer in zip(txids, answers, strict=True):
            if isinstance(answer, BitcoindRpcError):
                if answer.code != RPC_INVALID_ADDRESS_OR_KEY:
                    raise answer
                recheck.gone(txid, pending[txid])
                continue
            candidates.extend(_transaction_entries(answer, pending[txid]))
        mempool = await self._in_mempool({e.txid for e, _ in candidates if e.confirmations == 0})
        for entry, output in candidates:
            record = output_record(
                replace(entry, kind=output.kind),
                output.operation_id,
                in_mempool=entry.txid in mempool,
                role=output.role,
            )
            if record is None:
                recheck.gone(output.txid, (output,))
            else:
                recheck.moved.append(record)
        await recheck.save(self._store)


def _normal(body: str) -> str:
    return body.partition("#")[0].replace("'", "h").strip()


def _imported_ranges(listing: Any) -> dict[str, int | None]:
    """``listdescriptors``: each descriptor (without checksum) and its range's end (0 for a
    descriptor that is not ranged: its one script)."""
    if not isinstance(listing, dict) or not isinstance(listing.get("descriptors"), list):
        raise SourceBadResponse("listdescriptors: expected {descriptors: [...]}")
    found: dict[str, int | None] = {}
    for doc in listing["descriptors"]:
        if not isinstance(doc, dict) or not isinstance(doc.get("desc"), str):
            raise SourceBadResponse("listdescriptors: each descriptor needs a desc")
        span = doc.get("range")
        end: int | None = 0
        if isinstance(span, list) and len(span) == 2 and all(isinstance(v, int) for v in span):
            end = int(span[1])
        found[_normal(doc["desc"])] = end
    return found


def _decoded_spends(txid: str, decoded: Mapping[str, Any]) -> list[ReserveSpendRecord]:
    vins = decoded.get("vin")
    if not isinstance(vins, list):
        raise SourceBadResponse(f"gettransaction {txid}: decoded.vin must be a list")
    spends: list[ReserveSpendRecord] = []
    for index, vin in enumerate(vins):
        if not isinstance(vin, dict) or not _is_hash(vin.get("txid")):
            raise SourceBadResponse(f"gettransaction {txid}: decoded.vin[{index}] has no txid")
        spends.append(ReserveSpendRecord(txid, vin["txid"], _int(vin, "vout", txid)))
    return spends


def _decoded_outputs(txid: str, decoded: Mapping[str, Any]) -> list[tuple[int, str, int]]:
    """(n, address, value sat) of the decoded outputs that pay an address."""
    vouts = decoded.get("vout")
    if not isinstance(vouts, list):
        raise SourceBadResponse(f"gettransaction {txid}: decoded.vout must be a list")
    found: list[tuple[int, str, int]] = []
    for index, vout in enumerate(vouts):
        where = f"gettransaction {txid}: decoded.vout[{index}]"
        if not isinstance(vout, dict):
            raise SourceBadResponse(f"{where} must be an object")
        script = vout.get("scriptPubKey")
        address = script.get("address") if isinstance(script, dict) else None
        if isinstance(address, str):
            found.append((_int(vout, "n", where), address, btc_to_sat(vout.get("value"), where)))
    return found


def _transaction_entries(
    doc: Any, outputs: Sequence[ReserveOutputRecord]
) -> list[tuple[WalletEntry, ReserveOutputRecord]]:
    """``gettransaction``'s view of each stored output of the transaction."""
    if not isinstance(doc, dict):
        raise SourceBadResponse("gettransaction: expected an object")
    entries: list[tuple[WalletEntry, ReserveOutputRecord]] = []
    for output in outputs:
        as_entry = {
            **doc,
            "category": "receive",
            "vout": output.vout,
            "address": output.address,
            "amount": Decimal(output.amount_sat) / money.SAT_PER_BTC,
        }
        entry = parse_wallet_entry(as_entry)
        if entry is None:  # pragma: no cover - category is set above
            raise SourceBadResponse("gettransaction: not a receive")
        entries.append((entry, output))
    return entries


# -- wiring ----------------------------------------------------------------------------------


def bitcoind_jobs(
    config: Config,
    store: Store,
    network_http: HttpSource,
    chain_http: HttpSource,
    clock: Clock,
    *,
    since: date | None = None,
) -> tuple[BitcoindNetworkJob, BitcoindReserveJob]:
    """The network job on ``network.bitcoind.url`` and the reserve job on its wallet
    endpoint (``/wallet/reservewatch`` unless the URL names a wallet)."""
    bitcoind = config.network.bitcoind
    if bitcoind is None:
        raise ValueError("bitcoind_jobs needs network.bitcoind")
    network_rpc = BitcoindRpc(network_http, bitcoind.url, bitcoind)
    wallet_rpc = BitcoindRpc(chain_http, with_wallet(bitcoind.url), bitcoind)
    network = BitcoindNetworkJob(config.network, network_rpc, store, clock, since=since)
    reserve = BitcoindReserveJob(config, wallet_rpc, store, clock)
    return network, reserve
