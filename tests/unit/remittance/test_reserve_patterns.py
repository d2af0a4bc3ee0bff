"""The two sovereign patterns: a large balance resting on a reused or exposed-key address, and
an outflow to an address the chain first showed recently (issue 27, item 10)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from remittance.reserve import Coin, Role, holdings
from remittance.reserve_patterns import (
    DestinationHistory,
    exposed_addresses,
    outflow_destinations,
)

T = datetime(2026, 12, 1, tzinfo=UTC)
WINDOW = timedelta(days=30)


def tx(n: int) -> str:
    return f"{n:064x}"


def coin(  # noqa: PLR0917 - a coin's fields, in a table of them
    n: int,
    sat: int,
    address: str,
    role: Role = "custody",
    holder: str = "vault",
    status: str = "confirmed",
    vout: int = 0,
) -> Coin:
    confirmed = status == "confirmed"
    return Coin(
        tx(n),
        vout,
        sat,
        role,
        holder,
        address,
        status,
        n if confirmed else None,
        T if confirmed else None,
    )


def test_an_address_paid_twice_holding_more_than_the_threshold_is_reused() -> None:
    [found] = exposed_addresses([coin(1, 60, "vault-0"), coin(2, 50, "vault-0")], [], 100)
    assert (found.address, found.balance_sat, found.receipts, found.reasons) == (
        "vault-0",
        110,
        2,
        ("reused",),
    )


def test_change_back_to_a_spent_address_rests_behind_an_exposed_key() -> None:
    coins = [
        coin(1, 1_000, "vault-0"),
        coin(2, 100, "elsewhere", role="outside", holder=""),
        coin(2, 899, "vault-0", vout=1),  # change to the address it spent from
    ]
    [found] = exposed_addresses(coins, [(tx(2), tx(1), 0)], threshold_sat=500)
    assert (found.balance_sat, found.reasons) == (899, ("reused", "exposed_key"))


def test_fresh_addresses_small_balances_and_unconfirmed_coins_raise_nothing() -> None:
    one_receipt = [coin(1, 10_000, "vault-0")]
    assert exposed_addresses(one_receipt, [], 0) == ()
    at_threshold = [coin(1, 60, "vault-0"), coin(2, 40, "vault-0")]
    assert exposed_addresses(at_threshold, [], 100) == ()  # more than, not as much as
    in_mempool = [coin(1, 60, "vault-0"), coin(2, 4_000, "vault-0", status="mempool")]
    assert exposed_addresses(in_mempool, [], 100) == ()  # reused, but 60 rests confirmed
    replaced = [coin(1, 600, "vault-0"), coin(2, 600, "vault-0", status="removed")]
    assert exposed_addresses(replaced, [], 100) == ()  # one live receipt


def test_a_spent_address_emptied_by_its_spend_holds_nothing() -> None:
    coins = [coin(1, 1_000, "vault-0"), coin(2, 999, "vault-1")]
    assert exposed_addresses(coins, [(tx(2), tx(1), 0)], 0) == ()


def _outflow_to(address: str, *, status: str = "confirmed") -> tuple[Coin, ...]:
    return (
        coin(1, 1_000, "ours", role="reserve", holder="op"),
        coin(2, 900, address, "outside", "", status),
    )


def _destinations(coins: tuple[Coin, ...], history: DestinationHistory | None) -> list[str]:
    moves = holdings(coins, [(tx(2), tx(1), 0)]).movements
    histories = {} if history is None else {history.address: history}
    return [d.age for d in outflow_destinations(moves, histories, WINDOW)]


def test_an_outflow_to_an_address_first_seen_within_the_window_is_new() -> None:
    seen = DestinationHistory("otc", tx(9), T - timedelta(days=29), True, T)
    assert _destinations(_outflow_to("otc"), seen) == ["new"]
    in_itself = DestinationHistory("otc", tx(2), T, True, T)  # the outflow is its first
    assert _destinations(_outflow_to("otc"), in_itself) == ["new"]
    never_confirmed = DestinationHistory("otc", None, None, True, T)
    assert _destinations(_outflow_to("otc", status="mempool"), never_confirmed) == ["new"]


def test_an_address_seen_before_the_window_is_established() -> None:
    seen = DestinationHistory("exchange", tx(9), T - timedelta(days=31), False, T)
    assert _destinations(_outflow_to("exchange"), seen) == ["established"]


def test_a_history_not_read_or_cut_short_inside_the_window_is_unknown() -> None:
    assert _destinations(_outflow_to("busy"), None) == ["unknown"]
    cut_short = DestinationHistory("busy", tx(9), T - timedelta(days=3), False, T)
    assert _destinations(_outflow_to("busy"), cut_short) == ["unknown"]


def test_a_mempool_outflow_is_judged_when_its_destination_was_read() -> None:
    read_later = DestinationHistory("otc", tx(9), T - timedelta(days=20), True, T + WINDOW)
    assert _destinations(_outflow_to("otc", status="mempool"), read_later) == ["established"]


def test_a_wallets_own_address_beyond_its_gap_is_no_destination() -> None:
    coins = (
        coin(1, 1_000, "ours", role="reserve", holder="op"),
        coin(2, 900, "op-30", "outside", "op"),
    )
    assert _destinations(coins, None) == []
