"""Migration 0005 keeps every credit stored before it (as mining income) and every daily hash
rate (as the pool's own), on SQLite and PostgreSQL, and goes back to 0004."""

from __future__ import annotations

from datetime import UTC, date, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from collector.config.sections import DatabaseConfig
from collector.store.database import _alembic_config, current_revision, open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import EarningRecord

DAY = date(2026, 11, 3)
SEEN = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)


async def test_rows_from_0004_are_mining_and_pool_published_after_0005(database_url: str) -> None:
    engine = open_engine(DatabaseConfig(url=database_url))
    async with Store(engine) as store:
        await upgrade(engine, "0004")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO pool_earnings VALUES "
                    "('op', 'braiins', 'acct', :day, 12345, 'api', :seen)"
                ),
                {"day": DAY, "seen": SEEN},
            )
            await connection.execute(
                text(
                    "INSERT INTO earning_revisions VALUES "
                    "('op', 'braiins', 'acct', :day, :seen, 12345, 'api')"
                ),
                {"day": DAY, "seen": SEEN},
            )
            await connection.execute(
                text(
                    "INSERT INTO pool_hashrate_days VALUES "
                    "('op', 'braiins', 'acct', :day, 1e17, :seen)"
                ),
                {"day": DAY, "seen": SEEN},
            )
        await upgrade(engine, "0005")
        assert await current_revision(engine) == "0005"
        assert await store.earnings() == [
            EarningRecord("op", "braiins", "acct", DAY, 12345, "api", "mining")
        ]
        assert await store.earnings(as_of=SEEN) == await store.earnings()
        [day] = await store.pool_hashrate_days()
        assert (day.source, day.coverage, day.hashrate_hs) == ("pool", None, 1e17)
        # Two kinds of credit on one day are two rows now.
        await store.upsert_earnings(
            [EarningRecord("op", "braiins", "acct", DAY, 345, "api", "fee_rebate")]
        )
        assert {e.income for e in await store.earnings()} == {"mining", "fee_rebate"}

        def downgrade(connection: Connection) -> None:
            command.downgrade(_alembic_config(connection), "0004")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        assert await current_revision(engine) == "0004"
        async with engine.connect() as connection:
            rows = (await connection.execute(text("SELECT amount_sat FROM pool_earnings"))).all()
        assert [row[0] for row in rows] == [12345]  # the rebate cannot be held by 0004
        await upgrade(engine, "0005")
        assert await current_revision(engine) == "0005"
