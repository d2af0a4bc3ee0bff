"""The reserve's holdings by source: sources follow the coins through the reserve's own
transactions; unapproved outflows and fees leave them pro rata; every satoshi once."""

from __future__ import annotations

from remittance.reserve import Coin, Role, holdings, split


def tx(n: int) -> str:
    return f"{n:064x}"


def coin(  # noqa: PLR0917 - a coin's fields, in a table of them
    n: int,
    vout: int,
    sat: int,
    role: Role,
    holder: str,
    status: str = "confirmed",
    height: int | None = 100,
) -> Coin:
    address = f"addr-{holder}-{n}-{vout}"
    return Coin(
        tx(n), vout, sat, role, holder, address, status, height if status == "confirmed" else None
    )


def test_inflows_are_held_by_their_source() -> None:
    h = holdings([coin(1, 0, 5_000, "reserve", "op-a"), coin(2, 0, 700, "intake", "case-1")], [])
    assert h.by_source == {("mined", "op-a"): 5_000, ("seized", "case-1"): 700}
    assert h.total_sat == 5_700
    assert [c.txid for c in h.inflows] == [tx(1), tx(2)]
    assert h.movements == ()


def test_a_move_to_custody_keeps_the_sources_and_is_not_an_outflow() -> None:
    coins = [
        coin(1, 0, 6_000, "reserve", "op-a"),
        coin(2, 0, 4_000, "intake", "case-1"),
        coin(3, 0, 9_900, "custody", "vault", height=101),  # 100 sat fee
    ]
    spends = [(tx(3), tx(1), 0), (tx(3), tx(2), 0)]
    h = holdings(coins, spends)
    assert h.by_wallet == {("custody", "vault"): 9_900}
    assert h.by_source == {("mined", "op-a"): 5_940, ("seized", "case-1"): 3_960}
    assert h.left_by_source == {("mined", "op-a"): 60, ("seized", "case-1"): 40}
    (move,) = h.movements
    assert (move.destination, move.to_custody_sat, move.unapproved_sat, move.fee_sat) == (
        "custody",
        9_900,
        0,
        100,
    )


def test_an_unapproved_outflow_leaves_its_sources_pro_rata_and_change_keeps_the_rest() -> None:
    coins = [
        coin(1, 0, 10_000, "reserve", "op-a"),
        coin(2, 0, 3_000, "outside", "", status="mempool"),
        coin(2, 1, 6_999, "reserve", "op-a", status="mempool"),  # change; 1 sat fee
    ]
    h = holdings(coins, [(tx(2), tx(1), 0)])
    (move,) = h.movements
    assert move.destination == "unapproved"
    assert (move.unapproved_sat, move.internal_sat, move.fee_sat) == (3_000, 6_999, 1)
    assert move.unapproved_by_source == {("mined", "op-a"): 3_000}
    assert h.by_source == {("mined", "op-a"): 6_999}
    assert h.left_by_source == {("mined", "op-a"): 3_001}


def test_a_removed_spend_gives_the_coin_back() -> None:
    coins = [
        coin(1, 0, 10_000, "reserve", "op-a"),
        coin(2, 0, 9_000, "outside", "", status="removed"),
    ]
    h = holdings(coins, [(tx(2), tx(1), 0)])
    assert h.by_source == {("mined", "op-a"): 10_000}
    assert h.movements == ()


def test_chained_moves_keep_every_satoshi() -> None:
    coins = [
        coin(1, 0, 1_001, "reserve", "op-a"),
        coin(1, 1, 2_002, "reserve", "op-b"),
        coin(2, 0, 1_500, "custody", "vault", height=101),
        coin(2, 1, 1_500, "reserve", "op-a", height=101),
        coin(3, 0, 2_999, "custody", "cold", height=101),  # spends tx 2 in the same block
    ]
    spends = [(tx(2), tx(1), 0), (tx(2), tx(1), 1), (tx(3), tx(2), 0), (tx(3), tx(2), 1)]
    h = holdings(coins, spends)
    assert h.total_sat == 2_999
    assert sum(h.left_by_source.values()) == 3_003 - 2_999
    assert set(h.by_source) == {("mined", "op-a"), ("mined", "op-b")}


def test_only_counted_inflows_are_held() -> None:
    coins = [coin(1, 0, 5_000, "reserve", "op-a"), coin(2, 0, 7, "reserve", "op-a", "mempool")]
    h = holdings(coins, [], counted=[(tx(1), 0)])
    assert h.by_source == {("mined", "op-a"): 5_000}


def test_split_always_sums() -> None:
    for amount in (0, 1, 7, 99_999):
        for weights in ([1], [3, 3, 3], [0, 0, 5], [2, 1_000_000, 7]):
            assert sum(split(amount, weights)) == amount


def test_holdings_at_an_instant_see_only_blocks_before_it() -> None:
    from datetime import UTC, datetime, timedelta

    from remittance.reserve import holdings_at

    t0 = datetime(2026, 10, 1, tzinfo=UTC)

    def at(c: Coin, hours: int) -> Coin:
        return Coin(c.txid, c.vout, c.amount_sat, c.role, c.holder, c.address, c.status,
                    c.block_height, t0 + timedelta(hours=hours))  # fmt: skip

    coins = [
        at(coin(1, 0, 10_000, "reserve", "op-a"), 1),
        at(coin(2, 0, 4_000, "outside", ""), 5),
        at(coin(2, 1, 5_000, "custody", "vault"), 5),
    ]
    spends = [(tx(2), tx(1), 0)]
    assert holdings_at(coins, spends, t0).total_sat == 0
    assert holdings_at(coins, spends, t0 + timedelta(hours=2)).by_wallet == {
        ("reserve", "op-a"): 10_000
    }
    later = holdings_at(coins, spends, t0 + timedelta(hours=6))
    assert later.by_wallet == {("custody", "vault"): 5_000}
    assert later.by_source == {("mined", "op-a"): 5_000}


def test_an_outflow_of_a_coin_never_seen_arriving_is_unapproved_and_unattributed() -> None:
    # Tx 2 spends tx 1:0 (known) and tx 9:0 (never stored: older than the watch).
    coins = [
        coin(1, 0, 4_000, "reserve", "op-a"),
        coin(2, 0, 10_000, "outside", ""),
        coin(2, 1, 1_000, "custody", "vault"),
    ]
    h = holdings(coins, [(tx(2), tx(1), 0), (tx(2), tx(9), 0)])
    (move,) = h.movements
    assert move.destination == "unapproved"
    assert move.reasons == ("unknown_coin",)
    assert move.unknown_inputs == ((tx(9), 0),)
    # The unknown coin counts for what the known one does not cover; its fee is unknown.
    assert (move.spent_sat, move.unapproved_sat, move.fee_sat) == (11_000, 10_000, 0)
    assert sum(move.unapproved_by_source.values()) == 10_000
    assert move.unapproved_by_source[("unattributed", "")] > 0
    assert h.by_wallet == {("custody", "vault"): 1_000}
    assert h.total_sat == 1_000  # the change is held, partly unattributed: never dropped
    assert sum(h.left_by_source.values()) == 10_000


def test_a_spend_of_unknown_coins_alone_still_moves_the_metrics() -> None:
    coins = [coin(2, 0, 7_000, "outside", "", status="mempool")]
    (move,) = holdings(coins, [(tx(2), tx(9), 3)]).movements
    assert (move.reasons, move.unapproved_sat, move.status) == (("unknown_coin",), 7_000, "mempool")
    assert move.unapproved_by_source == {("unattributed", ""): 7_000}


def test_a_move_to_a_wallets_own_address_beyond_its_gap_is_unapproved_for_that_reason() -> None:
    coins = [
        coin(1, 0, 10_000, "custody", "vault"),
        coin(2, 0, 9_000, "outside", "vault"),  # the vault's address 30, 4 … 29 unused
        coin(2, 1, 500, "outside", ""),
    ]
    (move,) = holdings(coins, [(tx(2), tx(1), 0)]).movements
    assert move.destination == "unapproved"
    assert move.reasons == ("outside", "beyond_gap")
    assert move.unapproved_sat == 9_500


def test_a_pending_outflow_is_shown_apart_and_holdings_at_count_blocks_only() -> None:
    from datetime import UTC, datetime

    from remittance.reserve import holdings_at, pending

    t0 = datetime(2026, 10, 1, tzinfo=UTC)
    coins = [
        Coin(tx(1), 0, 50_000, "intake", "case-1", "a", "confirmed", 100, t0),
        coin(2, 0, 10_000, "outside", "", status="mempool"),
        coin(2, 1, 39_999, "intake", "case-1", status="mempool"),
    ]
    spends = [(tx(2), tx(1), 0)]
    later = datetime(2026, 10, 2, tzinfo=UTC)
    assert holdings_at(coins, spends, later).total_sat == 50_000
    (waiting,) = pending(coins, spends)
    assert (waiting.txid, waiting.unapproved_sat, waiting.fee_sat) == (tx(2), 10_000, 1)
