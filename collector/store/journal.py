"""Append-only: the regulator's journal, each entry as signed (never updated, never deleted)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from collector.store.base import StoreBase, _table
from collector.store.tables import JournalRecord


@dataclass(frozen=True, slots=True)
class StoredJournalEntry:
    """An entry as stored: its canonical JSON, who signed it and the signature, unverified
    (:mod:`collector.accounts.journal` verifies on read)."""

    sequence: int
    recorded_at: datetime
    kind: str
    operation_id: str
    document: str
    key_id: str
    signature: str


class JournalStore(StoreBase):
    """The regulator's journal, append-only."""

    async def append_journal_entry(  # noqa: PLR0917 - one argument per column
        self,
        recorded_at: datetime,
        kind: str,
        operation_id: str,
        document: str,
        key_id: str,
        signature: str,
    ) -> None:
        """Append one signed entry."""
        row = {
            "recorded_at": recorded_at,
            "kind": kind,
            "operation_id": operation_id,
            "document": document,
            "key_id": key_id,
            "signature": signature,
        }

        async def work(connection: AsyncConnection) -> None:
            await connection.execute(_table(JournalRecord).insert().values(row))

        await self._write(work)

    async def journal_entries(self, *, as_of: datetime | None = None) -> list[StoredJournalEntry]:
        """The entries recorded by ``as_of`` (or all), in the order they were recorded."""
        t = _table(JournalRecord)
        statement = select(t)
        if as_of is not None:
            statement = statement.where(t.c.recorded_at <= as_of)
        rows = await self._read(statement.order_by(t.c.sequence))
        return [
            StoredJournalEntry(
                r.sequence, r.recorded_at, r.kind, r.operation_id, r.document, r.key_id, r.signature
            )
            for r in rows
        ]

    async def journal_version(self) -> tuple[int, int]:
        """The journal's entry count and last sequence: changes whenever an entry is added."""
        t = _table(JournalRecord)
        rows = await self._read(select(func.count(), func.max(t.c.sequence)))
        return int(rows[0][0]), int(rows[0][1] or 0)
