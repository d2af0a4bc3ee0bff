"""Seized cases' legal states: a case counts in the reserve's holdings only from the instant
its forfeiture takes effect; seized, pending and released coins are shown apart; a release to
the ordered destination is no unapproved outflow, one elsewhere or too early still is."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from remittance.cases import (
    CaseHistory,
    StateChange,
    approve_releases,
    legal_holdings,
    standings,
)
from remittance.reserve import Coin, Role, holdings

PENDING_AT = datetime(2026, 3, 2, 19, tzinfo=UTC)  # 3 March 00:00 in Almaty (UTC+5)
FORFEITED_AT = datetime(2026, 3, 14, 19, tzinfo=UTC)  # 15 March 00:00 in Almaty: mid-March
RELEASED_AT = datetime(2026, 3, 24, 19, tzinfo=UTC)
JUST_BEFORE = timedelta(microseconds=1)
DESTINATION = "bc1qvictimrestitution0000000000000000000"
CASE = CaseHistory(
    "KZ-2026-0042",
    (
        StateChange("order_pending", PENDING_AT, "complaint 12/2026"),
        StateChange("forfeited", FORFEITED_AT, "final order 7/2026"),
    ),
)
RELEASED = CaseHistory(
    "KZ-2026-0050",
    (StateChange("released", RELEASED_AT, "release order 3/2026", DESTINATION),),
)


def tx(n: int) -> str:
    return f"{n:064x}"


def coin(  # noqa: PLR0917 - a coin's fields, in a table of them
    n: int,
    vout: int,
    sat: int,
    role: Role,
    holder: str,
    at: datetime = datetime(2026, 3, 1, tzinfo=UTC),
    address: str = "",
    status: str = "confirmed",
) -> Coin:
    confirmed = status == "confirmed"
    return Coin(
        tx(n),
        vout,
        sat,
        role,
        holder,
        address or f"addr-{holder}-{n}-{vout}",
        status,
        100 + n if confirmed else None,
        at if confirmed else None,
    )


def test_a_case_is_seized_then_pending_then_forfeited_at_the_exact_instants() -> None:
    assert CASE.at(PENDING_AT - JUST_BEFORE).state == "seized"
    assert CASE.at(PENDING_AT).state == "order_pending"
    assert CASE.at(FORFEITED_AT - JUST_BEFORE).state == "order_pending"
    forfeited = CASE.at(FORFEITED_AT)
    assert (forfeited.state, forfeited.since, forfeited.order) == (
        "forfeited",
        FORFEITED_AT,
        "final order 7/2026",
    )


def test_only_forfeited_coins_count_and_the_rest_is_shown_apart_by_state() -> None:
    traced = holdings(
        [
            coin(1, 0, 5_000, "reserve", "op-a"),
            coin(2, 0, 700_000, "intake", "KZ-2026-0042"),
            coin(3, 0, 90_000, "intake", "KZ-2026-0050"),
            coin(4, 0, 1_000, "intake", "KZ-unconfigured"),
        ],
        [],
    )
    cases = (CASE, RELEASED)
    before = legal_holdings(traced, cases, FORFEITED_AT - JUST_BEFORE)
    assert before.counted.by_source == {("mined", "op-a"): 5_000}
    assert before.counted.total_sat == 5_000
    assert before.apart == {
        ("order_pending", "KZ-2026-0042"): 700_000,
        ("seized", "KZ-2026-0050"): 90_000,
        ("seized", "KZ-unconfigured"): 1_000,
    }
    assert before.apart_sat == 791_000
    after = legal_holdings(traced, cases, FORFEITED_AT)
    assert after.counted.total_sat == 705_000
    assert after.counted.by_source[("seized", "KZ-2026-0042")] == 700_000
    assert after.counted.by_wallet == traced.by_wallet  # what the wallets hold is unchanged
    released = legal_holdings(traced, cases, RELEASED_AT)
    assert released.apart[("released", "KZ-2026-0050")] == 90_000


def _release(at: datetime, address: str) -> list[Coin]:
    return [
        coin(3, 0, 90_000, "intake", "KZ-2026-0050"),
        coin(5, 0, 89_000, "outside", "", at=at, address=address),  # 1,000 sat fee
    ]


def test_a_release_to_the_ordered_destination_after_the_order_is_no_unapproved_outflow() -> None:
    traced = holdings(_release(RELEASED_AT + timedelta(hours=3), DESTINATION), [(tx(5), tx(3), 0)])
    (move,) = approve_releases(traced, [RELEASED], RELEASED_AT).movements
    assert (move.unapproved_sat, move.released_sat, move.destination) == (0, 89_000, "released")
    assert move.reasons == ()
    assert move.released_by_source == {("seized", "KZ-2026-0050"): 89_000}
    assert move.unapproved_by_source == {}


def test_a_release_elsewhere_or_before_the_order_still_alarms() -> None:
    for at, address in (
        (RELEASED_AT + timedelta(hours=3), "bc1qsomewhereelse"),
        (RELEASED_AT - timedelta(hours=3), DESTINATION),
    ):
        traced = holdings(_release(at, address), [(tx(5), tx(3), 0)])
        (move,) = approve_releases(traced, [RELEASED], at).movements
        assert (move.unapproved_sat, move.released_sat, move.reasons) == (89_000, 0, ("outside",))


def test_a_release_still_in_the_mempool_is_judged_at_the_instant_given() -> None:
    coins = [
        coin(3, 0, 90_000, "intake", "KZ-2026-0050"),
        coin(5, 0, 89_000, "outside", "", address=DESTINATION, status="mempool"),
    ]
    traced = holdings(coins, [(tx(5), tx(3), 0)])
    (early,) = approve_releases(traced, [RELEASED], RELEASED_AT - JUST_BEFORE).movements
    (late,) = approve_releases(traced, [RELEASED], RELEASED_AT).movements
    assert (early.unapproved_sat, late.unapproved_sat) == (89_000, 0)


def test_a_payment_to_the_destination_from_another_case_s_coins_is_not_its_release() -> None:
    coins = [
        coin(2, 0, 700_000, "intake", "KZ-2026-0042"),
        coin(5, 0, 699_000, "outside", "", at=RELEASED_AT, address=DESTINATION),
    ]
    traced = holdings(coins, [(tx(5), tx(2), 0)])
    (move,) = approve_releases(traced, [CASE, RELEASED], RELEASED_AT).movements
    assert move.unapproved_sat == 699_000


def test_a_part_release_beside_an_unapproved_payment_splits_the_sources_pro_rata() -> None:
    coins = [
        coin(3, 0, 90_000, "intake", "KZ-2026-0050"),
        coin(6, 0, 10_000, "reserve", "op-a"),
        coin(5, 0, 60_000, "outside", "", at=RELEASED_AT, address=DESTINATION),
        coin(5, 1, 39_000, "outside", "", at=RELEASED_AT, address="bc1qthief"),
    ]
    traced = holdings(coins, [(tx(5), tx(3), 0), (tx(5), tx(6), 0)])
    (move,) = approve_releases(traced, [RELEASED], RELEASED_AT).movements
    assert (move.released_sat, move.unapproved_sat) == (60_000, 39_000)
    assert sum(move.released_by_source.values()) + sum(move.unapproved_by_source.values()) == (
        sum(traced.movements[0].unapproved_by_source.values())
    )
    assert [c.address for c in move.unapproved] == ["bc1qthief"]


def test_standings_name_every_case() -> None:
    at = standings([CASE, RELEASED], FORFEITED_AT)
    assert {case: s.state for case, s in at.items()} == {
        "KZ-2026-0042": "forfeited",
        "KZ-2026-0050": "seized",
    }
