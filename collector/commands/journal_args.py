"""``reservewatch journal add|list``: the arguments (light: no store, no signing imports, so
``--help`` stays fast) and the one function the COMMANDS table runs."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from datetime import datetime
from typing import Any

ADD_HELP = """\
Append one adjustment to the regulator's journal, signed with statement.signing_key_file,
with a reason and a reference (a letter, a decision, a case number). Append-only: an entry is
never changed or deleted; a mistake is mended by another entry. The ledger applies an entry to
every figure as of an instant at or after both when it was recorded (now, from the clock) and
--effective (default now): a statement as of before it is unchanged.

  refund        --operation OP --amount-sat N [--output TXID:VOUT]
                the reserve paid N sat back to OP: its credit first, then its newest settled
                dues are unpaid again; the reserve's outflow at TXID:VOUT is then a refund,
                not an unapproved outflow. Refused above what OP has remitted, net of refunds.
  reassignment  --operation FROM --to-operation TO --output TXID:VOUT
                a payment stored for FROM (paid to its address) counts for TO instead.
  write-off     --operation OP --period LABEL --amount-sat N
                the period's due is reduced by N sat, never below 0.

Exit 0 when appended, 2 on bad input (one line on stderr, nothing appended), 1 on a failure.
"""


def add_journal_parser(
    commands: Any,
    config_argument: Callable[[argparse.ArgumentParser], None],
    instant: Callable[[str], datetime],
) -> None:
    """Add ``journal add`` and ``journal list`` to the command line's subcommands."""
    journal = commands.add_parser(
        "journal", help="the regulator's signed adjustments: refund, reassignment, write-off"
    )
    actions = journal.add_subparsers(dest="journal_command", required=True, metavar="ACTION")
    add = actions.add_parser(
        "add",
        help="append a signed adjustment (refund, reassignment, write-off)",
        description=ADD_HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    config_argument(add)
    add.add_argument(
        "kind",
        choices=["refund", "reassignment", "write-off"],
        metavar="KIND",
        help="refund, reassignment or write-off (above)",
    )
    add.add_argument(
        "--operation", required=True, metavar="OP", help="the operation adjusted (moved from)"
    )
    add.add_argument("--to-operation", metavar="OP", help="reassignment: the operation credited")
    add.add_argument("--amount-sat", type=int, metavar="N", help="refund, write-off")
    add.add_argument("--output", metavar="TXID:VOUT", help="refund (if on-chain), reassignment")
    add.add_argument("--period", metavar="LABEL", help="write-off: e.g. 2026-10")
    add.add_argument("--effective", type=instant, metavar="TIME", help="default now (ISO 8601)")
    add.add_argument("--reason", required=True, metavar="TEXT", help="why, in a sentence")
    add.add_argument(
        "--reference",
        required=True,
        metavar="TEXT",
        help="the letter, decision or case behind it",
    )
    listing = actions.add_parser(
        "list",
        help="one line per entry: recorded, kind, operation, amount, reason and reference; "
        "entries whose signature fails are shown as refused",
    )
    config_argument(listing)
    listing.add_argument("--as-of", type=instant, metavar="TIME", help="as recorded by then")


def run_journal(args: argparse.Namespace, config: Any) -> int:
    """Run ``journal add`` or ``journal list`` (``config``: the loaded configuration)."""
    import asyncio  # noqa: PLC0415

    from collector.commands import journal  # noqa: PLC0415 - the store and the signing key

    if args.journal_command == "list":
        return asyncio.run(journal.list_journal(config, args.as_of))
    return asyncio.run(journal.add_entry(config, journal.request_of(args)))
