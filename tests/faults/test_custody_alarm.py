"""The custody alarm cannot be blinded (issue 27, item 5 and "done means"): a vault that
spends a coin the watcher never saw arrive (funded before it was put under watch) and one
that moves its coins to its own address far beyond the gap limit both raise the alarm in the
running collector, each with its reason, and a restart forgets neither.

The outflow to an address the chain shows for the first time in that very transaction also
counts as an outflow to a new address (item 10).
"""

from __future__ import annotations

import pytest

from collector.bitcoin.descriptors import parse_descriptor
from simulator.keys import multisig_descriptor
from tests.faults.world import FaultWorld, eventually, sample

pytestmark = pytest.mark.faults

STRANGER = "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2"
VAULT = multisig_descriptor((1, 2, 3), 2)
ALARM = "reservewatch_reserve_unapproved_outflows_total"


async def test_an_unknown_coin_and_a_move_beyond_the_gap_raise_the_custody_alarm(
    world: FaultWorld,
) -> None:
    vault = parse_descriptor(VAULT, "main")
    reserve = {
        "confirmations": 6,
        "poll_interval_s": 2,
        "gap_limit": 3,
        "custody": [{"name": "vault", "descriptor": VAULT}],
    }
    collector = world.collector(reserve=reserve)
    await collector.start()
    await collector.wait_healthy()

    async def alarm_counts() -> list[float | None]:
        families = await collector.scrape()
        return [
            sample(families, ALARM, reason=r) for r in ("outside", "unknown_coin", "beyond_gap")
        ]

    async def watching_quietly() -> bool:
        return await alarm_counts() == [0.0, 0.0, 0.0]

    await eventually(watching_quietly, 45, "the reserve watched, no outflow")
    # Vault address 1 spends a coin funded before the watch (the fake's history never shows
    # it): 9,000 to a stranger, 3,000 back to vault address 0 ...
    world.chain.pay(
        STRANGER, 9_000, confirm=True, spend_from=vault.address(1),
        extra_outputs=[(vault.address(0), 3_000)],
    )  # fmt: skip
    # ... which then moves to the vault's own address 30: 3 … 29 unused, far past the gap of 3.
    world.chain.pay(vault.address(30), 2_000, spend_from=vault.address(0))

    async def both_alarmed() -> bool:
        return await alarm_counts() == [0.0, 1.0, 1.0]

    alarmed_s = await eventually(both_alarmed, 45, "both outflows alarmed, each with its reason")
    families = await collector.scrape()
    new = "reservewatch_reserve_outflow_destinations_total"
    assert sample(families, new, age="new") == 1.0  # the stranger: first seen in the outflow
    assert sample(families, "reservewatch_reserve_outflow_btc_total", destination="unapproved") == (
        pytest.approx(0.00011)
    )
    assert await collector.stop() == 0

    restarted = world.collector(reserve=reserve)
    await restarted.start()
    await restarted.wait_healthy()
    collector = restarted
    await eventually(both_alarmed, 45, "both outflows still alarmed after a restart")
    assert await restarted.stop() == 0
    print(f"unknown coin and beyond-gap outflows alarmed {alarmed_s:.1f} s after they appeared")
