"""The pools' monthly distribution reports: each month's report (operation, pool, period)
stored whole at each revision, so a statement as of an instant reads the report then held."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date, datetime
from itertools import groupby

from sqlalchemy import select

from collector.store.base import StoreBase, _as_of
from collector.store.records import PoolReportRowRecord, row_of
from collector.store.tables import PoolReportRow

_REPORT = ("operation_id", "pool", "period")
ReportKey = tuple[str, str, date]


def _key(row: PoolReportRowRecord) -> ReportKey:
    return row.operation_id, row.pool, row.period


def _content(rows: Iterable[PoolReportRowRecord]) -> list[PoolReportRowRecord]:
    """The rows as compared between revisions: in order, without when they were observed."""
    return sorted((replace(r, observed_at=None) for r in rows), key=lambda r: r.line)


class PoolReportStore(StoreBase):
    """The pools' distribution reports, by month, with their revisions."""

    async def record_pool_reports(self, rows: Sequence[PoolReportRowRecord]) -> int:
        """Store, observed now, each month's report among ``rows`` that differs from the one
        the store holds (a new revision, the whole report); a report seen again unchanged
        stores nothing. Returns how many months' reports were stored."""
        now = self.clock.now()
        incoming = {
            key: _content(group) for key, group in groupby(sorted(rows, key=_key), key=_key)
        }
        held = {
            key: _content(group)
            for key, group in groupby(
                await self.pool_reports({key[0] for key in incoming}, as_of=now), key=_key
            )
        }
        changed = [key for key, report in incoming.items() if held.get(key) != report]
        new_rows = [{**row_of(row), "observed_at": now} for key in changed for row in incoming[key]]
        await self._insert_new(PoolReportRow, new_rows, (*_REPORT, "observed_at", "line"))
        return len(changed)

    async def pool_reports(
        self, operation_ids: Iterable[str] | None = None, *, as_of: datetime
    ) -> list[PoolReportRowRecord]:
        """The rows of each month's report as held at ``as_of`` (its latest revision), of
        ``operation_ids`` if given, by operation, pool, month and line."""
        latest = _as_of(PoolReportRow, _REPORT, as_of)
        statement = select(latest).order_by(
            latest.c.operation_id, latest.c.pool, latest.c.period, latest.c.line
        )
        if operation_ids is not None:
            statement = statement.where(latest.c.operation_id.in_(list(operation_ids)))
        return [
            PoolReportRowRecord(
                r.operation_id,
                r.pool,
                r.period,
                int(r.line),
                r.miner_name,
                r.licence_number,
                r.licence_date,
                r.wallet,
                r.distributed_on,
                int(r.amount_sat),
                r.observed_at,
            )
            for r in await self._read(statement)
        ]
