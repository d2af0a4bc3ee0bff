"""What the reserve watcher establishes, whichever backend reads the chain: the outputs to
ask about again (the re-org rule) and what each poll returns (:class:`ReserveWatched`, what
the poller keeps and the metrics read). The reserve's figures are computed in the accounts'
pass from what the watcher stored (:mod:`collector.accounts.reserve`).

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


@dataclass(frozen=True, slots=True)
class ReserveWatched:
    """What one poll of the reserve watcher published: the tip it watched to, how many
    addresses it watches per wallet role, whether it stored something new (an output, a
    spend, a status): what the accounts' pass is asked at once to compute the reserve's
    figures again for (the custody alarm's latency), and how many outputs the source gave an
    "address" that is none on the chain since start (the metrics read these, with the
    accounts' figures)."""

    tip_height: int
    watched: Mapping[str, int]  # addresses per wallet role
    stored_new: bool
    # outputs the source gave an "address" that is none on the chain, counted since start
    unparseable_outputs: int = 0

    @classmethod
    def of(
        cls, tip_height: int, book: WalletBook, *, stored_new: bool, unparseable_outputs: int = 0
    ) -> ReserveWatched:
        """What a poll that watched ``book``'s addresses to ``tip_height`` publishes."""
        watched = MappingProxyType(book.watched_by_role())
        return cls(tip_height, watched, stored_new, unparseable_outputs)


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
