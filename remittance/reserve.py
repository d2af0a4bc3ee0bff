"""The reserve's holdings by source, traced through its own transactions.

Every coin the reserve holds came from somewhere: remitted by an operation (``mined``), seized
in a case (``seized``), or sent to a custody wallet from outside the reserve (``unattributed``).
Coins keep their source when the reserve moves them (to custody, to change, in a
consolidation). The rules, stated in every report and on the public page (:data:`RULE`,
:data:`HOLDINGS_AT_RULE`)::

    A transaction that spends the reserve's coins passes their sources on to its outputs in
    proportion to each output's value; what it pays to an address outside the reserve's
    wallets (or to a wallet's own address beyond its gap limit), and its fee, leave the
    holdings of those sources in the same proportion. A coin the watcher never saw arrive
    that a watched wallet spends is unattributed: its source is unknown and its value is taken
    as what the transaction pays beyond the known coins.

    Holdings at an instant are the confirmed holdings: outputs and spends in blocks timed
    before it. The reserve's own transactions still in the mempool are shown apart, as
    pending, and change the holdings only once in a block.

Satoshis are split by the largest-remainder method, so every satoshi is accounted for once.
Pure: the caller gives every watched output, every output of the reserve's own spending
transactions that left the wallets, and which transaction spent which coin.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

__all__ = [
    "HOLDINGS_AT_RULE",
    "RULE",
    "UNAPPROVED_REASONS",
    "UNKNOWN_HOLDER",
    "Coin",
    "Holdings",
    "Movement",
    "Source",
    "SourceKey",
    "holdings",
    "holdings_at",
    "live_spends",
    "pending",
    "split",
]

RULE = (
    "A transaction that spends the reserve's coins passes their sources on to its outputs in "
    "proportion to each output's value; what it pays to an address outside the reserve's "
    "wallets (or to a wallet's own address beyond its gap limit), and its fee, leave the "
    "holdings of those sources in the same proportion. A coin the watcher never saw arrive "
    "that a watched wallet spends is unattributed: its source is unknown and its value is "
    "taken as what the transaction pays beyond the known coins."
)

HOLDINGS_AT_RULE = (
    "Holdings at an instant are the confirmed holdings: outputs and spends in blocks timed "
    "before it. The reserve's own transactions still in the mempool are shown apart, as "
    "pending, and change the holdings only once in a block."
)

UNKNOWN_HOLDER = ""
"""The holder of the ``unattributed`` source of coins the watcher never saw arrive."""

Source = Literal["mined", "seized", "unattributed"]
SourceKey = tuple[Source, str]  # (source, holder): ("mined", operation id), ("seized", case id)
Role = Literal["reserve", "intake", "custody", "outside"]

SOURCE_OF_ROLE: Mapping[str, Source] = {
    "reserve": "mined",
    "intake": "seized",
    "custody": "unattributed",
}


@dataclass(frozen=True, slots=True)
class Coin:
    """A transaction output the watcher stored: one paying a reserve, intake or custody
    wallet (``role``, ``holder``), or — ``role="outside"`` — one the reserve's own spending
    transaction paid away: ``holder`` empty for an address outside every wallet, or the
    wallet's whose own address (derived from its descriptor) lies beyond its gap limit, past
    the addresses watched. ``status`` is mempool, confirmed or removed."""

    txid: str
    vout: int
    amount_sat: int
    role: Role
    holder: str
    address: str
    status: str
    block_height: int | None = None
    block_time: datetime | None = None

    @property
    def live(self) -> bool:
        return self.status in ("mempool", "confirmed")


UNAPPROVED_REASONS = ("outside", "unknown_coin", "beyond_gap")
"""Why an outflow is unapproved (:attr:`Movement.reasons`)."""


@dataclass(frozen=True, slots=True)
class Movement:
    """One transaction that spent the reserve's coins, and where their value went."""

    txid: str
    status: str
    block_height: int | None
    block_time: datetime | None
    from_wallets: tuple[tuple[Role, str], ...]
    spent_sat: int
    to_custody_sat: int  # to a custody wallet from a reserve or intake wallet
    internal_sat: int  # back to the reserve's wallets otherwise (change, consolidation)
    unapproved_sat: int  # to addresses outside every wallet
    fee_sat: int
    unapproved: tuple[Coin, ...] = ()
    unapproved_by_source: Mapping[SourceKey, int] = field(default_factory=dict)
    unknown_inputs: tuple[tuple[str, int], ...] = ()  # spent coins the watcher never saw
    # Paid outside to a released case's ordered destination (remittance.cases): not unapproved.
    released: tuple[Coin, ...] = ()
    released_sat: int = 0
    released_by_source: Mapping[SourceKey, int] = field(default_factory=dict)
    # Paid outside the wallets as a refund the regulator's journal approved (not unapproved).
    refunded: tuple[Coin, ...] = ()

    @property
    def refunded_sat(self) -> int:
        return sum(coin.amount_sat for coin in self.refunded)

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why it is unapproved, each reason once (none when it is not): ``beyond_gap`` (paid
        to a wallet's own address beyond its gap limit), ``unknown_coin`` (paid outside every
        wallet from coins the watcher never saw arrive: unattributed) or ``outside`` (paid
        outside every wallet)."""
        found: set[str] = set()
        for coin in self.unapproved:
            if coin.holder:
                found.add("beyond_gap")
            else:
                found.add("unknown_coin" if self.unknown_inputs else "outside")
        return tuple(r for r in UNAPPROVED_REASONS if r in found)

    @property
    def destination(self) -> str:
        """``unapproved`` if any of it left the wallets unapproved, ``released`` if it paid a
        released case's ordered destination, ``refund`` if it paid a refund the journal
        approved, ``custody`` if it went to custody, otherwise ``internal``."""
        if self.unapproved_sat:
            return "unapproved"
        if self.released_sat:
            return "released"
        if self.refunded:
            return "refund"
        return "custody" if self.to_custody_sat else "internal"


@dataclass(frozen=True, slots=True)
class Holdings:
    """What the reserve holds now, by source and by wallet, and how it got there."""

    by_source: Mapping[SourceKey, int]
    by_wallet: Mapping[tuple[Role, str], int]
    inflows: tuple[Coin, ...]  # outputs paid in from outside, live, oldest first
    movements: tuple[Movement, ...]  # the reserve's own spending transactions, oldest first
    left_by_source: Mapping[SourceKey, int]  # outflows (unapproved, refunds), fees by source

    @property
    def total_sat(self) -> int:
        return sum(self.by_source.values())


def split(amount: int, weights: Sequence[int]) -> list[int]:
    """``amount`` split in proportion to ``weights``, largest remainder first (ties to the
    earlier weight); the parts always sum to ``amount``.

    >>> split(10, [1, 1, 1])
    [4, 3, 3]
    >>> split(7, [0, 5])
    [0, 7]
    """
    total = sum(weights)
    if total <= 0:
        return [0] * len(weights)
    parts = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(parts)]:
        parts[i] += 1
    return parts


def _order(spenders: Mapping[str, list[tuple[str, int]]]) -> list[str]:
    """Spending transactions in an order where every coin's creator comes before its spender."""
    done: set[str] = set()
    order: list[str] = []

    def visit(txid: str, path: set[str]) -> None:
        if txid in done or txid in path:
            return
        path.add(txid)
        for prev_txid, _ in spenders.get(txid, []):
            if prev_txid in spenders:
                visit(prev_txid, path)
        path.discard(txid)
        done.add(txid)
        order.append(txid)

    for txid in sorted(spenders):
        visit(txid, set())
    return order


def holdings(
    coins: Iterable[Coin],
    spends: Iterable[tuple[str, str, int]],
    *,
    counted: Iterable[tuple[str, int]] | None = None,
    refunds: frozenset[tuple[str, int]] = frozenset(),
) -> Holdings:
    """Trace every live coin's sources.

    Args:
        coins: every stored output (see :class:`Coin`), removed ones included.
        spends: ``(spending txid, spent txid, spent vout)``: which transaction spent which
            watched coin. A spend by a transaction with no live output stored (replaced,
            re-organised out) does not count.
        counted: the external inflows (``(txid, vout)``) that count as held (the caller's rule:
            confirmed deeply enough); all live external inflows when ``None``.
        refunds: outputs paid outside the wallets that the regulator's journal approved as
            refunds: they leave the holdings as any outflow does, listed as refunded, not
            unapproved.
    """
    by_key: dict[tuple[str, int], Coin] = {}
    outputs_of: defaultdict[str, list[Coin]] = defaultdict(list)
    stored_txids: set[str] = set()
    for coin in coins:
        stored_txids.add(coin.txid)
        if coin.live:
            by_key[(coin.txid, coin.vout)] = coin
            outputs_of[coin.txid].append(coin)
    spent_by = live_spends(outputs_of, stored_txids, spends)
    spenders: defaultdict[str, list[tuple[str, int]]] = defaultdict(list)
    for key, txid in spent_by.items():
        spenders[txid].append(key)
    counted_set = None if counted is None else set(counted)

    composition: dict[tuple[str, int], dict[SourceKey, int]] = {}
    inflows: list[Coin] = []
    for key, coin in by_key.items():
        if coin.txid in spenders or coin.role == "outside":
            continue
        if counted_set is not None and key not in counted_set:
            continue
        composition[key] = {(SOURCE_OF_ROLE[coin.role], coin.holder): coin.amount_sat}
        inflows.append(coin)

    movements: list[Movement] = []
    left: defaultdict[SourceKey, int] = defaultdict(int)
    for txid in _order(spenders):
        spent = [k for k in spenders[txid] if k in composition]
        unknown = tuple(k for k in spenders[txid] if k not in by_key)
        pool: defaultdict[SourceKey, int] = defaultdict(int)
        for k in spent:
            for source, sat in composition[k].items():
                pool[source] += sat
        spent_sat = sum(by_key[k].amount_sat for k in spent)
        outs = sorted(outputs_of.get(txid, []), key=lambda c: c.vout)
        out_sat = sum(c.amount_sat for c in outs)
        known_sat = sum(by_key[k].amount_sat for k in spenders[txid] if k in by_key)
        if unknown and out_sat > known_sat:
            # What the known coins do not cover came from the unknown ones: unattributed.
            pool[("unattributed", UNKNOWN_HOLDER)] += out_sat - known_sat
            spent_sat += out_sat - known_sat
        fee = max(spent_sat - out_sat, 0)
        weights = [c.amount_sat for c in outs] + [fee]
        shares: list[dict[SourceKey, int]] = [{} for _ in weights]
        for source, sat in sorted(pool.items()):
            for i, part in enumerate(split(sat, weights)):
                if part:
                    shares[i][source] = part
        unapproved_by_source: defaultdict[SourceKey, int] = defaultdict(int)
        for coin, share in zip(outs, shares, strict=False):
            if coin.role != "outside":
                composition[(coin.txid, coin.vout)] = share
                continue
            for source, sat in share.items():
                if (coin.txid, coin.vout) in refunds:
                    left[source] += sat  # refunded: left the holdings, approved
                else:
                    unapproved_by_source[source] += sat
        for source, sat in shares[-1].items():
            left[source] += sat
        for source, sat in unapproved_by_source.items():
            left[source] += sat
        wallets = tuple(sorted({(by_key[k].role, by_key[k].holder) for k in spent}))
        from_custody = all(role == "custody" for role, _ in wallets)
        to_custody = sum(c.amount_sat for c in outs if c.role == "custody" and not from_custody)
        outside = tuple(c for c in outs if c.role == "outside")
        refunded = tuple(c for c in outside if (c.txid, c.vout) in refunds)
        outside = tuple(c for c in outside if (c.txid, c.vout) not in refunds)
        unapproved = sum(c.amount_sat for c in outside)
        refunded_sat = sum(c.amount_sat for c in refunded)
        first = outs[0] if outs else None
        movements.append(
            Movement(
                txid=txid,
                status=first.status if first else "confirmed",
                block_height=first.block_height if first else None,
                block_time=first.block_time if first else None,
                from_wallets=wallets,
                spent_sat=spent_sat,
                to_custody_sat=to_custody,
                internal_sat=out_sat - to_custody - unapproved - refunded_sat,
                unapproved_sat=unapproved,
                fee_sat=fee,
                unapproved=outside,
                unapproved_by_source=dict(unapproved_by_source),
                unknown_inputs=unknown,
                refunded=refunded,
            )
        )

    by_source: defaultdict[SourceKey, int] = defaultdict(int)
    by_wallet: defaultdict[tuple[Role, str], int] = defaultdict(int)
    for key, share in composition.items():
        if key in spent_by:
            continue
        coin = by_key[key]
        by_wallet[(coin.role, coin.holder)] += coin.amount_sat
        for source, sat in share.items():
            by_source[source] += sat
    movements.sort(key=_chain_order)
    inflows.sort(key=_chain_order)
    return Holdings(dict(by_source), dict(by_wallet), tuple(inflows), tuple(movements), dict(left))


def live_spends(
    live_txids: Iterable[str] | Mapping[str, object],
    stored_txids: set[str],
    spends: Iterable[tuple[str, str, int]],
) -> dict[tuple[str, int], str]:
    """Which live transaction spent each coin (``(txid, vout)`` -> spending txid), the first
    listed when two claim one. A spend counts when its transaction is live: some output of it
    is stored live (``live_txids``), or (a transaction paying only OP_RETURN) nothing of it is
    stored at all. A coin with no live output stored (history older than the watch, a gap in
    the walk) is unknown: its spending transaction counts all the same, never dropped."""
    live = set(live_txids)
    spent_by: dict[tuple[str, int], str] = {}
    for txid, prev_txid, prev_vout in spends:
        key = (prev_txid, prev_vout)
        if key not in spent_by and (txid in live or txid not in stored_txids):
            spent_by[key] = txid
    return spent_by


def _chain_order(item: Coin | Movement) -> tuple[int, str]:
    height = item.block_height if item.block_height is not None else 1 << 62
    return (height, item.txid)


def holdings_at(
    coins: Iterable[Coin],
    spends: Iterable[tuple[str, str, int]],
    instant: datetime,
    refunds: frozenset[tuple[str, int]] = frozenset(),
) -> Holdings:
    """What the chain showed the reserve holding at ``instant`` (:data:`HOLDINGS_AT_RULE`):
    only outputs and spends in blocks timed before it (a block's own timestamp), each inflow
    counted once in a block. The reserve's own transactions still in the mempool are not
    counted: :func:`pending` lists them."""
    coins = list(coins)
    before = [
        c
        for c in coins
        if c.status == "confirmed" and c.block_time is not None and c.block_time < instant
    ]
    confirmed_txids = {c.txid for c in before}
    stored_txids = {c.txid for c in coins}
    return holdings(
        before,
        [s for s in spends if s[0] in confirmed_txids or s[0] not in stored_txids],
        refunds=refunds,
    )


def pending(
    coins: Iterable[Coin],
    spends: Iterable[tuple[str, str, int]],
    refunds: frozenset[tuple[str, int]] = frozenset(),
) -> tuple[Movement, ...]:
    """The reserve's own transactions in the mempool (as ``coins`` show them), traced as
    :func:`holdings` traces them: shown apart from the holdings at an instant, which count
    only blocks (:data:`HOLDINGS_AT_RULE`)."""
    found = holdings(coins, spends, refunds=refunds).movements
    return tuple(m for m in found if m.status == "mempool")
