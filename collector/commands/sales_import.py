"""``reservewatch import exchange-sales FILE.csv``: the mandatory sale's evidence, an AIFC
exchange's statement of an operation's sales of mined coins.

Header ``date,operation,exchange,sold_btc,proceeds,reference``: ``date`` the sale's UTC day
``YYYY-MM-DD``; ``operation`` a configured operation's id; ``exchange`` the licensed exchange's
name (one of the operation's ``mandatory_sale.exchanges`` where that list is given);
``sold_btc`` the coins sold, a positive decimal with at most 8 places (a whole satoshi);
``proceeds`` what the sale fetched, a decimal in the statement's currency, or empty (shown,
never counted); ``reference`` the exchange's trade or statement reference, unique per
operation. A sale is stored once, observed now: the same row again changes nothing, a stored
reference with another day, exchange or amount is refused (a statement is never re-written).

A bad row is refused alone — its line and why on one line of standard error — and the valid
rows are kept: the exit status is 2 when any row was refused.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

from collector.clock import Clock, SystemClock
from collector.commands.fee_import import (
    REFERENCE,
    never_rewritten,
    outcome,
    parse_file,
    row_day,
)
from collector.commands.imports import csv_rows
from collector.config.model import Config
from collector.store.queries import open_store
from collector.store.records import ExchangeSaleRecord
from remittance.money import MAX_SUPPLY_SAT, SAT_PER_BTC

SALE_COLUMNS = ("date", "operation", "exchange", "sold_btc", "proceeds", "reference")
_BTC = re.compile(r"\d{1,8}(\.\d{1,8})?")
_PROCEEDS = re.compile(r"\d{1,15}(\.\d{1,8})?")
_EXCHANGE = re.compile(r"\S(.{0,98}\S)?")


def _sale_problem(
    exchange: str, sold_text: str, proceeds: str, reference: str, exchanges: tuple[str, ...]
) -> str | None:
    """Why the row's cells are refused, or None."""
    if not _EXCHANGE.fullmatch(exchange) or not exchange.isprintable():
        return f"exchange {exchange[:40]!r} must be the exchange's name, 1-100 characters"
    if exchanges and exchange not in exchanges:
        return f"exchange {exchange[:40]!r} is not one of the operation's licensed exchanges"
    if not _BTC.fullmatch(sold_text) or not 0 < Decimal(sold_text) * SAT_PER_BTC <= MAX_SUPPLY_SAT:
        return (
            f"sold_btc {sold_text[:30]!r} must be a positive decimal of BTC with at most 8 "
            "places, such as 0.125"
        )
    if proceeds and not _PROCEEDS.fullmatch(proceeds):
        return f"proceeds {proceeds[:30]!r} must be empty or a decimal such as 1234567.89"
    if not REFERENCE.fullmatch(reference):
        return f"reference {reference[:40]!r} must be 1-100 letters, digits or ._/-"
    return None


def parse_sales_csv(
    text: str, config: Config, today: date, source: str = "<csv>"
) -> tuple[list[ExchangeSaleRecord], list[str]]:
    """The file's valid sales and one line for each refused row."""
    exchanges = {
        operation.id: operation.mandatory_sale.exchanges if operation.mandatory_sale else ()
        for operation in config.operations
    }
    problems: list[str] = []
    sales: dict[tuple[str, str], ExchangeSaleRecord] = {}
    for where, (day_text, operation, exchange, sold_text, proceeds, reference) in csv_rows(
        text, SALE_COLUMNS, source, problems
    ):
        day = row_day(operation, exchanges, day_text, today, "not sold yet")
        if isinstance(day, str):
            problems.append(f"{where}: {day}")
            continue
        problem = _sale_problem(exchange, sold_text, proceeds, reference, exchanges[operation])
        if problem is not None:
            problems.append(f"{where}: {problem}")
            continue
        sale = ExchangeSaleRecord(
            operation,
            reference,
            day,
            exchange,
            int(Decimal(sold_text) * SAT_PER_BTC),
            proceeds or None,
        )
        key = (operation, reference)
        if key in sales and sales[key] != sale:
            problems.append(f"{where}: reference {reference} appears twice with different rows")
            continue
        sales[key] = sale
    return list(sales.values()), problems


async def import_exchange_sales(config: Config, path: Path, clock: Clock | None = None) -> int:
    """Import an exchange's statement of sales; see the module's docstring."""
    clock = clock or SystemClock()
    sales, problems = parse_file(parse_sales_csv, config, path, clock)
    added = 0
    if sales:
        async with open_store(config.database, clock) as store:
            stored = await store.exchange_sales({s.operation_id for s in sales})
            sales, conflicts = never_rewritten(
                sales, stored, lambda held: f"{held.sold_on} {held.exchange} {held.sold_sat} sat"
            )
            problems += [f"{path}: {line}" for line in conflicts]
            added = await store.record_exchange_sales(sales)
    return outcome(path, "sales", len(sales), added, problems)
