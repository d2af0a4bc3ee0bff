"""``reservewatch import rates FILE.csv``: the National Bank of Kazakhstan's official rates.

The NBK publishes, per day, the tenge rate of each currency (``rss/get_rates.cfm?fdate=
DD.MM.YYYY``: ``<item><title>USD</title><description>470.81</description><quant>1</quant>``,
i.e. 470.81 KZT per 1 USD). This command reads the same facts from a CSV with the header
``date,currency,rate,quant`` (``date`` as ``DD.MM.YYYY``, as the NBK writes it, or
``YYYY-MM-DD``; ``rate`` KZT per ``quant`` units). A day's rate is in force from 00:00 of that
day in the regulator's time zone (:func:`collector.config.regulator_zone`).

As with ``import earnings`` (:mod:`collector.commands.imports`), the whole file is checked before
anything is written: any bad row and nothing is imported, every bad row reported with its
line. The store is append-only: a rate already stored for its day is skipped when equal and
refused when different (an official rate is never silently replaced).
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal, Inexact, localcontext
from pathlib import Path
from zoneinfo import ZoneInfo

from collector.clock import Clock, SystemClock
from collector.commands.imports import CsvImportError, csv_rows, read_csv_file
from collector.config.model import Config, regulator_zone
from collector.store.queries import Store, open_store
from collector.store.records import PriceQuoteRecord

COLUMNS = ("date", "currency", "rate", "quant")
SOURCE = "nbk-csv"
QUOTE = "KZT"
_NBK_DAY = re.compile(r"(\d{2})\.(\d{2})\.(\d{4})")
_ISO_DAY = re.compile(r"(\d{4})-(\d{2})-(\d{2})")
_CURRENCY = re.compile(r"[A-Z]{3}")
_RATE = re.compile(r"\d{1,12}(\.\d{1,8})?")
_QUANT = re.compile(r"[1-9]\d{0,6}")


def parse_day(text: str) -> date | str:
    """The day ``text`` names, or why it names none."""
    if match := _NBK_DAY.fullmatch(text):
        day, month, year = (int(g) for g in match.groups())
    elif match := _ISO_DAY.fullmatch(text):
        year, month, day = (int(g) for g in match.groups())
    else:
        return "is not DD.MM.YYYY (or YYYY-MM-DD)"
    try:
        return date(year, month, day)
    except ValueError:
        return "does not exist (no such day in the calendar)"


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """00:00 of ``day`` in ``zone``, as a UTC instant."""
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def _per_unit(rate: Decimal, quant: int) -> Decimal | None:
    with localcontext() as context:
        context.prec = 40
        context.traps[Inexact] = True
        try:
            return rate / quant
        except Inexact:
            return None


def parse_rates_csv(
    text: str, zone: ZoneInfo, source: str = "<csv>", today: date | None = None
) -> list[PriceQuoteRecord]:
    """Validate the whole file; return its rates (KZT per one unit) or raise
    :class:`CsvImportError` listing every bad line. A day more than one day after ``today``
    is refused: the NBK sets a day's rate on the day before, never earlier."""
    problems: list[str] = []
    records: dict[tuple[str, date], PriceQuoteRecord] = {}
    for where, (day_text, currency, rate_text, quant_text) in csv_rows(
        text, COLUMNS, source, problems
    ):
        day = parse_day(day_text)
        if isinstance(day, str):
            problems.append(f"{where}: date {day_text[:20]!r} {day}")
            continue
        if today is not None and day > today + timedelta(days=1):
            problems.append(f"{where}: date {day} is more than a day after today ({today})")
            continue
        if not _CURRENCY.fullmatch(currency) or currency == QUOTE:
            problems.append(
                f"{where}: currency {currency[:20]!r} must be an ISO 4217 code such as USD "
                "(rates are tenge per unit of it)"
            )
            continue
        if not _RATE.fullmatch(rate_text) or Decimal(rate_text) == 0:
            problems.append(
                f"{where}: rate {rate_text[:30]!r} must be a positive decimal such as 470.81"
            )
            continue
        if not _QUANT.fullmatch(quant_text):
            problems.append(f"{where}: quant {quant_text[:20]!r} must be a whole number from 1")
            continue
        per_unit = _per_unit(Decimal(rate_text), int(quant_text))
        if per_unit is None:
            problems.append(f"{where}: rate {rate_text} per {quant_text} is not exact per unit")
            continue
        record = PriceQuoteRecord(currency, QUOTE, SOURCE, day_start(day, zone), per_unit)
        key = (currency, day)
        if key in records and records[key].rate != per_unit:
            problems.append(f"{where}: {currency} {day} appears twice with different rates")
            continue
        records[key] = record
    if problems:
        raise CsvImportError(problems)
    return sorted(records.values(), key=lambda r: (r.base, r.instant))


async def conflicts(store: Store, records: list[PriceQuoteRecord], zone: ZoneInfo) -> list[str]:
    """The rows the store already holds with another value (append-only: refused), for the
    records' own (base, quote, source): official rates and prices are never replaced."""
    problems = []
    for base, quote, source in sorted({(r.base, r.quote, r.source) for r in records}):
        mine = [r for r in records if (r.base, r.quote, r.source) == (base, quote, source)]
        stored = {
            q.instant: q.rate
            for q in await store.price_quotes(
                base, quote, start=mine[0].instant, end=mine[-1].instant + timedelta(seconds=1)
            )
            if q.source == source
        }
        for record in mine:
            held = stored.get(record.instant)
            if held is not None and held != record.rate:
                day = record.instant.astimezone(zone).date()
                problems.append(
                    f"{base} {day}: the store already holds {held} {quote} (official figures "
                    f"are never replaced); this file says {record.rate}"
                )
    return problems


async def import_rates(config: Config, path: Path, clock: Clock | None = None) -> int:
    return await import_quotes(config, path, clock, parse_rates_csv, "rates")


Parse = Callable[[str, ZoneInfo, str, date], list[PriceQuoteRecord]]
"""A CSV's text, the regulator's zone, the file's name and today -> its records."""


async def import_quotes(
    config: Config, path: Path, clock: Clock | None, parse: Parse, what: str
) -> int:
    """Check the whole file with ``parse``, refuse a day stored with another value, append
    the rest, and say how many of ``what`` were new; 2 (nothing imported) on any problem."""
    clock = clock or SystemClock()
    zone = regulator_zone(config)
    try:
        today = clock.now().astimezone(zone).date()
        records = parse(read_csv_file(path), zone, str(path), today)
    except CsvImportError as err:
        return _refused(path, err.problems)
    async with open_store(config.database, clock) as store:
        problems = await conflicts(store, records, zone) if records else []
        if problems:
            return _refused(path, [f"{path}: {p}" for p in problems])
        added = await store.record_prices(records)
    print(f"{path}: imported {added} new {what} ({len(records) - added} already stored)")
    return 0


def _refused(path: Path, problems: list[str]) -> int:
    for line in problems:
        print(line, file=sys.stderr)
    print(f"{path}: nothing imported", file=sys.stderr)
    return 2
