"""The reserve's wallets watched through Esplora: every output paying them, every output of
their own spending transactions, and where each stands.

The addresses are the wallet book's (:class:`~collector.bitcoin.wallets.WalletBook`): fixed ones and
those derived from descriptors to the gap limit; an address found used in a pass derives the
next ones, read in the same pass.

:class:`ReserveJob` (a :class:`~collector.sources.poller.PollJob`) reads each address's
history from an Esplora REST API, newest first: ``/api/address/{addr}/txs`` (the mempool
transactions and the first 25 confirmed), then ``/api/address/{addr}/txs/chain/{last_txid}``
(25 per page on Esplora, other sizes elsewhere) until a page is empty — a cursor that comes
back again is an error, never a loop — or a transaction already stored and confirmed deeper
than ``reserve.recheck_blocks`` is reached (everything older was read by an earlier pass). An
address's outputs are written once its walk is complete, so a pass cut short never leaves a
stored transaction above unread history.

Each ``vout`` paying a watched address is one output, keyed ``(txid, vout)``: the same output
seen through two addresses is stored once. A transaction whose inputs spend from any watched
address (``vin[].prevout.scriptpubkey_address``) moves the reserve's own coins: its outputs to
watched addresses are ``internal`` movements, never remittances, and its other outputs are
``outflow`` records (role ``outside``: unapproved); the outpoints it spends (``vin[].txid``,
``vin[].vout``) are stored as spends, so holdings follow the coins (:mod:`remittance.reserve`).
An operation's payout wallets are walked the same way (one history page a quiet poll per
address), their receipts stored apart as ``payout`` outputs (:func:`reserve_outputs`).

Each pass also re-checks the stored outputs the histories did not show again that are in the
mempool or confirmed within ``recheck_blocks`` of the tip (``/api/tx/{txid}/status``): a 404
(replaced, or dropped by a re-organisation) marks them ``removed``; a new block moves them;
back in the mempool unconfirms them. An output that reappears is stored as seen again.

Exposes, per configured operation (confirmed outputs with at least ``reserve.confirmations``
confirmations; float BTC only here, at the metrics edge; it follows the chain, so it can fall
after a re-organisation)::

    reservewatch_reserve_received_btc_total{operation="ekibastuz-1"} 12.5
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from collector.bitcoin.address import AddressError, Chain, validate_address
from collector.bitcoin.wallets import WalletBook
from collector.clock import Clock
from collector.config.model import Config
from collector.config.wallets import wallet_book
from collector.errors import SourceBadResponse
from collector.sources.http import HttpSource
from collector.sources.network_days import is_hash, parse_tip_height, timestamp_utc
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
    ReserveOutputRecord,
    ReserveSpendRecord,
    confirmations,
)
from remittance.reserve_patterns import DestinationHistory

log = logging.getLogger(__name__)


# -- pure parsing ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TxStatus:
    """``status`` of an Esplora transaction."""

    confirmed: bool
    block_height: int | None = None
    block_hash: str | None = None
    block_time: datetime | None = None


@dataclass(frozen=True, slots=True)
class ParsedTx:
    txid: str
    status: TxStatus
    outputs: tuple[tuple[int, str, int], ...]  # (vout, address or "", value sat); see parse_tx
    spends_from: tuple[str, ...] = ()  # the addresses of the outputs its inputs spend
    spends: tuple[tuple[str, int, str], ...] = ()  # (prev txid, prev vout, its address)
    # (vout, what the source gave) of outputs whose "address" is none on the chain
    bad_addresses: tuple[tuple[int, str], ...] = ()


def _non_negative_int(value: object, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise SourceBadResponse(f"{what} must be a non-negative integer, got {value!r}")
    return value


def parse_status(doc: Any, where: str = "tx status") -> TxStatus:
    if not isinstance(doc, dict) or not isinstance(doc.get("confirmed"), bool):
        raise SourceBadResponse(f"{where}: expected an object with a boolean 'confirmed'")
    if not doc["confirmed"]:
        return TxStatus(confirmed=False)
    height = _non_negative_int(doc.get("block_height"), f"{where}: block_height")
    block_hash = doc.get("block_hash")
    if not is_hash(block_hash):
        raise SourceBadResponse(f"{where}: block_hash is not a 64-hex hash")
    block_time = _non_negative_int(doc.get("block_time"), f"{where}: block_time")
    return TxStatus(True, height, block_hash, timestamp_utc(block_time, f"{where}: block_time"))


def parse_tx(doc: Any, chain: Chain = "main") -> ParsedTx:
    """One Esplora transaction: its txid, status and the outputs that carry an address.

    An output's ``scriptpubkey_address`` must be a valid address on ``chain``. Anything else
    (a hostile or broken source's ``=HYPERLINK(...)``) is listed in ``bad_addresses`` and the
    output kept with the address ``""``: it pays no watched address, and when the reserve's
    coins pay it, it is stored as an outflow without an address (its value is not taken for a
    fee), never with that text. Outputs with no address at all (OP_RETURN, bare scripts: real
    Esplora gives them none) are left out as before."""
    if not isinstance(doc, dict) or not is_hash(doc.get("txid")):
        raise SourceBadResponse("tx: expected an object with a 64-hex txid")
    txid = str(doc["txid"])
    vouts = doc.get("vout")
    if not isinstance(vouts, list):
        raise SourceBadResponse(f"tx {txid}: vout must be a list")
    outputs: list[tuple[int, str, int]] = []
    bad: list[tuple[int, str]] = []
    for index, out in enumerate(vouts):
        if not isinstance(out, dict):
            raise SourceBadResponse(f"tx {txid}: vout[{index}] must be an object")
        address = out.get("scriptpubkey_address")
        if address is None:
            continue  # OP_RETURN and bare scripts pay no address
        value = _non_negative_int(out.get("value"), f"tx {txid}: vout[{index}].value")
        try:
            validate_address(address, chain)  # also refuses a non-string
        except AddressError:
            bad.append((index, str(address)[:100]))
            address = ""
        outputs.append((index, address, value))
    vins = doc.get("vin", [])
    if not isinstance(vins, list):
        raise SourceBadResponse(f"tx {txid}: vin must be a list")
    spends: list[tuple[str, int, str]] = []
    for index, vin in enumerate(vins):
        if not isinstance(vin, dict):
            raise SourceBadResponse(f"tx {txid}: vin[{index}] must be an object")
        prevout = vin.get("prevout")
        if isinstance(prevout, dict) and isinstance(prevout.get("scriptpubkey_address"), str):
            prev_txid, prev_vout = vin.get("txid"), vin.get("vout")
            if (
                not is_hash(prev_txid)
                or isinstance(prev_vout, bool)
                or not isinstance(prev_vout, int)
            ):
                raise SourceBadResponse(f"tx {txid}: vin[{index}] has no txid and vout")
            spends.append((prev_txid, prev_vout, prevout["scriptpubkey_address"]))
    return ParsedTx(
        txid,
        parse_status(doc.get("status"), f"tx {txid} status"),
        tuple(outputs),
        tuple(a for _, _, a in spends),
        tuple(spends),
        tuple(bad),
    )


def reserve_outputs(tx: ParsedTx, book: WalletBook) -> list[ReserveOutputRecord]:
    """The outputs of ``tx`` the reserve must record. A transaction paying a watched wallet
    from outside: its outputs to watched addresses, as ``remittance`` (the wallet's role says
    whether an operation remitted, a case received, or custody was paid from outside). A
    transaction spending from a watched wallet moves the reserve's own coins: each output to
    a watched address is ``internal`` (change, consolidation, a move to custody) and each
    other one an ``outflow`` (role ``outside``) — never a remittance; an outflow to a
    wallet's own address beyond its gap limit names that wallet as its holder (it is still
    unapproved, for that reason: :meth:`WalletBook.beyond_gap`).

    An operation's payout wallet is not the reserve's: spending from it is not the reserve
    moving coins (a remittance paid from it is a remittance); what it receives from outside is
    a ``payout`` output (role ``payout``), what it receives from its own coins (change) is not
    recorded, and the reserve paying it is an outflow like any other."""
    status = tx.status
    spends_ours = any(book.reserve_owner(a) for a in tx.spends_from)
    spends_payout = any(book.payout_owner(a) for a in tx.spends_from)
    records: list[ReserveOutputRecord] = []
    for vout, address, value in tx.outputs:
        owner = book.owner(address)
        if owner is not None and owner.role == "payout":
            if spends_ours:
                owner = None  # the reserve paying an operator: an outflow
            elif spends_payout:
                continue  # the payout wallet's own change: not what a pool paid
            else:
                records.append(payout_record(tx, vout, address, value, owner.holder))
                continue
        if owner is None and not spends_ours:
            continue
        beyond = book.beyond_gap(address) if owner is None else None
        records.append(
            ReserveOutputRecord(
                txid=tx.txid,
                vout=vout,
                operation_id=owner.holder if owner else beyond.holder if beyond else "",
                address=address,
                amount_sat=value,
                status="confirmed" if status.confirmed else "mempool",
                block_height=status.block_height,
                block_hash=status.block_hash,
                block_time=status.block_time,
                kind="outflow" if owner is None else "internal" if spends_ours else "remittance",
                role=owner.role if owner else "outside",
            )
        )
    return records


def payout_record(
    tx: ParsedTx, vout: int, address: str, value: int, operation_id: str
) -> ReserveOutputRecord:
    """A pool's (or anyone's) payment into ``operation_id``'s payout wallet."""
    return ReserveOutputRecord(
        txid=tx.txid,
        vout=vout,
        operation_id=operation_id,
        address=address,
        amount_sat=value,
        status="confirmed" if tx.status.confirmed else "mempool",
        block_height=tx.status.block_height,
        block_hash=tx.status.block_hash,
        block_time=tx.status.block_time,
        kind=PAYOUT,
        role=PAYOUT,
    )


def reserve_spends(tx: ParsedTx, book: WalletBook) -> list[ReserveSpendRecord]:
    """The reserve's watched outputs ``tx`` spends (a payout wallet's spends are the
    operator's business: not recorded)."""
    return [
        ReserveSpendRecord(tx.txid, prev_txid, prev_vout)
        for prev_txid, prev_vout, address in tx.spends
        if book.reserve_owner(address)
    ]


# -- the job -------------------------------------------------------------------------------


def _is_not_found(err: SourceBadResponse) -> bool:
    return err.status == 404


class ReserveJob:
    """Watches every configured reserve address; see the module docstring.

    Args:
        config: the whole configuration (``operations``, ``reserve``, ``network.esplora_url``).
        http: the ``chain`` source's :class:`HttpSource`.
        store: where outputs are saved and read back.
        clock: kept for symmetry with other jobs (the store dates ``last_seen``).
        max_pages_per_address: a walk reading more pages than this fails (a bound on one poll).
        max_destination_pages: pages of an outflow destination's history read at most.
    """

    source = "chain"

    def __init__(
        self,
        config: Config,
        http: HttpSource,
        store: Store,
        clock: Clock,
        *,
        book: WalletBook | None = None,
        max_pages_per_address: int = 400,
        max_destination_pages: int = 8,
    ) -> None:
        if not config.network.esplora_url:
            raise ValueError("ReserveJob needs network.esplora_url")
        self._base = config.network.esplora_url.rstrip("/")
        self._reserve = config.reserve
        self._http = http
        self._store = store
        self._clock = clock
        self._max_pages = max_pages_per_address
        self._max_destination_pages = max_destination_pages
        self._book = book or wallet_book(config)
        self._chain = config.network.chain
        self._learned = False  # the book has not yet seen the stored outputs
        # outputs the source gave an "address" that is none on the chain, each counted once
        self._bad_address_outputs: set[tuple[str, int]] = set()
        self.interval_s = config.reserve.poll_interval_s
        host = config.network.esplora_url.split("://", 1)[-1].split("/", 1)[0]
        self.target = f"{host}/reserve-addresses"  # the network job's target is the bare host

    async def poll(self) -> ReserveWatched:
        tip = parse_tip_height(await self._http.get_text(f"{self._base}/blocks/tip/height"))
        stored = {
            (o.txid, o.vout): o
            for o in await self._store.reserve_outputs(
                statuses=("mempool", "confirmed"), kinds=WATCHED_KINDS
            )
        }
        deep_txids = {
            o.txid
            for o in stored.values()
            if o.status == "confirmed" and confirmations(o, tip) > self._reserve.recheck_blocks
        }
        if not self._learned:
            # Derive past every address already used, so a restart watches what it watched.
            self._book.learn(o.address for o in stored.values())
            self._learned = True
        seen: dict[tuple[str, int], ReserveOutputRecord] = {}
        problems: list[str] = []
        pending = list(self._book)
        while pending:
            used: list[str] = []
            for address in pending:
                try:
                    found, spends = await self._walk_address(address, tip, deep_txids)
                except SourceBadResponse as err:
                    # One address's bad answer must not stop the others being watched.
                    problems.append(str(err))
                    continue
                await self._store.upsert_reserve_outputs(
                    [o for o in found if (o.txid, o.vout) not in seen]
                )
                await self._store.add_reserve_spends(spends)
                seen.update(((o.txid, o.vout), o) for o in found)
                used += [o.address for o in found]
            # A used derived address moves the gap on: watch the new ones in this pass.
            pending = self._book.mark_used(used)
        await self._read_destinations()
        rechecked = await self._recheck(stored, seen, tip)
        stored_new = rechecked or outputs_changed(stored, seen)
        watched = ReserveWatched.of(
            tip,
            self._book,
            stored_new=stored_new,
            unparseable_outputs=len(self._bad_address_outputs),
        )
        if problems:
            raise SourceBadResponse(
                f"{len(problems)} address(es) not read: {problems[0]}"
            ).with_published(watched)
        return watched

    async def _walk_address(
        self, address: str, tip: int, deep_txids: set[str]
    ) -> tuple[list[ReserveOutputRecord], list[ReserveSpendRecord]]:
        docs = await self._page(f"{self._base}/address/{address}/txs")
        found: list[ReserveOutputRecord] = []
        spends: list[ReserveSpendRecord] = []
        cursors: set[str] = set()
        pages = 1
        while True:
            txs = [parse_tx(doc, self._chain) for doc in docs]
            for tx in txs:
                self._count_bad_addresses(tx)
            confirmed = [tx for tx in txs if tx.status.confirmed]
            reached_known = False
            for tx in txs:
                found.extend(reserve_outputs(tx, self._book))
                spends.extend(reserve_spends(tx, self._book))
                height = tx.status.block_height
                if tx.txid in deep_txids and height is not None:
                    reached_known = reached_known or tip - height + 1 > self._reserve.recheck_blocks
            # Only an empty page ends the history: page sizes differ between Esplora and
            # mempool deployments (25, 50 …), so a short page proves nothing.
            if reached_known or not confirmed:
                return found, spends
            last = confirmed[-1].txid
            if last in cursors:
                raise SourceBadResponse(
                    f"address {address}: the history repeats at {last}; not read further"
                )
            cursors.add(last)
            if pages >= self._max_pages:
                raise SourceBadResponse(
                    f"address {address}: history longer than {self._max_pages} pages; "
                    "raise max_pages_per_address"
                )
            docs = await self._page(f"{self._base}/address/{address}/txs/chain/{last}")
            pages += 1

    async def _read_destinations(self) -> None:
        """Read, once, how old each address outside every wallet that the reserve paid is:
        its history newest first (``/address/{addr}/txs``, then ``/txs/chain/{last}``; the
        Esplora API's own paging, Blockstream/esplora API.md) until it ends, or reaches a
        transaction older than the window before the first outflow to it (old enough to
        tell), or ``max_destination_pages`` pages (then it is read as far as that). A
        destination not read (a bad answer) stays unknown and is read again next pass."""
        known = await self._store.destination_histories()
        first_paid: dict[str, datetime] = {}
        now = self._clock.now()
        for output in await self._store.reserve_outputs(kinds=("outflow",)):
            if output.operation_id or not output.address or output.address in known:
                continue  # a wallet's own address beyond its gap, or no address, or known
            when = output.block_time or now
            first_paid[output.address] = min(when, first_paid.get(output.address, when))
        window = timedelta(days=self._reserve.new_destination_days)
        read: list[DestinationHistory] = []
        for address, when in sorted(first_paid.items()):
            try:
                read.append(await self._destination_history(address, when - window))
            except SourceBadResponse as err:
                log.warning("reserve: outflow destination %s not read: %s", address, err)
        await self._store.add_destination_histories(read)

    async def _destination_history(self, address: str, old_before: datetime) -> DestinationHistory:
        docs = await self._page(f"{self._base}/address/{address}/txs")
        oldest: tuple[str, datetime] | None = None
        for page in range(1, self._max_destination_pages + 1):
            confirmed = [
                (str(doc.get("txid")), status.block_time)
                for doc in docs
                if (status := parse_status(_field(doc, "status"), "destination tx")).block_time
            ]
            if not confirmed:
                return DestinationHistory(address, *_unzip(oldest), True, self._clock.now())
            oldest = confirmed[-1]
            if oldest[1] < old_before or page == self._max_destination_pages:
                break  # old enough (seen before the window), or read as far as allowed
            docs = await self._page(f"{self._base}/address/{address}/txs/chain/{oldest[0]}")
        return DestinationHistory(address, *_unzip(oldest), False, self._clock.now())

    def _count_bad_addresses(self, tx: ParsedTx) -> None:
        for vout, text in tx.bad_addresses:
            if (tx.txid, vout) in self._bad_address_outputs:
                continue
            self._bad_address_outputs.add((tx.txid, vout))
            log.warning(
                "reserve: tx %s vout %d: %r is no address on the %s chain; "
                "the output is kept without an address",
                tx.txid, vout, text, self._chain,
            )  # fmt: skip

    async def _page(self, url: str) -> list[Any]:
        docs = await self._http.get_json(url)
        if not isinstance(docs, list):
            raise SourceBadResponse(f"{url.rsplit('/api', 1)[-1]}: expected a list of txs")
        return docs

    async def _recheck(
        self,
        stored: Mapping[tuple[str, int], ReserveOutputRecord],
        seen: Mapping[tuple[str, int], ReserveOutputRecord],
        tip: int,
    ) -> bool:
        """Ask for the status of recent stored outputs the histories did not show again."""
        pending = recent_unseen(stored, seen, tip, self._reserve.recheck_blocks)
        recheck = Recheck()
        for txid, outputs in pending.items():
            try:
                status = parse_status(await self._http.get_json(f"{self._base}/tx/{txid}/status"))
            except SourceBadResponse as err:
                if not _is_not_found(err):
                    raise
                recheck.gone(txid, outputs)
                continue
            recheck.moved.extend(_with_status(o, status) for o in outputs)
        return await recheck.save(self._store)


def _field(doc: Any, name: str) -> Any:
    if not isinstance(doc, dict) or not is_hash(doc.get("txid")):
        raise SourceBadResponse("tx: expected an object with a 64-hex txid")
    return doc.get(name)


def _unzip(oldest: tuple[str, datetime] | None) -> tuple[str | None, datetime | None]:
    return (None, None) if oldest is None else oldest


def _with_status(output: ReserveOutputRecord, status: TxStatus) -> ReserveOutputRecord:
    return ReserveOutputRecord(
        txid=output.txid,
        vout=output.vout,
        operation_id=output.operation_id,
        address=output.address,
        amount_sat=output.amount_sat,
        status="confirmed" if status.confirmed else "mempool",
        block_height=status.block_height,
        block_hash=status.block_hash,
        block_time=status.block_time,
        kind=output.kind,
        role=output.role,
    )
