"""``reservewatch import meter FILE.csv`` and ``reservewatch import fee-payments FILE.csv``: the
digital-mining fee's inputs that come from outside the collector.

- **meter**: the grid operator's metered energy of a site, per day or per month, for a site
  whose energy the collector's telemetry does not measure. Header ``site,period,energy_kwh``;
  ``period`` is ``YYYY-MM-DD`` (a day) or ``YYYY-MM`` (a month), days in the regulator's zone;
  ``energy_kwh`` a decimal with at most 3 places (a whole Wh). A reading that changes one the
  store holds is a new revision, observed now; the same reading again changes nothing.
- **energy-invoices**: a supplier's invoices of a site's electricity, giving the site's
  average price paid per kWh. Header ``site,period,energy_kwh,amount_kzt,invoice_number``;
  ``period`` the month invoiced, ``YYYY-MM``; ``energy_kwh`` positive, at most 3 places;
  ``amount_kzt`` what was paid, at most 2 places (a whole tiyn); ``invoice_number`` the
  supplier's, unique per site. An invoice that changes one the store holds is a new revision,
  observed now; the same one again changes nothing. A quarter's invoices replace the site's
  configured price in it (:mod:`collector.accounts.mining_fee`).
- **fee-payments**: the fee's bank transfers (it is paid in tenge, not on-chain). Header
  ``date,operation,amount_kzt,reference``; ``amount_kzt`` with at most 2 places (a whole tiyn);
  ``reference`` the bank's reference, unique per payer operation. A transfer is stored once:
  the same row again changes nothing, a stored reference with another date or amount is refused.

Unlike ``import earnings`` (all or nothing), a bad row here is refused alone — its line and
why on one line of standard error — and the valid rows are kept: the exit status is 2 when any
row was refused, so a script notices.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Awaitable, Callable, Container
from dataclasses import replace
from datetime import date
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import TypeVar

from collector.clock import Clock, SystemClock
from collector.commands.imports import CsvImportError, checked_rows, csv_rows, read_csv_file
from collector.config.model import Config, regulator_zone
from collector.store.queries import Store, open_store
from collector.store.records import (
    EnergyInvoiceRecord,
    ExchangeSaleRecord,
    FeePaymentRecord,
    GridMeterRecord,
    PoolReportRowRecord,
)
from remittance.mining_fee import TIYN_PER_KZT, WH_PER_KWH

METER_COLUMNS = ("site", "period", "energy_kwh")
INVOICE_COLUMNS = ("site", "period", "energy_kwh", "amount_kzt", "invoice_number")
PAYMENT_COLUMNS = ("date", "operation", "amount_kzt", "reference")
_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_MONTH = re.compile(r"(\d{4})-(\d{2})")
_KWH = re.compile(r"\d{1,12}(\.\d{1,3})?")
_KZT = re.compile(r"\d{1,15}(\.\d{1,2})?")
REFERENCE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]{0,99}")
Row = TypeVar(
    "Row",
    GridMeterRecord,
    FeePaymentRecord,
    PoolReportRowRecord,
    ExchangeSaleRecord,
    EnergyInvoiceRecord,
)


def parse_period(text: str) -> tuple[date, str] | str:
    """The day or month ``text`` names (its first day, ``day``/``month``), or why none."""
    try:
        if _DAY.fullmatch(text):
            return date.fromisoformat(text), "day"
        if match := _MONTH.fullmatch(text):
            return date(int(match[1]), int(match[2]), 1), "month"
    except ValueError:
        return "does not exist (no such day or month in the calendar)"
    return "is not YYYY-MM-DD (a day) or YYYY-MM (a month)"


def row_day(
    operation: str, known: Container[str], day_text: str, today: date, not_yet: str
) -> date | str:
    """A dated row's day, or why the row is refused: its operation is not configured, its
    date is no day (``YYYY-MM-DD``), or it is after today (``not_yet`` says what that means)."""
    if operation not in known:
        return f"unknown operation {operation[:63]!r}"
    return past_day("date", day_text, today, not_yet)


def past_day(column: str, day_text: str, today: date, not_yet: str) -> date | str:
    """The day ``day_text`` (a cell of ``column``) names, or why it is refused: no day
    (``YYYY-MM-DD``), or after today (``not_yet`` says what that means)."""
    period = parse_period(day_text)
    if isinstance(period, str) or period[1] != "day":
        return f"{column} {day_text[:20]!r} must be a day, YYYY-MM-DD"
    if period[0] > today:
        return f"{column} {day_text} is after today ({today}): {not_yet}"
    return period[0]


def parse_meter_csv(
    text: str, config: Config, today: date, source: str = "<csv>"
) -> tuple[list[GridMeterRecord], list[str]]:
    """The file's valid readings and one line for each refused row."""
    sites = {site.id for operation in config.operations for site in operation.sites}
    problems: list[str] = []
    readings: dict[tuple[str, date, str], GridMeterRecord] = {}
    for where, (site, period_text, energy_text) in csv_rows(text, METER_COLUMNS, source, problems):
        if site not in sites:
            problems.append(f"{where}: unknown site {site[:63]!r} (not configured)")
            continue
        period = parse_period(period_text)
        if isinstance(period, str):
            problems.append(f"{where}: period {period_text[:20]!r} {period}")
            continue
        start, kind = period
        if start > today:
            problems.append(f"{where}: period {period_text} starts after today ({today})")
            continue
        if not _KWH.fullmatch(energy_text):
            problems.append(
                f"{where}: energy_kwh {energy_text[:30]!r} must be a decimal of kWh with at "
                "most 3 places, such as 1250.5"
            )
            continue
        key = (site, start, kind)
        reading = GridMeterRecord(site, start, kind, int(Decimal(energy_text) * WH_PER_KWH))
        if key in readings and readings[key] != reading:
            problems.append(f"{where}: {site} {period_text} appears twice with different energy")
            continue
        readings[key] = reading
    return list(readings.values()), problems


def _invoice(sites: Container[str], today: date, cells: list[str]) -> EnergyInvoiceRecord | str:
    """The row's invoice, or why it is refused (naming the column)."""
    site, period_text, energy_text, amount_text, number = cells
    if site not in sites:
        return f"unknown site {site[:63]!r} (not configured)"
    period = parse_period(period_text)
    if isinstance(period, str) or period[1] != "month":
        return f"period {period_text[:20]!r} must be the month invoiced, YYYY-MM"
    if period[0] > today:
        return f"period {period_text} starts after today ({today})"
    if not _KWH.fullmatch(energy_text) or Decimal(energy_text) == 0:
        return (
            f"energy_kwh {energy_text[:30]!r} must be a positive decimal of kWh with at most "
            "3 places, such as 70000.5"
        )
    if not _KZT.fullmatch(amount_text):
        return (
            f"amount_kzt {amount_text[:30]!r} must be a decimal of tenge with at most 2 "
            "places, such as 1610000.00"
        )
    if not REFERENCE.fullmatch(number):
        return f"invoice_number {number[:40]!r} must be 1-100 letters, digits or ._/-"
    return EnergyInvoiceRecord(
        site,
        number,
        period[0],
        int(Decimal(energy_text) * WH_PER_KWH),
        int(Decimal(amount_text) * TIYN_PER_KZT),
    )


def parse_invoices_csv(
    text: str, config: Config, today: date, source: str = "<csv>"
) -> tuple[list[EnergyInvoiceRecord], list[str]]:
    """The file's valid invoices and one line for each refused row."""
    sites = {site.id for operation in config.operations for site in operation.sites}
    problems: list[str] = []
    invoices: dict[tuple[str, str], EnergyInvoiceRecord] = {}
    check = partial(_invoice, sites, today)
    for where, invoice in checked_rows(text, INVOICE_COLUMNS, source, problems, check):
        key = (invoice.site_id, invoice.invoice_number)
        if key in invoices and invoices[key] != invoice:
            problems.append(
                f"{where}: invoice_number {invoice.invoice_number} of {invoice.site_id} appears "
                "twice with different rows"
            )
            continue
        invoices[key] = invoice
    return list(invoices.values()), problems


def parse_payments_csv(
    text: str, config: Config, today: date, source: str = "<csv>"
) -> tuple[list[FeePaymentRecord], list[str]]:
    """The file's valid transfers and one line for each refused row."""
    operations = {operation.id for operation in config.operations}
    problems: list[str] = []
    payments: dict[tuple[str, str], FeePaymentRecord] = {}
    for where, (day_text, operation, amount_text, reference) in csv_rows(
        text, PAYMENT_COLUMNS, source, problems
    ):
        day = row_day(operation, operations, day_text, today, "not paid yet")
        if isinstance(day, str):
            problems.append(f"{where}: {day}")
            continue
        if not _KZT.fullmatch(amount_text) or Decimal(amount_text) == 0:
            problems.append(
                f"{where}: amount_kzt {amount_text[:30]!r} must be a positive decimal of tenge "
                "with at most 2 places, such as 1234567.89"
            )
            continue
        if not REFERENCE.fullmatch(reference):
            problems.append(
                f"{where}: reference {reference[:40]!r} must be 1-100 letters, digits or ._/-"
            )
            continue
        payment = FeePaymentRecord(
            operation, reference, day, int(Decimal(amount_text) * TIYN_PER_KZT)
        )
        key = (operation, reference)
        if key in payments and payments[key] != payment:
            problems.append(f"{where}: reference {reference} appears twice with different rows")
            continue
        payments[key] = payment
    return list(payments.values()), problems


Kept = TypeVar("Kept", FeePaymentRecord, ExchangeSaleRecord)


def never_rewritten(
    rows: list[Kept], stored: list[Kept], describe: Callable[[Kept], str]
) -> tuple[list[Kept], list[str]]:
    """The rows the ``stored`` ones (same operation and reference) do not contradict, and a
    line for each they do: an imported transfer or sale keeps what it first said."""
    held_by = {(h.operation_id, h.reference): h for h in stored}
    kept, problems = [], []
    for row in rows:
        held = held_by.get((row.operation_id, row.reference))
        if held is not None and replace(held, observed_at=None) != replace(row, observed_at=None):
            problems.append(
                f"{row.operation_id} {row.reference}: the store already holds {describe(held)} "
                "(an imported row is never re-written)"
            )
            continue
        kept.append(row)
    return kept, problems


def parse_file(
    parse: Callable[[str, Config, date, str], tuple[list[Row], list[str]]],
    config: Config,
    path: Path,
    clock: Clock,
) -> tuple[list[Row], list[str]]:
    today = clock.now().astimezone(regulator_zone(config)).date()
    try:
        return parse(read_csv_file(path), config, today, str(path))
    except CsvImportError as err:  # unreadable, not CSV, or the wrong header: no row at all
        return [], err.problems


def outcome(path: Path, what: str, valid: int, added: int, problems: list[str]) -> int:
    for line in problems:
        print(line, file=sys.stderr)
    print(
        f"{path}: {added} new {what} stored, {valid - added} already stored, "
        f"{len(problems)} refused"
    )
    return 2 if problems else 0


async def _import_revised(  # noqa: PLR0917 - the command's and its table's parts
    config: Config,
    path: Path,
    clock: Clock | None,
    parse: Callable[[str, Config, date, str], tuple[list[Row], list[str]]],
    store_them: Callable[[Store, list[Row]], Awaitable[int]],
    what: str,
) -> int:
    """Parse ``path``, store its valid rows as revisions (``store_them``), say what happened."""
    clock = clock or SystemClock()
    rows, problems = parse_file(parse, config, path, clock)
    added = 0
    if rows:
        async with open_store(config.database, clock) as store:
            added = await store_them(store, rows)
    return outcome(path, what, len(rows), added, problems)


async def import_meter(config: Config, path: Path, clock: Clock | None = None) -> int:
    """Import the grid operator's readings; see the module's docstring."""
    return await _import_revised(
        config, path, clock, parse_meter_csv, Store.record_grid_meter, "readings"
    )


async def import_energy_invoices(config: Config, path: Path, clock: Clock | None = None) -> int:
    """Import the sites' energy invoices; see the module's docstring."""
    return await _import_revised(
        config, path, clock, parse_invoices_csv, Store.record_energy_invoices, "invoices"
    )


async def import_fee_payments(config: Config, path: Path, clock: Clock | None = None) -> int:
    """Import the fee's bank transfers; see the module's docstring."""
    clock = clock or SystemClock()
    payments, problems = parse_file(parse_payments_csv, config, path, clock)
    added = 0
    if payments:
        async with open_store(config.database, clock) as store:
            stored = await store.fee_payments({p.operation_id for p in payments})
            payments, conflicts = never_rewritten(
                payments,
                stored,
                lambda held: f"{held.paid_on} {held.amount_tiyn / TIYN_PER_KZT:.2f} KZT",
            )
            problems += [f"{path}: {line}" for line in conflicts]
            added = await store.record_fee_payments(payments)
    return outcome(path, "transfers", len(payments), added, problems)
