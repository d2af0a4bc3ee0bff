"""The reserve's figures as of an instant, computed in the accounts' pass from the store:
what each operation's payments to the reserve received, the holdings by source and wallet with
every movement (the custody alarm's outflows among them), and each wallet's proof of control.

The chain jobs only store what they see (outputs, spends) and report what they watch; these
figures are computed here, once, for the live pass and for documents as of an instant alike.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Final

from collector.accounts.cases import known_cases
from collector.accounts.journal import read_journal
from collector.bitcoin.wallets import ROLES, WalletBook
from collector.config.model import Config
from collector.config.sections import ReserveConfig
from collector.config.wallets import wallet_book
from collector.store.queries import Store
from collector.store.records import ChainTipRecord, ReserveOutputRecord, confirmations
from remittance.cases import CaseState, Standing, approve_releases, legal_holdings, standings
from remittance.journal import reassignments, refund_outpoints
from remittance.money import btc_to_sat, sat_to_btc_text
from remittance.proofs import ProofStatus, RegisteredProof, expires_at, latest_proofs
from remittance.reserve import Coin, Holdings, holdings
from remittance.reserve_patterns import (
    ExposedAddress,
    OutflowDestination,
    exposed_addresses,
    outflow_destinations,
)

log = logging.getLogger(__name__)


def received_sat(
    outputs: Iterable[ReserveOutputRecord], tip_height: int, min_confirmations: int
) -> dict[str, int]:
    """Per operation, satoshis in confirmed outputs with ``min_confirmations`` or more."""
    totals: dict[str, int] = {}
    for output in outputs:
        if confirmations(output, tip_height) >= min_confirmations:
            totals[output.operation_id] = totals.get(output.operation_id, 0) + output.amount_sat
    return totals


_COIN_ROLES = frozenset((*ROLES, "outside"))


def coin_of(output: ReserveOutputRecord) -> Coin:
    role = output.role if output.role in _COIN_ROLES else "outside"
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
    store: Store,
    tip_height: int | None,
    min_confirmations: int,
    *,
    as_of: datetime | None = None,
    refunds: frozenset[tuple[str, int]] = frozenset(),
) -> Holdings:
    """The reserve's holdings from the store (as known at ``as_of``, or now): inflows count
    once confirmed ``min_confirmations`` deep, the reserve's own transactions at once;
    ``refunds``: outflows the regulator's journal approved as refunds."""
    coins, spends = await _coins_and_spends(store, as_of=as_of)
    return _held(coins, spends, tip_height, min_confirmations, refunds)


STORED_STATUSES: Final = ("mempool", "confirmed", "removed")
"""Every status a stored output can be in: the reserve's figures walk them all."""


async def stored_outputs(
    store: Store, *, as_of: datetime | None = None
) -> list[ReserveOutputRecord]:
    """Every stored output of the reserve's kinds, in any status (as known at ``as_of``, or
    now): one read serves a pass's inputs (their confirmed remittances,
    :func:`collector.accounts.inputs.read_inputs`) and the reserve's figures alike, so the two
    never see the chain at different moments (and a restart reads 73,000 outputs once, not
    twice: ~0.5 s at 100 operations x 2 years)."""
    return await store.reserve_outputs(statuses=STORED_STATUSES, as_of=as_of)


async def _coins_and_spends(
    store: Store,
    *,
    as_of: datetime | None,
    outputs: Sequence[ReserveOutputRecord] | None = None,
) -> tuple[list[tuple[ReserveOutputRecord, Coin]], list[tuple[str, str, int]]]:
    if outputs is None:
        outputs = await stored_outputs(store, as_of=as_of)
    spends = await store.reserve_spends(as_of=as_of)
    return [(o, coin_of(o)) for o in outputs], [(s.txid, s.prev_txid, s.prev_vout) for s in spends]


def _held(
    coins: Sequence[tuple[ReserveOutputRecord, Coin]],
    spends: Sequence[tuple[str, str, int]],
    tip_height: int | None,
    min_confirmations: int,
    refunds: frozenset[tuple[str, int]] = frozenset(),
) -> Holdings:
    counted = [
        (o.txid, o.vout)
        for o, _ in coins
        if o.kind == "remittance"
        and tip_height is not None
        and confirmations(o, tip_height) >= min_confirmations
    ]
    return holdings([c for _, c in coins], spends, counted=counted, refunds=refunds)


@dataclass(frozen=True, slots=True)
class WalletProof:
    """Whether one wallet's control is proven, by the proof of one of its addresses: the
    proof that gives the status (``None``: none registered), and when it expires."""

    role: str
    holder: str
    address: str
    status: ProofStatus
    proof: RegisteredProof | None = None
    expires_at: datetime | None = None  # of a proof that proved: stale from then on

    @property
    def registered_at(self) -> datetime | None:
        return None if self.proof is None else self.proof.registered_at


def proof_rules(reserve: ReserveConfig) -> tuple[int, timedelta]:
    """The proof rule's two ages: blocks at registration, days since registration."""
    return reserve.proof_max_age_blocks, timedelta(days=reserve.proof_max_age_days)


async def wallet_proofs(
    store: Store,
    book: WalletBook,
    max_age_blocks: int,
    *,
    as_of: datetime | None = None,
    max_age: timedelta | None = None,
) -> list[WalletProof]:
    """Each address that stands for a wallet's control (:meth:`WalletBook.proof_addresses`)
    and its proof's status as registered by ``as_of`` (or now), stale at ``as_of`` once
    older than ``max_age`` (without ``max_age``: control once shown stands)."""
    return wallet_proofs_of(
        book, await store.proofs(), max_age_blocks, as_of=as_of, max_age=max_age
    )


def wallet_proofs_of(
    book: WalletBook,
    proofs: Sequence[RegisteredProof],
    max_age_blocks: int,
    *,
    as_of: datetime | None = None,
    max_age: timedelta | None = None,
) -> list[WalletProof]:
    """:func:`wallet_proofs` from the proofs registered (read from the store)."""
    rows: list[WalletProof] = []
    for wallet, address in book.proof_addresses():
        status, proof = latest_proofs(address, proofs, max_age_blocks, as_of=as_of, max_age=max_age)
        proved = proof is not None and status in (ProofStatus.PROVEN, ProofStatus.STALE)
        expiry = expires_at(proof, max_age) if proved and proof and max_age else None
        rows.append(WalletProof(wallet.role, wallet.holder, address, status, proof, expiry))
    return rows


def proven_holders(rows: Iterable[WalletProof]) -> set[str]:
    """Holders every one of whose proof addresses is proven."""
    holders: dict[str, bool] = {}
    for row in rows:
        holders[row.holder] = holders.get(row.holder, True) and row.status is ProofStatus.PROVEN
    return {holder for holder, proven in holders.items() if proven}


@dataclass(frozen=True, slots=True)
class ReserveFigures:
    """The reserve as the store knew it at an instant, on the best tip known then: the
    holdings the law counts (seized cases' coins only once forfeited; releases to their
    ordered destination not unapproved) and the cases' coins held apart, with every case's
    standing (:mod:`remittance.cases`); and the two sovereign patterns
    (:mod:`remittance.reserve_patterns`): balances resting on reused or exposed-key addresses,
    and how new each outflow's destination was."""

    tip_height: int
    received_sat: Mapping[str, int]  # per operation, in confirmed remittances
    holdings: Holdings
    proofs: tuple[WalletProof, ...]
    exposed: tuple[ExposedAddress, ...] = ()
    destinations: tuple[OutflowDestination, ...] = ()
    apart: Mapping[tuple[CaseState, str], int] = field(default_factory=dict)
    cases: Mapping[str, Standing] = field(default_factory=dict)


Patterns = tuple[tuple[ExposedAddress, ...], tuple[OutflowDestination, ...]]


def _legal_figures(
    reserve: ReserveConfig,
    tip_height: int,
    parts: _ChainParts,
    proofs: tuple[WalletProof, ...],
    instant: datetime,
) -> ReserveFigures:
    """The figures with the cases' legal states at ``instant`` (``reserve``'s, the imported
    ones merged: :func:`collector.accounts.cases.known_cases`) applied to what the chain's
    facts give (``parts``)."""
    histories = reserve.case_histories()
    legal = legal_holdings(approve_releases(parts.held, histories, instant), histories, instant)
    exposed, destinations = parts.patterns
    return ReserveFigures(
        tip_height,
        parts.received,
        legal.counted,
        proofs,
        exposed=exposed,
        destinations=destinations,
        apart=legal.apart,
        cases=standings(histories, instant),
    )


async def reserve_figures(
    store: Store,
    config: Config,
    *,
    as_of: datetime | None = None,
    now: datetime | None = None,
    outputs: Sequence[ReserveOutputRecord] | None = None,
) -> ReserveFigures | None:
    """The reserve's figures as last seen or, with ``as_of``, as known then; ``None`` while
    no tip of the configured chain is known (nothing is established yet). Proofs are judged
    at ``as_of`` (or ``now``: the live pass's instant), stale once expired. ``outputs``: the
    :func:`stored_outputs` as known then, when the caller has read them already."""
    tip = await store.chain_tip(config.network.chain, as_of=as_of)
    if tip is None:
        return None
    parts = await _chain_parts(store, config, tip.height, as_of=as_of, outputs=outputs)
    proofs = await _proofs(store, config, as_of=as_of, now=now)
    reserve = await known_cases(store, config.reserve, as_of)
    return _legal_figures(reserve, tip.height, parts, proofs, as_of or now or tip.observed_at)


@dataclass(frozen=True, slots=True)
class _ChainParts:
    received: dict[str, int]
    held: Holdings
    patterns: Patterns


async def _chain_parts(
    store: Store,
    config: Config,
    tip_height: int,
    *,
    as_of: datetime | None,
    outputs: Sequence[ReserveOutputRecord] | None = None,
) -> _ChainParts:
    """What the chain's stored facts give, with the regulator's journal as known at ``as_of``
    applied: received per operation, holdings, patterns."""
    reserve = config.reserve
    # One read of every stored output serves the received totals and the holdings (a second
    # read of the confirmed remittances alone cost a restart ~1 s at 73,000 outputs).
    coins, spends = await _coins_and_spends(store, as_of=as_of, outputs=outputs)
    journal = await read_journal(store, config, as_of)
    moved = reassignments(journal.entries, as_of)  # a payment counts for whom the journal says
    received = received_sat(
        (
            replace(o, operation_id=moved[o.txid, o.vout][1]) if (o.txid, o.vout) in moved else o
            for o, _ in coins
            if o.status == "confirmed" and o.kind == "remittance" and o.role == "reserve"
        ),
        tip_height,
        reserve.confirmations,
    )
    refunds = refund_outpoints(journal.entries, as_of)
    held = _held(coins, spends, tip_height, reserve.confirmations, refunds)
    exposed = exposed_addresses(
        [c for _, c in coins], spends, btc_to_sat(reserve.exposed_balance_threshold_btc)
    )
    histories = await store.destination_histories(as_of=as_of)
    window = timedelta(days=reserve.new_destination_days)
    destinations = outflow_destinations(held.movements, histories, window)
    return _ChainParts(received, held, (exposed, destinations))


async def _proofs(
    store: Store, config: Config, *, as_of: datetime | None, now: datetime | None
) -> tuple[WalletProof, ...]:
    max_age_blocks, max_age = proof_rules(config.reserve)
    return tuple(
        await wallet_proofs(
            store, wallet_book(config), max_age_blocks, as_of=as_of or now, max_age=max_age
        )
    )


@dataclass(frozen=True, slots=True)
class ChainFacts:
    """What the live pass reads of the chain's stored facts, once (:func:`chain_facts`): the
    tip, the version the facts were at, and every stored output (:func:`stored_outputs`)."""

    tip: ChainTipRecord | None
    version: tuple[object, ...]
    outputs: list[ReserveOutputRecord]


async def chain_facts(store: Store, config: Config) -> ChainFacts:
    """The chain's stored facts for one live pass: their version first, then the outputs (a
    fact stored between the two reads moves the version again, so the next pass reads it;
    never the other way round, which would keep figures older than their version)."""
    tip = await store.chain_tip(config.network.chain)
    version = (
        None if tip is None else tip.height,
        await store.reserve_facts_version(),
        await store.journal_version(),
    )
    return ChainFacts(tip, version, await stored_outputs(store))


class LiveReserve:
    """The live pass's reserve figures. The received totals and the holdings (a walk over every
    stored output: seconds at 100 operations x 2 years) are computed again only when the tip or
    the stored outputs and spends changed since the last pass; the proofs, whose standing
    follows the clock, every pass."""

    def __init__(self) -> None:
        self._key: tuple[object, ...] | None = None
        self._parts: _ChainParts | None = None
        self._logged: set[tuple[str, ...]] = set()  # each finding once a run

    def _log_patterns(self, parts: _ChainParts) -> None:
        """Name the addresses behind the patterns' metrics (which carry no address label):
        each one once a run, when first found."""
        exposed, destinations = parts.patterns
        for found in exposed:
            key = ("exposed", found.address, *found.reasons)
            if key not in self._logged:
                self._logged.add(key)
                log.warning(
                    "reserve: %s BTC rests on %s of %s wallet %s, %s",
                    sat_to_btc_text(found.balance_sat), found.address, found.role, found.holder,
                    " and ".join(found.reasons),
                )  # fmt: skip
        for destination in destinations:
            key = ("destination", destination.txid, destination.address)
            if destination.age == "new" and key not in self._logged:
                self._logged.add(key)
                first = destination.first_seen
                log.warning(
                    "reserve: tx %s paid %s BTC to %s, first seen on the chain %s",
                    destination.txid, sat_to_btc_text(destination.amount_sat),
                    destination.address, first.isoformat() if first else "in the mempool",
                )  # fmt: skip

    async def read(
        self, store: Store, config: Config, now: datetime, facts: ChainFacts | None = None
    ) -> ReserveFigures | None:
        """The figures at ``now`` from ``facts`` (read now when not given)."""
        if facts is None:
            facts = await chain_facts(store, config)
        if facts.tip is None:
            return None
        if facts.version != self._key or self._parts is None:
            self._parts = await _chain_parts(
                store, config, facts.tip.height, as_of=None, outputs=facts.outputs
            )
            self._key = facts.version
            self._log_patterns(self._parts)
        proofs = await _proofs(store, config, as_of=None, now=now)
        reserve = await known_cases(store, config.reserve, None)  # the cases' states imported
        return _legal_figures(reserve, facts.tip.height, self._parts, proofs, now)
