"""One-shot commands beside the service: CSV imports (earnings, rates, official prices, the
digital-mining fee's meter readings and bank transfers, exchanges' sales) and
proofs of control."""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from collector.config.model import Config

FEE_INPUTS: Final = {
    "meter": "the grid operator's metered kWh per site and day or month (digital-mining fee)",
    "fee-payments": "the digital-mining fee's bank transfers (bad rows refused alone, exit 2)",
    "exchange-sales": "an AIFC exchange's statement of sales of mined coins (mandatory sale)",
}


def add_fee_inputs(import_commands: Any) -> list[argparse.ArgumentParser]:
    """``import meter`` and ``import fee-payments`` (:mod:`collector.commands.fee_import`),
    each with its file argument, under ``reservewatch import``; kept here, beside their
    command, so the CLI's module stays one table of commands."""
    parsers = []
    for kind, what in FEE_INPUTS.items():
        parser: argparse.ArgumentParser = import_commands.add_parser(kind, help=what)
        parser.add_argument("file", type=Path, metavar="FILE.csv")
        parsers.append(parser)
    return parsers


def run_import(kind: str, config: Config, path: Path) -> int:
    """``reservewatch import KIND FILE.csv``: the importer of ``kind``, imported when run (the
    CLI's ``--help`` stays fast)."""
    from collector.commands import (  # noqa: PLC0415
        fee_import,
        imports,
        official_prices_import,
        rates_import,
        sales_import,
    )

    run = {
        "earnings": imports.import_earnings,
        "rates": rates_import.import_rates,
        "official-prices": official_prices_import.import_official_prices,
        "meter": fee_import.import_meter,
        "fee-payments": fee_import.import_fee_payments,
        "exchange-sales": sales_import.import_exchange_sales,
    }[kind]
    return asyncio.run(run(config, path))
