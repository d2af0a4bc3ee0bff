"""What a statement states beyond its account, read from the store: the restatements of
closed periods issued before, and each period's metered energy.

The accounts' pass reads both for every operation at once (:class:`StatementInputs`), so the
API builds a statement from the pass's snapshot without a read of its own; the CLI and the
mailer read them for one statement as of any instant. Either way a period's energy is what
the store held at the statement's instant for the minutes before it (telemetry observed
later, even for earlier minutes, is not counted), so a statement as of an instant states the
same energy whichever way it was made, and whenever it is made again.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from collector.accounts.compute import restated as is_restated
from collector.store.queries import Store
from remittance.account import OperationAccount
from remittance.periods import Period
from remittance.statement import Restatement, RevisedInput


def energy_span(period: Period, as_of: datetime) -> tuple[datetime, datetime]:
    """The minutes of ``period`` a statement as of ``as_of`` counts energy for."""
    return period.start_at, min(period.end_at, max(as_of, period.start_at))


async def energy_wh(
    store: Store, site_ids: Sequence[str], period: Period, as_of: datetime
) -> int | None:
    """The sites' metered energy over ``period`` as of ``as_of`` (Wh); None without sites or
    without any telemetry stored for that span."""
    if not site_ids:
        return None
    start, end = energy_span(period, as_of)
    return await store.energy_wh(site_ids, start, end, as_of=as_of)


@dataclass(frozen=True, slots=True)
class StatementInputs:
    """One operation's statement inputs as of an accounts pass (``as_of``, its account's)."""

    as_of: datetime
    energy_wh: Mapping[str, int | None]  # period label -> Wh, for every period of the account
    restatements: tuple[Restatement, ...]
    # Whether the operation's terms were recorded by ``as_of``: if not, the file's were used,
    # and a statement says so (``terms_from_file``).
    terms_recorded: bool = True


class _Span(NamedTuple):
    """One period's minutes to sum, for one operation's sites."""

    operation_id: str
    label: str
    sites: tuple[str, ...]
    start: datetime
    end: datetime
    final: bool  # past telemetry's reach: kept once read
    as_of: datetime  # the energy as the store knew it then


class PeriodEnergy:
    """Each operation's energy per period as of a pass, in one read per pass. A period that
    ended more than ``final_after`` (the telemetry's ``mqtt.max_age_s``: no reading for it
    can be accepted any more) before a pass is final: kept, never read again."""

    def __init__(self, final_after: timedelta) -> None:
        self._final_after = final_after
        self._final: dict[tuple[str, str, tuple[str, ...]], int | None] = {}

    async def read(
        self,
        store: Store,
        accounts: Iterable[tuple[str, Sequence[str], OperationAccount]],
    ) -> dict[str, dict[str, int | None]]:
        """``(operation, its site ids, account)`` → per operation, period label → Wh."""
        wanted: list[_Span] = []
        energy: dict[str, dict[str, int | None]] = {}
        for operation_id, site_ids, account in accounts:
            sites = tuple(site_ids)
            known = energy[operation_id] = {}
            for obligation in account.obligations:
                period = obligation.period
                key = (operation_id, period.label, sites)
                if key in self._final:
                    known[period.label] = self._final[key]
                elif not sites:
                    known[period.label] = None
                else:
                    start, end = energy_span(period, account.as_of)
                    final = period.end_at <= account.as_of - self._final_after
                    wanted.append(
                        _Span(operation_id, period.label, sites, start, end, final, account.as_of)
                    )
        for as_of in sorted({w.as_of for w in wanted}):  # one instant a pass: one read
            await self._read_spans(store, [w for w in wanted if w.as_of == as_of], energy)
        return energy

    async def _read_spans(
        self, store: Store, wanted: Sequence[_Span], energy: dict[str, dict[str, int | None]]
    ) -> None:
        bounds = sorted({w.start for w in wanted} | {w.end for w in wanted})
        index = {bound: i for i, bound in enumerate(bounds)}
        sums = await store.energy_between(
            {s for w in wanted for s in w.sites}, bounds, as_of=wanted[0].as_of
        )
        for span in wanted:
            total, rollups = 0, 0
            for site in span.sites:
                for bucket in range(index[span.start], index[span.end]):
                    wh, n = sums.get((site, bucket), (0, 0))
                    total, rollups = total + wh, rollups + n
            value = total if rollups else None
            energy[span.operation_id][span.label] = value
            if span.final:
                self._final[span.operation_id, span.label, span.sites] = value


async def restatements_of(
    store: Store,
    operation_id: str,
    account: OperationAccount,
    as_of: datetime,
    issued: Mapping[tuple[str, str], tuple[datetime, int]] | None = None,
) -> list[Restatement]:
    """The closed periods issued (once closed) before ``as_of`` whose due has changed since:
    which period, the due issued and now, and each revised input (earnings and network
    rewards) with its value then and now. ``issued``: the operation's issued dues, when
    already read."""
    restated: list[Restatement] = []
    if issued is None:
        issued = await store.issued_dues(operation_id)
    for (_, label), (issued_as_of, issued_due) in sorted(issued.items()):
        obligation = account.obligation_for(label)
        if issued_as_of >= as_of or obligation is None:
            continue
        if not is_restated(obligation, issued_as_of, issued_due):
            continue
        period = obligation.period
        inputs: list[RevisedInput] = []
        then = {
            (e.pool_kind, e.account, e.day, e.income): e.amount_sat
            for e in await store.earnings(
                operation_id, period.start, period.end, as_of=issued_as_of
            )
        }
        now = {
            (e.pool_kind, e.account, e.day, e.income): e.amount_sat
            for e in await store.earnings(operation_id, period.start, period.end, as_of=as_of)
        }
        for key in sorted(then.keys() | now.keys()):
            if then.get(key) != now.get(key):
                kind, pool_account, day, income = key
                name = f"earning {kind}/{pool_account} {day.isoformat()}"
                if income != "mining":
                    name += f" ({income})"
                inputs.append(RevisedInput(name, then.get(key), now.get(key)))
        network_then = {
            d.day: (d.rewards_sat, _hs(d.hashrate_hs))
            for d in await store.network_days(period.start, period.end, as_of=issued_as_of)
        }
        network_now = {
            d.day: (d.rewards_sat, _hs(d.hashrate_hs))
            for d in await store.network_days(period.start, period.end, as_of=as_of)
        }
        for day in sorted(network_then.keys() | network_now.keys()):
            then_day, now_day = network_then.get(day), network_now.get(day)
            for index, what in enumerate(("network rewards", "network hash rate")):
                old = None if then_day is None else then_day[index]
                new = None if now_day is None else now_day[index]
                if old != new:
                    inputs.append(RevisedInput(f"{what} {day.isoformat()}", old, new))
        hashrate_then = await _pool_hashrates(store, operation_id, period, issued_as_of)
        hashrate_now = await _pool_hashrates(store, operation_id, period, as_of)
        for account_day in sorted(hashrate_then.keys() | hashrate_now.keys()):
            old_hs, new_hs = hashrate_then.get(account_day), hashrate_now.get(account_day)
            if old_hs != new_hs:
                kind, pool_account, day = account_day
                name = f"pool hash rate {kind}/{pool_account} {day.isoformat()}"
                inputs.append(RevisedInput(name, old_hs, new_hs))
        terms_then = (await store.terms_as_of(issued_as_of)).get(operation_id)
        terms_now = (await store.terms_as_of(as_of)).get(operation_id)
        inputs.extend(_revised_terms(terms_then, terms_now))
        restated.append(
            Restatement(label, issued_as_of, issued_due, obligation.due_sat, tuple(inputs))
        )
    return restated


async def _pool_hashrates(
    store: Store, operation_id: str, period: Period, as_of: datetime
) -> dict[tuple[str, str, date], str]:
    """Each pool account's hash rate on each day of ``period``, as known then (:func:`_hs`)."""
    rows = await store.pool_hashrate_days(operation_id, as_of=as_of, start=period.start)
    return {(r.pool_kind, r.account, r.day): _hs(r.hashrate_hs) for r in rows if r.day < period.end}


def _hs(hashrate_hs: float) -> str:
    """A hash rate in whole H/s, as text (a network's exceeds a JSON integer's 64 bits)."""
    return str(round(hashrate_hs))


def _revised_terms(then: str | None, now: str | None) -> list[RevisedInput]:
    """Each term of the operation's configuration entry (``remittance.rate``,
    ``pools.1.from`` …) that differs between two stored revisions, as JSON text."""
    if then is None or now is None or then == now:
        return []
    old, new = _leaves(json.loads(then)), _leaves(json.loads(now))
    return [
        RevisedInput(f"terms {path}", old.get(path), new.get(path))
        for path in sorted(old.keys() | new.keys())
        if old.get(path) != new.get(path)
    ]


def _leaves(document: Any, prefix: str = "") -> dict[str, str]:
    """A JSON document's leaves by dotted path, each as compact JSON text."""
    if isinstance(document, dict):
        items: Iterable[tuple[str, Any]] = document.items()
    elif isinstance(document, list):
        items = ((str(index), value) for index, value in enumerate(document))
    else:
        return {prefix: json.dumps(document, separators=(",", ":"))}
    leaves: dict[str, str] = {}
    for key, value in items:
        leaves.update(_leaves(value, f"{prefix}.{key}" if prefix else str(key)))
    return leaves
