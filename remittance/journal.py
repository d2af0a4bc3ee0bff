"""The regulator's journal: signed, append-only adjustments the ledger applies.

Three kinds of entry, each with a reason and a reference (a letter, a decision, a case number):

- **refund** (``operation``, ``amount_sat``, optionally the refund's on-chain output
  ``txid:vout``): the reserve paid ``amount_sat`` back to the operation. It takes from the
  operation's credit first; what the credit does not cover un-settles the newest settled dues,
  which are unpaid again. A refund above what the operation has remitted is refused
  (:class:`InvalidInputError`). The reserve's outflow at ``txid:vout`` is then an approved
  movement (a refund), not an unapproved outflow.
- **reassignment** (``operation`` → ``to_operation``, the stored output ``txid:vout``): a payment
  made to one operation's address counts for the other, and no longer for the first.
- **write-off** (``operation``, ``period``, ``amount_sat``): the period's due is reduced by the
  amount, never below 0 (the latest-assessed part first).

An entry applies to an account as of instant T when it was recorded by T (``recorded_at``,
from the collector's clock) and takes effect by T (``effective_at``): a statement as of an
instant before an entry was recorded is the one issued then, byte for byte.

Each entry is kept as its canonical JSON (sorted keys, no spaces): what the regulator's key
signs, under the context ``reservewatch-journal-entry``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from remittance.errors import InvalidInputError, InvalidPeriodLabelError
from remittance.i18n import Wording
from remittance.ledger import ReserveOutput
from remittance.money import MAX_SUPPLY_SAT, sat_to_btc_text
from remittance.periods import parse_period_label

JOURNAL_FORMAT: Final = "reservewatch-journal-entry/1"
MAX_TEXT: Final = 500  # characters of a reason or a reference


class JournalKind(StrEnum):
    REFUND = "refund"
    REASSIGNMENT = "reassignment"
    WRITE_OFF = "write_off"


Outpoint = tuple[str, int]


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One adjustment as the regulator signed it (see the module's rules)."""

    kind: JournalKind
    operation: str
    effective_at: datetime
    recorded_at: datetime
    reason: str
    reference: str
    amount_sat: int = 0  # refund, write-off
    outpoint: Outpoint | None = None  # refund (optional), reassignment (required)
    to_operation: str | None = None  # reassignment
    period: str | None = None  # write-off

    def __post_init__(self) -> None:
        check_entry(self)

    def in_force(self, as_of: datetime) -> bool:
        """Recorded by ``as_of`` and in effect by then."""
        return self.recorded_at <= as_of and self.effective_at <= as_of

    def concerns(self, operation_id: str) -> bool:
        return operation_id in (self.operation, self.to_operation)

    @property
    def outpoint_text(self) -> str | None:
        return None if self.outpoint is None else f"{self.outpoint[0]}:{self.outpoint[1]}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": JOURNAL_FORMAT,
            "kind": str(self.kind),
            "operation": self.operation,
            "to_operation": self.to_operation,
            "period": self.period,
            "amount_sat": self.amount_sat,
            "outpoint": self.outpoint_text,
            "effective_at": self.effective_at.astimezone(UTC).isoformat(),
            "recorded_at": self.recorded_at.astimezone(UTC).isoformat(),
            "reason": self.reason,
            "reference": self.reference,
        }

    def listed(self) -> dict[str, Any]:
        """The entry as documents list it (statements, the reserve report): its fields
        without the format, and the amount in BTC for people."""
        data = self.to_dict()
        del data["format"]
        return {**data, "amount_btc": sat_to_btc_text(self.amount_sat)}

    def canonical_bytes(self) -> bytes:
        """What the regulator's key signs: the entry's JSON, sorted keys, no spaces."""
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode("utf-8")

    @classmethod
    def from_json(cls, document: str | bytes) -> JournalEntry:
        """The entry in ``document`` (its canonical JSON); raises InvalidInputError."""
        try:
            data = json.loads(document)
        except ValueError as err:
            msg = f"journal entry is not JSON: {err}"
            raise InvalidInputError(msg) from err
        if not isinstance(data, dict) or data.get("format") != JOURNAL_FORMAT:
            msg = f"not a {JOURNAL_FORMAT} document"
            raise InvalidInputError(msg)
        return cls.from_dict(data)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> JournalEntry:
        """The entry :meth:`to_dict` wrote (its ``format`` aside); raises InvalidInputError."""
        try:
            return cls(
                kind=JournalKind(data["kind"]),
                operation=str(data["operation"]),
                to_operation=data["to_operation"],
                period=data["period"],
                amount_sat=int(data["amount_sat"]),
                outpoint=None if data["outpoint"] is None else parse_outpoint(data["outpoint"]),
                effective_at=_instant(data["effective_at"]),
                recorded_at=_instant(data["recorded_at"]),
                reason=str(data["reason"]),
                reference=str(data["reference"]),
            )
        except (ValueError, KeyError, TypeError) as err:
            msg = f"journal entry cannot be read: {err}"
            raise InvalidInputError(msg) from err


def entry_line(entry: JournalEntry) -> str:
    """One line for people (``journal list``, the statement's CSV)::

    2026-12-05T10:00:00+00:00 refund op-a 1.99990000 BTC <txid>:1 effective …: reason [ref]
    """
    amount = f"{sat_to_btc_text(entry.amount_sat)} BTC"
    what = {
        JournalKind.REFUND: f"{entry.operation} {amount}",
        JournalKind.WRITE_OFF: f"{entry.operation} {entry.period} {amount}",
        JournalKind.REASSIGNMENT: f"{entry.operation} -> {entry.to_operation}",
    }[entry.kind]
    output = f" {entry.outpoint_text}" if entry.outpoint is not None else ""
    return (
        f"{entry.recorded_at.astimezone(UTC).isoformat()} {entry.kind} {what}{output} effective "
        f"{entry.effective_at.astimezone(UTC).isoformat()}: {entry.reason} [{entry.reference}]"
    )


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    if value.tzinfo is None:
        msg = f"{text!r} has no UTC offset"
        raise ValueError(msg)
    return value.astimezone(UTC)


def parse_outpoint(text: str) -> Outpoint:
    """``txid:vout`` (64 hex digits, a colon, an output index) as a pair; raises
    InvalidInputError."""
    txid, _, vout = text.strip().partition(":")
    txid = txid.lower()
    if len(txid) != 64 or any(c not in "0123456789abcdef" for c in txid) or not vout.isdigit():
        msg = f"{text!r} is not an output (txid:vout, 64 hex digits, a colon, an index)"
        raise InvalidInputError(msg)
    return txid, int(vout)


def check_entry(entry: JournalEntry) -> None:
    """Raise InvalidInputError naming the field when ``entry`` breaks a rule of its kind."""
    problems: list[str] = []
    if not entry.operation:
        problems.append("operation is empty")
    if not entry.reason.strip() or not entry.reference.strip():
        problems.append("a reason and a reference are both required")
    if len(entry.reason) > MAX_TEXT or len(entry.reference) > MAX_TEXT:
        problems.append(f"reason and reference are at most {MAX_TEXT} characters")
    for name in ("effective_at", "recorded_at"):
        if getattr(entry, name).utcoffset() is None:
            problems.append(f"{name} must be timezone-aware (UTC)")
    if entry.kind is JournalKind.REASSIGNMENT:
        if entry.outpoint is None:
            problems.append("a reassignment names the output it moves (txid:vout)")
        if not entry.to_operation or entry.to_operation == entry.operation:
            problems.append("a reassignment moves an output to another operation")
        if entry.amount_sat or entry.period:
            problems.append("a reassignment has no amount and no period")
    else:
        if not 0 < entry.amount_sat <= MAX_SUPPLY_SAT:
            problems.append("amount_sat must be above 0 and at most 21,000,000 BTC")
        if entry.to_operation:
            problems.append(f"a {entry.kind} has no to_operation")
    if entry.kind is JournalKind.WRITE_OFF:
        if entry.outpoint is not None:
            problems.append("a write-off has no output")
        try:
            parse_period_label(entry.period or "")
        except InvalidPeriodLabelError:
            problems.append(
                f"a write-off names its period (2026-10, 2026-W43), got {entry.period!r}"
            )
    elif entry.period and entry.kind is JournalKind.REFUND:
        problems.append("a refund has no period")
    if problems:
        msg = f"journal {entry.kind}: " + "; ".join(problems)
        raise InvalidInputError(msg)


@dataclass(frozen=True, slots=True)
class JournalEffects:
    """What the journal in force changes in one operation's account."""

    entries: tuple[JournalEntry, ...] = ()  # every entry in force that concerns it
    refunded_sat: int = 0
    written_off: Mapping[str, int] = field(default_factory=dict)  # period label -> sat
    moved_in: tuple[ReserveOutput, ...] = ()  # outputs reassigned to it
    moved_out: frozenset[Outpoint] = frozenset()  # its outputs reassigned away


NO_EFFECTS: Final = JournalEffects()


def journal_effects(
    entries: Iterable[JournalEntry],
    outputs: Mapping[str, Sequence[ReserveOutput]],
    as_of: datetime,
) -> dict[str, JournalEffects]:
    """Per operation, the effects of the entries in force as of ``as_of``. ``outputs``: every
    operation's stored remittances (a reassigned output is looked up there; one not there,
    not confirmed yet or not counted, moves nothing). A later reassignment of the same output
    replaces an earlier one (the output follows its last reassignment)."""
    in_force = sorted((e for e in entries if e.in_force(as_of)), key=_order)
    by_outpoint = {(o.txid, o.vout): o for rows in outputs.values() for o in rows}
    listed: dict[str, list[JournalEntry]] = {}
    refunded: dict[str, int] = {}
    written_off: dict[str, dict[str, int]] = {}
    for entry in in_force:
        for operation in {entry.operation, entry.to_operation} - {None}:
            listed.setdefault(str(operation), []).append(entry)
        if entry.kind is JournalKind.REFUND:
            refunded[entry.operation] = refunded.get(entry.operation, 0) + entry.amount_sat
        elif entry.kind is JournalKind.WRITE_OFF and entry.period:
            periods = written_off.setdefault(entry.operation, {})
            periods[entry.period] = periods.get(entry.period, 0) + entry.amount_sat
    moved_in: dict[str, list[ReserveOutput]] = {}
    moved_out: dict[str, set[Outpoint]] = {}
    for outpoint, (origin, target) in reassignments(in_force, as_of).items():
        output = by_outpoint.get(outpoint)
        if output is None or origin == target:
            continue
        moved_out.setdefault(origin, set()).add(outpoint)
        moved_in.setdefault(target, []).append(output)
    operations = set(listed) | set(moved_in) | set(moved_out)
    return {
        operation: JournalEffects(
            entries=tuple(listed.get(operation, ())),
            refunded_sat=refunded.get(operation, 0),
            written_off=written_off.get(operation, {}),
            moved_in=tuple(moved_in.get(operation, ())),
            moved_out=frozenset(moved_out.get(operation, ())),
        )
        for operation in operations
    }


def reassignments(
    entries: Iterable[JournalEntry], as_of: datetime | None = None
) -> dict[Outpoint, tuple[str, str]]:
    """Each reassigned output's ``(first operation, operation it counts for now)``, from the
    reassignments in force (all recorded, with ``as_of`` None), the latest recorded last."""
    moves: dict[Outpoint, tuple[str, str]] = {}
    for entry in sorted(entries, key=_order):
        if entry.kind is not JournalKind.REASSIGNMENT or entry.outpoint is None:
            continue
        if entry.to_operation and (as_of is None or entry.in_force(as_of)):
            origin = moves.get(entry.outpoint, (entry.operation, entry.operation))[0]
            moves[entry.outpoint] = (origin, entry.to_operation)
    return moves


def refund_outpoints(
    entries: Iterable[JournalEntry], as_of: datetime | None = None
) -> frozenset[Outpoint]:
    """The on-chain outputs of refunds in force (all recorded, with ``as_of`` None): the
    reserve's outflows the regulator approved as refunds."""
    return frozenset(
        entry.outpoint
        for entry in entries
        if entry.kind is JournalKind.REFUND
        and entry.outpoint is not None
        and (as_of is None or entry.in_force(as_of))
    )


def _order(entry: JournalEntry) -> tuple[datetime, datetime]:
    return (entry.recorded_at, entry.effective_at)


def journal_notes(entries: Sequence[JournalEntry], words: Wording, zone: str) -> list[str]:
    """One note per entry for a document people read (the PDF statement), in ``words``'s
    language; instants in ``zone``."""
    _ = words.text
    notes = []
    for entry in entries:
        common = {
            "recorded": words.instant(entry.recorded_at, zone),
            "reason": entry.reason,
            "reference": entry.reference,
            "amount": words.sat(entry.amount_sat),
        }
        if entry.kind is JournalKind.REFUND:
            notes.append(
                _(
                    "Regulator's journal, {recorded}: the reserve refunded {amount} sat{output}; "
                    "taken off the credit first, then off the newest settled dues. Reason: "
                    "{reason}. Reference: {reference}",
                    output=f" ({entry.outpoint_text})" if entry.outpoint else "",
                    **common,
                )
            )
        elif entry.kind is JournalKind.WRITE_OFF:
            notes.append(
                _(
                    "Regulator's journal, {recorded}: {amount} sat of the due of {period} "
                    "written off (never below 0). Reason: {reason}. Reference: {reference}",
                    period=entry.period,
                    **common,
                )
            )
        else:
            notes.append(
                _(
                    "Regulator's journal, {recorded}: the payment {output} counts for {to} "
                    "instead of {operation}. Reason: {reason}. Reference: {reference}",
                    output=entry.outpoint_text,
                    to=entry.to_operation,
                    operation=entry.operation,
                    **common,
                )
            )
    return notes
