"""Whether a configuration rewrites a closed period already issued.

A statement issued of a closed period states the due and the remitted amount worked out with
the terms in force when it was issued. A configuration file edited since can change them for
the past without any input changing: a pool account added without ``from`` turns the expected
figure of every earlier month to 0, a reserve address dropped instead of moved to
``retired_addresses`` stops counting what was paid to it. :func:`issued_rewrites` works each
issued closed period out twice from the same inputs (the store's, as of one instant): with the
terms and settings recorded when it was issued, and with the file's; a difference is the
file's doing. The collector logs one line per such period at start and exposes
``reservewatch_config_rewrites_issued_periods{operation}``; ``check-config`` exits 2.
"""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from collector.accounts.compute import compute_pass
from collector.accounts.inputs import read_inputs
from collector.accounts.terms import SETTINGS, config_as_known, terms_documents
from collector.config.model import Config
from collector.store.queries import Store
from remittance.account import OperationAccount
from remittance.periods import parse_period_label


@dataclass(frozen=True, slots=True)
class Rewrite:
    """One issued closed period the file's configuration would change."""

    operation_id: str
    period: str
    issued_as_of: datetime
    due_sat: tuple[int, int]  # with the terms recorded when issued, with the file's
    remitted_sat: tuple[int, int]
    fields: tuple[str, ...]  # the configuration fields that differ: pools[1] (added)

    def line(self) -> str:
        """One log line: which period, what changes, and which fields cause it."""
        changes = [
            f"{what} {old:,} -> {new:,}"
            for what, (old, new) in (("due", self.due_sat), ("remitted", self.remitted_sat))
            if old != new
        ]
        return (
            f"configuration rewrites issued closed period: operation={self.operation_id} "
            f"period={self.period} (issued as of {self.issued_as_of.isoformat()}) "
            f"{', '.join(changes)}; fields: {', '.join(self.fields) or 'settings'}"
        )


async def issued_rewrites(store: Store, config: Config, as_of: datetime) -> list[Rewrite]:
    """Every closed period issued (as of its end or later) whose due or remitted amount the
    file's terms would change, against the terms and settings recorded when it was issued;
    both from the store's inputs as of ``as_of``."""
    issued = await store.issued_dues()
    documents = terms_documents(config)
    # Per operation, the issued closed periods grouped by the terms recorded when issued.
    groups: defaultdict[tuple[str, str, str | None], list[tuple[str, datetime]]]
    groups = defaultdict(list)
    known_at: dict[datetime, dict[str, str]] = {}
    ids = {operation.id for operation in config.operations}
    for (operation_id, label), (issued_as_of, _issued_due) in sorted(issued.items()):
        if operation_id not in ids or parse_period_label(label).end_at > issued_as_of:
            continue  # an operation no longer configured, or a period issued while open
        if issued_as_of not in known_at:
            known_at[issued_as_of] = await store.terms_as_of(issued_as_of)
        known = known_at[issued_as_of]
        old = known.get(operation_id)
        settings = known.get(SETTINGS)
        if old is None or (
            old == documents[operation_id] and settings in {None, documents[SETTINGS]}
        ):
            continue  # the same terms: nothing to rewrite
        groups[operation_id, old, settings].append((label, issued_as_of))
    rewrites: list[Rewrite] = []
    for (operation_id, old, settings), periods in groups.items():
        stored = {operation_id: old} | ({SETTINGS: settings} if settings is not None else {})
        then = await _account(store, config_as_known(config, stored), operation_id, as_of)
        now = await _account(store, config, operation_id, as_of)
        if then is None or now is None:
            continue  # the rules refuse one side: the accounts' own staleness says so
        fields = tuple(_differences(json.loads(old), json.loads(documents[operation_id])))
        if settings is not None and settings != documents[SETTINGS]:
            fields += tuple(
                f"settings {path}"
                for path in _differences(json.loads(settings), json.loads(documents[SETTINGS]))
            )
        for label, issued_as_of in periods:
            due = (_due(then, label), _due(now, label))
            remitted = (_remitted(then, label), _remitted(now, label))
            if due[0] != due[1] or remitted[0] != remitted[1]:
                rewrites.append(Rewrite(operation_id, label, issued_as_of, due, remitted, fields))
    return sorted(rewrites, key=lambda r: (r.operation_id, r.period))


async def _account(
    store: Store, config: Config, operation_id: str, as_of: datetime
) -> OperationAccount | None:
    config = config.model_copy(update={"operations": (config.operation(operation_id),)})
    inputs = await read_inputs(store, config, as_of, operation_id)
    result = await asyncio.to_thread(compute_pass, config, inputs, as_of)
    return result.accounts.get(operation_id)


def _due(account: OperationAccount, label: str) -> int:
    obligation = account.obligation_for(label)
    return 0 if obligation is None else obligation.due_sat


def _remitted(account: OperationAccount, label: str) -> int:
    settlement = account.ledger.settlement_for(label)
    return 0 if settlement is None else settlement.settled_sat


def _differences(old: Any, new: Any, path: str = "") -> Iterator[str]:
    """The dotted paths where two JSON documents differ: the outermost one added, removed or
    changed (``pools[1] (added)``, ``reserve_addresses[0]``)."""
    if isinstance(old, dict) and isinstance(new, dict):
        keys: list[Any] = sorted(old.keys() | new.keys())
        pairs = [(str(k), old.get(k, _ABSENT), new.get(k, _ABSENT)) for k in keys]
    elif isinstance(old, list) and isinstance(new, list):
        pairs = [
            (
                str(i),
                old[i] if i < len(old) else _ABSENT,
                new[i] if i < len(new) else _ABSENT,
            )
            for i in range(max(len(old), len(new)))
        ]
    else:
        if old != new:
            yield path
        return
    listed = isinstance(old, list)
    for key, before, after in pairs:
        where = f"{path}[{key}]" if listed else (f"{path}.{key}" if path else key)
        if before is _ABSENT:
            yield f"{where} (added)"
        elif after is _ABSENT:
            yield f"{where} (removed)"
        elif before != after:
            yield from _differences(before, after, where)


_ABSENT: Any = object()


class RewriteMetrics:
    """The issued closed periods the running configuration rewrites, as found at start
    (``reservewatch_config_rewrites_issued_periods``: collector.metrics.accounts)."""

    def __init__(self, config: Config) -> None:
        self.operation_ids = [operation.id for operation in config.operations]
        self.rewrites: list[Rewrite] = []

    def counts(self) -> dict[str, int]:
        """Per configured operation (0 for none), its issued periods rewritten."""
        counts = dict.fromkeys(self.operation_ids, 0)
        for rewrite in self.rewrites:
            counts[rewrite.operation_id] = counts.get(rewrite.operation_id, 0) + 1
        return counts
