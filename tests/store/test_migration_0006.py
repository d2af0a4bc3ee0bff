"""Migration 0006 keeps every reserve output stored before it (in an operation's reserve
wallet), records spends, on SQLite and PostgreSQL, and goes back to 0005."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Connection

from collector.config.sections import DatabaseConfig
from collector.store.database import _alembic_config, current_revision, open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import ReserveSpendRecord

SEEN = datetime(2026, 11, 4, 1, 0, tzinfo=UTC)
TXID = "ab" * 32


async def test_outputs_from_0005_are_in_reserve_wallets_after_0006(database_url: str) -> None:
    engine = open_engine(DatabaseConfig(url=database_url))
    async with Store(engine) as store:
        await upgrade(engine, "0005")
        async with engine.begin() as connection:
            await connection.execute(
                text(
                    "INSERT INTO reserve_outputs (txid, vout, operation_id, address, amount_sat,"
                    " status, block_height, block_hash, block_time, kind, first_seen, last_seen)"
                    " VALUES (:txid, 0, 'op', 'bc1qaddr', 5000, 'confirmed', 10, :txid, :seen,"
                    " 'remittance', :seen, :seen)"
                ),
                {"txid": TXID, "seen": SEEN},
            )
        await upgrade(engine, "0006")
        assert await current_revision(engine) == "0006"
        [output] = await store.reserve_outputs()
        assert (output.role, output.kind, output.amount_sat) == ("reserve", "remittance", 5000)
        spend = ReserveSpendRecord("cd" * 32, TXID, 0)
        await store.add_reserve_spends([spend, spend])
        await store.add_reserve_spends([spend])
        assert await store.reserve_spends() == [spend]
        assert await store.reserve_spends(as_of=SEEN) == []

        def downgrade(connection: Connection) -> None:
            command.downgrade(_alembic_config(connection), "0005")

        async with engine.begin() as connection:
            await connection.run_sync(downgrade)
        assert await current_revision(engine) == "0005"
        await upgrade(engine)
        assert [o.txid for o in await store.reserve_outputs()] == [TXID]
