"""One-shot commands beside the service: CSV imports (earnings, rates, official prices, the
digital-mining fee's meter readings, energy invoices and bank transfers, the pools' monthly
reports, exchanges' sales, seized cases' legal states), the pools' reports reconciled, and
proofs of control."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collector.config.model import Config

LAW_INPUTS: Final = {
    "meter": "the grid operator's metered kWh per site and day or month (digital-mining fee)",
    "fee-payments": "the digital-mining fee's bank transfers (bad rows refused alone, exit 2)",
    "energy-invoices": "a site's electricity invoices (site,period,energy_kwh,amount_kzt,"
    "invoice_number): the quarter's average price paid per kWh for the digital-mining fee",
    "pool-report": "a pool's monthly report to the tax authority of what it distributed to "
    "licensed miners (pool,period,iin_bin,name,licence_number,licence_date,wallet,"
    "distribution_date,amount_btc; or FILE.json, an array of such objects; a month with a bad "
    "row is not stored, exit 2)",
    "exchange-sales": "an AIFC exchange's statement of sales of mined coins (mandatory sale)",
    "case-states": "seized cases' legal states (case,state,from,order,destination; a state "
    "the configuration gives wins; bad rows refused alone, exit 2)",
}


def add_law_inputs(import_commands: Any) -> list[argparse.ArgumentParser]:
    """``import meter``, ``import fee-payments`` (:mod:`collector.commands.fee_import`) and
    ``import pool-report`` (:mod:`collector.commands.pool_report_import`), each with its file
    argument, under ``reservewatch import``; kept here, beside their command, so the CLI's
    module stays one table of commands."""
    parsers = []
    for kind, what in LAW_INPUTS.items():
        parser: argparse.ArgumentParser = import_commands.add_parser(kind, help=what)
        parser.add_argument("file", type=Path, metavar="FILE.csv")
        parsers.append(parser)
    return parsers


def run_import(kind: str, config: Config, path: Path) -> int:
    """``reservewatch import KIND FILE.csv``: the importer of ``kind``, imported when run (the
    CLI's ``--help`` stays fast)."""
    from collector.commands import (  # noqa: PLC0415
        case_states_import,
        fee_import,
        imports,
        official_prices_import,
        pool_report_import,
        rates_import,
        sales_import,
    )

    run = {
        "earnings": imports.import_earnings,
        "rates": rates_import.import_rates,
        "official-prices": official_prices_import.import_official_prices,
        "meter": fee_import.import_meter,
        "fee-payments": fee_import.import_fee_payments,
        "energy-invoices": fee_import.import_energy_invoices,
        "pool-report": pool_report_import.import_pool_report,
        "exchange-sales": sales_import.import_exchange_sales,
        "case-states": case_states_import.import_case_states,
    }[kind]
    return asyncio.run(run(config, path))


def add_pool_reports_parser(
    commands: Any,
    config_argument: Callable[[argparse.ArgumentParser], None],
    instant: Callable[[str], datetime],
) -> None:
    """``reservewatch pool-reports``: the pools' reports reconciled (regulator only: the
    lines name operations and pools, never an IIN/BIN)."""
    parser = commands.add_parser(
        "pool-reports",
        help="the pools' monthly reports reconciled three ways (report, API credit, chain)",
        description="One line per operation, pool and month a stored report covers: the "
        "report's sum, the pool API's credit and what reached the reported wallets on-chain "
        "('not observable' when a wallet is not watched), then a line per finding (a pair "
        "beyond pool_reports' tolerance). Exit 0 with no finding, 1 with any.",
    )
    config_argument(parser)
    parser.add_argument("--as-of", type=instant, metavar="TIME", help="default now (ISO 8601)")
    parser.add_argument("--operation", metavar="OP", help="one operation only")


def run_pool_reports(args: argparse.Namespace, config: Config) -> int:
    """Run ``reservewatch pool-reports`` (:mod:`collector.commands.pool_reports`)."""
    from collector.commands import pool_reports  # noqa: PLC0415 - the store

    return asyncio.run(pool_reports.print_reconciliations(config, args.as_of, args.operation))
