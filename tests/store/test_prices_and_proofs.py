"""Prices, official rates and proofs of control are stored append-only, on SQLite and
PostgreSQL: a quote for an instant is kept as first stored, a read as of an instant sees only
what was recorded by then, and rates stay exact decimals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from collector.clock import FrozenClock
from collector.errors import StoreError
from collector.store.queries import Store
from collector.store.records import BlockRecord, PriceQuoteRecord
from remittance.proofs import RegisteredProof
from tests.support.scenario import latest_migration

NEW_YEAR = datetime(2027, 1, 1, tzinfo=UTC)
ALMATY_MIDNIGHT = datetime(2026, 12, 31, 19, tzinfo=UTC)  # 1 January 00:00 at UTC+5


def _usd(instant: datetime, rate: str) -> PriceQuoteRecord:
    return PriceQuoteRecord("BTC", "USD", "kraken", instant, Decimal(rate))


def _at(store: Store, when: datetime) -> Store:
    return Store(store.engine, FrozenClock(when))


async def test_quotes_are_appended_and_never_replaced(store: Store) -> None:
    first = _at(store, NEW_YEAR)
    assert await first.record_prices([_usd(NEW_YEAR, "97000.12345678")]) == 1
    later = _at(store, NEW_YEAR + timedelta(hours=1))
    assert await later.record_prices([_usd(NEW_YEAR, "1"), _usd(NEW_YEAR, "2")]) == 0
    [quote] = await store.price_quotes("BTC", "USD")
    assert quote.rate == Decimal("97000.12345678")  # exact, as first stored
    assert quote.recorded_at == NEW_YEAR


async def test_the_latest_prices_at_an_instant_are_per_source_and_only_those_known_then(
    store: Store,
) -> None:
    await _at(store, NEW_YEAR).record_prices(
        [_usd(NEW_YEAR - timedelta(minutes=5), "96000"), _usd(NEW_YEAR, "97000")]
    )
    # The NBK's rate for 1 January, imported only on 2 January.
    rate = PriceQuoteRecord("USD", "KZT", "nbk-csv", ALMATY_MIDNIGHT, Decimal("470.81"))
    await _at(store, NEW_YEAR + timedelta(days=1)).record_prices([rate])
    at_noon = NEW_YEAR + timedelta(hours=12)
    as_then = await store.latest_prices(at_noon)
    assert [(q.base, q.quote, q.rate) for q in as_then] == [("BTC", "USD", Decimal(97000))]
    known_later = await store.latest_prices(at_noon, as_of=NEW_YEAR + timedelta(days=2))
    assert [(q.base, q.rate) for q in known_later] == [
        ("BTC", Decimal(97000)),
        ("USD", Decimal("470.81")),
    ]
    before = await store.latest_prices(NEW_YEAR - timedelta(minutes=1), as_of=NEW_YEAR)
    assert [q.rate for q in before] == [Decimal(96000)]


async def test_quotes_read_by_range(store: Store) -> None:
    instants = [NEW_YEAR + timedelta(minutes=m) for m in range(5)]
    await _at(store, instants[-1]).record_prices([_usd(t, "1") for t in instants])
    found = await store.price_quotes("BTC", "USD", start=instants[1], end=instants[3])
    assert [q.instant for q in found] == instants[1:3]


def _proof(at: datetime, *, valid: bool = True) -> RegisteredProof:
    return RegisteredProof("bc1qaddress", "message", "c2lnbmF0dXJl", at, valid, 870_000, 870_006)


async def test_proofs_are_appended_with_what_was_established(store: Store) -> None:
    await store.record_proof(_proof(NEW_YEAR, valid=False))
    await store.record_proof(_proof(NEW_YEAR + timedelta(seconds=1)))
    proofs = await store.proofs("bc1qaddress")
    assert [(p.registered_at, p.signature_valid) for p in proofs] == [
        (NEW_YEAR, False),
        (NEW_YEAR + timedelta(seconds=1), True),
    ]
    assert proofs[1] == _proof(NEW_YEAR + timedelta(seconds=1))
    assert await store.proofs("bc1qother") == []
    with pytest.raises(StoreError):
        await store.record_proof(_proof(NEW_YEAR))  # the same instant again: refused


async def test_a_block_s_height_is_found_by_its_hash_on_the_best_chain(store: Store) -> None:
    await store.upsert_blocks([BlockRecord(870_000, "ab" * 32, NEW_YEAR, 312_500_000)])
    assert await store.block_height_of("ab" * 32) == 870_000
    assert await store.block_height_of("cd" * 32) is None


async def test_the_migrations_go_down_to_0005_and_up_again(store: Store) -> None:
    from alembic import command
    from sqlalchemy.engine import Connection

    from collector.store.database import _alembic_config, current_revision, upgrade

    await store.record_proof(_proof(NEW_YEAR))

    def downgrade(connection: Connection) -> None:
        command.downgrade(_alembic_config(connection), "0005")

    async with store.engine.begin() as connection:
        await connection.run_sync(downgrade)
    assert await current_revision(store.engine) == "0005"
    await upgrade(store.engine)
    assert await current_revision(store.engine) == latest_migration()
    assert await store.proofs() == []  # the tables were dropped and made again
