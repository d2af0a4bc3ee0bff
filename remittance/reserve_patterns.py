"""Two patterns seen in public sovereign reserves, each worth an alert of its own.

**A large balance resting on a reused or exposed-key address.** An address that has spent has
shown its public key on the chain (in the spending input's witness or script), and an address
paid more than once links its payers and tells the world what it holds; coins left resting on
either are what a custodian's key policy (a fresh address per receipt, change to a fresh
address, nothing left behind a spent key) exists to avoid. :func:`exposed_addresses` lists
each watched address that is reused (received in two transactions or more) or exposed
(a coin of it was spent) and still holds more than a threshold in confirmed, unspent coins.

**An outflow to an address first seen recently.** Coins leaving the reserve for an address
that appeared on the chain only days before (or in that very transaction) is how an
over-the-counter sale usually begins: the buyer's desk gives a fresh deposit address. Every
outflow to an address outside the reserve's wallets is already unapproved; this names the
ones whose destination is new. :func:`outflow_destinations` judges each destination from
what the chain source could read of its history (:class:`DestinationHistory`): its oldest
transaction found, and whether the history was read to its start.

Pure: coins, spends and histories in, findings out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from remittance.reserve import Coin, Movement, live_spends

__all__ = [
    "DESTINATION_AGES",
    "EXPOSURE_REASONS",
    "DestinationAge",
    "DestinationHistory",
    "ExposedAddress",
    "ExposureReason",
    "OutflowDestination",
    "exposed_addresses",
    "outflow_destinations",
]

ExposureReason = Literal["reused", "exposed_key"]
EXPOSURE_REASONS: tuple[ExposureReason, ...] = ("reused", "exposed_key")
DestinationAge = Literal["new", "established", "unknown"]
DESTINATION_AGES: tuple[DestinationAge, ...] = ("new", "established", "unknown")


@dataclass(frozen=True, slots=True)
class ExposedAddress:
    """A watched address holding more than the threshold, and why it should not: ``reused``
    (paid by ``receipts`` transactions), ``exposed_key`` (one of its coins was spent)."""

    role: str
    holder: str
    address: str
    balance_sat: int
    receipts: int
    reasons: tuple[ExposureReason, ...]


def exposed_addresses(
    coins: Iterable[Coin], spends: Iterable[tuple[str, str, int]], threshold_sat: int
) -> tuple[ExposedAddress, ...]:
    """Every watched address that is reused or has spent and still holds more than
    ``threshold_sat`` in confirmed coins not spent (a spend in the mempool already counts:
    the coin is on its way out), sorted by role, holder and address.

    A receipt is a live transaction paying the address (mempool or confirmed; a replaced or
    re-organised one is not); a spend counts as :func:`~remittance.reserve.live_spends` says.

    >>> from datetime import UTC, datetime
    >>> def paid(txid, sat, status="confirmed"):
    ...     return Coin(txid * 64, 0, sat, "custody", "vault", "bc1qvault", status)
    >>> [found] = exposed_addresses([paid("a", 300), paid("b", 500)], [], threshold_sat=600)
    >>> found.reasons, found.balance_sat, found.receipts
    (('reused',), 800, 2)
    >>> exposed_addresses([paid("a", 300), paid("b", 500)], [], threshold_sat=800)
    ()
    """
    watched = [c for c in coins if c.role != "outside" and c.address]
    stored_txids = {c.txid for c in watched}
    live_txids = {c.txid for c in watched if c.live}
    spent = live_spends(live_txids, stored_txids, spends)
    receipts: defaultdict[str, set[str]] = defaultdict(set)
    spent_from: set[str] = set()
    balance: defaultdict[str, int] = defaultdict(int)
    owner: dict[str, tuple[str, str]] = {}
    for coin in watched:
        if not coin.live:
            continue
        owner.setdefault(coin.address, (coin.role, coin.holder))
        receipts[coin.address].add(coin.txid)
        if (coin.txid, coin.vout) in spent:
            spent_from.add(coin.address)
        elif coin.status == "confirmed":
            balance[coin.address] += coin.amount_sat
    found: list[ExposedAddress] = []
    for address, (role, holder) in owner.items():
        reasons: list[ExposureReason] = []
        if len(receipts[address]) > 1:
            reasons.append("reused")
        if address in spent_from:
            reasons.append("exposed_key")
        if reasons and balance[address] > threshold_sat:
            found.append(
                ExposedAddress(
                    role, holder, address, balance[address], len(receipts[address]), tuple(reasons)
                )
            )
    return tuple(sorted(found, key=lambda e: (e.role, e.holder, e.address)))


@dataclass(frozen=True, slots=True)
class DestinationHistory:
    """What the chain source read of an outside address's history, when (``observed_at``):
    its oldest confirmed transaction found (``first_txid``, ``first_seen``: that block's time;
    both ``None`` when it had only mempool transactions) and whether the history was read to
    its start (``complete``; otherwise ``first_seen`` is the oldest read, the address may be
    older)."""

    address: str
    first_txid: str | None
    first_seen: datetime | None
    complete: bool
    observed_at: datetime


@dataclass(frozen=True, slots=True)
class OutflowDestination:
    """One address outside every wallet that a reserve transaction paid, and how new it was
    then: ``new`` (first seen on the chain within the window before the outflow, or in it),
    ``established`` (seen before the window), ``unknown`` (its history was not read, or not
    far enough to tell)."""

    txid: str
    address: str
    amount_sat: int
    age: DestinationAge
    first_seen: datetime | None


def outflow_destinations(
    movements: Iterable[Movement],
    histories: Mapping[str, DestinationHistory],
    window: timedelta,
) -> tuple[OutflowDestination, ...]:
    """Each address outside every wallet paid by the reserve's transactions (an address that
    is a wallet's own beyond its gap limit is the reserve's, not a destination), judged against
    ``window`` before the outflow: its block's time, or, while it is in the mempool, when the
    destination's history was read.

    >>> from datetime import UTC, datetime, timedelta
    >>> from remittance.reserve import holdings
    >>> t = datetime(2026, 12, 1, tzinfo=UTC)
    >>> coins = [Coin("a" * 64, 0, 1000, "reserve", "op", "bc1qours", "confirmed", 1, t),
    ...          Coin("b" * 64, 0, 900, "outside", "", "bc1qotc", "confirmed", 2, t)]
    >>> moves = holdings(coins, [("b" * 64, "a" * 64, 0)]).movements
    >>> seen = {"bc1qotc": DestinationHistory("bc1qotc", "c" * 64, t - timedelta(days=2), True, t)}
    >>> [d.age for d in outflow_destinations(moves, seen, timedelta(days=30))]
    ['new']
    """
    found: list[OutflowDestination] = []
    for movement in movements:
        for coin in movement.unapproved:
            if coin.holder or not coin.address:
                continue
            history = histories.get(coin.address)
            first = None if history is None else history.first_seen
            age: DestinationAge
            if history is None:
                age = "unknown"
            elif first is None or first >= (movement.block_time or history.observed_at) - window:
                # Nothing confirmed before, or first seen inside the window: new, unless the
                # history was cut short (the address may be older than what was read).
                age = "new" if history.complete else "unknown"
            else:
                age = "established"
            found.append(
                OutflowDestination(movement.txid, coin.address, coin.amount_sat, age, first)
            )
    return tuple(found)
