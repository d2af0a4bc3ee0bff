"""``reservewatch journal add|list``: the regulator's journal, signed and append-only.

``add`` checks an entry against the store before it signs and appends it: the operations are
configured; a reassigned output is stored as paid to the operation it moves from (or was last
reassigned to it); a refund's output, if given, is a stored outflow of the reserve of that
amount, and the refund does not exceed what the operation remitted, net of refunds.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from datetime import datetime

from collector.accounts.journal import read_journal
from collector.accounts.snapshot import snapshot_as_of
from collector.clock import Clock, SystemClock
from collector.config.keys import load_signing_key
from collector.config.model import Config
from collector.store.queries import Store, open_store
from remittance.errors import InvalidInputError
from remittance.journal import (
    JournalEntry,
    JournalKind,
    Outpoint,
    entry_line,
    parse_outpoint,
    reassignments,
)
from remittance.signing import sign_journal_entry


@dataclass(frozen=True, slots=True)
class EntryRequest:
    """``journal add``'s arguments."""

    kind: JournalKind
    operation: str
    reason: str
    reference: str
    to_operation: str | None = None
    amount_sat: int | None = None
    output: str | None = None
    period: str | None = None
    effective_at: datetime | None = None


def request_of(args: argparse.Namespace) -> EntryRequest:
    return EntryRequest(
        JournalKind(args.kind.replace("-", "_")),
        args.operation,
        args.reason,
        args.reference,
        args.to_operation,
        args.amount_sat,
        args.output,
        args.period,
        args.effective,
    )


async def add_entry(config: Config, request: EntryRequest, clock: Clock | None = None) -> int:
    """Check, sign and append one entry: 0 appended, 2 refused (one line on stderr)."""
    key = load_signing_key(config.statement.signing_key_file)
    async with open_store(config.database) as store:
        now = (clock or SystemClock()).now()
        try:
            entry = _entry(request, now)
            await _check_against_store(store, config, entry)
        except InvalidInputError as err:
            print(f"reservewatch: journal add: {err}", file=sys.stderr)
            return 2
        document = entry.canonical_bytes()
        key_id, signature = sign_journal_entry(document, key)
        await store.append_journal_entry(
            now, str(entry.kind), entry.operation, document.decode(), key_id, signature
        )
    print(entry_line(entry))
    return 0


def _entry(request: EntryRequest, now: datetime) -> JournalEntry:
    effective = request.effective_at or now
    if effective > now:
        raise InvalidInputError(f"--effective {effective.isoformat()} is in the future")
    outpoint = None if request.output is None else parse_outpoint(request.output)
    return JournalEntry(
        kind=request.kind,
        operation=request.operation,
        effective_at=effective,
        recorded_at=now,
        reason=request.reason,
        reference=request.reference,
        amount_sat=request.amount_sat or 0,
        outpoint=outpoint,
        to_operation=request.to_operation,
        period=request.period,
    )


async def _check_against_store(store: Store, config: Config, entry: JournalEntry) -> None:
    configured = {op.id for op in config.operations}
    for operation in (entry.operation, entry.to_operation):
        if operation is not None and operation not in configured:
            raise InvalidInputError(f"operation {operation!r} is not configured")
    if entry.kind is JournalKind.REASSIGNMENT and entry.outpoint is not None:
        await _check_reassignment(store, config, entry, entry.outpoint)
    if entry.kind is JournalKind.REFUND:
        await _check_refund(store, config, entry)


async def _check_reassignment(
    store: Store, config: Config, entry: JournalEntry, outpoint: Outpoint
) -> None:
    stored = await store.reserve_outputs(statuses=("confirmed",), kinds=("remittance",))
    paid_to = next((o.operation_id for o in stored if (o.txid, o.vout) == outpoint), None)
    if paid_to is None:
        raise InvalidInputError(f"output {entry.outpoint_text} is not a stored confirmed payment")
    moved = reassignments((await read_journal(store, config)).entries).get(outpoint)
    paid_to = moved[1] if moved else paid_to
    if paid_to != entry.operation:
        raise InvalidInputError(
            f"output {entry.outpoint_text} counts for {paid_to}, not {entry.operation}"
        )


async def _check_refund(store: Store, config: Config, entry: JournalEntry) -> None:
    if entry.outpoint is not None:
        outflows = await store.reserve_outputs(kinds=("outflow",))
        found = next((o for o in outflows if (o.txid, o.vout) == entry.outpoint), None)
        if found is None:
            raise InvalidInputError(
                f"output {entry.outpoint_text} is not a stored outflow of the reserve"
            )
        if found.amount_sat != entry.amount_sat:
            raise InvalidInputError(
                f"output {entry.outpoint_text} pays {found.amount_sat} sat, not {entry.amount_sat}"
            )
    snapshot = await snapshot_as_of(store, config, entry.recorded_at, entry.operation)
    account = snapshot.accounts.get(entry.operation)
    if account is None:
        raise InvalidInputError(f"the account of {entry.operation} cannot be computed now")
    ledger = account.ledger
    net_sat = ledger.total_remitted_sat - ledger.refunded_sat
    if entry.amount_sat > net_sat:
        raise InvalidInputError(
            f"a refund of {entry.amount_sat} sat exceeds the {net_sat} sat {entry.operation} "
            "has remitted, net of refunds"
        )


async def list_journal(config: Config, as_of: datetime | None) -> int:
    """``journal list``: one line per verified entry, then the refused ones' count."""
    async with open_store(config.database) as store:
        journal = await read_journal(store, config, as_of)
    for entry in journal.entries:
        print(entry_line(entry))
    for reason, count in sorted(journal.refused.items()):
        print(f"refused {count} ({reason}): not applied")
    return 0
