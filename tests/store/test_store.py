"""The store suite, run against SQLite and a real PostgreSQL started by the tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import inspect, text

from collector.store.database import current_revision, upgrade
from collector.store.queries import Store
from collector.store.records import (
    BlockRecord,
    ChainTipRecord,
    CurtailmentRecord,
    EarningRecord,
    NetworkDayRecord,
    PoolHashrateDayRecord,
    PoolStatusRecord,
    ReserveOutputRecord,
    RollupDelta,
    SiteStateRecord,
)
from collector.store.tables import Base
from tests.support.scenario import latest_migration

MINUTE = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
NOW = datetime(2100, 1, 1, tzinfo=UTC)  # as of when every flush here was observed


def _delta(minute: datetime, samples: int = 2, energy_wh: int = 800) -> RollupDelta:
    return RollupDelta(
        site_id="ekb-a",
        operation_id="ekibastuz-1",
        minute=minute,
        samples=samples,
        power_w_sum=96_000_000.0,
        power_w_max=48_500_000.0,
        energy_wh=energy_wh,
        hashrate_hs_sum=4.2e18,
        hashrate_samples=2,
        miners_online_last=9800,
    )


def _state(ts: datetime) -> SiteStateRecord:
    return SiteStateRecord("ekb-a", ts, 123_456_789_012, 800, 48_200_000.0, 2.1e18, 9800, 10000)


async def test_migrations_are_idempotent_and_match_the_models(store: Store) -> None:
    await upgrade(store.engine)
    assert await current_revision(store.engine) == latest_migration()

    def tables(connection: object) -> set[str]:
        return set(inspect(connection).get_table_names())

    async with store.engine.connect() as connection:
        present = await connection.run_sync(tables)
    assert set(Base.metadata.tables) <= present


async def test_rollup_deltas_add_up_within_a_minute(store: Store) -> None:
    await store.flush_telemetry([_delta(MINUTE)], [_state(MINUTE)])
    await store.flush_telemetry([_delta(MINUTE, samples=1, energy_wh=400)], [_state(MINUTE)])

    [rollup] = await store.rollups(["ekb-a"], MINUTE, MINUTE + timedelta(minutes=1))
    assert rollup.samples == 3
    assert rollup.energy_wh == 1200
    assert rollup.power_w_max == 48_500_000.0
    assert rollup.minute == MINUTE
    assert rollup.minute.tzinfo is not None
    assert await store.energy_wh(["ekb-a"], MINUTE, MINUTE + timedelta(hours=1), as_of=NOW) == 1200
    assert await store.energy_wh(["ekb-b"], MINUTE, MINUTE + timedelta(hours=1), as_of=NOW) is None


async def test_energy_between_sums_each_span_per_site_in_one_read(store: Store) -> None:
    hour = timedelta(hours=1)
    await store.flush_telemetry(
        [_delta(MINUTE, energy_wh=100), _delta(MINUTE + hour, energy_wh=20)], [_state(MINUTE)]
    )
    await store.flush_telemetry(
        [replace(_delta(MINUTE + 2 * hour, energy_wh=3), site_id="ekb-b")], []
    )
    bounds = [MINUTE, MINUTE + hour, MINUTE + 3 * hour]
    assert await store.energy_between(["ekb-a", "ekb-b", "ekb-c"], bounds, as_of=NOW) == {
        ("ekb-a", 0): (100, 1),
        ("ekb-a", 1): (20, 1),
        ("ekb-b", 1): (3, 1),
    }
    # A minute on a bound is in the span it starts; the last bound is not in any span.
    assert await store.energy_between(["ekb-a"], [MINUTE + hour, MINUTE + 2 * hour], as_of=NOW) == {
        ("ekb-a", 0): (20, 1)
    }
    assert await store.energy_between(["ekb-a"], [MINUTE, MINUTE], as_of=NOW) == {}
    assert await store.energy_between([], bounds, as_of=NOW) == {}


async def test_site_state_is_replaced_not_duplicated(store: Store) -> None:
    await store.flush_telemetry([], [_state(MINUTE)])
    later = MINUTE + timedelta(seconds=30)
    await store.flush_telemetry([], [_state(later)])
    [state] = await store.site_states()
    assert state.last_ts == later
    assert state.meter_wh == 123_456_789_012


async def test_earnings_are_idempotent_and_a_revised_day_replaces_itself(store: Store) -> None:
    day = date(2026, 11, 1)
    first = EarningRecord("ekibastuz-1", "braiins", "ekibastuz1", day, 1_234_567)
    await store.upsert_earnings(
        [first, EarningRecord("ekibastuz-1", "braiins", "ekibastuz1", day + timedelta(1), 5)]
    )
    await store.upsert_earnings([first])
    await store.upsert_earnings(
        [EarningRecord("ekibastuz-1", "braiins", "ekibastuz1", day, 1_234_999)]
    )

    earnings = await store.earnings("ekibastuz-1")
    assert [(e.day, e.amount_sat) for e in earnings] == [(day, 1_234_999), (day + timedelta(1), 5)]
    assert await store.earnings("ekibastuz-1", start=day + timedelta(1)) == earnings[1:]
    assert await store.earnings("other") == []


async def test_money_keeps_every_satoshi_beyond_32_bits(store: Store) -> None:
    big = 21_000_000 * 100_000_000  # every bitcoin there will ever be, in satoshis
    await store.upsert_earnings([EarningRecord("op", "ocean", "acct", date(2026, 1, 1), big)])
    [earning] = await store.earnings("op")
    assert earning.amount_sat == big


async def test_pool_status_and_daily_hashrate_round_trip(store: Store) -> None:
    status = PoolStatusRecord("op", "f2pool", "acct", 1.5e17, 1.4e17, 900, 12, MINUTE)
    await store.save_pool_status(status)
    await store.save_pool_status(status)
    assert await store.pool_statuses() == [status]
    day = PoolHashrateDayRecord("op", "f2pool", "acct", date(2026, 11, 1), 1.45e17)
    await store.upsert_pool_hashrate_days([day, day])
    assert await store.pool_hashrate_days("op") == [day]


async def test_replacing_blocks_drops_a_reorganised_branch(store: Store) -> None:
    old = [
        BlockRecord(h, f"old{h}", MINUTE + timedelta(minutes=10 * h), 315_000_000) for h in range(5)
    ]
    await store.replace_blocks_from(old)
    new = [BlockRecord(h, f"new{h}", MINUTE + timedelta(minutes=10 * h), 316_000_000) for h in (3,)]
    await store.replace_blocks_from(new)

    hashes = await store.block_hashes(0)
    assert hashes == {0: "old0", 1: "old1", 2: "old2", 3: "new3"}


async def test_upserting_blocks_writes_only_those_heights_and_deletes_nothing(
    store: Store,
) -> None:
    def block(height: int, tag: str) -> BlockRecord:
        return BlockRecord(height, f"{tag}{height}", MINUTE + timedelta(minutes=10 * height), 1)

    await store.upsert_blocks([block(h, "a") for h in range(5, 10)])
    await store.upsert_blocks([block(h, "b") for h in (0, 1, 7)])  # a lower page, one rewrite
    await store.upsert_blocks([block(h, "b") for h in (0, 1, 7)])  # idempotent
    await store.upsert_blocks([])
    hashes = await store.block_hashes(0)
    assert hashes == {0: "b0", 1: "b1", 5: "a5", 6: "a6", 7: "b7", 8: "a8", 9: "a9"}


async def test_network_days_and_tip(store: Store) -> None:
    day = NetworkDayRecord(date(2026, 11, 23), 144, 144 * 315_000_000, 1.05e21, 1.5e14, True)
    await store.upsert_network_days([day, day])
    assert await store.network_days() == [day]
    tip = ChainTipRecord("main", 925_000, "00" * 32, MINUTE)
    await store.save_chain_tip(tip)
    assert await store.chain_tip("main") == tip
    assert await store.chain_tip("test") is None


async def test_reserve_outputs_follow_the_chain(store: Store) -> None:
    txid = "ab" * 32
    seen = ReserveOutputRecord(
        txid, 1, "op", "bc1qexample", 50_000_000, "mempool", None, None, None
    )
    await store.upsert_reserve_outputs([seen])
    confirmed = ReserveOutputRecord(
        txid, 1, "op", "bc1qexample", 50_000_000, "confirmed", 925_000, "00" * 32, MINUTE
    )
    await store.upsert_reserve_outputs([confirmed, confirmed])
    assert await store.reserve_outputs("op") == [confirmed]

    await store.mark_outputs_removed([(txid, 1)])
    assert await store.reserve_outputs("op") == []
    [removed] = await store.reserve_outputs("op", statuses=("removed",))
    assert removed.block_height is None


async def test_curtailment_history_is_kept(store: Store) -> None:
    order = CurtailmentRecord("pavlodar", MINUTE, 20_000_000, MINUTE + timedelta(hours=4), None)
    await store.record_curtailment(order)
    lifted = CurtailmentRecord(
        "pavlodar", MINUTE, 20_000_000, MINUTE + timedelta(hours=4), MINUTE + timedelta(hours=1)
    )
    await store.record_curtailment(lifted)
    assert await store.curtailments() == [lifted]


async def test_issued_statements_are_recorded(store: Store) -> None:
    assert not await store.statement_issued("op", "2026-10")
    await store.record_statement("op", "2026-10", MINUTE, "ff" * 32, emailed_to=["ops@example.kz"])
    assert await store.statement_issued("op", "2026-10")


async def test_served_statements_are_recorded_without_touching_an_emailed_record(
    store: Store,
) -> None:
    await store.record_statement("op", "2026-10", MINUTE, "ff" * 32, emailed_to=["ops@example.kz"])
    served = [("op", "2026-10", MINUTE, "ff" * 32), ("op", "2026-11", MINUTE, "ee" * 32)]
    await store.record_served_statements(served)
    await store.record_served_statements(served)  # served again: nothing new
    assert await store.statement_issued("op", "2026-10")  # still e-mailed
    assert not await store.statement_issued("op", "2026-11")  # served, not e-mailed
    async with store.engine.connect() as connection:
        rows = (
            await connection.execute(
                text("SELECT period, sha256 FROM issued_statements ORDER BY period")
            )
        ).all()
    assert [tuple(r) for r in rows] == [("2026-10", "ff" * 32), ("2026-11", "ee" * 32)]


async def test_ping_reports_a_reachable_store(store: Store) -> None:
    assert await store.ping()


async def test_duplicate_keys_in_one_batch_merge_as_if_written_one_by_one(store: Store) -> None:
    await store.flush_telemetry([_delta(MINUTE), _delta(MINUTE, samples=1, energy_wh=1)], [])
    [rollup] = await store.rollups(["ekb-a"], MINUTE, MINUTE + timedelta(minutes=1))
    assert (rollup.samples, rollup.energy_wh) == (3, 801)


async def test_confirmations_count_from_the_configured_chains_tip_only(store: Store) -> None:
    from collector.accounts.inputs import read_inputs
    from tests.support.configs import DEMO_ADDRESS, build_config

    config = build_config()
    seen = datetime(2026, 11, 5, tzinfo=UTC)
    # A leftover testnet tip far above mainnet's must not confirm a mainnet output.
    await store.save_chain_tip(ChainTipRecord("test", 4_000_000, "aa" * 32, seen))
    await store.save_chain_tip(ChainTipRecord("main", 870_000, "bb" * 32, seen))
    await store.upsert_reserve_outputs(
        [
            ReserveOutputRecord(
                "cd" * 32, 0, "op", DEMO_ADDRESS, 200_000, "confirmed", 870_000, "bb" * 32, seen
            )
        ]
    )
    [output] = (await read_inputs(store, config)).outputs["op"]
    assert output.confirmations == 1
