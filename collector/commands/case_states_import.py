"""``reservewatch import case-states FILE.csv``: seized cases' legal states, as a court's or an
authority's register gives them, beside the ones ``reserve.intake[].states`` configures.

Header ``case,state,from,order,destination``: ``case`` a case of ``reserve.intake`` (its
addresses, authority and seizure order are the configuration's); ``state`` ``order_pending``,
``forfeited`` or ``released``; ``from`` the day it takes effect, ``YYYY-MM-DD``, from its start
in the regulator's zone, not after today; ``order`` the order's reference (required unless
``order_pending``); ``destination`` the address a release sends the coins to (only and always
with ``released``). Each row is stored with the instant it was imported, one revision per case
and state: the same row again changes nothing, a row that changes the day, the order or the
destination is a new revision (a document as of an earlier instant keeps the old one).

The configuration wins (:mod:`collector.accounts.cases`): a state the case configures is
refused here, and so is one whose day puts the case's states out of order. A bad row is
refused alone — the file, its line and the column on one line of standard error — and the
valid rows are kept: the exit status is 2 when any row was refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import partial
from pathlib import Path

from collector.accounts.cases import merged_states, out_of_order, state_of
from collector.bitcoin.address import AddressError, validate_address
from collector.clock import Clock, SystemClock
from collector.commands.fee_import import outcome, past_day
from collector.commands.imports import CsvImportError, checked_rows, read_csv_file
from collector.config.model import Config, regulator_zone
from collector.store.queries import open_store
from collector.store.records import CaseStateRecord
from remittance.cases import CASE_STATES

CASE_STATE_COLUMNS = ("case", "state", "from", "order", "destination")
_IMPORTED = CASE_STATES[1:]  # "seized" is where every case starts: never imported
_MAX_ORDER = 200


def _row_problem(config: Config, today: date, cells: list[str]) -> str | CaseStateRecord:
    """The row's record, or why it is refused (naming the column)."""
    case, state, from_text, order, destination = cells
    if case not in {c.case for c in config.reserve.intake}:
        return f"case {case[:63]!r} is not a case of reserve.intake (configure it first)"
    if state not in _IMPORTED:
        return f"state {state[:30]!r} must be one of {', '.join(_IMPORTED)}"
    day = past_day("from", from_text, today, "not in force yet")
    if isinstance(day, str):
        return day
    if len(order) > _MAX_ORDER or not order.isprintable():
        return f"order must be printable text of at most {_MAX_ORDER} characters"
    if state != "order_pending" and not order:
        return f"order is empty: a case {state} names its order"
    if (state == "released") != bool(destination):
        return "destination is the address a release sends the coins to: only and always " \
            "with state released"  # fmt: skip
    if destination:
        try:
            destination = validate_address(destination, config.network.chain)
        except AddressError as err:
            return f"destination {err}"
    return CaseStateRecord(case, state, day, order, destination or None)


def parse_case_states_csv(
    text: str,
    config: Config,
    today: date,
    source: str = "<csv>",
    stored: Iterable[CaseStateRecord] = (),
) -> tuple[list[CaseStateRecord], list[str]]:
    """The file's valid states and one line for each refused row; ``stored``: the states
    imported before (each case's order is checked with them and the configured ones)."""
    cases = {c.case: c for c in config.reserve.intake}
    held = {(s.case_id, s.state): s for s in stored}
    problems: list[str] = []
    read: dict[tuple[str, str], CaseStateRecord] = {}
    check = partial(_row_problem, config, today)
    for where, record in checked_rows(text, CASE_STATE_COLUMNS, source, problems, check):
        key = (record.case_id, record.state)
        case = cases[record.case_id]
        configured = next((s for s in case.states if s.state == record.state), None)
        if configured is not None:
            problems.append(
                f"{where}: state {record.state} of case {record.case_id} is configured "
                f"(from {configured.effective_from}): the configuration wins"
            )
            continue
        if key in read and read[key] != record:
            problems.append(f"{where}: case {record.case_id} {record.state} appears twice")
            continue
        others = [s for k, s in (held | read).items() if k != key]
        clash = out_of_order(merged_states(case, others), state_of(record))
        if clash is not None:
            problems.append(
                f"{where}: from {record.effective_from} puts case {record.case_id}'s states "
                f"out of order ({clash.state} from {clash.effective_from})"
            )
            continue
        read[key] = record
    return list(read.values()), problems


async def import_case_states(config: Config, path: Path, clock: Clock | None = None) -> int:
    """Import the cases' states; see the module's docstring."""
    clock = clock or SystemClock()
    today = clock.now().astimezone(regulator_zone(config)).date()
    try:
        text = read_csv_file(path)
        async with open_store(config.database, clock) as store:
            states, problems = parse_case_states_csv(
                text, config, today, str(path), await store.case_states()
            )
            added = await store.record_case_states(states)
    except CsvImportError as err:  # unreadable, not CSV, or the wrong header: no row at all
        return outcome(path, "states", 0, 0, err.problems)
    return outcome(path, "states", len(states), added, problems)
