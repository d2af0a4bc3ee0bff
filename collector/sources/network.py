"""The Bitcoin network from a mempool/Esplora REST API: tip, hash rate, difficulty, daily rewards.

:class:`NetworkJob` (a :class:`~collector.sources.poller.PollJob`) keeps the ``network_blocks``
table equal to the best chain over the last ``network.backfill_days`` UTC days (or from
``since``, when that is earlier: ``run --once --since``) and, from it,
``network_days``: per UTC day the blocks whose timestamp falls on it, their rewards
(subsidy + fees, satoshis) and the average network hash rate.

Each poll walks block pages down from the tip (``/api/v1/blocks/{height}``, 15 blocks with
``extras.reward``). It stops where a page's lowest block has the hash already stored at that
height (the chain joins what we know), then fills any stored gap and extends the backfill
downwards until a block before the backfill window is stored. A poll spends at most
``max_requests`` requests, so a 90-day first backfill (~13,000 blocks, ~870 pages) is spread over
several polls and resumes where it stopped: progress *is* the stored blocks (``run --once
--since`` polls again until the window is walked, :mod:`collector.sources.backfill`, and
:meth:`BlockFollower.progress` says which closed days are stored complete). Blocks above a
lower tip, or of a branch that lost, are replaced with :meth:`Store.replace_blocks_from`; other
fetched pages are written with :meth:`Store.upsert_blocks` (nothing else is rewritten).

The chain-following and aggregation live in :class:`BlockFollower`; :class:`NetworkJob` only
fetches from Esplora, and :mod:`collector.sources.bitcoind` fetches the same from bitcoind.

Plain Esplora (no ``/api/v1`` routes: they answer 404) is detected once: pages come from
``/api/blocks/{height}`` (10 blocks) and a block's reward is the sum of its coinbase outputs
(``/api/block/{hash}/txs/0``), one more request per block.

Daily hash rate: mempool's daily points (``/api/v1/mining/hashrate/{interval}``,
``hashrates[{timestamp, avgHashrate}]``, one point per UTC day stamped at its midnight) where
the API has one for the day; otherwise derived from the day's mean block difficulty as
``D·2^32/600`` (the rate that finds a block every 600 s on average). A day is ``complete`` once
a block of a later day is stored and no height between the day's first block's parent and that
block is missing.

Each poll returns what it published, a :class:`NetworkSeen` the poller keeps; the metrics
show the last one (last good values; their age is ``time() -
reservewatch_source_last_success_...``)::

    reservewatch_network_hashrate_hashes_per_second 6.4e+20
    reservewatch_network_difficulty 8.3e+13
    reservewatch_network_tip_height 850123
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, Final

from collector.clock import Clock
from collector.config.sections import NetworkConfig
from collector.errors import SourceBadResponse
from collector.sources.http import HttpSource
from collector.sources.network_days import (
    _HASHRATE_INTERVALS,
    HashrateSummary,
    ParsedBlock,
    aggregate_days,
    coinbase_reward_sat,
    day_start,
    difficulty_hashrate_hs,
    parse_block,
    parse_hashrate_summary,
    parse_tip_height,
    utc_day,
)
from collector.store.queries import Store
from collector.store.records import BlockRecord, ChainTipRecord, NetworkDayRecord

log = logging.getLogger(__name__)

MEMPOOL_PAGE: Final = 15
ESPLORA_PAGE: Final = 10


# -- pure parsing and aggregation ----------------------------------------------------------


# -- the job -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class NetworkSeen:
    """What one poll of the network published: the tip it followed to, the network's
    current hash rate and difficulty (the last good values: ``None`` until known), the
    newest stored day's average hash rate, and what the poll fetched."""

    tip_height: int
    hashrate_hs: float | None
    difficulty: float | None
    latest_day: date | None  # the newest day stored in the window
    latest_day_hashrate_hs: float | None  # its average hash rate
    blocks_fetched: int
    reorg_from: int | None  # the lowest height whose stored block this poll replaced


def _hashrate_interval(days: int) -> str:
    for limit, name in _HASHRATE_INTERVALS:
        if days <= limit:
            return name
    return _HASHRATE_INTERVALS[-1][1]


def _is_not_found(err: SourceBadResponse) -> bool:
    return err.status == 404


@dataclass(slots=True)
class Walk:
    """What one poll fetched and changed; the request count bounds the poll."""

    fetched: dict[int, BlockRecord] = field(default_factory=dict)
    replaced_days: set[date] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)
    requests: int = 0
    reorg_from: int | None = None  # lowest height whose stored block was replaced


@dataclass(frozen=True, slots=True)
class BackfillProgress:
    """Where the backfill of the network window stands (:meth:`BlockFollower.progress`)."""

    first_day: date
    days_to_do: int  # closed days in the window: first_day up to yesterday
    missing_days: tuple[date, ...]  # of them, those not stored complete
    blocks_stored: int
    requests: int  # made since start
    walk_complete: bool  # the last poll reached below the window (or the chain's start)

    @property
    def days_done(self) -> int:
        return self.days_to_do - len(self.missing_days)


class BlockFollower:
    """Follows the best chain over the backfill window and keeps ``network_blocks`` and
    ``network_days`` equal to it; subclasses only fetch (Esplora: :class:`NetworkJob`,
    bitcoind: :class:`collector.sources.bitcoind.BitcoindNetworkJob`).

    A subclass implements :meth:`fetch_head` (tip height and current values),
    :meth:`fetch_page` (blocks from a height down, ``page_size`` of them, in any order) and
    may implement :meth:`fetch_day_values` (daily hash rate and difficulty, before the days
    are aggregated).
    """

    source = "network"
    target: str
    page_size: int

    def __init__(
        self,
        config: NetworkConfig,
        store: Store,
        clock: Clock,
        *,
        max_requests: int,
        since: date | None = None,
    ) -> None:
        self._config = config
        self._store = store
        self._clock = clock
        # The network's current hash rate and difficulty, the last good (None until known).
        self._hashrate_hs: float | None = None
        self._current_difficulty: float | None = None
        self._max_requests = max_requests
        self._since = since
        self.requests_made = 0  # since start, every poll's
        self.interval_s = config.poll_interval_s
        self._loaded = False
        self._blocks: dict[int, BlockRecord] = {}
        self._difficulty: dict[int, float] = {}
        self._days: dict[date, NetworkDayRecord] = {}
        self._daily_hashrate_hs: dict[date, float] = {}
        self.backfill_complete = False

    # -- what subclasses fetch ------------------------------------------------------------

    async def fetch_head(self, walk: Walk) -> tuple[int, HashrateSummary | None]:
        """The tip's height and the current hash rate and difficulty (``None``: unknown)."""
        raise NotImplementedError

    async def fetch_page(self, height: int, walk: Walk) -> list[ParsedBlock]:
        """Up to ``page_size`` blocks from ``height`` down; a block refused for its content
        goes to ``walk.problems`` (the rest are kept)."""
        raise NotImplementedError

    async def fetch_day_values(self, days: Mapping[date, Sequence[BlockRecord]]) -> None:
        """Fill ``_daily_hashrate_hs`` / ``_difficulty`` for ``days`` (the best chain's blocks
        of each day about to be aggregated); nothing by default."""

    # -- one poll -------------------------------------------------------------------------

    async def poll(self) -> NetworkSeen:
        window_start = self._window_start()
        if not self._loaded:
            await self._load(window_start)
        walk = Walk()
        try:
            tip, summary = await self.fetch_head(walk)
            await self._walk(tip, window_start, walk)
        finally:
            self.requests_made += walk.requests
        await self._save(tip, window_start, walk)
        seen = self._publish(tip, summary, walk)
        if walk.problems:
            raise SourceBadResponse(
                f"{len(walk.problems)} block(s) rejected (stored the rest): {walk.problems[0]}"
            ).with_published(seen)
        return seen

    def _window_start(self) -> datetime:
        today = utc_day(self._clock.now())
        first = today - timedelta(days=self._config.backfill_days)
        if self._since is not None:
            first = min(first, self._since)
        return day_start(first)

    def window_days(self) -> int:
        """How many UTC days the backfill window holds, today included."""
        return (utc_day(self._clock.now()) - self._window_start().date()).days + 1

    def progress(self) -> BackfillProgress:
        """The closed days asked for (from ``since``, else from ``backfill_days`` ago, up to
        yesterday) and which of them are stored complete."""
        today = utc_day(self._clock.now())
        first = self._since if self._since is not None else self._window_start().date()
        closed = [first + timedelta(days=n) for n in range((today - first).days)]
        missing = tuple(d for d in closed if not (d in self._days and self._days[d].complete))
        return BackfillProgress(
            first_day=first,
            days_to_do=len(closed),
            missing_days=missing,
            blocks_stored=len(self._blocks),
            requests=self.requests_made,
            walk_complete=self.backfill_complete,
        )

    async def _load(self, window_start: datetime) -> None:
        keep_from = window_start - timedelta(days=2)
        far = datetime(9999, 1, 1, tzinfo=UTC)
        self._blocks = {b.height: b for b in await self._store.blocks(keep_from, far)}
        self._days = {d.day: d for d in await self._store.network_days(start=keep_from.date())}
        self._loaded = True

    async def _walk(self, tip: int, window_start: datetime, walk: Walk) -> None:
        """Fetch pages from the tip down until joined to the stored chain, then fill gaps and
        extend the backfill, within the request budget."""
        cursor = tip
        joined = False
        while cursor >= 0:
            known = self._blocks.get(cursor)
            if joined and known is not None:
                if known.time < window_start:
                    break
                cursor -= 1
                continue
            if walk.requests >= self._max_requests:
                self.backfill_complete = False
                return
            page = await self.fetch_page(cursor, walk)
            if not page:
                break
            lowest = min(page, key=lambda parsed: parsed.record.height).record
            stored = self._blocks.get(lowest.height)
            joined = joined or (stored is not None and stored.block_hash == lowest.block_hash)
            for parsed in page:
                self._apply(parsed, walk)
            if lowest.time < window_start:
                break
            cursor -= self.page_size
        self.backfill_complete = not walk.problems

    def _apply(self, parsed: ParsedBlock, walk: Walk) -> None:
        block = parsed.record
        old = self._blocks.get(block.height)
        if old is not None and old != block:
            walk.replaced_days.add(utc_day(old.time))
            walk.reorg_from = min(block.height, walk.reorg_from or block.height)
        self._blocks[block.height] = block
        walk.fetched[block.height] = block
        if parsed.difficulty is not None:
            self._difficulty[block.height] = parsed.difficulty

    async def _save(self, tip: int, window_start: datetime, walk: Walk) -> None:
        for height in [h for h in self._blocks if h > tip]:  # a re-org left a shorter chain
            walk.replaced_days.add(utc_day(self._blocks.pop(height).time))
            self._difficulty.pop(height, None)
            walk.reorg_from = min(tip, walk.reorg_from or tip)
        keep_from = window_start - timedelta(days=2)
        for height in [h for h, b in self._blocks.items() if b.time < keep_from]:
            del self._blocks[height]
            self._difficulty.pop(height, None)
        await self._save_blocks(tip, walk)
        touched = walk.replaced_days | {utc_day(b.time) for b in walk.fetched.values()}
        if touched:
            first = max(min(touched) - timedelta(days=1), window_start.date())
            span = (max(touched) - first).days + 1
            wanted = [first + timedelta(days=n) for n in range(span)]
            by_day: dict[date, list[BlockRecord]] = {}
            for block in self._blocks.values():
                if (day := utc_day(block.time)) in wanted:
                    by_day.setdefault(day, []).append(block)
            await self.fetch_day_values(by_day)
            days = aggregate_days(
                self._blocks,
                wanted,
                daily_hashrate_hs=self._daily_hashrate_hs,
                difficulty_by_height=self._difficulty,
                previous=self._days,
            )
            await self._store.upsert_network_days(days)
            self._days.update((d.day, d) for d in days)
        tip_block = self._blocks.get(tip)
        await self._store.save_chain_tip(
            ChainTipRecord(
                chain=self._config.chain,
                height=tip,
                block_hash=tip_block.block_hash if tip_block else None,
                observed_at=self._clock.now(),
            )
        )

    async def _save_blocks(self, tip: int, walk: Walk) -> None:
        """Write what this poll fetched; only a re-organisation rewrites (and deletes) the
        stored chain, from its lowest replaced height to the tip."""
        below = walk.reorg_from if walk.reorg_from is not None else tip + 1
        await self._store.upsert_blocks(
            [b for h, b in sorted(walk.fetched.items()) if h < below and h in self._blocks]
        )
        if walk.reorg_from is not None:
            chain = [self._blocks[h] for h in sorted(self._blocks) if below <= h <= tip]
            await self._store.replace_blocks_from(chain)

    def _publish(self, tip: int, summary: HashrateSummary | None, walk: Walk) -> NetworkSeen:
        if summary is not None:
            self._hashrate_hs = summary.current_hashrate_hs
            self._current_difficulty = summary.current_difficulty
        elif tip in self._difficulty:
            self._current_difficulty = self._difficulty[tip]
            self._hashrate_hs = difficulty_hashrate_hs(self._difficulty[tip])
        latest = self._days[max(self._days)] if self._days else None
        return NetworkSeen(
            tip,
            self._hashrate_hs,
            self._current_difficulty,
            latest.day if latest is not None else None,
            latest.hashrate_hs if latest is not None else None,
            len(walk.fetched),
            walk.reorg_from,
        )

    # -- reads for others -----------------------------------------------------------------

    def days(self) -> Sequence[NetworkDayRecord]:
        """The days computed so far (as stored), oldest first."""
        return [self._days[d] for d in sorted(self._days)]


class NetworkJob(BlockFollower):
    """Polls the network from Esplora: tip, hash rate and difficulty, blocks and daily
    aggregates.

    Args:
        config: ``config.network`` (``esplora_url``, ``chain``, ``poll_interval_s``,
            ``backfill_days``).
        http: the ``network`` source's :class:`HttpSource`.
        store: where blocks, days and the tip are saved.
        clock: dates the backfill window and the tip's ``observed_at``.
        max_requests: the most requests one poll makes (bounds a backfill's poll).
        since: the window reaches back to this day when it is earlier than
            ``backfill_days`` ago (``run --once --since``).
    """

    def __init__(
        self,
        config: NetworkConfig,
        http: HttpSource,
        store: Store,
        clock: Clock,
        *,
        max_requests: int = 120,
        since: date | None = None,
    ) -> None:
        if not config.esplora_url:
            raise ValueError("NetworkJob needs network.esplora_url")
        super().__init__(config, store, clock, max_requests=max_requests, since=since)
        self._base = config.esplora_url.rstrip("/")
        self._http = http
        self.target = config.esplora_url.split("://", 1)[-1].split("/", 1)[0]
        self._mempool_api: bool | None = None  # None until detected
        self.page_size = ESPLORA_PAGE  # MEMPOOL_PAGE once /api/v1 answers

    async def fetch_head(self, walk: Walk) -> tuple[int, HashrateSummary | None]:
        tip = parse_tip_height(await self._http.get_text(f"{self._base}/blocks/tip/height"))
        summary = await self._hashrate_summary()
        walk.requests += 2
        return tip, summary

    async def _hashrate_summary(self) -> HashrateSummary | None:
        if self._mempool_api is False:
            return None
        days = 3 if self.backfill_complete else self.window_days()
        url = f"{self._base}/v1/mining/hashrate/{_hashrate_interval(days)}"
        try:
            summary = parse_hashrate_summary(await self._http.get_json(url))
        except SourceBadResponse as err:
            if self._mempool_api is None and _is_not_found(err):
                log.info("%s has no /api/v1 routes: using plain Esplora", self.target)
                self._mempool_api = False
                return None
            raise
        self._mempool_api = True
        self.page_size = MEMPOOL_PAGE
        self._daily_hashrate_hs.update(summary.daily_hashrate_hs)
        return summary

    async def fetch_page(self, height: int, walk: Walk) -> list[ParsedBlock]:
        walk.requests += 1
        if self._mempool_api:
            docs = await self._http.get_json(f"{self._base}/v1/blocks/{height}")
        else:
            docs = await self._http.get_json(f"{self._base}/blocks/{height}")
        if not isinstance(docs, list):
            raise SourceBadResponse(f"blocks/{height}: expected a list")
        page: list[ParsedBlock] = []
        for doc in docs:
            try:
                if self._mempool_api:
                    page.append(parse_block(doc))
                else:
                    page.append(await self._plain_block(doc, walk))
            except SourceBadResponse as err:
                walk.problems.append(str(err))
        return page

    async def _plain_block(self, doc: Any, walk: Walk) -> ParsedBlock:
        header = parse_block(doc, reward_sat=0)
        walk.requests += 1
        txs = await self._http.get_json(f"{self._base}/block/{header.record.block_hash}/txs/0")
        reward = coinbase_reward_sat(txs)
        return parse_block(doc, reward_sat=reward)
