"""What the reserve watcher establishes, whichever backend reads the chain: the rule that
counts an output (its confirmations), the outputs to ask about again, and the totals shown.

Both backends (:mod:`collector.sources.chain` for Esplora, :mod:`collector.sources.bitcoind`)
build on these; neither imports the other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from collector.bitcoin.wallets import ROLES, WalletBook
from collector.metrics.contract import Metric, family
from collector.store.queries import Store
from collector.store.records import ReserveOutputRecord
from remittance import ledger
from remittance.money import sat_to_btc
from remittance.proofs import ProofStatus, latest_proofs
from remittance.reserve import UNAPPROVED_REASONS, UNKNOWN_HOLDER, Coin, Holdings, holdings

log = logging.getLogger(__name__)


def confirmations(output: ReserveOutputRecord, tip_height: int) -> int:
    """Blocks on top of (and including) the output's block; 0 unless confirmed."""
    if output.status != "confirmed":
        return 0
    return ledger.confirmations(output.block_height, tip_height)


def recent_unseen(
    stored: Mapping[tuple[str, int], ReserveOutputRecord],
    seen: Mapping[tuple[str, int], ReserveOutputRecord],
    tip: int,
    recheck_blocks: int,
) -> dict[str, list[ReserveOutputRecord]]:
    """Stored outputs, by txid, that are still recent (in the mempool, or confirmed within
    ``recheck_blocks`` of the tip) but that this pass did not see: to be asked about one by
    one, since a re-organisation or a replacement may have removed them."""
    pending: dict[str, list[ReserveOutputRecord]] = {}
    for key, output in stored.items():
        recent = output.status == "mempool" or confirmations(output, tip) <= recheck_blocks
        if key not in seen and recent:
            pending.setdefault(output.txid, []).append(output)
    return pending


def received_sat(
    outputs: Iterable[ReserveOutputRecord], tip_height: int, min_confirmations: int
) -> dict[str, int]:
    """Per operation, satoshis in confirmed outputs with ``min_confirmations`` or more."""
    totals: dict[str, int] = {}
    for output in outputs:
        if confirmations(output, tip_height) >= min_confirmations:
            totals[output.operation_id] = totals.get(output.operation_id, 0) + output.amount_sat
    return totals


def coin_of(output: ReserveOutputRecord) -> Coin:
    role = output.role if output.role in (*ROLES, "outside") else "outside"
    return Coin(
        output.txid,
        output.vout,
        output.amount_sat,
        role,  # type: ignore[arg-type]
        output.operation_id,
        output.address,
        output.status,
        output.block_height,
        output.block_time,
    )


async def reserve_holdings(
    store: Store, tip_height: int | None, min_confirmations: int, *, as_of: datetime | None = None
) -> Holdings:
    """The reserve's holdings from the store (as known at ``as_of``, or now): inflows count
    once confirmed ``min_confirmations`` deep, the reserve's own transactions at once."""
    outputs = await store.reserve_outputs(statuses=("mempool", "confirmed", "removed"), as_of=as_of)
    spends = await store.reserve_spends(as_of=as_of)
    counted = [
        (o.txid, o.vout)
        for o in outputs
        if o.kind == "remittance"
        and tip_height is not None
        and confirmations(o, tip_height) >= min_confirmations
    ]
    return holdings(
        [coin_of(o) for o in outputs],
        [(s.txid, s.prev_txid, s.prev_vout) for s in spends],
        counted=counted,
    )


@dataclass(frozen=True, slots=True)
class WalletProof:
    """Whether one wallet's control is proven, by the proof of one of its addresses."""

    role: str
    holder: str
    address: str
    status: ProofStatus
    registered_at: datetime | None


async def wallet_proofs(
    store: Store, book: WalletBook, max_age_blocks: int, *, as_of: datetime | None = None
) -> list[WalletProof]:
    """Each address that stands for a wallet's control (:meth:`WalletBook.proof_addresses`)
    and its proof's status as registered by ``as_of`` (or now)."""
    proofs = [p for p in await store.proofs() if as_of is None or p.registered_at <= as_of]
    rows: list[WalletProof] = []
    for wallet, address in book.proof_addresses():
        status, proof = latest_proofs(address, proofs, max_age_blocks)
        rows.append(
            WalletProof(
                wallet.role, wallet.holder, address, status, proof.registered_at if proof else None
            )
        )
    return rows


def proven_holders(rows: Iterable[WalletProof]) -> set[str]:
    """Holders every one of whose proof addresses is proven."""
    holders: dict[str, bool] = {}
    for row in rows:
        holders[row.holder] = holders.get(row.holder, True) and row.status is ProofStatus.PROVEN
    return {holder for holder, proven in holders.items() if proven}


@dataclass(slots=True)
class ReserveStatus:
    """What the watcher last established; a :class:`~collector.metrics.MetricSource`.

    Labels are bounded: ``operation`` and ``holder`` take only configured operation, case and
    custody names (and, for source unattributed, the empty holder of coins never seen
    arriving); ``source``, ``role``, ``destination`` and ``reason`` a handful of fixed
    values."""

    operation_ids: tuple[str, ...]
    received_sat: dict[str, int] = field(default_factory=dict)
    tip_height: int | None = None
    holdings: Holdings | None = None
    watched: dict[str, int] = field(default_factory=dict)  # addresses per wallet role
    holders: frozenset[str] = frozenset()  # the configured holders (labels)
    proofs: list[WalletProof] = field(default_factory=list)
    # outputs the source gave an "address" that is none on the chain, each counted once
    bad_address_outputs: set[tuple[str, int]] = field(default_factory=set)

    @classmethod
    def for_book(cls, operation_ids: Iterable[str], book: WalletBook) -> ReserveStatus:
        return cls(tuple(operation_ids), holders=frozenset(w.holder for w in book.wallets))

    def metric_families(self) -> Iterable[Metric]:
        unparseable = family("reservewatch_reserve_unparseable_outputs")
        unparseable.add_metric(["bad_address"], float(len(self.bad_address_outputs)))
        yield unparseable
        if self.tip_height is None:
            return  # nothing established yet: absent, not zero
        received = family("reservewatch_reserve_received_btc_total")
        for operation_id in self.operation_ids:
            sat = self.received_sat.get(operation_id, 0)
            received.add_metric([operation_id], sat_to_btc(sat))
        yield received
        watched = family("reservewatch_reserve_addresses_watched")
        for role in ROLES:
            watched.add_metric([role], float(self.watched.get(role, 0)))
        yield watched
        proven = family("reservewatch_reserve_wallet_proven")
        standing = proven_holders(self.proofs)
        for holder_role, holder in sorted({(p.role, p.holder) for p in self.proofs}):
            proven.add_metric([holder_role, holder], 1.0 if holder in standing else 0.0)
        yield proven
        if self.holdings is None:
            return
        h = self.holdings
        balance = family("reservewatch_reserve_balance_btc")
        for (source, holder), sat in sorted(h.by_source.items()):
            if holder in self.holders or (source, holder) == ("unattributed", UNKNOWN_HOLDER):
                balance.add_metric([source, holder], sat_to_btc(sat))
        yield balance
        wallets = family("reservewatch_reserve_wallet_balance_btc")
        for (wallet_role, holder), sat in sorted(h.by_wallet.items()):
            if holder in self.holders:
                wallets.add_metric([wallet_role, holder], sat_to_btc(sat))
        yield wallets
        unapproved = [m for m in h.movements if m.unapproved_sat]
        count = family("reservewatch_reserve_unapproved_outflows")
        for reason in UNAPPROVED_REASONS:  # every reason, 0 until one happens
            count.add_metric([reason], float(sum(reason in m.reasons for m in unapproved)))
        yield count
        outflow = family("reservewatch_reserve_outflow_btc")
        outflow.add_metric(["custody"], sat_to_btc(sum(m.to_custody_sat for m in h.movements)))
        outflow.add_metric(["unapproved"], sat_to_btc(sum(m.unapproved_sat for m in unapproved)))
        yield outflow


@dataclass(slots=True)
class Recheck:
    """What asking the backend again about recent outputs established — the re-org rule, once
    for both backends: an output whose transaction the chain no longer knows (re-organised
    out, or replaced before confirming) is marked removed and stops counting; one still known
    takes its new status (confirmed in another block, back in the mempool)."""

    moved: list[ReserveOutputRecord] = field(default_factory=list)
    removed: list[tuple[str, int]] = field(default_factory=list)

    def gone(self, txid: str, outputs: Iterable[ReserveOutputRecord]) -> None:
        log.info("reserve tx %s is no longer known: marking its outputs removed", txid)
        self.removed.extend((o.txid, o.vout) for o in outputs)

    async def save(self, store: Store) -> None:
        await store.upsert_reserve_outputs(self.moved)
        await store.mark_outputs_removed(self.removed)
