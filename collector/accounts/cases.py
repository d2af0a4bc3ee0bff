"""Seized cases' legal states known at an instant: the configuration's and the imported ones
(``reservewatch import case-states``) merged.

The rule (docs/explanation/reserve.md): **the configuration wins**. A case's states are the
ones its ``reserve.intake`` entry configures (as the settings known at the instant give them),
and each imported state (the latest revision the store held at the instant) that the entry does
not configure; an imported state whose day would put the case's states out of order
(``order_pending``, ``forfeited``, ``released``, each from a day no earlier than the one
before) is left out. An import names only configured cases: a case's addresses, authority and
seizure order are the configuration's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from collector.config.sections import CaseStateConfig, IntakeCase, ReserveConfig
from collector.store.queries import Store
from collector.store.records import CaseStateRecord
from remittance.cases import CASE_STATES


def state_of(record: CaseStateRecord) -> CaseStateConfig:
    """An imported state as the configuration would give it."""
    return CaseStateConfig.model_validate(
        {
            "state": record.state,
            "from": record.effective_from,
            "order": record.order_ref,
            "destination": record.destination,
        }
    )


def out_of_order(
    states: Sequence[CaseStateConfig], candidate: CaseStateConfig
) -> CaseStateConfig | None:
    """The state of ``states`` (one case's, in order) that ``candidate`` cannot join: one
    earlier in the order taking effect after it, or one later taking effect before it."""
    rank = CASE_STATES.index(candidate.state)
    for held in states:
        earlier = CASE_STATES.index(held.state) < rank
        if (earlier and held.effective_from > candidate.effective_from) or (
            not earlier and held.effective_from < candidate.effective_from
        ):
            return held
    return None


def merged_states(
    case: IntakeCase, imported: Iterable[CaseStateRecord]
) -> tuple[CaseStateConfig, ...]:
    """``case``'s configured states and the imported ones it does not configure, in order."""
    states = list(case.states)
    configured = {s.state for s in states}
    for record in sorted(imported, key=lambda r: CASE_STATES.index(r.state)):
        if record.case_id != case.case or record.state in configured:
            continue
        candidate = state_of(record)
        if out_of_order(states, candidate) is None:
            states.append(candidate)
    return tuple(sorted(states, key=lambda s: CASE_STATES.index(s.state)))


def with_states(reserve: ReserveConfig, imported: Iterable[CaseStateRecord]) -> ReserveConfig:
    """``reserve`` with each intake case's states merged with ``imported``."""
    records = list(imported)
    if not records:
        return reserve
    intake = tuple(
        case.model_copy(update={"states": merged_states(case, records)}) for case in reserve.intake
    )
    return reserve.model_copy(update={"intake": intake})


async def known_cases(
    store: Store, reserve: ReserveConfig, as_of: datetime | None
) -> ReserveConfig:
    """``reserve`` with the states imported by ``as_of`` (every one stored, if None) merged."""
    return with_states(reserve, await store.case_states(as_of=as_of))
