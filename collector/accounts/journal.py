"""The regulator's journal as known at an instant, each entry's signature checked on read.

An entry is applied only when the regulator's key (the public half of
``statement.signing_key_file``) signed its canonical JSON and the stored row agrees with it; an
entry that fails is refused, never applied, and counted by reason (:data:`REFUSALS`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Final

from collector.config.keys import load_signing_key
from collector.config.model import Config
from collector.errors import ReservewatchError
from collector.store.queries import Store
from remittance.errors import InvalidInputError, SignatureInvalid
from remittance.journal import JournalEntry
from remittance.signing import public_key_of, verify_journal_entry

REFUSALS: Final = ("no_key", "bad_signature", "unreadable")
"""Why a stored journal entry is refused (a bounded label set): no signing key is configured
to check it, its signature fails, or its document cannot be read or disagrees with its row."""


@dataclass(frozen=True, slots=True)
class Journal:
    """The entries that verified, in the order recorded, and the refused ones' count by
    reason (one of :data:`REFUSALS`)."""

    entries: tuple[JournalEntry, ...] = ()
    refused: Mapping[str, int] = field(default_factory=dict)


async def read_journal(store: Store, config: Config, as_of: datetime | None = None) -> Journal:
    """The journal as recorded by ``as_of`` (or all of it), verified."""
    stored = await store.journal_entries(as_of=as_of)
    if not stored:
        return Journal()
    try:
        public_key = public_key_of(load_signing_key(config.statement.signing_key_file))
    except ReservewatchError:
        return Journal((), {"no_key": len(stored)})
    entries: list[JournalEntry] = []
    refused: dict[str, int] = {}
    for row in stored:
        try:
            verify_journal_entry(row.document.encode(), row.key_id, row.signature, public_key)
            entry = JournalEntry.from_json(row.document)
            if entry.recorded_at != row.recorded_at or entry.operation != row.operation_id:
                raise InvalidInputError("the row disagrees with its signed document")
        except SignatureInvalid:
            refused["bad_signature"] = refused.get("bad_signature", 0) + 1
            continue
        except InvalidInputError:
            refused["unreadable"] = refused.get("unreadable", 0) + 1
            continue
        entries.append(entry)
    return Journal(tuple(entries), refused)
