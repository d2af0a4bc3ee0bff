"""What was issued and decided: statements and their documents, reserve reports and
pages, reminders, terms and settings as revisions."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, select, union
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from collector.errors import StoreError
from collector.store.base import StoreBase, _as_of, _table
from collector.store.tables import (
    AssessedDues,
    EarningRevision,
    IssuedDocument,
    IssuedReport,
    IssuedStatement,
    NetworkDayRevision,
    PoolHashrateRevision,
    ReminderSent,
    TermsRevision,
)


class DocumentStore(StoreBase):
    """What was issued and decided: statements and their documents, reserve reports and
    pages, reminders, terms and settings as revisions."""

    async def record_statement(
        self,
        operation_id: str,
        period: str,
        as_of: datetime,
        sha256: str,
        emailed_to: Sequence[str] = (),
    ) -> None:
        row = {
            "operation_id": operation_id,
            "period": period,
            "as_of": as_of,
            "sha256": sha256,
            "emailed_at": self.clock.now() if emailed_to else None,
            "recipients": ",".join(emailed_to) or None,
        }

        # A statement recorded again without recipients (the command, as of the instant of
        # one already e-mailed) keeps the record as it is: it never unmarks an e-mailing.
        kept = () if emailed_to else ("sha256", "emailed_at", "recipients")

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                IssuedStatement,
                [row],
                ("operation_id", "period", "as_of"),
                keep_first=kept,
            )

        await self._write(work)

    async def record_served_statements(
        self, served: Sequence[tuple[str, str, datetime, str]]
    ) -> None:
        """Record statements the API served, ``(operation, period, as_of, sha256)`` each, in
        one transaction; one already recorded (served before, or emailed) is kept as it is."""
        rows = [
            {"operation_id": op, "period": period, "as_of": as_of, "sha256": sha256}
            for op, period, as_of, sha256 in served
        ]

        async def work(connection: AsyncConnection) -> None:
            await self._upsert(
                connection,
                IssuedStatement,
                rows,
                ("operation_id", "period", "as_of"),
                keep_first=("sha256",),
            )

        await self._write(work)

    async def save_issued_document(  # noqa: PLR0917 - the document's coordinates
        self,
        operation_id: str,
        period: str,
        as_of: datetime,
        fmt: str,
        statement_sha256: str,
        due_sat: int,
        document: bytes,
    ) -> None:
        """Keep an issued statement whole. An issued document is never replaced: a second
        issue of the same coordinates keeps the first."""
        row = {
            "operation_id": operation_id,
            "period": period,
            "as_of": as_of,
            "format": fmt,
            "statement_sha256": statement_sha256,
            "due_sat": due_sat,
            "issued_at": self.clock.now(),
            "document": document,
        }

        async def work(connection: AsyncConnection) -> None:
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            await connection.execute(
                insert(_table(IssuedDocument)).values(row).on_conflict_do_nothing()
            )

        await self._write(work)

    async def record_reminder(  # noqa: PLR0917 - the reminder's coordinates
        self,
        operation_id: str,
        period: str,
        deadline: datetime,
        sent_at: datetime,
        unpaid_sat: int,
        emailed_to: Sequence[str],
        language: str,
    ) -> None:
        """Remember a reminder sent (append-only: one for a deadline is kept, never replaced)."""
        row = {
            "operation_id": operation_id,
            "period": period,
            "deadline": deadline,
            "sent_at": sent_at,
            "unpaid_sat": unpaid_sat,
            "emailed_to": ", ".join(emailed_to),
            "language": language,
        }

        async def work(connection: AsyncConnection) -> None:
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            await connection.execute(
                insert(_table(ReminderSent)).values(row).on_conflict_do_nothing()
            )

        await self._write(work)

    async def reminders_sent(self, operation_id: str) -> set[tuple[str, datetime]]:
        """(period, deadline) of every reminder sent to the operation (deadlines in UTC)."""
        t = _table(ReminderSent)
        rows = await self._read(
            select(t.c.period, t.c.deadline).where(t.c.operation_id == operation_id)
        )
        return {(row.period, row.deadline) for row in rows}

    async def issued_document(
        self, operation_id: str, period: str, as_of: datetime, fmt: str
    ) -> bytes | None:
        """The document issued for these coordinates, byte for byte, if any."""
        t = _table(IssuedDocument)
        rows = await self._read(
            select(t.c.document).where(
                t.c.operation_id == operation_id,
                t.c.period == period,
                t.c.as_of == as_of,
                t.c.format == fmt,
            )
        )
        return bytes(rows[0].document) if rows else None

    async def save_issued_report(
        self, kind: str, period: str, as_of: datetime, documents: Mapping[str, bytes]
    ) -> None:
        """Keep a report as issued, one document per format, whole; a second issue of the
        same coordinates keeps the first."""
        now = self.clock.now()
        rows = [
            {
                "kind": kind,
                "period": period,
                "as_of": as_of,
                "format": fmt,
                "sha256": hashlib.sha256(document).hexdigest(),
                "issued_at": now,
                "document": document,
            }
            for fmt, document in documents.items()
        ]

        async def work(connection: AsyncConnection) -> None:
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            for row in rows:
                await connection.execute(
                    insert(_table(IssuedReport)).values(row).on_conflict_do_nothing()
                )

        await self._write(work)

    async def issued_report(self, kind: str, period: str, as_of: datetime) -> dict[str, bytes]:
        """The documents issued for these coordinates, by format (none issued: empty)."""
        t = _table(IssuedReport)
        rows = await self._read(
            select(t.c.format, t.c.document).where(
                t.c.kind == kind, t.c.period == period, t.c.as_of == as_of
            )
        )
        return {str(row.format): bytes(row.document) for row in rows}

    async def issued_dues(
        self, operation_id: str | None = None
    ) -> dict[tuple[str, str], tuple[datetime, int]]:
        """Per (operation, period): (as_of, due_sat) of the latest statement issued for it."""
        t = _table(IssuedDocument)
        statement = select(t.c.operation_id, t.c.period, t.c.as_of, t.c.due_sat).order_by(t.c.as_of)
        if operation_id is not None:
            statement = statement.where(t.c.operation_id == operation_id)
        return {
            (str(r.operation_id), str(r.period)): (r.as_of, int(r.due_sat))
            for r in await self._read(statement)
        }

    async def assessed_dues(
        self, known_at: datetime, bases: Mapping[str, str]
    ) -> dict[str, dict[str, int]]:
        """The dues kept for ``known_at`` (:meth:`keep_assessed_dues`), by operation, of the
        operations in ``bases`` (operation -> basis) whose kept basis is the one given."""
        t = _table(AssessedDues)
        rows = await self._read(
            select(t.c.operation_id, t.c.basis, t.c.dues).where(
                t.c.known_at == known_at, t.c.operation_id.in_(list(bases))
            )
        )
        return {
            str(row.operation_id): {
                str(label): int(due) for label, due in json.loads(row.dues).items()
            }
            for row in rows
            if bases.get(str(row.operation_id)) == row.basis
        }

    async def keep_assessed_dues(
        self, known_at: datetime, dues: Mapping[str, tuple[str, Mapping[str, int]]]
    ) -> None:
        """Keep each operation's dues as known at ``known_at`` (operation -> (basis, period
        label -> due)); dues kept before for the same basis stay as they are."""
        now = self.clock.now()
        rows = [
            {
                "operation_id": operation_id,
                "known_at": known_at,
                "basis": basis,
                "dues": json.dumps(dict(by_period), sort_keys=True, separators=(",", ":")),
                "computed_at": now,
            }
            for operation_id, (basis, by_period) in dues.items()
        ]
        if not rows:
            return

        async def work(connection: AsyncConnection) -> None:
            insert = postgresql.insert if self._dialect == "postgresql" else sqlite.insert
            await connection.execute(
                insert(_table(AssessedDues)).values(rows).on_conflict_do_nothing()
            )

        await self._write(work)

    async def revision_instants(
        self,
        operation_id: str | None = None,
        *,
        after: datetime | None = None,
        until: datetime | None = None,
    ) -> list[tuple[str | None, date | None, datetime]]:
        """When each input that sets a period's due was observed: ``(operation, day,
        observed_at)`` for earnings and pool hash rates, ``(None, day, observed_at)`` for
        network days, ``(operation, None, observed_at)`` for terms; each once, observed in
        ``(after, until]`` (either bound optional), optionally of one operation only; in no
        particular order (81,000 at 100 operations x 2 years: the restart's first pass reads
        them all, and sorting them took a fifth of the read)."""

        def bounded(statement: Select[Any], observed: ColumnElement[datetime]) -> Select[Any]:
            if after is not None:
                statement = statement.where(observed > after)
            if until is not None:
                statement = statement.where(observed <= until)
            return statement

        found: list[tuple[str | None, date | None, datetime]] = []
        # An operation's earnings and pool hash rates are mostly observed together, day by
        # day: one DISTINCT over both reads each (operation, day, instant) once (81,000 rows
        # instead of 153,000 at 100 operations x 2 years: the restart's first pass reads them).
        daily = []
        for table in (EarningRevision, PoolHashrateRevision):
            t = _table(table)
            statement = select(t.c.operation_id, t.c.day, t.c.observed_at)
            if operation_id is not None:
                statement = statement.where(t.c.operation_id == operation_id)
            daily.append(bounded(statement, t.c.observed_at))
        found.extend((op, day, observed) for op, day, observed in await self._read(union(*daily)))
        network = _table(NetworkDayRevision)
        days: Select[Any] = select(network.c.day, network.c.observed_at).distinct()
        found.extend(
            (None, day, observed)
            for day, observed in await self._read(bounded(days, network.c.observed_at))
        )
        terms = _table(TermsRevision)
        edits: Select[Any] = select(terms.c.operation_id, terms.c.observed_at).distinct()
        if operation_id is not None:
            edits = edits.where(terms.c.operation_id == operation_id)
        found.extend(
            (op, None, observed)
            for op, observed in await self._read(bounded(edits, terms.c.observed_at))
        )
        return found

    async def record_terms(self, terms: Mapping[str, str]) -> None:
        """Keep each operation's terms (``operation id -> canonical JSON``) as a new revision
        when they differ from the latest one stored."""
        now = self.clock.now()

        async def work(connection: AsyncConnection) -> None:
            latest = await self._latest_terms(connection, now)
            rows = [
                {"operation_id": op, "observed_at": now, "document": document}
                for op, document in terms.items()
                if latest.get(op) != document
            ]
            await self._upsert(connection, TermsRevision, rows, ("operation_id", "observed_at"))

        await self._write(work)

    async def _latest_terms(self, connection: AsyncConnection, as_of: datetime) -> dict[str, str]:
        t = _as_of(TermsRevision, ("operation_id",), as_of)
        result = await connection.execute(select(t.c.operation_id, t.c.document))
        return {str(r.operation_id): str(r.document) for r in result.all()}

    async def terms_as_of(self, as_of: datetime) -> dict[str, str]:
        """Each operation's terms (canonical JSON) as known at ``as_of``."""
        try:
            async with self.engine.connect() as connection:
                return await self._latest_terms(connection, as_of)
        except (SQLAlchemyError, OSError) as err:
            raise StoreError(f"store read failed: {err.__class__.__name__}: {err}") from err

    async def statement_issued(self, operation_id: str, period: str) -> bool:
        t = _table(IssuedStatement)
        rows = await self._read(
            select(t.c.sha256).where(
                t.c.operation_id == operation_id, t.c.period == period, t.c.emailed_at.is_not(None)
            )
        )
        return bool(rows)
