"""Pools that hang, answer slowly, flap between 500 and 200 or return another account's data;
an Esplora whose tip goes back (a re-org) or whose transaction disappears.

What must hold: the collector never crashes, /metrics keeps answering at once, a wrong answer
never becomes a stored figure, and what the pools and the chain really say is stored in the end.
"""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.faults.world import (
    ADDRESS_A,
    POOLS,
    FaultWorld,
    eventually,
    sample,
)

pytestmark = pytest.mark.faults

BREAKER_OPEN = ("braiins", "f2pool")


async def test_hanging_slow_flapping_and_foreign_pools_store_no_wrong_figure(
    world: FaultWorld,
) -> None:
    await world.second_pool_server(["luxor"], slow_s=3.0)
    world.pools.misbehave("braiins", "slow")  # 22 s: past the collector's 20 s timeout
    world.pools.misbehave("f2pool", "wrong_account")
    collector = world.collector()
    await collector.start()
    await collector.wait_healthy()
    for extra in world._extra_pools:
        extra.misbehave("luxor", "slow")

    started = time.monotonic()
    slowest_scrape_s = 0.0
    while time.monotonic() - started < 25:
        world.pools.misbehave("foundry", "server_error", times=1)  # every other answer a 500
        scrape_started = time.monotonic()
        await collector.scrape()
        slowest_scrape_s = max(slowest_scrape_s, time.monotonic() - scrape_started)
        stored = await world.stored_earnings()
        for key, amounts in stored.items():  # never a figure the pool did not credit
            assert key in world.earnings, f"stored earnings for an unknown account {key}"
            for day, amount in amounts.items():
                assert world.earnings[key][day] == amount, (key, day, amount)
        assert ("f2pool", "acct-f2pool") not in stored
        await asyncio.sleep(1)

    async def timed_out() -> bool:
        """The hung pool's first request has timed out: the poller starts each job's first poll
        within 5 s of start, then the request waits the collector's 20 s timeout, so it may
        end just after the 25 s above (the test failed so, 'timeout': None, twice on
        2026-12-05: beside other tests, and in a fresh Debian root)."""
        families = await collector.scrape()
        counted = sample(
            families, "reservewatch_source_requests_total", source="pool", result="timeout"
        )
        return bool(counted)

    await eventually(timed_out, 15, "the hung pool's request counted as a timeout")
    families = await collector.scrape()
    for target, up in (
        ("op-a/braiins/acct-braiins", 0.0),
        ("op-b/f2pool/acct-f2pool", 0.0),
        ("op-a/foundry/acct-foundry", None),  # flapping: either, but polled
        ("op-b/luxor/acct-luxor", 1.0),
        ("op-a/antpool/acct-antpool", 1.0),
    ):
        value = sample(families, "reservewatch_source_up", source="pool", target=target)
        assert value is not None, target
        if up is not None:
            assert value == up, target
    requests = {
        result: sample(families, "reservewatch_source_requests_total", source="pool", result=result)
        for result in ("timeout", "bad_response", "server_error", "ok")
    }
    assert requests["timeout"], requests
    assert requests["bad_response"], requests
    assert requests["server_error"], requests
    assert collector.process is not None
    assert collector.process.returncode is None  # still running

    # Faults cleared: every account's true earnings arrive, exactly.
    world.pools.misbehave("braiins", None)
    world.pools.misbehave("f2pool", None)
    world.pools.misbehave("foundry", None)

    # Accounts whose breaker never opened (the flapping one, the slow one) recover in place;
    # the hung and the foreign one failed 5 times in a row, so their breakers stay open for
    # 300 s, by design: a restart (the next pass) fetches them.
    healthy = {key: value for key, value in world.earnings.items() if key[0] not in BREAKER_OPEN}

    async def healthy_stored() -> bool:
        stored = await world.stored_earnings()
        return all(stored.get(key) == value for key, value in healthy.items())

    recovery_s = await eventually(healthy_stored, 60, "the flapping and slow pools' earnings")
    assert await collector.stop() == 0
    await collector.start()

    async def all_stored() -> bool:
        return await world.stored_earnings() == world.earnings

    restart_s = await eventually(all_stored, 60, "every pool's true earnings stored")
    assert await collector.stop() == 0
    assert slowest_scrape_s < 1.0
    print(
        f"pools misbehaving 25 s: no wrong figure stored, slowest /metrics {slowest_scrape_s:.3f}"
        f" s, requests {requests}; flapping/slow accounts exact {recovery_s:.1f} s after the"
        f" faults cleared, all {len(POOLS)} exact {restart_s:.1f} s after a restart"
    )


async def test_reorg_and_vanished_transaction_follow_the_chain(world: FaultWorld) -> None:
    collector = world.collector()
    await collector.start()
    await collector.wait_healthy()

    async def both_payments_confirmed() -> bool:
        outputs = await world.stored_outputs()
        return sorted(amount for amount, status in outputs.values() if status == "confirmed") == (
            sorted(world.payments.values())
        )

    await eventually(both_payments_confirmed, 30, "both reserve payments confirmed")

    # The network job polls on its own schedule: under load the reserve watcher can finish
    # first, so wait for the tip to be shown too.
    async def tip_shown() -> bool:
        return sample(await collector.scrape(), "reservewatch_network_tip_height") is not None

    await eventually(tip_shown, 30, "the network tip shown")
    tip_before = sample(await collector.scrape(), "reservewatch_network_tip_height")

    # A new payment to op-a confirms, then a re-org to a shorter chain drops it for good.
    txid = world.chain.pay(ADDRESS_A, 5_000_000, confirm=True)
    world.chain.mine(6)

    async def new_payment_confirmed() -> bool:
        return (await world.stored_outputs()).get(txid, (0, ""))[1] == "confirmed"

    await eventually(new_payment_confirmed, 30, "the new payment confirmed")

    world.chain.reorg(8, new_blocks=2, drop=frozenset({txid}))
    tip_after = world.chain.tip.height
    assert tip_before is not None
    assert tip_after < tip_before + 7

    async def payment_gone() -> bool:
        outputs = await world.stored_outputs()
        return txid not in outputs or outputs[txid][1] != "confirmed"

    gone_s = await eventually(payment_gone, 30, "the re-orged payment no longer counted")

    async def remitted_is_first_payment() -> bool:
        now = await collector.scrape()
        value = sample(now, "reservewatch_operation_remitted_btc_total", operation="op-a")
        return value == pytest.approx(0.12345678)

    await eventually(remitted_is_first_payment, 45, "remitted: what the chain holds")
    families = await collector.scrape()
    assert sample(families, "reservewatch_network_tip_height") == tip_after
    assert await collector.stop() == 0
    print(f"re-org 8 deep to a lower tip: the vanished payment uncounted within {gone_s:.1f} s")
