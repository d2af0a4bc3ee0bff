"""When each part of a closed period's due became known, read from the store's revisions.

An amount first known after a period's deadline (a pool's revision, a network day revised, a
rate edited) is due from its assessment, not overdue at once (issue 26, item 4; the rule is
``remittance.ledger.assessed_tranches``). For each closed period past its deadline, the
:class:`Assessor` finds the instants after it at which an input of the period was observed
(one read of the revisions' instants), and the period's due as the store knew it then (the
operation's account as of that instant, cached: what the store knew at a past instant never
changes). Its first assessment is at the deadline, or when the operation's inputs of the
period were first observed if that was later (a collector that was not running at the deadline
gives no extra time).

The dues at a past instant are kept in the store once computed (:meth:`Store.keep_assessed_dues`)
under a basis that fingerprints the operation's terms and the settings as known then and the
code that computes them: a restart reads them instead of computing a pass per instant (100
operations x 2 years: the first pass 9.1 -> 2.9 s, ``bench.startup``), and a change of the
terms or of the rules computes them afresh.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Final

import collector
import remittance
from collector.accounts.compute import obligations_pass
from collector.accounts.inputs import read_inputs
from collector.accounts.terms import SETTINGS, known_config, terms_documents
from collector.config.model import Config
from collector.store.queries import Store
from remittance.account import Obligations
from remittance.ledger import Assessment
from remittance.periods import PeriodKind, period_containing

Assessments = dict[str, dict[str, tuple[Assessment, ...]]]
"""operation → period label → its assessments (the first at its deadline or first input)."""

_IN_FLIGHT = timedelta(minutes=5)  # a write observed before a read may commit after it

_COLLECTOR = Path(collector.__file__).resolve().parent
_RULES_CODE: Final = (
    Path(remittance.__file__).resolve().parent,
    _COLLECTOR / "accounts",
    _COLLECTOR / "config",
    _COLLECTOR / "store",
)
"""The code that turns stored facts into dues, fingerprinted in each kept assessment's basis."""


@functools.cache
def rules_fingerprint() -> str:
    """SHA-256 of the source of :data:`_RULES_CODE`: another release of the money rules (or of
    how their inputs are read) does not reuse dues another computed."""
    digest = hashlib.sha256()
    for base in _RULES_CODE:
        for path in sorted(base.rglob("*.py")):
            digest.update(f"{base.name}/{path.relative_to(base).as_posix()}\n".encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()


def _bases(config: Config) -> dict[str, str]:
    """Each operation's basis for its kept dues: its terms and the settings as ``config``
    holds them, and :func:`rules_fingerprint`."""
    documents = terms_documents(config)
    settings = documents.pop(SETTINGS)
    return {
        operation: hashlib.sha256(
            "\n".join((rules_fingerprint(), settings, document)).encode()
        ).hexdigest()
        for operation, document in documents.items()
    }


class Assessor:
    """Each operation's assessments of its closed periods. The live pass keeps one (it reads
    only the revisions observed since its last read); a document as of an instant uses a new
    one."""

    def __init__(self) -> None:
        self._read_until: datetime | None = None
        # operation (None: the network's days) -> day (None: a terms revision, every
        # period) -> the instants its inputs were observed
        self._instants: dict[str | None, dict[date | None, set[datetime]]] = {}
        self._dues: dict[tuple[str, datetime], dict[str, int] | None] = {}
        self._labels: dict[tuple[PeriodKind, date], str] = {}

    async def read(
        self,
        store: Store,
        config: Config,
        accounts: Mapping[str, Obligations],
        instant: datetime,
        operation_id: str | None = None,
    ) -> Assessments:
        """The assessments of ``accounts``' closed periods past their deadline (their
        obligations, before they are settled: :func:`collector.accounts.compute.settled_pass`
        settles them once, with these), as of
        ``instant`` (only periods whose due changed after their first assessment)."""
        after = None if self._read_until is None else self._read_until - _IN_FLIGHT
        for operation, day, observed in await store.revision_instants(
            operation_id, after=after, until=instant
        ):
            self._instants.setdefault(operation, {}).setdefault(day, set()).add(observed)
        self._read_until = instant
        result: Assessments = {}
        wanted: dict[tuple[str, str], tuple[datetime, ...]] = {}
        network = self._instants.get(None, {})
        network_latest = max((max(seen) for seen in network.values() if seen), default=None)
        # The network's days by period, once per kind of period (every operation shares them).
        network_periods: dict[PeriodKind, dict[str, set[datetime]]] = {}
        current: dict[tuple[str, datetime], dict[str, int]] = {}
        for op_id, account in accounts.items():
            periods = _periods_past_deadline(account, instant)
            if not periods:
                continue
            kind = account.terms.period
            own = self._instants.get(op_id, {})
            terms_edits = own.get(None, set())
            first_seen: dict[str, datetime] = {}
            later: dict[str, set[datetime]] = {label: set() for label in periods}
            for day, seen in own.items():  # the operation's own inputs: when first known
                if day is None:
                    continue
                label = self._label(kind, day)
                if label in periods:
                    earliest = min(seen)
                    first_seen[label] = min(first_seen.get(label, earliest), earliest)
                    later[label] |= seen
            by_period = network_periods.get(kind)
            if by_period is None:
                by_period = network_periods[kind] = self._by_period(kind, network)
            for label, seen in later.items():
                seen.update(by_period.get(label, ()))
            # After the last observation of anything the operation's dues depend on, the
            # store knew then what it knows now: its dues then are the account's own.
            latest = max(
                [max(seen) for seen in own.values() if seen]
                + ([network_latest] if network_latest is not None else []),
                default=None,
            )
            for label, deadline in periods.items():
                first = max(deadline, first_seen.get(label, deadline))
                moments = sorted(t for t in later[label] | terms_edits if first < t <= instant)
                if moments:
                    wanted[op_id, label] = (first, *moments)
                    for moment in (first, *moments):
                        if latest is not None and moment >= latest:
                            current[op_id, moment] = {
                                o.period.label: o.due_sat for o in account.obligations
                            }
        # Each instant's dues in one as-of pass over every operation that needs them (the
        # store as known then), not one pass per operation: a restart over 100 operations
        # revised at the same instants reads the store once per instant.
        needed: dict[datetime, set[str]] = {}
        for (op_id, _label), needed_at in wanted.items():
            for moment in needed_at:
                if (op_id, moment) not in self._dues and (op_id, moment) not in current:
                    needed.setdefault(moment, set()).add(op_id)
        for moment, operation_ids in sorted(needed.items()):
            await self._read_dues(store, config, operation_ids, moment, instant)
        for (op_id, label), assessed_at in wanted.items():
            assessments = [
                Assessment(moment, dues[label])
                for moment in assessed_at
                if (dues := current.get((op_id, moment)) or self._dues.get((op_id, moment)))
                is not None
                and label in dues
            ]
            if len(assessments) > 1 and any(
                a.due_sat > assessments[0].due_sat for a in assessments[1:]
            ):
                result.setdefault(op_id, {})[label] = tuple(assessments)
        return result

    def _label(self, kind: PeriodKind, day: date) -> str:
        """The label of the period of ``kind`` holding ``day`` (cached)."""
        label = self._labels.get((kind, day))
        if label is None:
            label = self._labels[kind, day] = period_containing(kind, day).label
        return label

    def _by_period(
        self, kind: PeriodKind, days: Mapping[date | None, set[datetime]]
    ) -> dict[str, set[datetime]]:
        """The instants of ``days`` by the period of ``kind`` holding each day."""
        by_period: dict[str, set[datetime]] = {}
        for day, seen in days.items():
            if day is not None:
                by_period.setdefault(self._label(kind, day), set()).update(seen)
        return by_period

    async def _read_dues(
        self,
        store: Store,
        config: Config,
        operation_ids: set[str],
        moment: datetime,
        instant: datetime,
    ) -> None:
        """Each period's due of ``operation_ids`` as the store knew it at ``moment``: kept
        ones read, the others computed, and kept once nothing observed by ``moment`` can
        still be committing (``instant`` is at most now)."""
        known = await known_config(store, config, moment)
        operations = tuple(op for op in known.operations if op.id in operation_ids)
        for op_id in operation_ids - {op.id for op in operations}:
            self._dues[op_id, moment] = None  # not configured then
        if not operations:
            return
        known = known.model_copy(update={"operations": operations})
        bases = _bases(known)
        kept = await store.assessed_dues(moment, bases)
        for op_id, dues in kept.items():
            self._dues[op_id, moment] = dues
        operations = tuple(op for op in operations if op.id not in kept)
        if not operations:
            return
        known = known.model_copy(update={"operations": operations})
        only = operations[0].id if len(operations) == 1 else None
        inputs = await read_inputs(store, known, moment, only)
        computed = await asyncio.to_thread(obligations_pass, known, inputs, moment)
        keep: dict[str, tuple[str, Mapping[str, int]]] = {}
        for operation in operations:
            account = computed.accounts.get(operation.id)
            if account is None:
                self._dues[operation.id, moment] = None
                continue
            dues = {o.period.label: o.due_sat for o in account.obligations}
            self._dues[operation.id, moment] = dues
            keep[operation.id] = (bases[operation.id], dues)
        if moment <= instant - _IN_FLIGHT:
            await store.keep_assessed_dues(moment, keep)


def _periods_past_deadline(account: Obligations, instant: datetime) -> dict[str, datetime]:
    """label → deadline of the account's closed periods whose deadline has passed."""
    return {
        o.period.label: o.deadline
        for o in account.obligations
        if not o.is_open and instant > o.deadline
    }
