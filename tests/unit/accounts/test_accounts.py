"""How the accounts service turns stored rows into the money rules' inputs."""

from __future__ import annotations

import asyncio
import gc
import weakref
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from collector.accounts import service as accounts
from collector.accounts.compute import (
    AccountsPass,
    ObligationsPass,
    compute_pass,
    obligations_pass,
)
from collector.accounts.inputs import Inputs, read_inputs
from collector.accounts.pool_days import daily_hashrates, no_history_before
from collector.accounts.reserve import LiveReserve
from collector.accounts.service import AccountsService
from collector.accounts.snapshot import AccountsSnapshot
from collector.bitcoin.descriptors import parse_descriptor
from collector.cli import term_changes
from collector.clock import FrozenClock
from collector.config.model import Config
from collector.metrics import build_registry
from collector.metrics.accounts import AccountsMetrics
from collector.store.queries import Store
from collector.store.records import (
    ChainTipRecord,
    EarningRecord,
    NetworkDayRecord,
    PoolHashrateDayRecord,
    PoolHashrateSampleRecord,
    PoolStatusRecord,
    ReserveOutputRecord,
)
from remittance.ledger import ReserveOutput
from remittance.obligations import DailyEarning, MissingReason
from simulator.keys import wpkh_descriptor
from tests.support.configs import DEMO_ADDRESS, OTHER_ADDRESS, build_config, operation, pool, site

CONFIG = build_config(operation("op", pools=[pool("a"), pool("b")]))


def test_a_day_counts_only_when_every_pool_account_reported_it() -> None:
    rows = [
        PoolHashrateDayRecord("op", "ocean", "a", date(2026, 11, 1), 1e16),
        PoolHashrateDayRecord("op", "ocean", "b", date(2026, 11, 1), 2e16),
        PoolHashrateDayRecord("op", "ocean", "a", date(2026, 11, 2), 1e16),
        PoolHashrateDayRecord("op", "ocean", "gone", date(2026, 11, 2), 5e16),
    ]
    [day] = daily_hashrates(CONFIG, rows)["op"]
    assert (day.day, day.hashrate_hs) == (date(2026, 11, 1), 3e16)


def test_a_day_says_where_its_hash_rate_came_from_and_whether_samples_covered_it() -> None:
    day, thin = date(2026, 11, 1), date(2026, 11, 2)
    rows = [
        PoolHashrateDayRecord("op", "ocean", "a", day, 1e16),
        PoolHashrateDayRecord("op", "ocean", "b", day, 2e16, "samples", 0.95),
        PoolHashrateDayRecord("op", "ocean", "a", thin, 1e16, "samples", 0.99),
        PoolHashrateDayRecord("op", "ocean", "b", thin, 2e16, "samples", 0.5),  # < 0.8
    ]
    both, poor = daily_hashrates(CONFIG, rows)["op"]
    assert (both.source, both.coverage, both.covered) == ("pool+samples", Decimal("0.9500"), True)
    assert (poor.source, poor.coverage, poor.covered) == ("samples", Decimal("0.5000"), False)


def test_days_before_every_unpublished_account_was_sampled_have_no_history_to_read() -> None:
    # OCEAN publishes no daily hash rate: account "a" first sampled on 2 November, "b" on the
    # 5th (late in the day, +05:00 still the 5th in UTC), so no day before the 5th can have
    # the operation's figure; an account never sampled sets no bound (its days alert).
    first = {
        ("op", "ocean", "a"): datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        ("op", "ocean", "b"): datetime(2026, 11, 6, 3, 0, tzinfo=timezone(timedelta(hours=5))),
    }
    assert no_history_before(CONFIG, first) == {"op": date(2026, 11, 5)}
    assert no_history_before(CONFIG, {("op", "ocean", "a"): first["op", "ocean", "a"]}) == {
        "op": date(2026, 11, 2)
    }
    assert no_history_before(CONFIG, {}) == {}
    # A pool whose own daily figure is read can fill any past day: no such bound.
    braiins = build_config(operation("op", pools=[pool("x", "braiins", token_env="T")]))
    assert no_history_before(braiins, {("op", "braiins", "x"): first["op", "ocean", "a"]}) == {}


def test_rows_of_operations_no_longer_configured_are_ignored() -> None:
    rows = [PoolHashrateDayRecord("retired", "ocean", "a", date(2026, 11, 1), 1e16)]
    assert daily_hashrates(CONFIG, rows) == {}


def _inputs(earnings: list[DailyEarning]) -> Inputs:
    by_operation: dict[str, list[DailyEarning]] = {}
    for row in earnings:
        by_operation.setdefault(row.operation, []).append(row)
    return Inputs(
        earnings=by_operation,
        hashrates={},
        network=[],
        outputs={},
        pool_hashrate_hs={},
        network_hashrate_hs=None,
    )


TWO_OPERATIONS = build_config(
    # The schedule starts after the operation's first earning.
    operation("late-schedule", remittance={"rates": [{"from": "2026-11-15", "rate": "0.10"}]}),
    operation("fine", OTHER_ADDRESS, rate="0.10"),
)
AS_OF = datetime(2026, 12, 1, tzinfo=UTC)


def test_a_schedule_starting_after_the_first_data_is_an_error_of_those_days_only() -> None:
    result = compute_pass(
        TWO_OPERATIONS,
        _inputs(
            [
                DailyEarning("late-schedule", "ocean/a", date(2026, 11, 1), 1_000),
                DailyEarning("late-schedule", "ocean/a", date(2026, 11, 20), 1_000),
                DailyEarning("fine", "ocean/b", date(2026, 11, 1), 1_000),
            ]
        ),
        AS_OF,
    )
    assert result.failed == {}
    november = result.accounts["late-schedule"].obligation_for("2026-11")
    assert november is not None
    assert november.due_sat == 100  # the 20th's 1,000 at 10 %; the 1st had no rate in force
    assert november.unrated_days == tuple(date(2026, 11, day) for day in range(1, 15))
    assert result.accounts["fine"].total_due_sat == 100


def test_one_operations_bad_data_fails_that_operation_only() -> None:
    twice = DailyEarning("late-schedule", "ocean/a", date(2026, 11, 20), 1_000)
    result = compute_pass(
        TWO_OPERATIONS,
        _inputs([twice, twice, DailyEarning("fine", "ocean/b", date(2026, 11, 1), -250)]),
        AS_OF,
    )
    reason, message = result.failed["late-schedule"]
    assert reason == "invalid_input"
    assert "given twice" in message
    # A clawback is data, not an error: the other operation is computed as usual.
    assert result.accounts["fine"].total_mined_sat == -250
    assert set(result.accounts) == {"fine"}


async def test_a_stale_operation_keeps_its_last_good_account_and_says_so(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    service = AccountsService(TWO_OPERATIONS, store, FrozenClock(AS_OF))
    await store.upsert_earnings([EarningRecord("fine", "ocean", "b", date(2026, 11, 1), 1_000)])
    first = await service.recompute()
    good = first["late-schedule"]

    def refuse_late(config: Config, inputs: Inputs, as_of: datetime) -> ObligationsPass:
        result = obligations_pass(config, inputs, as_of)
        del result.accounts["late-schedule"]
        result.failed["late-schedule"] = ("invalid_terms", "refused for the test")
        return result

    monkeypatch.setattr("collector.accounts.service.obligations_pass", refuse_late)
    second = await service.recompute()
    assert second["late-schedule"] is good
    assert service.stale == {"late-schedule": "invalid_terms"}
    samples = {
        (m.labels["operation"], m.labels["reason"]): m.value
        for family in AccountsMetrics(service).metric_families()
        if family.name == "reservewatch_operation_accounts_stale"
        for m in family.samples
    }
    assert samples == {("late-schedule", "invalid_terms"): 1, ("fine", "none"): 0}


async def test_a_start_shows_every_operations_figures_before_the_reserves(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first pass since start publishes the accounts as soon as they are computed, then the
    reserve's figures (a walk over every stored output) as of the same instant; a later pass
    swaps its snapshot in once, whole, and whoever waits for a pass gets the whole one."""
    service = AccountsService(TWO_OPERATIONS, store, FrozenClock(AS_OF))
    await store.upsert_earnings([EarningRecord("fine", "ocean", "b", date(2026, 11, 1), 1_000)])
    published: list[AccountsSnapshot | None] = []

    async def reserve_read(
        self: LiveReserve, store: Store, config: Config, now: datetime, facts: object = None
    ) -> None:
        published.append(service.snapshot)  # what a scrape would read meanwhile

    monkeypatch.setattr(LiveReserve, "read", reserve_read)
    waiting = asyncio.create_task(service.next_pass())
    await asyncio.sleep(0)
    await service.recompute()
    whole = await waiting
    await service.recompute()
    at_start, later = published
    assert at_start is not None and set(at_start.accounts) == {"fine", "late-schedule"}
    assert at_start.as_of == whole.as_of == AS_OF
    assert at_start.accounts == whole.accounts
    assert whole is not at_start  # the whole snapshot swapped in after the accounts alone
    assert later is whole  # a later pass: the last whole snapshot until its own is whole


async def test_a_scrape_keeps_no_snapshot_alive_past_its_pass(store: Store) -> None:
    """The metrics build a pass's families once and know them by their snapshot, weakly: the
    last pass's snapshot (a million objects at national scale) is freed when the next pass
    swaps its own in, never by the scrape after it (0.1 s of that scrape's render)."""
    service = AccountsService(TWO_OPERATIONS, store, FrozenClock(AS_OF))
    metrics = AccountsMetrics(service)

    def built() -> list[object]:  # the hash-rate discrepancy follows telemetry: made anew
        return [f for f in metrics.metric_families() if "discrepancy" not in f.name]

    await service.recompute()
    first = built()
    assert all(a is b for a, b in zip(built(), first, strict=True))  # built once a pass
    last = weakref.ref(service.snapshot)  # type: ignore[arg-type]
    await service.recompute()
    assert last() is None
    assert not any(a is b for a, b in zip(built(), first, strict=True))  # the new pass's


async def test_a_held_operation_keeps_the_starts_figures_until_its_sources_are_in(
    store: Store,
) -> None:
    # A pass between the pools' first poll and the chain's would owe what is already paid:
    # after the start's pass, a held operation's figures move only once it is released.
    service = AccountsService(TWO_OPERATIONS, store, FrozenClock(AS_OF))
    service.hold(["fine", "late-schedule"])
    start = await service.recompute()  # the store as the last run left it: published
    assert start["fine"].total_mined_sat == 0
    await store.upsert_earnings([EarningRecord("fine", "ocean", "b", date(2026, 11, 1), 1_000)])
    held = await service.recompute()
    assert held["fine"] is start["fine"]
    assert service.held == {"fine", "late-schedule"}
    service.release(["fine"])
    released = await service.recompute()
    assert released["fine"].total_mined_sat == 1_000
    assert released["late-schedule"] is start["late-schedule"]  # still held
    assert service.held == {"late-schedule"}
    # Its statement inputs are its own pass's, never the held account's.
    inputs = service.statement_inputs("fine")
    assert inputs is not None
    assert inputs.as_of == released["fine"].as_of


def test_a_pool_account_added_with_its_first_day_leaves_earlier_days_as_they_were() -> None:
    config = build_config(operation("op", pools=[pool("a"), pool("b", from_="2026-11-15")]))
    rows = [
        PoolHashrateDayRecord("op", "ocean", "a", date(2026, 11, 1), 1e16),
        PoolHashrateDayRecord("op", "ocean", "a", date(2026, 11, 20), 1e16),
        PoolHashrateDayRecord("op", "ocean", "b", date(2026, 11, 20), 2e16),
    ]
    days = {(d.day, d.hashrate_hs) for d in daily_hashrates(config, rows)["op"]}
    # Before the 15th only "a" was in force: the 1st is not "missing" for lack of "b".
    assert days == {(date(2026, 11, 1), 1e16), (date(2026, 11, 20), 3e16)}


def test_a_retired_reserve_address_is_still_watched_and_its_payments_count() -> None:
    retired = [{"address": DEMO_ADDRESS, "until": "2026-11-15"}]
    config = build_config(operation("op", OTHER_ADDRESS, retired_addresses=retired))
    assert config.operations[0].watched_addresses == (OTHER_ADDRESS, DEMO_ADDRESS)
    paid = ReserveOutput("cd" * 32, 0, DEMO_ADDRESS, 100, 900_000, AS_OF, 6)
    inputs = _inputs([DailyEarning("op", "ocean/a", date(2026, 10, 1), 1_000)])
    inputs = Inputs(
        earnings=inputs.earnings,
        hashrates={},
        network=[],
        outputs={"op": [paid]},
        pool_hashrate_hs={},
        network_hashrate_hs=None,
    )
    account = compute_pass(config, inputs, AS_OF + timedelta(days=30)).accounts["op"]
    assert account.total_remitted_sat == 100


def test_check_config_says_what_changes_for_which_period() -> None:
    remittance = {
        "rates": [{"from": "2026-01-01", "rate": "0.10"}, {"from": "2027-01-01", "rate": "0.12"}],
        "changes": [{"from": "2027-01-01", "basis": "greater"}],
    }
    config = build_config(
        operation(
            "op",
            OTHER_ADDRESS,
            remittance=remittance,
            pools=[pool("b", from_="2026-11-15")],
            retired_addresses=[{"address": DEMO_ADDRESS, "until": "2026-11-15"}],
        )
    )
    assert term_changes(config) == [
        "op: rate 0.12 from 2027-01-01 (its days on; a monthly period holding it is due at "
        "each day's rate)",
        "op: basis greater for monthly periods starting 2027-01-01 or later",
        "op: pool ocean/b counts from 2026-11-15",
        f"op: reserve address {DEMO_ADDRESS} retired on 2026-11-15: still watched, its "
        "payments still count",
    ]


ONE_SITE = build_config(operation("op", pools=[pool("a")], sites=[site("s1")]))


async def test_the_hash_rate_discrepancy_follows_telemetry_between_passes(store: Store) -> None:
    site_hashrates: dict[str, float | None] = {"s1": 2e17}
    service = AccountsService(
        ONE_SITE, store, FrozenClock(AS_OF), telemetry_hashrates=lambda: site_hashrates
    )
    await store.save_pool_status(PoolStatusRecord("op", "ocean", "a", 1e17, 1e17, 1, 0, AS_OF))
    await service.recompute()
    metrics = AccountsMetrics(service)  # keeps the pass's families; the discrepancy moves

    def discrepancy() -> list[float]:
        return [
            sample.value
            for family in metrics.metric_families()
            if family.name == "reservewatch_operation_hashrate_discrepancy_ratio"
            for sample in family.samples
        ]

    assert discrepancy() == [0.5]
    site_hashrates["s1"] = 1e17  # telemetry moved; no pass since
    assert discrepancy() == [1.0]
    assert discrepancy() == [1.0]


def _descriptor_operations(fixed: str) -> Config:
    """alpha pays to a descriptor; beta to one fixed address; gamma to its own."""
    return build_config(
        operation("alpha", reserve_addresses=[], reserve_descriptor=wpkh_descriptor(0)),
        operation("beta", fixed),
        operation("gamma", OTHER_ADDRESS),
        reserve={"gap_limit": 20},
    )


def _paid(operation: str, address: str, txid: str) -> ReserveOutputRecord:
    return ReserveOutputRecord(
        txid * 64, 0, operation, address, 50_000, "confirmed", 900_000, "ab" * 32, AS_OF
    )


async def test_a_payment_where_the_node_watches_past_the_gap_is_credited(store: Store) -> None:
    """Issue 27, item 4: on bitcoind (the node watches the descriptor to its range) a payment
    to alpha's 500th address was in the reserve's received figure and holdings but not in
    alpha's ledger: alpha was shown a shortfall for a confirmed payment."""
    d = parse_descriptor(wpkh_descriptor(0), "main")
    config = _descriptor_operations(DEMO_ADDRESS)
    await store.upsert_reserve_outputs([_paid("alpha", d.address(500), "a")])
    await store.save_chain_tip(ChainTipRecord("main", 900_010, "cd" * 32, AS_OF))
    inputs = await read_inputs(store, config)
    [output] = inputs.outputs["alpha"]
    assert output.address == d.address(500)
    assert d.address(500) in inputs.reserve_addresses["alpha"]
    assert compute_pass(config, inputs, AS_OF).accounts["alpha"].total_remitted_sat == 50_000


async def test_an_address_two_wallets_derive_stales_those_two_operations_only(
    store: Store,
) -> None:
    """Issue 27, item 4: beta's fixed address is alpha's descriptor's 25th: check-config
    derives 20 and passes; once alpha's 5th is paid the walk reaches the 25th, and every
    accounts pass raised, all operations stopped, no stale metric. Now alpha and beta are
    stale (``wallet_overlap``, saying which address and whose), gamma is computed."""
    d = parse_descriptor(wpkh_descriptor(0), "main")
    config = _descriptor_operations(d.address(25))
    await store.upsert_reserve_outputs(
        [_paid("alpha", d.address(5), "a"), _paid("beta", d.address(25), "b")]
    )
    service = AccountsService(config, store, FrozenClock(AS_OF))
    accounts = await service.recompute()
    assert set(accounts) == {"gamma"}
    assert service.stale == {"alpha": "wallet_overlap", "beta": "wallet_overlap"}
    [(_reason, message)] = [
        failed for op, failed in (await _pass(store, config)).failed.items() if op == "alpha"
    ]
    assert f"reserve address {d.address(25)} of operation alpha is derived by reserve beta" in (
        message
    )


async def _pass(store: Store, config: Config) -> AccountsPass:
    return compute_pass(config, await read_inputs(store, config), AS_OF)


def test_a_pass_leaves_its_objects_out_of_collections_and_cycles_are_still_collected(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Node:
        other: object

    monkeypatch.setattr(accounts, "_blocks_since_full", 0)
    with accounts.cyclic_collection_paused():
        kept = [Node() for _ in range(1_000)]  # a pass's snapshot
        cycle = Node()
        cycle.other = cycle  # garbage once dropped, but only a collection finds it
        gone = weakref.ref(cycle)
        del cycle
    try:
        # Young and full collections no longer scan what the pass made.
        assert gc.get_freeze_count() >= len(kept)
        for _ in range(accounts.FULL_COLLECTION_EVERY - 2):
            with accounts.cyclic_collection_paused():
                pass
        gc.collect()
        assert gone() is not None  # frozen: an ordinary collection leaves it
        with accounts.cyclic_collection_paused():
            pass  # the FULL_COLLECTION_EVERY-th block collects the frozen generation
        assert gone() is None
    finally:
        gc.unfreeze()


async def test_a_pool_account_that_never_reports_its_hash_rate_still_owes(store: Store) -> None:
    """Issue 26, item 1: two pool accounts, one never reporting its hash rate: October's
    expected figure was 0, due 0; the same account honestly reporting 0 H/s gave 3,100,000.
    Now a day without an expected figure counts its reported earnings in the expected basis,
    and a metric counts such days by reason."""
    expected = {"rate": "0.1", "basis": "expected"}
    config = build_config(operation("op", remittance=expected, pools=[pool("a"), pool("b")]))
    october = [date(2026, 10, 1) + timedelta(days=n) for n in range(31)]
    await store.upsert_earnings(
        [EarningRecord("op", "ocean", acc, day, 400_000) for day in october for acc in "ab"]
    )
    await store.upsert_network_days(
        [NetworkDayRecord(day, 144, 45_000_000_000, 9e20, None, True) for day in october]
    )
    await store.upsert_pool_hashrate_days(
        [PoolHashrateDayRecord("op", "ocean", "a", day, 2e16) for day in october]
    )
    service = AccountsService(config, store, FrozenClock(datetime(2026, 11, 12, tzinfo=UTC)))
    await service.recompute()
    withheld = service.accounts["op"].obligation_for("2026-10")
    assert withheld is not None
    assert (withheld.expected_sat, withheld.mined_sat) == (0, 24_800_000)
    assert (withheld.basis_sat, withheld.due_sat) == (24_800_000, 2_480_000)  # was 0 and 0
    assert "expected_missing_days_reported" in withheld.flags
    registry, _ = build_registry([service])

    def missing(reason: str) -> float | None:
        labels = {"operation": "op", "reason": reason}
        return registry.get_sample_value("reservewatch_operation_expected_missing_days", labels)

    assert (missing("no_pool_hashrate"), missing("invalid_hashrate")) == (31, 0)
    # The same account honestly reporting 0 H/s: the hash-rate figure, greater, is the basis.
    await store.upsert_pool_hashrate_days(
        [PoolHashrateDayRecord("op", "ocean", "b", day, 0.0) for day in october]
    )
    await service.recompute()
    honest = service.accounts["op"].obligation_for("2026-10")
    assert honest is not None
    assert (honest.expected_sat, honest.due_sat) == (31_000_000, 3_100_000)


async def test_an_ocean_month_before_the_first_sample_says_the_pool_has_no_history(
    store: Store,
) -> None:
    """Issue 28, item 5: OCEAN publishes no daily hash rate, so a backfilled month before the
    collector first sampled the account has no expected figure; the statement says why."""
    config = build_config(operation("op", pools=[pool("a")]))
    october = [date(2026, 10, 1) + timedelta(days=n) for n in range(31)]
    await store.upsert_earnings(
        [EarningRecord("op", "ocean", "a", day, 400_000) for day in october]
    )
    await store.upsert_network_days(
        [NetworkDayRecord(day, 144, 45_000_000_000, 9e20, None, True) for day in october]
    )
    first = datetime(2026, 10, 20, 10, 0, tzinfo=UTC)
    await store.save_hashrate_samples(
        [
            PoolHashrateSampleRecord("op", "ocean", "a", first + timedelta(hours=h), 2e16)
            for h in (0, 1, 300)
        ]
    )
    assert await store.first_hashrate_samples() == {("op", "ocean", "a"): first}
    assert await store.first_hashrate_samples(as_of=first - timedelta(seconds=1)) == {}
    service = AccountsService(config, store, FrozenClock(datetime(2026, 11, 12, tzinfo=UTC)))
    await service.recompute()
    october_due = service.accounts["op"].obligation_for("2026-10")
    assert october_due is not None
    reasons = {missing.day: missing.reason for missing in october_due.missing_days}
    assert {reasons[day] for day in october if day < first.date()} == {
        MissingReason.POOL_PUBLISHES_NO_HISTORY
    }
    # From the first sample on, a day without a figure is a gap in collection.
    assert reasons[date(2026, 10, 25)] is MissingReason.NO_POOL_HASHRATE
