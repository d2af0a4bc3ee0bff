"""Migration 0011 keeps the energy stored before it (as observed at its own minute, so a
statement as of any instant reads what it read before), on SQLite and PostgreSQL, and goes
back to 0010."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from collector.clock import FrozenClock
from collector.config.sections import DatabaseConfig
from collector.store.database import _alembic_config, current_revision, open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import RollupDelta

MINUTE = datetime(2026, 10, 30, 12, 0, tzinfo=UTC)


async def test_rollups_from_0010_keep_their_energy_as_of_their_minute(database_url: str) -> None:
    engine = open_engine(DatabaseConfig(url=database_url))
    later = FrozenClock(MINUTE + timedelta(days=20))
    async with Store(engine, later) as store:
        await upgrade(engine, "0010")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO telemetry_rollups (site_id, minute, operation_id, samples,"
                    " power_w_sum, power_w_max, energy_wh, hashrate_hs_sum, hashrate_samples)"
                    " VALUES ('s', :minute, 'op', 1, 1.0, 1.0, 9600, 0.0, 0)"
                ),
                {"minute": "2026-10-30 12:00:00.000000" if "sqlite" in database_url else MINUTE},
            )
        await upgrade(engine, "0011")
        assert await current_revision(engine) == "0011"
        span = (MINUTE, MINUTE + timedelta(hours=1))
        before = MINUTE - timedelta(seconds=1)
        assert await store.energy_wh(["s"], *span, as_of=before) is None
        assert await store.energy_wh(["s"], *span, as_of=MINUTE) == 9_600
        # A late delta after the migration counts from when it was observed.
        await store.flush_telemetry(
            [RollupDelta("s", "op", MINUTE, 1, 1.0, 1.0, 400, 0.0, 0, 1)], []
        )
        assert await store.energy_wh(["s"], *span, as_of=MINUTE + timedelta(days=1)) == 9_600
        assert await store.energy_wh(["s"], *span, as_of=later.now()) == 10_000
        [rollup] = await store.rollups(["s"], *span)
        assert rollup.energy_wh == 10_000

        def downgrade(connection: Connection) -> None:
            command.downgrade(_alembic_config(connection), "0010")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        assert await current_revision(engine) == "0010"
        await upgrade(engine)
        assert await store.energy_wh(["s"], *span, as_of=later.now()) == 10_000
