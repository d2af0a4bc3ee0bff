"""``reservewatch import earnings FILE.csv``: daily pool earnings from pools' CSV exports.

The file has a header ``operation,pool,date,amount_sat``; ``pool`` is ``kind/account`` as
configured. Every row is checked before anything is written: a file with any bad row imports
nothing and each bad row is reported with its line number. Rows are upserted by
(operation, pool, day), so importing the same file twice changes nothing.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import TypeVar

from collector.clock import SystemClock
from collector.config.model import Config
from collector.errors import ReservewatchError
from collector.store.queries import open_store
from collector.store.records import EarningRecord
from remittance.money import MAX_SUPPLY_SAT

COLUMNS = ("operation", "pool", "date", "amount_sat")
MAX_FILE_BYTES = 50 * 1024 * 1024
MAX_AMOUNT_SAT = MAX_SUPPLY_SAT
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
GENESIS_DAY = date(2009, 1, 3)  # the Bitcoin chain's first block


class CsvImportError(ReservewatchError):
    """The CSV cannot be imported; ``problems`` lists every bad line."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def csv_rows(
    text: str, columns: tuple[str, ...], source: str, problems: list[str]
) -> Iterator[tuple[str, list[str]]]:
    """The data rows of a CSV whose header is ``columns``, in order: ``(where, stripped
    cells)`` for each non-blank row of the right width (``where`` is ``source:line``); a row
    of another width is added to ``problems``. Raises :class:`CsvImportError` when the text
    is not CSV or the header differs."""
    reader = csv.reader(io.StringIO(text))
    try:
        rows = list(reader)
    except csv.Error as err:  # a stray CR, a field over csv's size limit, ...
        raise CsvImportError([f"{source}:{reader.line_num}: not CSV: {err}"]) from err
    header = rows[0] if rows else None
    if header is None or tuple(h.strip().lower() for h in header) != columns:
        raise CsvImportError([f"{source}:1: the header must be {','.join(columns)}"])
    for line_number, row in enumerate(rows[1:], start=2):
        if not row or all(not cell.strip() for cell in row):
            continue
        where = f"{source}:{line_number}"
        if len(row) != len(columns):
            problems.append(f"{where}: expected {len(columns)} columns, found {len(row)}")
            continue
        yield where, [cell.strip() for cell in row]


Checked = TypeVar("Checked")


def checked_rows(
    text: str,
    columns: tuple[str, ...],
    source: str,
    problems: list[str],
    check: Callable[[list[str]], Checked | str],
) -> Iterator[tuple[str, Checked]]:
    """:func:`csv_rows`, each row's cells turned by ``check`` into what it holds, or into why
    it is refused (a ``str``: added to ``problems`` as ``where: why``)."""
    for where, cells in csv_rows(text, columns, source, problems):
        found = check(cells)
        if isinstance(found, str):
            problems.append(f"{where}: {found}")
            continue
        yield where, found


def parse_earnings_csv(
    text: str, config: Config, source: str = "<csv>", today: date | None = None
) -> list[EarningRecord]:
    """Validate the whole file; return its records or raise :class:`CsvImportError`. A day
    after ``today`` (the mining day of the clock's now) has not been mined: refused."""
    accounts = {
        (operation.id, f"{pool.kind}/{pool.account}")
        for operation in config.operations
        for pool in operation.pools
    }
    operations = {operation.id for operation in config.operations}
    # No day before the chain's first block, nor before the operation's first configured rate
    # (a plain rate is in force from genesis): such a day was mined by no one watched here,
    # and stored it would make every account walk from there.
    first_day = {
        operation.id: max(GENESIS_DAY, operation.remittance.schedule[0].effective_from)
        for operation in config.operations
    }
    problems: list[str] = []
    records: dict[tuple[str, str, date], EarningRecord] = {}
    for where, (operation_id, pool, day_text, amount_text) in csv_rows(
        text, COLUMNS, source, problems
    ):
        if operation_id not in operations:
            problems.append(f"{where}: unknown operation {operation_id[:63]!r}")
            continue
        if (operation_id, pool) not in accounts:
            problems.append(
                f"{where}: pool {pool[:120]!r} is not configured for operation {operation_id!r}"
            )
            continue
        day_problem, day = _day(day_text)
        if day is None:
            problems.append(f"{where}: date {day_text[:20]!r} {day_problem}")
            continue
        if day < first_day[operation_id]:
            first = first_day[operation_id]
            why = (
                "the chain's first block" if first == GENESIS_DAY else "the operation's first rate"
            )
            problems.append(f"{where}: date {day} is before {why} ({first}): not mined here")
            continue
        if today is not None and day > today:
            problems.append(f"{where}: date {day} is after today ({today}): not mined yet")
            continue
        if (
            not (amount_text.isascii() and amount_text.isdigit())  # "²".isdigit() is true
            or len(amount_text) > len(str(MAX_AMOUNT_SAT))  # and int() refuses 4,300 digits
            or int(amount_text) > MAX_AMOUNT_SAT
        ):
            problems.append(
                f"{where}: amount_sat {amount_text!r} must be a whole number of satoshis "
                "between 0 and 21e14"
            )
            continue
        kind, _, account = pool.partition("/")
        key = (operation_id, pool, day)
        record = EarningRecord(operation_id, kind, account, day, int(amount_text), "csv")
        if key in records and records[key] != record:
            problems.append(f"{where}: {pool} {day} appears twice with different amounts")
            continue
        records[key] = record
    if problems:
        raise CsvImportError(problems)
    return list(records.values())


def _day(text: str) -> tuple[str, date | None]:
    """The day ``text`` names, or why it names none (not the form, or not in the calendar)."""
    if not _ISO_DAY.fullmatch(text):
        return "is not YYYY-MM-DD", None
    try:
        return "", date.fromisoformat(text)
    except ValueError:
        return "does not exist (no such day in the calendar)", None


def read_csv_file(path: Path) -> str:
    """The file's text (UTF-8, a BOM allowed), or a CsvImportError naming it."""
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CsvImportError([f"{path}: {size} bytes is over the {MAX_FILE_BYTES}-byte limit"])
        return path.read_text(encoding="utf-8-sig")
    except OSError as err:
        raise CsvImportError([f"{path}: cannot read: {err.strerror}"]) from err
    except UnicodeDecodeError as err:
        raise CsvImportError([f"{path}: not UTF-8 text ({err.reason})"]) from err


def _summary(records: Iterable[EarningRecord]) -> str:
    records = list(records)
    if not records:
        return "no rows"
    days = sorted(r.day for r in records)
    return f"{len(records)} rows from {days[0]} to {days[-1]}"


async def import_earnings(config: Config, path: Path) -> int:
    try:
        today = SystemClock().now().date()
        records = parse_earnings_csv(read_csv_file(path), config, str(path), today)
    except CsvImportError as err:
        for line in err.problems:
            print(line, file=sys.stderr)
        print(f"{path}: nothing imported", file=sys.stderr)
        return 2
    async with open_store(config.database) as store:
        await store.upsert_earnings(records)
    print(f"{path}: imported {_summary(records)}")
    return 0
