"""The chain's facts: blocks, network days and tips (with revisions), the reserve's
outputs and the spends of them."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime

from sqlalchemy import delete, func, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncConnection

from collector.store.base import _OUTPUT, _OUTPUT_STATE, StoreBase, _as_of, _table
from collector.store.records import (
    RESERVE_KINDS,
    BlockRecord,
    ChainTipRecord,
    NetworkDayRecord,
    ReserveOutputRecord,
    ReserveSpendRecord,
    row_of,
)
from collector.store.tables import (
    ChainTip,
    ChainTipRevision,
    NetworkBlock,
    NetworkDay,
    NetworkDayRevision,
    ReserveDestination,
    ReserveOutput,
    ReserveOutputRevision,
    ReserveSpend,
)
from remittance.reserve_patterns import DestinationHistory


class ChainStore(StoreBase):
    """The chain's facts: blocks, network days and tips (with revisions), the reserve's
    outputs and the spends of them."""

    async def replace_blocks_from(self, blocks: Sequence[BlockRecord]) -> None:
        """Save ``blocks`` as the best chain from their lowest height up: stored blocks at or
        above that height that are not among them (a re-organised branch) are deleted."""
        if not blocks:
            return
        lowest = min(b.height for b in blocks)
        heights = [b.height for b in blocks]

        async def work(connection: AsyncConnection) -> None:
            t = _table(NetworkBlock)
            await connection.execute(
                delete(t).where(t.c.height >= lowest, t.c.height.not_in(heights))
            )
            await self._upsert(connection, NetworkBlock, [row_of(b) for b in blocks], ("height",))

        await self._write(work)

    async def upsert_blocks(self, blocks: Sequence[BlockRecord]) -> None:
        """Save ``blocks`` by height (a newer block at a height replaces the stored one);
        nothing else is touched, so a backfill writes only the pages it fetched. Use
        :meth:`replace_blocks_from` when a re-organisation must drop stored blocks."""
        if not blocks:
            return

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(connection, NetworkBlock, [row_of(b) for b in blocks], ("height",))

        await self._write(work)

    async def blocks(self, start: datetime, end: datetime) -> list[BlockRecord]:
        t = _table(NetworkBlock)
        rows = await self._read(
            select(t).where(t.c.time >= start, t.c.time < end).order_by(t.c.height)
        )
        return [BlockRecord(r.height, r.block_hash, r.time, r.reward_sat) for r in rows]

    async def block_hashes(self, from_height: int) -> dict[int, str]:
        t = _table(NetworkBlock)
        rows = await self._read(select(t.c.height, t.c.block_hash).where(t.c.height >= from_height))
        return {int(r.height): str(r.block_hash) for r in rows}

    async def upsert_network_days(self, days: Sequence[NetworkDayRecord]) -> None:
        now = self.clock.now()
        rows = [{**row_of(d), "recorded_at": now} for d in days]

        async def work(connection: AsyncConnection) -> None:
            await self._revise(
                connection,
                NetworkDay,
                NetworkDayRevision,
                rows,
                ("day",),
                ("blocks", "rewards_sat", "hashrate_hs", "difficulty", "complete"),
                now,
            )
            await self._upsert(connection, NetworkDay, rows, ("day",))

        await self._write(work)

    async def network_days(
        self, start: date | None = None, end: date | None = None, *, as_of: datetime | None = None
    ) -> list[NetworkDayRecord]:
        t = _table(NetworkDay) if as_of is None else _as_of(NetworkDayRevision, ("day",), as_of)
        statement = select(t).order_by(t.c.day)
        if start is not None:
            statement = statement.where(t.c.day >= start)
        if end is not None:
            statement = statement.where(t.c.day < end)
        return [
            NetworkDayRecord(
                r.day, r.blocks, r.rewards_sat, r.hashrate_hs, r.difficulty, r.complete
            )
            for r in await self._read(statement)
        ]

    async def save_chain_tip(self, tip: ChainTipRecord) -> None:
        row = row_of(tip)

        async def work(connection: AsyncConnection) -> None:
            await self._revise(
                connection,
                ChainTip,
                ChainTipRevision,
                [row],
                ("chain",),
                ("height", "block_hash"),
                self.clock.now(),
            )
            await self._upsert(connection, ChainTip, [row], ("chain",))

        await self._write(work)

    async def chain_tip(
        self, chain: str, *, as_of: datetime | None = None
    ) -> ChainTipRecord | None:
        """The chain's tip as last seen or, with ``as_of``, the best tip known then."""
        t = _table(ChainTip) if as_of is None else _as_of(ChainTipRevision, ("chain",), as_of)
        rows = await self._read(select(t).where(t.c.chain == chain))
        if not rows:
            return None
        r = rows[0]
        return ChainTipRecord(r.chain, r.height, r.block_hash, r.observed_at)

    async def upsert_reserve_outputs(self, outputs: Sequence[ReserveOutputRecord]) -> None:
        """Save outputs as now seen; ``first_seen`` is kept from the first sighting."""
        now = self.clock.now()
        rows = [{**row_of(o), "first_seen": now, "last_seen": now} for o in outputs]

        async def work(connection: AsyncConnection) -> None:
            await self._revise(
                connection, ReserveOutput, ReserveOutputRevision, rows, _OUTPUT, _OUTPUT_STATE, now
            )
            await self._upsert(
                connection, ReserveOutput, rows, ("txid", "vout"), keep_first=("first_seen",)
            )

        await self._write(work)

    async def mark_outputs_removed(self, keys: Iterable[tuple[str, int]]) -> None:
        """Outputs no longer on the best chain nor in the mempool (replaced or re-organised)."""
        keys = list(keys)
        if not keys:
            return

        async def work(connection: AsyncConnection) -> None:
            t = _table(ReserveOutput)
            now = self.clock.now()
            found = await connection.execute(select(t).where(tuple_(t.c.txid, t.c.vout).in_(keys)))
            gone = [
                {
                    **{c: getattr(r, c) for c in (*_OUTPUT, *_OUTPUT_STATE)},
                    "status": "removed",
                    "block_height": None,
                    "block_hash": None,
                }
                for r in found.all()
            ]
            await self._revise(
                connection, ReserveOutput, ReserveOutputRevision, gone, _OUTPUT, _OUTPUT_STATE, now
            )
            for txid, vout in keys:
                await connection.execute(
                    update(t)
                    .where(t.c.txid == txid, t.c.vout == vout)
                    .values(status="removed", block_height=None, block_hash=None, last_seen=now)
                )

        await self._write(work)

    async def reserve_outputs(
        self,
        operation_id: str | None = None,
        statuses: Sequence[str] = ("mempool", "confirmed"),
        kinds: Sequence[str] = RESERVE_KINDS,
        *,
        as_of: datetime | None = None,
    ) -> list[ReserveOutputRecord]:
        """Outputs in ``statuses`` of ``kinds`` (remittances only are what the ledger counts;
        the payout wallets' outputs only when asked for by kind ``payout``); with ``as_of``,
        each output where it stood as known then."""
        t = (
            _table(ReserveOutput)
            if as_of is None
            else _as_of(ReserveOutputRevision, _OUTPUT, as_of)
        )
        statement = (
            select(
                t.c.txid,
                t.c.vout,
                t.c.operation_id,
                t.c.address,
                t.c.amount_sat,
                t.c.status,
                t.c.block_height,
                t.c.block_hash,
                t.c.block_time,
                t.c.kind,
                t.c.role,
            )
            .where(t.c.status.in_(list(statuses)), t.c.kind.in_(list(kinds)))
            .order_by(t.c.block_time, t.c.txid, t.c.vout)
        )
        if operation_id is not None:
            statement = statement.where(t.c.operation_id == operation_id)
        # The columns are selected in the record's field order.
        return [ReserveOutputRecord(*row) for row in await self._read(statement)]

    async def add_reserve_spends(self, spends: Sequence[ReserveSpendRecord]) -> None:
        """Record which transaction spent which watched output (each pair once)."""
        now = self.clock.now()
        rows = [{**row_of(s), "first_seen": now} for s in spends]
        if not rows:
            return

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                ReserveSpend,
                rows,
                ("txid", "prev_txid", "prev_vout"),
                keep_first=("first_seen",),
            )

        await self._write(work)

    async def reserve_facts_version(self) -> tuple[int, datetime | None, int, int]:
        """What changes whenever a reserve output or spend is stored or changes state (every
        change writes a revision; spends and destinations' histories are appended): a cheap
        test of whether the reserve's figures may have moved."""
        revisions = _table(ReserveOutputRevision)
        spends = _table(ReserveSpend)
        destinations = _table(ReserveDestination)
        [(count, latest)] = await self._read(
            select(func.count(), func.max(revisions.c.observed_at))
        )
        [(spent,)] = await self._read(select(func.count()).select_from(spends))
        [(read,)] = await self._read(select(func.count()).select_from(destinations))
        return int(count), latest, int(spent), int(read)

    async def reserve_spends(self, *, as_of: datetime | None = None) -> list[ReserveSpendRecord]:
        """Every recorded spend of a watched output (with ``as_of``, those seen by then)."""
        t = _table(ReserveSpend)
        statement = select(t.c.txid, t.c.prev_txid, t.c.prev_vout).order_by(
            t.c.txid, t.c.prev_txid, t.c.prev_vout
        )
        if as_of is not None:
            statement = statement.where(t.c.first_seen <= as_of)
        return [ReserveSpendRecord(*row) for row in await self._read(statement)]

    async def add_destination_histories(self, histories: Sequence[DestinationHistory]) -> None:
        """Keep what was read of each outflow destination's history; one already kept stays
        as first read (an outflow is judged by what its destination was then)."""
        rows = [
            {
                "address": h.address,
                "first_txid": h.first_txid,
                "first_seen": h.first_seen,
                "complete": h.complete,
                "observed_at": h.observed_at,
            }
            for h in histories
        ]
        if not rows:
            return

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                ReserveDestination,
                rows,
                ("address",),
                keep_first=("first_txid", "first_seen", "complete", "observed_at"),
            )

        await self._write(work)

    async def destination_histories(
        self, *, as_of: datetime | None = None
    ) -> dict[str, DestinationHistory]:
        """Every outflow destination's history as read (with ``as_of``, those read by then)."""
        t = _table(ReserveDestination)
        statement = select(
            t.c.address, t.c.first_txid, t.c.first_seen, t.c.complete, t.c.observed_at
        )
        if as_of is not None:
            statement = statement.where(t.c.observed_at <= as_of)
        return {row[0]: DestinationHistory(*row) for row in await self._read(statement)}
