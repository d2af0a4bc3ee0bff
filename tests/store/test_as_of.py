"""As of an instant, a statement uses only what the store knew then: later revisions, blocks
and payments never change it (issue 12, defect 3), on SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import tempfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, update

from collector.accounts import assessments
from collector.accounts.service import AccountsService
from collector.accounts.terms import terms_documents
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.config.model import Config
from collector.documents.statements import build_statement_from_store, render_statement
from collector.metrics import build_registry
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import (
    ChainTipRecord,
    EarningRecord,
    NetworkDayRecord,
    PoolHashrateDayRecord,
    ReserveOutputRecord,
)
from collector.store.tables import AssessedDues
from remittance.statement import Statement, StatementTranche
from remittance.statement_json import statement_sha256
from tests.support.configs import editing
from tests.support.scenario import AS_OF, DEMO_ADDRESS, OBSERVED_AT, populate, write_config

LATER = AS_OF + timedelta(days=8)


def _scenario(root: Path, database_url: str | None = None) -> Config:
    extra = {"database": database_url} if database_url else {}
    config = load_config(write_config(root, **extra))
    asyncio.run(populate(config.database.url))
    return config


async def _later_observations(config: Config, revised_sat: int, blocks: int, paid: int) -> None:
    """What the collector sees after AS_OF: a pool revision, new blocks, a new payment."""
    async with Store(open_engine(config.database), FrozenClock(LATER)) as store:
        await store.upsert_earnings(
            [EarningRecord("op-demo", "ocean", "pool-b", date(2026, 10, 30), revised_sat)]
        )
        await store.save_chain_tip(ChainTipRecord("main", 950_999 + blocks, "22" * 32, LATER))
        if paid:
            await store.upsert_reserve_outputs(
                [
                    ReserveOutputRecord(
                        "b" * 64,
                        0,
                        "op-demo",
                        DEMO_ADDRESS,
                        paid,
                        "confirmed",
                        951_000,
                        "33" * 32,
                        datetime(2026, 11, 11, 23, tzinfo=UTC),  # block time before AS_OF
                    )
                ]
            )


async def _statement_sha(config: Config, as_of: datetime) -> tuple[str, int]:
    async with Store(open_engine(config.database)) as store:
        statement = await build_statement_from_store(
            config, store, config.operation("op-demo"), "2026-10", as_of
        )
    return statement_sha256(statement), statement.mined_sat


def test_a_statement_as_of_an_instant_ignores_everything_observed_later(
    tmp_path: Path, database_url: str
) -> None:
    config = _scenario(tmp_path, database_url)
    before = asyncio.run(_statement_sha(config, AS_OF))
    asyncio.run(_later_observations(config, revised_sat=450_000, blocks=30, paid=100_001))
    assert asyncio.run(_statement_sha(config, AS_OF)) == before
    # Now the best-known figures follow the revision: 50,000 sat more mined in October.
    _sha, mined_now = asyncio.run(_statement_sha(config, LATER))
    assert mined_now == before[1] + 50_000


def test_an_issued_statement_is_served_again_byte_for_byte(tmp_path: Path) -> None:
    config = _scenario(tmp_path)

    async def issue() -> bytes:
        async with Store(open_engine(config.database)) as store:
            return await render_statement(
                config, store, config.operation("op-demo"), "2026-10", "pdf", AS_OF, issue=True
            )

    first = asyncio.run(issue())
    asyncio.run(_later_observations(config, revised_sat=1, blocks=5, paid=0))
    assert asyncio.run(issue()) == first

    async def stored() -> bytes | None:
        async with Store(open_engine(config.database)) as store:
            return await store.issued_document("op-demo", "2026-10", AS_OF, "pdf")

    assert asyncio.run(stored()) == first


@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    revised_sat=st.integers(min_value=-10_000, max_value=5_000_000),
    blocks=st.integers(min_value=0, max_value=10_000),
    paid=st.integers(min_value=0, max_value=1_000_000),
)
def test_property_no_later_observation_changes_an_as_of_statement(
    revised_sat: int, blocks: int, paid: int
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = _scenario(Path(folder))
        before = asyncio.run(_statement_sha(config, AS_OF))
        asyncio.run(_later_observations(config, revised_sat, blocks, paid))
        assert asyncio.run(_statement_sha(config, AS_OF)) == before


def test_a_revision_after_issue_restates_the_period_in_the_next_statement(tmp_path: Path) -> None:
    config = _scenario(tmp_path)

    async def issue(period: str, as_of: datetime) -> bytes:
        async with Store(open_engine(config.database)) as store:
            return await render_statement(
                config, store, config.operation("op-demo"), period, "json", as_of, issue=True
            )

    asyncio.run(issue("2026-10", AS_OF))  # due 300,001 sat, as issued
    asyncio.run(_later_observations(config, revised_sat=450_000, blocks=0, paid=0))
    december = datetime(2026, 12, 12, tzinfo=UTC)
    november = json.loads(asyncio.run(issue("2026-11", december)))["statement"]
    [restated] = november["restatements"]
    assert restated["period"] == "2026-10"
    assert (restated["issued_due_sat"], restated["due_sat"], restated["delta_sat"]) == (
        300_001,
        305_001,
        5_000,
    )
    assert restated["inputs"] == [
        {"input": "earning ocean/pool-b 2026-10-30", "old": 400_000, "new": 450_000}
    ]

    async def restated_metric() -> float | None:
        async with Store(open_engine(config.database)) as store:
            service = AccountsService(config, store, FrozenClock(december))
            await service.recompute()
            registry, _ = build_registry([service])
        return registry.get_sample_value(
            "reservewatch_operation_restated_periods", {"operation": "op-demo"}
        )

    assert asyncio.run(restated_metric()) == 1


def test_an_edit_of_past_terms_never_changes_a_statement_as_of_before_it(tmp_path: Path) -> None:
    config = _scenario(tmp_path)

    async def record(terms_config: Config, at: datetime) -> None:
        async with Store(open_engine(terms_config.database), FrozenClock(at)) as store:
            await store.record_terms(terms_documents(terms_config))

    async def due(terms_config: Config, as_of: datetime) -> int:
        async with Store(open_engine(terms_config.database)) as store:
            statement = await build_statement_from_store(
                terms_config, store, terms_config.operation("op-demo"), "2026-10", as_of
            )
        return statement.due_sat

    asyncio.run(record(config, OBSERVED_AT))
    path = tmp_path / "config.yaml"
    with editing(path) as document:
        document["operations"][0]["remittance"]["rate"] = "0.20"
    edited = load_config(path)  # the rate of every period, October's included, is now 20 %
    asyncio.run(record(edited, LATER))
    assert asyncio.run(due(edited, AS_OF)) == 300_001  # as known on 12 November: 10 %
    assert asyncio.run(due(edited, LATER)) == 600_001


def test_a_statement_as_of_before_the_first_terms_record_says_whose_terms_it_used(
    tmp_path: Path,
) -> None:
    """Issue 26, item 10: as of an instant before the operation's terms were first recorded
    the file's terms are all there is, and a later edit of the file changes such a statement:
    it says so (flag ``terms_from_file``, in every format); one as of after the first record
    uses the terms recorded and says nothing."""
    config = _scenario(tmp_path)

    async def flags(as_of: datetime) -> tuple[str, ...]:
        async with Store(open_engine(config.database)) as store:
            statement = await build_statement_from_store(
                config, store, config.operation("op-demo"), "2026-10", as_of
            )
        return statement.flags

    async def record(at: datetime) -> None:
        async with Store(open_engine(config.database), FrozenClock(at)) as store:
            await store.record_terms(terms_documents(config))

    asyncio.run(record(LATER))
    assert "terms_from_file" in asyncio.run(flags(AS_OF))
    assert "terms_from_file" not in asyncio.run(flags(LATER))


def test_a_period_issued_while_open_is_not_restated_when_it_closes(
    tmp_path: Path, database_url: str
) -> None:
    """Issue 26, item 3: October issued as of 31 October 12:00 (open, due 0), nothing revised
    since: the November statement listed "2026-10 restated 0 → 300,001", the metric counted it
    and ClosedPeriodRestated fired. A provisional figure of an open period is not restated."""
    config = _scenario(tmp_path, database_url)

    async def issue(period: str, as_of: datetime) -> dict[str, object]:
        async with Store(open_engine(config.database)) as store:
            document = await render_statement(
                config, store, config.operation("op-demo"), period, "json", as_of, issue=True
            )
        statement: dict[str, object] = json.loads(document)["statement"]
        return statement

    october = asyncio.run(issue("2026-10", datetime(2026, 10, 31, 12, tzinfo=UTC)))
    assert october["period"]["is_open"] is True  # type: ignore[index]
    assert october["summary"]["due_sat"] == 0  # type: ignore[index]
    december = datetime(2026, 12, 12, tzinfo=UTC)
    assert asyncio.run(issue("2026-11", december))["restatements"] == []

    async def restated_metric() -> float | None:
        async with Store(open_engine(config.database)) as store:
            service = AccountsService(config, store, FrozenClock(december))
            await service.recompute()
            registry, _ = build_registry([service])
        return registry.get_sample_value(
            "reservewatch_operation_restated_periods", {"operation": "op-demo"}
        )

    assert asyncio.run(restated_metric()) == 0


def _output(txid: str, amount: int, height: int, block_time: datetime) -> ReserveOutputRecord:
    return ReserveOutputRecord(
        txid * 64, 0, "op-demo", DEMO_ADDRESS, amount, "confirmed", height, "44" * 32, block_time
    )


def test_an_amount_restated_after_the_deadline_is_due_from_its_assessment(
    tmp_path: Path, database_url: str
) -> None:
    """Issue 26, item 4: October paid in full before its deadline (11 November); a pool
    revision on 20 November adds 5,000 sat: it was overdue 777,601 s the moment it landed, and
    paid 10 h later it was "late" by 813,600 s. Now it is due by its assessment + due_days."""
    config = _scenario(tmp_path, database_url)
    revised_at = datetime(2026, 11, 20, tzinfo=UTC)
    paid_at = revised_at + timedelta(hours=10)

    async def observe() -> None:
        engine = open_engine(config.database)
        async with Store(engine, FrozenClock(OBSERVED_AT)) as store:  # the rest of October
            await store.upsert_reserve_outputs(
                [_output("c", 100_001, 950_500, datetime(2026, 11, 10, 12, tzinfo=UTC))]
            )
        async with Store(engine, FrozenClock(revised_at)) as store:
            await store.upsert_earnings(
                [EarningRecord("op-demo", "ocean", "pool-b", date(2026, 10, 30), 450_000)]
            )
        async with Store(engine, FrozenClock(paid_at + timedelta(hours=1))) as store:
            await store.upsert_reserve_outputs([_output("d", 5_000, 952_000, paid_at)])
            await store.save_chain_tip(
                ChainTipRecord("main", 952_010, "55" * 32, paid_at + timedelta(hours=1))
            )

    asyncio.run(observe())

    async def statement(as_of: datetime) -> tuple[Statement, bytes]:
        async with Store(open_engine(config.database)) as store:
            built = await build_statement_from_store(
                config, store, config.operation("op-demo"), "2026-10", as_of
            )
            csv = await render_statement(
                config, store, config.operation("op-demo"), "2026-10", "csv", as_of
            )
        return built, csv

    landed, csv = asyncio.run(statement(revised_at + timedelta(seconds=1)))
    assert (landed.due_sat, landed.remitted_sat) == (305_001, 300_001)
    assert (landed.shortfall_sat, landed.overdue_seconds) == (0, 0)  # was 5,000 and 777,601
    assert landed.assessed_later == (
        StatementTranche(5_000, revised_at, revised_at + timedelta(days=10)),
    )
    assert "flags,shortfall" not in csv.decode()
    assert (
        "statement,assessed_later,5000 sat assessed 2026-11-20T00:00:00+00:00 due "
        "2026-11-30T00:00:00+00:00"
    ) in csv.decode()
    paid, _csv = asyncio.run(statement(paid_at + timedelta(hours=2)))
    assert paid.remitted_sat == 305_001
    assert [t.late_seconds for t in paid.transfers] == [0, 0, 0]  # the last was 813,600
    assert "paid_late" not in paid.flags


def test_dues_assessed_at_a_past_instant_are_kept_and_read_again(
    tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A restart reads October's due as known at its deadline from the store instead of
    computing a pass for that instant (100 operations x 2 years: 5.6 s -> 15 ms of the first
    pass); kept under a basis of the terms, the settings and the rules' code, so another
    release of the rules computes it afresh."""
    config = _scenario(tmp_path, database_url)
    revised_at = datetime(2026, 11, 20, tzinfo=UTC)

    async def revise() -> None:
        async with Store(open_engine(config.database), FrozenClock(revised_at)) as store:
            await store.upsert_earnings(
                [EarningRecord("op-demo", "ocean", "pool-b", date(2026, 10, 30), 450_000)]
            )

    async def assessed_later() -> tuple[StatementTranche, ...]:
        async with Store(open_engine(config.database)) as store:
            built = await build_statement_from_store(
                config, store, config.operation("op-demo"), "2026-10", revised_at + timedelta(1)
            )
        return built.assessed_later

    async def kept_rows() -> list[tuple[datetime, str]]:
        table = AssessedDues.__table__
        engine = open_engine(config.database)
        async with engine.connect() as connection:
            rows = (await connection.execute(select(table.c.known_at, table.c.dues))).all()
        await engine.dispose()
        return [(row.known_at.replace(tzinfo=UTC), row.dues) for row in rows]

    async def tamper(dues: str) -> None:
        table = AssessedDues.__table__
        engine = open_engine(config.database)
        async with engine.begin() as connection:
            await connection.execute(update(table).values(dues=dues))
        await engine.dispose()

    asyncio.run(revise())
    computed = asyncio.run(assessed_later())
    assert computed == (StatementTranche(5_000, revised_at, revised_at + timedelta(days=10)),)
    [(known_at, dues)] = asyncio.run(kept_rows())  # the due at October's deadline
    assert known_at < revised_at
    assert json.loads(dues)["2026-10"] == 300_001
    # Read, not computed: a kept due of 295,001 makes the revision assess 10,000 sat.
    asyncio.run(tamper(json.dumps({"2026-10": 295_001})))
    assert [t.amount_sat for t in asyncio.run(assessed_later())] == [10_000]
    # Another release of the rules: computed afresh, and kept beside the first.
    monkeypatch.setattr(assessments, "rules_fingerprint", lambda: "another release")
    assert asyncio.run(assessed_later()) == computed
    assert len(asyncio.run(kept_rows())) == 2


def test_a_restatement_lists_the_revised_hash_rates_and_terms(
    tmp_path: Path, database_url: str
) -> None:
    """Issue 26, item 2: a pool or network hash-rate revision, or a rate edit, restated
    October with an empty list of revised inputs, and the CSV only ever said `2026-10:+5000`.
    Now each revised input is listed, old → new, in the JSON, the CSV and the PDF."""
    path = write_config(tmp_path, database=database_url)
    with editing(path) as document:
        document["operations"][0]["remittance"]["basis"] = "expected"
    config = load_config(path)
    asyncio.run(populate(config.database.url))

    async def record(terms_config: Config, at: datetime) -> None:
        async with Store(open_engine(terms_config.database), FrozenClock(at)) as store:
            await store.record_terms(terms_documents(terms_config))

    async def issue(issuing: Config, period: str, as_of: datetime, fmt: str) -> bytes:
        async with Store(open_engine(issuing.database)) as store:
            return await render_statement(
                issuing, store, issuing.operation("op-demo"), period, fmt, as_of, issue=True
            )

    asyncio.run(record(config, OBSERVED_AT))
    october = json.loads(asyncio.run(issue(config, "2026-10", AS_OF, "json")))["statement"]
    assert october["summary"]["due_sat"] == 300_000  # 3,000,000 expected × 10 %

    async def revise() -> None:
        async with Store(open_engine(config.database), FrozenClock(LATER)) as store:
            await store.upsert_pool_hashrate_days(
                [PoolHashrateDayRecord("op-demo", "ocean", "pool-a", date(2026, 10, 30), 1.5e16)]
            )
            await store.upsert_network_days(
                [NetworkDayRecord(date(2026, 10, 31), 144, 45_000_000_000, 1e21, None, True)]
            )

    asyncio.run(revise())
    with editing(path) as document:
        document["operations"][0]["remittance"]["rate"] = "0.12"
    edited = load_config(path)
    asyncio.run(record(edited, LATER))
    december = datetime(2026, 12, 12, tzinfo=UTC)
    november = json.loads(asyncio.run(issue(edited, "2026-11", december, "json")))
    [restated] = november["statement"]["restatements"]
    assert restated["issued_due_sat"] == 300_000
    assert restated["inputs"] == [
        {"input": "network hash rate 2026-10-31", "old": str(900 * 10**18), "new": str(10**21)},
        {
            "input": "pool hash rate ocean/pool-a 2026-10-30",
            "old": str(12 * 10**15),
            "new": str(15 * 10**15),
        },
        {"input": "terms remittance.rate", "old": '"0.10"', "new": '"0.12"'},
    ]
    csv = asyncio.run(issue(edited, "2026-11", december, "csv")).decode()
    assert (
        "statement,restated_input,2026-10 pool hash rate ocean/pool-a 2026-10-30: "
        "12000000000000000 -> 15000000000000000"
    ) in csv
    assert 'restated_input,"2026-10 terms remittance.rate: ""0.10"" -> ""0.12""' in csv
    assert asyncio.run(issue(edited, "2026-11", december, "pdf")).startswith(b"%PDF")
