"""The fee's inputs in the store, on SQLite and PostgreSQL: the grid operator's readings and
the sites' energy invoices as revisions read as of an instant, and the fee's bank transfers
kept as first imported."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from collector.clock import FrozenClock
from collector.store.queries import Store
from collector.store.records import EnergyInvoiceRecord, FeePaymentRecord, GridMeterRecord

FIRST_IMPORT = datetime(2026, 4, 2, 9, tzinfo=UTC)
CORRECTION = FIRST_IMPORT + timedelta(days=3)


def _at(store: Store, when: datetime) -> Store:
    return Store(store.engine, FrozenClock(when))


async def test_a_corrected_reading_is_a_new_revision_and_an_unchanged_one_is_not(
    store: Store,
) -> None:
    january = GridMeterRecord("site-a", date(2026, 1, 1), "month", 1_000_000)
    a_day = GridMeterRecord("site-a", date(2026, 2, 3), "day", 24_000)
    assert await _at(store, FIRST_IMPORT).record_grid_meter([january, a_day]) == 2
    assert await _at(store, FIRST_IMPORT + timedelta(hours=1)).record_grid_meter([january]) == 0
    corrected = GridMeterRecord("site-a", date(2026, 1, 1), "month", 1_100_000)
    assert await _at(store, CORRECTION).record_grid_meter([corrected]) == 1
    before = await store.grid_meter(
        ["site-a"], date(2026, 1, 1), date(2026, 4, 1), as_of=CORRECTION - timedelta(seconds=1)
    )
    after = await store.grid_meter(["site-a"], date(2026, 1, 1), date(2026, 4, 1), as_of=CORRECTION)
    assert [(r.period_start, r.energy_wh) for r in before] == [
        (date(2026, 1, 1), 1_000_000),
        (date(2026, 2, 3), 24_000),
    ]
    assert next((r.period_start, r.energy_wh, r.observed_at) for r in after) == (
        date(2026, 1, 1),
        1_100_000,
        CORRECTION,
    )
    assert (
        await store.grid_meter(["site-b"], date(2026, 1, 1), date(2026, 4, 1), as_of=CORRECTION)
        == []
    )


async def test_a_transfer_is_stored_once_by_its_reference_and_read_as_known(store: Store) -> None:
    payment = FeePaymentRecord("op-a", "KZ-PP-0001", date(2026, 5, 20), 1_234_56)
    assert await _at(store, FIRST_IMPORT).record_fee_payments([payment]) == 1
    assert await _at(store, CORRECTION).record_fee_payments([payment]) == 0
    [stored] = await store.fee_payments(["op-a"], as_of=CORRECTION)
    assert (stored.reference, stored.amount_tiyn, stored.observed_at) == (
        "KZ-PP-0001",
        123_456,
        FIRST_IMPORT,
    )
    assert await store.fee_payments(as_of=FIRST_IMPORT - timedelta(seconds=1)) == []
    assert await store.fee_payments(["op-b"]) == []


async def test_a_corrected_invoice_is_a_new_revision_read_as_known_then(store: Store) -> None:
    invoice = EnergyInvoiceRecord("site-a", "AE-1", date(2026, 1, 1), 70_000_000, 161_000_000)
    march = EnergyInvoiceRecord("site-a", "AE-3", date(2026, 3, 1), 70_000_000, 172_100_000)
    assert await _at(store, FIRST_IMPORT).record_energy_invoices([invoice, march]) == 2
    corrected = EnergyInvoiceRecord("site-a", "AE-1", date(2026, 1, 1), 70_000_500, 161_001_150)
    assert await _at(store, CORRECTION).record_energy_invoices([corrected, march]) == 1

    def seen(found: list[EnergyInvoiceRecord]) -> list[tuple[str, int, datetime | None]]:
        return [(i.invoice_number, i.amount_tiyn, i.observed_at) for i in found]

    first_quarter = (date(2026, 1, 1), date(2026, 4, 1))
    assert seen(await store.energy_invoices(["site-a"], *first_quarter, as_of=FIRST_IMPORT)) == [
        ("AE-1", 161_000_000, FIRST_IMPORT),
        ("AE-3", 172_100_000, FIRST_IMPORT),
    ]
    assert seen(await store.energy_invoices(["site-a"], *first_quarter, as_of=CORRECTION)) == [
        ("AE-1", 161_001_150, CORRECTION),
        ("AE-3", 172_100_000, FIRST_IMPORT),
    ]
    assert await store.energy_invoices(["site-a"], date(2026, 2, 1), date(2026, 3, 1),
                                       as_of=CORRECTION) == []  # fmt: skip
