"""Everything the money rules need, read from the store in one pass: as last seen or as
known at an instant."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from collector.accounts.journal import Journal, read_journal
from collector.accounts.pool_days import daily_hashrates, no_history_before
from collector.accounts.reserve import proven_holders, wallet_proofs
from collector.config.model import Config
from collector.config.wallets import wallet_book
from collector.store.queries import Store
from collector.store.records import ReserveOutputRecord
from remittance.journal import JournalKind, Outpoint
from remittance.ledger import ReserveOutput, confirmations
from remittance.money import measured_decimal
from remittance.obligations import (
    DailyEarning,
    DailyNetwork,
    DailyPoolHashrate,
    Income,
)


@dataclass(frozen=True, slots=True)
class Inputs:
    """Everything the money rules need, as read from the store in one pass."""

    earnings: Mapping[str, list[DailyEarning]]
    hashrates: Mapping[str, list[DailyPoolHashrate]]
    network: list[DailyNetwork]
    outputs: Mapping[str, list[ReserveOutput]]
    pool_hashrate_hs: Mapping[str, float]
    network_hashrate_hs: float | None
    # Per operation, every address whose payments count: fixed ones and those its descriptor
    # derives (as far as the watcher derived them); the configured ones when absent.
    reserve_addresses: Mapping[str, frozenset[str]] = field(default_factory=dict)
    failed: Mapping[str, tuple[str, str]] = field(default_factory=dict)
    """Operations whose inputs cannot be attributed (:func:`overlap_failures`): (reason,
    message), one of :data:`collector.accounts.compute.STALE_REASONS`."""
    # Per operation, the day before which a missing pool hash rate is one no pool publishes
    # (an OCEAN account before the collector's first sample of it): pool_days.no_history_before.
    no_pool_history_before: Mapping[str, date] = field(default_factory=dict)
    # The regulator's journal recorded by then, verified, and the stored outputs its
    # reassignments name (whichever operation they were paid to).
    journal: Journal = field(default_factory=Journal)
    reassigned_outputs: tuple[ReserveOutput, ...] = ()


async def read_inputs(
    store: Store,
    config: Config,
    as_of: datetime | None = None,
    operation_id: str | None = None,
    *,
    stored: Sequence[ReserveOutputRecord] | None = None,
) -> Inputs:
    """Read every operation's inputs (or only ``operation_id``'s) with one query per table: as
    last seen or, with ``as_of``, as known at that instant (each input's latest revision
    observed by then, and confirmations counted from the best tip known then). ``stored``:
    every stored output as known then (:func:`collector.accounts.reserve.stored_outputs`) when
    the pass has read them already for the reserve's figures; their confirmed remittances are
    the payments."""
    earnings: defaultdict[str, list[DailyEarning]] = defaultdict(list)
    pool_names: dict[tuple[str, str], str] = {}  # one "kind/account" string per pool account
    windows = {
        (op.id, p.kind, p.account): p
        for op in config.operations
        for p in op.pools
        if p.effective_from is not None or p.until is not None
    }
    for e in await store.earnings(operation_id, as_of=as_of):
        window = windows.get((e.operation_id, e.pool_kind, e.account)) if windows else None
        if window is not None and not window.in_force(e.day):
            continue  # a configured account counts on its own days only
        pool = pool_names.get((e.pool_kind, e.account))
        if pool is None:
            pool = pool_names[e.pool_kind, e.account] = f"{e.pool_kind}/{e.account}"
        earnings[e.operation_id].append(
            DailyEarning(e.operation_id, pool, e.day, e.amount_sat, Income(e.income))
        )
    hashrates = daily_hashrates(config, await store.pool_hashrate_days(operation_id, as_of=as_of))
    network_days = await store.network_days(as_of=as_of)
    network = [
        DailyNetwork(
            d.day,
            d.blocks,
            d.rewards_sat,
            measured_decimal(d.hashrate_hs) or d.hashrate_hs,
            complete=d.complete,
        )
        for d in network_days
    ]
    # Confirmations count from the configured chain's tip only: a leftover tip of another
    # chain (a testnet run against the same store) must never confirm a mainnet output.
    tip = await store.chain_tip(config.network.chain, as_of=as_of)
    tip_height = tip.height if tip is not None else None
    outputs: defaultdict[str, list[ReserveOutput]] = defaultdict(list)
    # Remittances only: the reserve's own movements (change, consolidation) pay nothing in.
    remittances = await _remittances(store, operation_id, as_of, stored)
    book = wallet_book(config)
    book.learn(o.address for o in remittances)
    for o in remittances:  # paid where a node's wallet watches, past the gap walk's reach
        if o.role == "reserve" and o.address not in book and o.operation_id:
            book.derived_by(o.operation_id, o.address)
    overlaps = book.overlaps
    failed = overlap_failures(overlaps)
    unproven: set[str] = set()
    if config.reserve.require_proof:
        # Until its wallet's control is proven, what an operation pays there counts nothing.
        # Once shown, control stands here: an expired proof is stale on the page and in the
        # metric, but does not undo payments the ledger already counted.
        rows = await wallet_proofs(store, book, config.reserve.proof_max_age_blocks, as_of=as_of)
        unproven = {r.holder for r in rows} - proven_holders(rows)
    for o in remittances:
        if o.role != "reserve" or o.operation_id in unproven or o.address in overlaps:
            continue  # paid to a case, to custody, to a wallet not yet proven, or to two
        outputs[o.operation_id].append(_output(o, tip_height))
    journal = await read_journal(store, config, as_of)
    moved = {
        e.outpoint for e in journal.entries if e.kind is JournalKind.REASSIGNMENT and e.outpoint
    }
    if moved and operation_id is not None:  # paid to another operation: not read above
        remittances = await _remittances(store, None, as_of, stored)
    reassigned = tuple(
        _output(o, tip_height) for o in remittances if _outpoint(o.txid, o.vout) in moved
    )
    pool_hashrate: defaultdict[str, float] = defaultdict(float)
    for status in await store.pool_statuses():
        pool_hashrate[status.operation_id] += status.hashrate_hs
    return Inputs(
        earnings=earnings,
        hashrates=hashrates,
        network=network,
        outputs=outputs,
        pool_hashrate_hs=pool_hashrate,
        network_hashrate_hs=network_days[-1].hashrate_hs if network_days else None,
        reserve_addresses={op.id: book.addresses_of(op.id) for op in config.operations},
        failed=failed,
        no_pool_history_before=no_history_before(
            config, await store.first_hashrate_samples(operation_id, as_of=as_of)
        ),
        journal=journal,
        reassigned_outputs=reassigned,
    )


async def _remittances(
    store: Store,
    operation_id: str | None,
    as_of: datetime | None,
    stored: Sequence[ReserveOutputRecord] | None,
) -> Sequence[ReserveOutputRecord]:
    """The confirmed remittances (of ``operation_id`` only, if given): from ``stored`` when
    the pass read them already, else read."""
    if stored is None:
        return await store.reserve_outputs(
            operation_id, statuses=("confirmed",), kinds=("remittance",), as_of=as_of
        )
    return [
        o
        for o in stored
        if o.status == "confirmed"
        and o.kind == "remittance"
        and (operation_id is None or o.operation_id == operation_id)
    ]


def _outpoint(txid: str, vout: int) -> Outpoint:
    return (txid, vout)


def _output(o: ReserveOutputRecord, tip_height: int | None) -> ReserveOutput:
    return ReserveOutput(
        o.txid,
        o.vout,
        o.address,
        o.amount_sat,
        o.block_height,
        o.block_time,
        confirmations(o.block_height, tip_height),
    )


def overlap_failures(
    overlaps: Mapping[str, frozenset[tuple[str, str]]],
) -> dict[str, tuple[str, str]]:
    """The operations whose reserve wallet derives an address another wallet derives too:
    operation -> (``wallet_overlap``, what to fix). Their accounts are not computed (a
    payment there could be either's); every other operation's are."""
    failed: dict[str, tuple[str, str]] = {}
    for address, holders in sorted(overlaps.items()):
        for role, holder in sorted(holders):
            if role != "reserve" or holder in failed:
                continue
            others = ", ".join(f"{r} {h}" for r, h in sorted(holders) if h != holder)
            failed[holder] = (
                "wallet_overlap",
                f"reserve address {address} of operation {holder} is derived by {others} "
                "too (beyond the addresses check-config derives): give each wallet its own keys",
            )
    return failed
