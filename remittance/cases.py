"""Seized cases' legal states, and what they change in the reserve's figures.

Seized coins become the state's only when finally forfeited (US practice: seizure, a
forfeiture complaint, a claims window, then the final order). A case moves through
:data:`CASE_STATES` in that order, each step effective from an instant and named by its order;
the rules, stated in every report and on the public page (:data:`CASES_RULE`)::

    A seized case is seized from its first coin; then under a pending order, forfeited by a
    final order, or released by an order to a destination, each from the start of the day the
    configuration gives, or an import where the configuration gives no such state for the case
    (in the regulator's time zone). Only a forfeited case's coins count as the reserve's
    holdings; the coins of a case seized, under a pending order or released are shown apart.
    An outflow of a released case's coins to the destination its order names, in a block timed
    at or after the release, is a release, not an unapproved outflow; paid anywhere else, or
    before the release, it is unapproved.

Pure: the caller gives each case's changes (:class:`CaseHistory`) and the traced holdings.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Final, Literal, get_args

from remittance.periods import iso_instant as _iso
from remittance.reserve import Coin, Holdings, Movement, SourceKey, split

__all__ = [
    "CASES_RULE",
    "CASE_STATES",
    "HELD_APART",
    "CaseHistory",
    "CaseState",
    "LegalHoldings",
    "Standing",
    "StateChange",
    "apart_doc",
    "approve_releases",
    "legal_holdings",
    "standing_doc",
    "standings",
]

CaseState = Literal["seized", "order_pending", "forfeited", "released"]
CASE_STATES: Final[tuple[CaseState, ...]] = get_args(CaseState)
"""A case's states in the order it moves through them (a case may skip one)."""
HELD_APART: Final[tuple[CaseState, ...]] = ("seized", "order_pending", "released")
"""The states whose coins are not the reserve's holdings: shown apart."""

CASES_RULE = (
    "A seized case is seized from its first coin; then under a pending order, forfeited by a "
    "final order, or released by an order to a destination, each from the start of the day "
    "the configuration gives, or an import where the configuration gives no such state for "
    "the case (in the regulator's time zone). Only a forfeited case's coins "
    "count as the reserve's holdings; the coins of a case seized, under a pending order or "
    "released are shown apart. An outflow of a released case's coins to the destination its "
    "order names, in a block timed at or after the release, is a release, not an unapproved "
    "outflow; paid anywhere else, or before the release, it is unapproved."
)


@dataclass(frozen=True, slots=True)
class StateChange:
    """A case enters ``state`` at ``effective_at`` by ``order``; a release names the address
    its coins go to (``destination``)."""

    state: CaseState
    effective_at: datetime
    order: str = ""
    destination: str = ""


@dataclass(frozen=True, slots=True)
class Standing:
    """A case's state at an instant: since when (``None``: seized from the start) and by which
    order."""

    case: str
    state: CaseState
    since: datetime | None = None
    order: str = ""
    destination: str = ""


@dataclass(frozen=True, slots=True)
class CaseHistory:
    """One case's changes of state, oldest first (seized before the first)."""

    case: str
    changes: tuple[StateChange, ...] = ()

    def at(self, instant: datetime) -> Standing:
        """The case's standing at ``instant``: the last change effective at or before it.

        >>> from datetime import UTC, timedelta
        >>> day = datetime(2026, 3, 15, tzinfo=UTC)
        >>> case = CaseHistory("KZ-1", (StateChange("forfeited", day, "order 7"),))
        >>> case.at(day).state, case.at(day - timedelta(microseconds=1)).state
        ('forfeited', 'seized')
        """
        current = Standing(self.case, "seized")
        for change in self.changes:
            if change.effective_at > instant:
                break
            current = Standing(
                self.case, change.state, change.effective_at, change.order, change.destination
            )
        return current


def standings(histories: Iterable[CaseHistory], instant: datetime) -> dict[str, Standing]:
    """Every case's standing at ``instant``, by case."""
    return {history.case: history.at(instant) for history in histories}


@dataclass(frozen=True, slots=True)
class LegalHoldings:
    """The holdings the law counts (``counted``: by source without the coins of cases not
    forfeited; its ``by_wallet`` stays what the wallets hold) and the coins held apart, by
    (state, case)."""

    counted: Holdings
    apart: Mapping[tuple[CaseState, str], int]

    @property
    def apart_sat(self) -> int:
        return sum(self.apart.values())


def legal_holdings(
    traced: Holdings, histories: Iterable[CaseHistory], instant: datetime
) -> LegalHoldings:
    """``traced`` split by the cases' standing at ``instant`` (:data:`CASES_RULE`). A case
    that is not configured counts as seized."""
    at = standings(histories, instant)
    counted: dict[SourceKey, int] = {}
    apart: dict[tuple[CaseState, str], int] = {}
    for (source, holder), sat in traced.by_source.items():
        state = at[holder].state if holder in at else "seized"
        if source == "seized" and state in HELD_APART:
            apart[(state, holder)] = apart.get((state, holder), 0) + sat
        else:
            counted[(source, holder)] = sat
    return LegalHoldings(replace(traced, by_source=counted), apart)


def approve_releases(
    traced: Holdings, histories: Iterable[CaseHistory], judged_at: datetime
) -> Holdings:
    """``traced`` with each release taken out of the unapproved outflows (:data:`CASES_RULE`):
    a payment outside every wallet to the destination of a case released at the movement's
    block time (``judged_at`` for one still in the mempool), from a movement that spent that
    case's coins. The sources of what was released are split from the movement's unapproved
    ones in proportion to the amounts (largest remainder)."""
    cases = list(histories)
    movements = tuple(_released(m, cases, judged_at) for m in traced.movements)
    return replace(traced, movements=movements)


def _released(movement: Movement, cases: list[CaseHistory], judged_at: datetime) -> Movement:
    if not movement.unapproved:
        return movement
    when = movement.block_time or judged_at
    destinations: set[str] = set()
    for history in cases:
        standing = history.at(when)
        spent_its_coins = ("seized", history.case) in movement.unapproved_by_source
        if standing.state == "released" and standing.destination and spent_its_coins:
            destinations.add(standing.destination)
    released = tuple(c for c in movement.unapproved if _to(c, destinations))
    if not released:
        return movement
    still = tuple(c for c in movement.unapproved if c not in released)
    released_sat = sum(c.amount_sat for c in released)
    still_sat = movement.unapproved_sat - released_sat
    by_source: defaultdict[SourceKey, int] = defaultdict(int)
    left: dict[SourceKey, int] = {}
    for source, sat in sorted(movement.unapproved_by_source.items()):
        to_release, remaining = split(sat, [released_sat, still_sat])
        by_source[source] += to_release
        if remaining:
            left[source] = remaining
    return replace(
        movement,
        unapproved=still,
        unapproved_sat=still_sat,
        unapproved_by_source=left,
        released=released,
        released_sat=released_sat,
        released_by_source={k: v for k, v in by_source.items() if v},
    )


def _to(coin: Coin, destinations: set[str]) -> bool:
    return not coin.holder and coin.address in destinations


def apart_doc(legal: LegalHoldings) -> dict[str, Any]:
    """The coins held apart, as the reserve report and the public page carry them."""
    return {
        "total_sat": legal.apart_sat,
        "by_case": [
            {"case": case, "state": state, "sat": sat}
            for (state, case), sat in sorted(legal.apart.items(), key=lambda i: i[0][::-1])
        ],
    }


def standing_doc(history: CaseHistory, instant: datetime) -> dict[str, Any]:
    """A case's standing at ``instant`` and every change of its state configured so far."""
    standing = history.at(instant)
    return {
        "state": standing.state,
        "since": _iso(standing.since),
        "order": standing.order,
        "destination": standing.destination or None,
        "states": [
            {
                "state": c.state,
                "from": _iso(c.effective_at),
                "order": c.order,
                "destination": c.destination or None,
            }
            for c in history.changes
        ],
    }
