"""The reserve's families, in one table: what the watcher watches (what its job last
published) and the reserve's figures of the accounts' last snapshot, in the order they have
always been exposed.

Labels are bounded: ``operation`` and ``holder`` take only configured operation, case and
custody names (and, for source unattributed, the empty holder of coins never seen arriving);
``source``, ``role``, ``destination``, ``reason``, ``age`` and a case's ``state`` a handful of
fixed values.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Final

from collector.accounts.reserve import ReserveFigures, proven_holders
from collector.accounts.snapshot import SnapshotHolder
from collector.bitcoin.wallets import ROLES
from collector.metrics.contract import SPECS, Metric, family
from collector.sources.reserve import ReserveWatched
from remittance.cases import CASE_STATES, HELD_APART
from remittance.money import sat_to_btc
from remittance.reserve import UNAPPROVED_REASONS, UNKNOWN_HOLDER
from remittance.reserve_patterns import DESTINATION_AGES, EXPOSURE_REASONS


class ReserveMetrics:
    """A :class:`~collector.metrics.MetricSource`: what the watcher watches (``watched``, what
    its job last published, ``None`` before its first poll) and the reserve figures of
    ``accounts``' last snapshot (none before a pass computed them), for the configured
    ``operation_ids`` and wallet ``holders``."""

    NAMES: Final = tuple(
        name
        for name in SPECS
        if name.startswith("reservewatch_reserve_")
        and not name.startswith("reservewatch_reserve_value_")
    )

    def __init__(
        self,
        watched: Callable[[], ReserveWatched | None],
        accounts: SnapshotHolder,
        *,
        operation_ids: Iterable[str],
        holders: Iterable[str],
    ) -> None:
        self._watched = watched
        self._accounts = accounts
        self._operation_ids = tuple(operation_ids)
        self._holders = frozenset(holders)

    def metric_families(self) -> Iterator[Metric]:
        watched = self._watched()
        unparseable = family("reservewatch_reserve_unparseable_outputs")
        bad_address = 0 if watched is None else watched.unparseable_outputs
        unparseable.add_metric(["bad_address"], float(bad_address))
        yield unparseable
        if watched is None:
            return  # the watcher has established nothing since start: absent, not zero
        snapshot = self._accounts.snapshot
        figures = None if snapshot is None else snapshot.reserve
        if figures is not None:
            received = family("reservewatch_reserve_received_btc_total")
            for operation_id in self._operation_ids:
                sat = figures.received_sat.get(operation_id, 0)
                received.add_metric([operation_id], sat_to_btc(sat))
            yield received
        addresses = family("reservewatch_reserve_addresses_watched")
        for role in ROLES:
            addresses.add_metric([role], float(watched.watched.get(role, 0)))
        yield addresses
        if figures is None:
            return
        yield from _figures(figures, self._holders)


def _figures(figures: ReserveFigures, holders: frozenset[str]) -> Iterator[Metric]:
    proven = family("reservewatch_reserve_wallet_proven")
    standing = proven_holders(figures.proofs)
    wallets_known = sorted({(p.role, p.holder) for p in figures.proofs})  # every wallet
    for holder_role, holder in wallets_known:
        proven.add_metric([holder_role, holder], 1.0 if holder in standing else 0.0)
    yield proven
    expiry = family("reservewatch_reserve_wallet_proof_expiry_timestamp_seconds")
    for holder_role, holder in wallets_known:
        ends = [p.expires_at for p in figures.proofs if p.holder == holder]
        if ends and all(end is not None for end in ends):  # every address proved once
            expiry.add_metric([holder_role, holder], min(e.timestamp() for e in ends if e))
    yield expiry
    h = figures.holdings
    balance = family("reservewatch_reserve_balance_btc")
    for (source, holder), sat in sorted(h.by_source.items()):
        if holder in holders or (source, holder) == ("unattributed", UNKNOWN_HOLDER):
            balance.add_metric([source, holder], sat_to_btc(sat))
    yield balance
    wallets = family("reservewatch_reserve_wallet_balance_btc")
    # Every configured wallet, 0 when empty: a gauge that vanished at zero read as "no data".
    held: dict[tuple[str, str], int] = dict.fromkeys(wallets_known, 0)
    held.update({(str(role), holder): sat for (role, holder), sat in h.by_wallet.items()})
    for (wallet_role, holder), sat in sorted(held.items()):
        if holder in holders:
            wallets.add_metric([wallet_role, holder], sat_to_btc(sat))
    yield wallets
    unapproved = [m for m in h.movements if m.unapproved_sat]
    count = family("reservewatch_reserve_unapproved_outflows")
    for reason in UNAPPROVED_REASONS:  # every reason, 0 until one happens
        count.add_metric([reason], float(sum(reason in m.reasons for m in unapproved)))
    yield count
    yield from _patterns(figures, wallets_known, holders)
    outflow = family("reservewatch_reserve_outflow_btc")
    outflow.add_metric(["custody"], sat_to_btc(sum(m.to_custody_sat for m in h.movements)))
    outflow.add_metric(["released"], sat_to_btc(sum(m.released_sat for m in h.movements)))
    outflow.add_metric(["unapproved"], sat_to_btc(sum(m.unapproved_sat for m in unapproved)))
    outflow.add_metric(["refund"], sat_to_btc(sum(m.refunded_sat for m in h.movements)))
    yield outflow
    yield from _cases(figures)


def _patterns(
    figures: ReserveFigures, wallets_known: list[tuple[str, str]], holders: frozenset[str]
) -> Iterator[Metric]:
    """The two sovereign patterns (:mod:`remittance.reserve_patterns`), every wallet and
    reason and every age present, 0 until one happens."""
    exposed = family("reservewatch_reserve_exposed_balance_btc")
    resting: dict[tuple[str, str, str], int] = {}
    for found in figures.exposed:
        for reason in found.reasons:
            key = (found.role, found.holder, reason)
            resting[key] = resting.get(key, 0) + found.balance_sat
    for wallet_role, holder in wallets_known:
        if holder in holders:
            for reason in EXPOSURE_REASONS:
                sat = resting.get((wallet_role, holder, reason), 0)
                exposed.add_metric([wallet_role, holder, reason], sat_to_btc(sat))
    yield exposed
    destinations = family("reservewatch_reserve_outflow_destinations")
    for age in DESTINATION_AGES:
        destinations.add_metric([age], float(sum(d.age == age for d in figures.destinations)))
    yield destinations


def _cases(figures: ReserveFigures) -> Iterator[Metric]:
    apart = family("reservewatch_reserve_seized_pending_btc")
    state = family("reservewatch_reserve_case_state")
    for case, standing in sorted(figures.cases.items()):
        for held in HELD_APART:  # every case and state, 0 when none: never vanishing
            apart.add_metric([held, case], sat_to_btc(figures.apart.get((held, case), 0)))
        for name in CASE_STATES:
            state.add_metric([name, case], 1.0 if name == standing.state else 0.0)
    yield apart
    yield state
