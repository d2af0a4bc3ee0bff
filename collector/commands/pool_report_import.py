"""``reservewatch import pool-report FILE.csv``: a pool's monthly report to the tax authority of
what it distributed to licensed miners (a Ministry of Finance order of 20 Feb 2026, sent over
the Qoldau.kz API; zakon.kz, 27 Feb 2026), one row per distribution, in the form's fields::

    pool,period,iin_bin,name,licence_number,licence_date,wallet,distribution_date,amount_btc
    ocean,2026-10,123456789012,Demo Mining LLP,DM-2026-001,2026-01-15,bc1q…,2026-10-31,0.031

- ``pool``: the pool's kind (``ocean``, ``braiins``, …) at which the operation has an account;
- ``period``: the month reported, ``YYYY-MM``; ``distribution_date`` a day of it;
- ``iin_bin``: twelve digits, the operation whose ``tax_identity.iin_bin`` it is (the
  identifier finds the operation and is not stored); ``licence_number`` must be the
  operation's ``license`` and ``licence_date``, where configured, its ``licence_date``;
- ``wallet``: an address on the configured chain; ``amount_btc``: at most 8 decimals.

A file named ``*.json`` is read as a JSON array of rows, each an object with the same keys,
every value a string (``"amount_btc": "0.031"``: a JSON number would be a float).

The form's own column names and the reports' monthly deadline are unconfirmed: this header is
reservewatch's, its fields the form's. A bad row is refused alone, its line and why on one line
of standard error, and the month's report it belongs to (operation, pool, period) is not stored
at all (a report short of a row would read as a finding); the other months are kept, each
stored whole, observed now, unless the store already holds it unchanged. Exit 2 when any row
was refused.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path

from collector.bitcoin.address import AddressError, validate_address
from collector.clock import Clock, SystemClock
from collector.commands.fee_import import outcome, parse_file
from collector.commands.imports import csv_rows
from collector.config.model import Config
from collector.config.sections import OperationConfig
from collector.store.queries import open_store
from collector.store.records import PoolReportRowRecord
from remittance.errors import InvalidInputError
from remittance.money import MAX_SUPPLY_SAT, btc_text_to_sat

COLUMNS = (
    "pool",
    "period",
    "iin_bin",
    "name",
    "licence_number",
    "licence_date",
    "wallet",
    "distribution_date",
    "amount_btc",
)
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
Key = tuple[str, str, date]


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        return None


def _month(text: str) -> date | None:
    match = _MONTH.fullmatch(text)
    if match is None or not 1 <= int(match[2]) <= 12:
        return None
    return date(int(match[1]), int(match[2]), 1)


def _identity_problem(
    operation: OperationConfig, licence_number: str, licence_date: date
) -> str | None:
    if licence_number != operation.license:
        return f"licence_number {licence_number[:40]!r} is not {operation.id}'s licence"
    configured = operation.tax_identity.licence_date if operation.tax_identity else None
    if configured is not None and configured != licence_date:
        return f"licence_date {licence_date} is not {operation.id}'s ({configured})"
    return None


def _row(
    cells: list[str], config: Config, by_iin: dict[str, OperationConfig], today: date
) -> PoolReportRowRecord | str:
    """The row's record, or why it is refused."""
    pool, period_text, iin_bin, name, licence, licence_text, wallet, day_text, amount = cells
    operation = by_iin.get(iin_bin)
    if operation is None:
        return "iin_bin is not a configured operation's tax_identity.iin_bin"
    if pool not in {account.kind for account in operation.pools}:
        return f"pool {pool[:31]!r}: {operation.id} has no account at that pool"
    period = _month(period_text)
    if period is None or period > today:
        return f"period {period_text[:20]!r} must be a month, YYYY-MM, not after today"
    distributed_on, licence_date = _day(day_text), _day(licence_text)
    if distributed_on is None or distributed_on.replace(day=1) != period:
        return f"distribution_date {day_text[:20]!r} must be a day (YYYY-MM-DD) of {period_text}"
    if licence_date is None:
        return f"licence_date {licence_text[:20]!r} must be a day, YYYY-MM-DD"
    if problem := _identity_problem(operation, licence, licence_date):
        return problem
    if not 1 <= len(name) <= 200:
        return "name must be 1-200 characters"
    try:
        address = validate_address(wallet, config.network.chain)
        amount_sat = btc_text_to_sat(amount)
    except (AddressError, InvalidInputError) as err:
        return f"wallet or amount_btc: {err}"
    if not 0 < amount_sat <= MAX_SUPPLY_SAT:
        return f"amount_btc {amount[:30]!r} must be positive and at most the supply"
    return PoolReportRowRecord(
        operation.id, pool, period, 0, name, licence, licence_date, address, distributed_on,
        amount_sat,
    )  # fmt: skip


def json_rows(text: str, source: str, problems: list[str]) -> Iterator[tuple[str, list[str]]]:
    """The items of a JSON report (an array of objects with exactly :data:`COLUMNS` as keys,
    every value a string: an amount as a JSON number would be a float) as ``(where, cells)``;
    an item of another shape is added to ``problems``."""
    try:
        items = json.loads(text)
    except json.JSONDecodeError as err:
        problems.append(f"{source}:{err.lineno}: not JSON: {err.msg}")
        return
    if not isinstance(items, list):
        problems.append(f"{source}: a JSON report is an array of rows")
        return
    for number, item in enumerate(items, start=1):
        where = f"{source}:item {number}"
        if not isinstance(item, dict) or set(item) != set(COLUMNS):
            problems.append(f"{where}: a row is an object with the keys {','.join(COLUMNS)}")
        elif not all(isinstance(item[c], str) for c in COLUMNS):
            problems.append(f'{where}: every value is a string (amount_btc too: "0.031")')
        else:
            yield where, [item[c].strip() for c in COLUMNS]


def parse_pool_report_json(
    text: str, config: Config, today: date, source: str = "<json>"
) -> tuple[list[PoolReportRowRecord], list[str]]:
    """As :func:`parse_pool_report_csv`, from a JSON report (:func:`json_rows`)."""
    problems: list[str] = []
    rows = list(json_rows(text, source, problems))
    return _reports(rows, config, today, source, problems)


def parse_pool_report_csv(
    text: str, config: Config, today: date, source: str = "<csv>"
) -> tuple[list[PoolReportRowRecord], list[str]]:
    """The rows of every month's report with no refused row, and a line per refused row and
    per month left out for it."""
    problems: list[str] = []
    rows = list(csv_rows(text, COLUMNS, source, problems))
    return _reports(rows, config, today, source, problems)


def _reports(
    rows: list[tuple[str, list[str]]],
    config: Config,
    today: date,
    source: str,
    problems: list[str],
) -> tuple[list[PoolReportRowRecord], list[str]]:
    by_iin = {op.tax_identity.iin_bin: op for op in config.operations if op.tax_identity}
    reports: dict[Key, list[PoolReportRowRecord]] = defaultdict(list)
    spoilt: dict[Key, str] = {}
    for where, cells in rows:
        row = _row(cells, config, by_iin, today)
        if isinstance(row, str):
            problems.append(f"{where}: {row}")
            operation = by_iin.get(cells[2])
            month = _month(cells[1])
            if operation is not None and month is not None:
                spoilt.setdefault((operation.id, cells[0], month), where)
            continue
        key = (row.operation_id, row.pool, row.period)
        reports[key].append(replace(row, line=len(reports[key]) + 1))
    for key, where in sorted(spoilt.items()):
        if reports.pop(key, None) is not None:
            problems.append(
                f"{source}: {key[0]} {key[1]} {key[2]:%Y-%m} not stored: its row at {where} "
                "was refused"
            )
    return [row for report in reports.values() for row in report], problems


async def import_pool_report(config: Config, path: Path, clock: Clock | None = None) -> int:
    """Import a pool's monthly distribution report; see the module's docstring."""
    clock = clock or SystemClock()
    parse = parse_pool_report_json if path.suffix.lower() == ".json" else parse_pool_report_csv
    rows, problems = parse_file(parse, config, path, clock)
    months = len({(r.operation_id, r.pool, r.period) for r in rows})
    added = 0
    if rows:
        async with open_store(config.database, clock) as store:
            added = await store.record_pool_reports(rows)
    return outcome(path, "monthly reports", months, added, problems)
