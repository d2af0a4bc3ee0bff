"""What the reserve watcher establishes, whichever backend reads the chain: the outputs to
ask about again (the re-org rule), its own status (the metrics') and what each poll returns
(:class:`ReserveWatched`). The reserve's figures are computed in the accounts' pass from what
the watcher stored (:mod:`collector.accounts.reserve`).

Both backends (:mod:`collector.sources.chain` for Esplora, :mod:`collector.sources.bitcoind`)
build on these; neither imports the other.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from collector.bitcoin.wallets import WalletBook
from collector.store.queries import Store
from collector.store.records import ReserveOutputRecord, confirmations

log = logging.getLogger(__name__)


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


@dataclass(slots=True)
class ReserveStatus:
    """What the watcher itself established on its last poll: the tip it watched to, how many
    addresses it watches per wallet role, and the outputs the source gave an "address" that
    is none on the chain. The reserve's figures (holdings, received, proofs) are computed in
    the accounts' pass from what it stored (:mod:`collector.accounts.reserve`)."""

    operation_ids: tuple[str, ...]
    tip_height: int | None = None
    watched: dict[str, int] = field(default_factory=dict)  # addresses per wallet role
    holders: frozenset[str] = frozenset()  # the configured holders (labels)
    # outputs the source gave an "address" that is none on the chain, each counted once
    bad_address_outputs: set[tuple[str, int]] = field(default_factory=set)

    @classmethod
    def for_book(cls, operation_ids: Iterable[str], book: WalletBook) -> ReserveStatus:
        return cls(tuple(operation_ids), holders=frozenset(w.holder for w in book.wallets))

    def publish(self, tip_height: int, book: WalletBook, *, stored_new: bool) -> ReserveWatched:
        """Show what a poll watched to (the metrics read this status) and return it."""
        self.watched = book.watched_by_role()
        self.tip_height = tip_height
        return ReserveWatched(tip_height, MappingProxyType(dict(self.watched)), stored_new)


@dataclass(frozen=True, slots=True)
class ReserveWatched:
    """What one poll of the reserve watcher published: the tip it watched to, how many
    addresses it watches per wallet role, and whether it stored something new (an output, a
    spend, a status): what the accounts' pass is asked at once to compute the reserve's
    figures again for (the custody alarm's latency)."""

    tip_height: int
    watched: Mapping[str, int]  # addresses per wallet role
    stored_new: bool


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

    async def save(self, store: Store) -> bool:
        """Store what the recheck established; whether it changed anything."""
        await store.upsert_reserve_outputs(self.moved)
        await store.mark_outputs_removed(self.removed)
        return bool(self.moved or self.removed)


def outputs_changed(
    stored: Mapping[tuple[str, int], ReserveOutputRecord],
    seen: Mapping[tuple[str, int], ReserveOutputRecord],
) -> bool:
    """Whether a poll saw an output the store did not hold, or one in another state."""
    return any(
        (before := stored.get(key)) is None
        or (before.status, before.block_hash) != (output.status, output.block_hash)
        for key, output in seen.items()
    )
