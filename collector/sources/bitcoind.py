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
and its inputs as spends. An operation's payout wallets are imported alike; what they receive
is stored as ``payout`` outputs, and a transaction spending only their coins (none the
reserve's stored) is the operator's: neither its outflows nor its spends are kept.

Descriptor wallets (ranged ``wpkh(xpub/0/*)``, ``wsh(sortedmulti(...))``) are imported once with
``importdescriptors`` (``"range": [0, 999]``, at least ``reserve.gap_limit``); the job checks
them with ``listdescriptors`` (a multipath ``<0;1>`` one appears as its two single-path
descriptors) and fails with the command to run when one is missing or its range is short.

``scantxoutset`` is not used: it sees only *unspent* outputs, so a remittance the reserve has
since spent would disappear and look unpaid. The wallet keeps every transaction it has seen.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

from collector.bitcoin.wallets import WalletBook
from collector.clock import Clock
from collector.config.model import Config
from collector.config.sections import NetworkConfig
from collector.config.wallets import wallet_book
from collector.errors import (
    SourceBadResponse,
)
from collector.sources.bitcoind_rpc import (
    BLOCKSTATS_FIELDS,
    RPC_INVALID_ADDRESS_OR_KEY,
    RPC_INVALID_PARAMETER,
    RPC_PAGE,
    BitcoindRpc,
    BitcoindRpcError,
    RpcCall,
    WalletEntry,
    _int,
    _positive,
    btc_to_sat,
    output_record,
    parse_block_stats,
    parse_mining_info,
    parse_wallet_entry,
    with_wallet,
)
from collector.sources.http import HttpSource
from collector.sources.network import BlockFollower, Walk
from collector.sources.network_days import HashrateSummary, ParsedBlock, is_hash
from collector.sources.reserve import (
    Recheck,
    ReserveWatched,
    outputs_changed,
    recent_unseen,
)
from collector.store.queries import Store
from collector.store.records import (
    PAYOUT,
    WATCHED_KINDS,
    BlockRecord,
    ReserveOutputRecord,
    ReserveSpendRecord,
)
from remittance import money

log = logging.getLogger(__name__)


# -- the JSON-RPC client -------------------------------------------------------------------


# -- pure parsing --------------------------------------------------------------------------


# -- the network job -------------------------------------------------------------------------


class BitcoindNetworkJob(BlockFollower):
    """Tip, hash rate, difficulty, blocks and daily aggregates from bitcoind.

    Args:
        config: ``config.network`` (``chain``, ``poll_interval_s``, ``backfill_days``).
        rpc: the node (any endpoint; no wallet needed).
        store: where blocks, days and the tip are saved.
        clock: dates the backfill window and the tip's ``observed_at``.
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
        max_requests: int = 120,
        since: date | None = None,
    ) -> None:
        super().__init__(config, store, clock, max_requests=max_requests, since=since)
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
    """

    source = "chain"

    def __init__(
        self,
        config: Config,
        rpc: BitcoindRpc,
        store: Store,
        clock: Clock,
        *,
        book: WalletBook | None = None,
    ) -> None:
        self._rpc = rpc
        self._reserve = config.reserve
        self._store = store
        self._clock = clock
        self._book = book or wallet_book(config)
        self.interval_s = config.reserve.poll_interval_s
        self.target = f"{rpc.host}/reserve-wallet"
        self._verified = False
        self._since: str | None = None  # listsinceblock's lastblock of the previous pass

    async def poll(self) -> ReserveWatched:
        tip = _int({"tip": await self._rpc.call("getblockcount")}, "tip", "getblockcount")
        if not self._verified:
            await self._verify_wallet()
        stored = {
            (o.txid, o.vout): o
            for o in await self._store.reserve_outputs(
                statuses=("mempool", "confirmed"), kinds=WATCHED_KINDS
            )
        }
        entries, problems, lastblock, spending = await self._list()
        mempool = await self._in_mempool({e.txid for e in entries if e.confirmations == 0})
        # Outpoints known to be the reserve's: a "send" spending one of them is the reserve's.
        reserve_keys = {k for k, o in stored.items() if o.kind != PAYOUT} | {
            (e.txid, e.vout) for e in entries if self._book.reserve_owner(e.address)
        }
        outflows, spends, theirs = await self._spending(spending, mempool, reserve_keys)
        ours = spending - theirs  # the reserve's own transactions
        seen: dict[tuple[str, int], ReserveOutputRecord] = {}
        for entry in entries:
            owner = self._book.owner(entry.address)
            if owner is None or (owner.role == PAYOUT and entry.txid in spending):
                continue  # an outflow to a payout wallet (read whole), or that wallet's change
            kind = PAYOUT if owner.role == PAYOUT else "internal" if entry.txid in ours else None
            record = output_record(
                replace(entry, kind=kind or entry.kind),
                owner.holder,
                in_mempool=entry.txid in mempool,
                role=owner.role,
            )
            if record is not None:
                seen[(record.txid, record.vout)] = record
        seen.update(((o.txid, o.vout), o) for o in outflows)
        await self._store.upsert_reserve_outputs(list(seen.values()))
        await self._store.add_reserve_spends(spends)
        rechecked = await self._recheck(stored, seen, tip)
        stored_new = rechecked or outputs_changed(stored, seen)
        self._since = lastblock
        watched = ReserveWatched.of(tip, self._book, stored_new=stored_new)
        if problems:
            raise SourceBadResponse(
                f"{len(problems)} wallet entries refused: {problems[0]}"
            ).with_published(watched)
        return watched

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
                f"watched address(es) not in the bitcoind wallet: {', '.join(missing[:5])}; "
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
            if isinstance(doc, dict) and doc.get("category") == "send" and is_hash(doc.get("txid"))
        }
        for doc in listing["transactions"]:
            try:
                entry = parse_wallet_entry(doc)
            except SourceBadResponse as err:
                problems.append(str(err))  # one bad entry must not hide the others
                continue
            if entry is not None and entry.address in self._book:
                entries.append(entry)
        if problems:
            lastblock = self._since  # list the same range again next pass
        return entries, problems, lastblock if is_hash(lastblock) else None, spending

    async def _spending(
        self, txids: Iterable[str], mempool: set[str], reserve_keys: set[tuple[str, int]]
    ) -> tuple[list[ReserveOutputRecord], list[ReserveSpendRecord], set[str]]:
        """For each transaction spending the wallet's coins (``gettransaction`` verbose: its
        ``decoded`` inputs and outputs): the outputs to no address of the reserve (outflows)
        and the outpoints it spends; and those that spend only a payout wallet's coins (none
        of ``reserve_keys``, with payout wallets configured): the operator's business, whose
        outflows and spends are not kept."""
        ordered = sorted(txids)
        answers = await self._rpc.batch(
            [RpcCall("gettransaction", (t, True, True)) for t in ordered]
        )
        outflows: list[ReserveOutputRecord] = []
        spends: list[ReserveSpendRecord] = []
        theirs: set[str] = set()
        payouts = any(w.role == PAYOUT for w in self._book.wallets)
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
            spent = _decoded_spends(txid, decoded)
            if payouts and not any((s.prev_txid, s.prev_vout) in reserve_keys for s in spent):
                theirs.add(txid)  # a payout wallet's spend, not the reserve's
                continue
            spends += spent
            for vout, address, value in _decoded_outputs(txid, decoded):
                if self._book.reserve_owner(address):
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
        return outflows, spends, theirs

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
    ) -> bool:
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
        return await recheck.save(self._store)


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
        if not isinstance(vin, dict) or not is_hash(vin.get("txid")):
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
