"""Seized cases' legal states as imported (revisions by when observed)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy import select

from collector.store.base import StoreBase, _as_of
from collector.store.records import CaseStateRecord
from collector.store.tables import CaseStateImport

_CASE_STATE = ("case_id", "state")
_EVER = datetime(9999, 12, 31, tzinfo=UTC)  # as_of=None: every revision stored


class CaseStateStore(StoreBase):
    """The cases' states imported."""

    async def record_case_states(self, states: Sequence[CaseStateRecord]) -> int:
        """Append a revision, observed now, of each case's state that is new or differs (day,
        order or destination) from the one the store holds; one seen again unchanged appends
        nothing. Returns how many."""
        held = await self.case_states(as_of=self.clock.now())
        return await self._append_revisions(CaseStateImport, _CASE_STATE, states, held)

    async def case_states(self, *, as_of: datetime | None = None) -> list[CaseStateRecord]:
        """Each case's imported states, the latest revision of each known at ``as_of`` (every
        one stored, if None), by case and day."""
        latest = _as_of(CaseStateImport, _CASE_STATE, as_of or _EVER)
        rows = await self._read(
            select(latest).order_by(latest.c.case_id, latest.c.effective_from, latest.c.state)
        )
        return [
            CaseStateRecord(
                r.case_id, r.state, r.effective_from, r.order_ref, r.destination, r.observed_at
            )
            for r in rows
        ]
