"""Seized cases' imported states in the store, on SQLite and PostgreSQL: one revision per
case and state, observed when imported; the same state again appends nothing, a changed one
appends a revision; read as the store knew them at an instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from collector.clock import FrozenClock
from collector.store.queries import Store
from collector.store.records import CaseStateRecord

FIRST_IMPORT = datetime(2026, 3, 20, 9, tzinfo=UTC)
SECOND_IMPORT = FIRST_IMPORT + timedelta(days=3)


async def test_a_case_state_is_revised_only_when_it_changes_and_read_as_known(
    store: Store,
) -> None:
    pending = CaseStateRecord("KZ-1", "order_pending", date(2026, 2, 20), "")
    forfeited = CaseStateRecord("KZ-1", "forfeited", date(2026, 3, 15), "order 7")
    first = Store(store.engine, FrozenClock(FIRST_IMPORT))
    assert await first.record_case_states([pending, forfeited]) == 2
    second = Store(store.engine, FrozenClock(SECOND_IMPORT))
    corrected = CaseStateRecord("KZ-1", "forfeited", date(2026, 3, 16), "order 7/2026")
    assert await second.record_case_states([pending, corrected]) == 1

    def seen(states: list[CaseStateRecord]) -> list[tuple[str, date, str]]:
        return [(s.state, s.effective_from, s.order_ref) for s in states]

    assert await store.case_states(as_of=FIRST_IMPORT - timedelta(seconds=1)) == []
    assert seen(await store.case_states(as_of=FIRST_IMPORT)) == [
        ("order_pending", date(2026, 2, 20), ""),
        ("forfeited", date(2026, 3, 15), "order 7"),
    ]
    latest = await store.case_states()
    assert seen(latest) == [
        ("order_pending", date(2026, 2, 20), ""),
        ("forfeited", date(2026, 3, 16), "order 7/2026"),
    ]
    assert [s.observed_at for s in latest] == [FIRST_IMPORT, SECOND_IMPORT]
