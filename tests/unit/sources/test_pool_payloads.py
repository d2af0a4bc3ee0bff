"""Adapters read the pools' documented example payloads with exact unit conversions."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import aiohttp
import pytest
from pydantic import SecretStr

from collector.clock import FrozenClock
from collector.config.sections import PoolAccountConfig
from collector.errors import SourceBadResponse, SourceUnauthorized
from collector.sources.http import HttpSource, RequestCounters
from collector.sources.pools import normalise as n
from collector.sources.pools.antpool import signature
from collector.sources.pools.base import (
    Credit,
    DayHashrate,
    PoolAdapterBase,
    PoolCredentials,
    PoolDays,
    UnknownRow,
)
from collector.sources.pools.luxor import MISMATCH
from collector.sources.pools.registry import ADAPTERS
from collector.sources.pools.settings import GenericPoolPaths
from remittance.obligations import Income
from simulator.fake_pools import FakePoolServer

FIXTURES = Path(__file__).parents[2] / "fixtures" / "pools"
NOW = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
async def server() -> AsyncIterator[FakePoolServer]:
    fake = FakePoolServer(FrozenClock(NOW))
    await fake.start()
    yield fake
    await fake.close()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as client_session:
        yield client_session


def adapter(
    server: FakePoolServer,
    session: aiohttp.ClientSession,
    counters: RequestCounters,
    kind: str,
    account: str,
    **settings: object,
) -> PoolAdapterBase:
    config = PoolAccountConfig.model_validate(
        {"kind": kind, "account": account, "base_url": server.base_url(kind), **settings}
    )
    http = HttpSource(session, source="pool", counters=counters, retries=0)
    credentials = PoolCredentials(token=SecretStr("t"), secret=SecretStr("s"))
    return ADAPTERS[kind](config, http, credentials, FrozenClock(NOW))


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "sat"),
    [
        ("0.00012345", 12_345),
        ("1.00000001", 100_000_001),
        ("21000000", 2_100_000_000_000_000),
        (Decimal("0.000123456789"), 12_346),  # past 8 places: half up
        (Decimal("0.000123454999"), 12_345),
        ("0", 0),
        ("-0.00030000", -30_000),  # a pool's clawback: a negative day, kept as given
    ],
)
def test_btc_amounts_convert_exactly_to_satoshis(text: object, sat: int) -> None:
    assert n.btc_to_sat(text, "amount") == sat


@pytest.mark.parametrize("bad", ["-21000000.1", "NaN", "Infinity", "", "0.1 BTC", True, None, [1]])
def test_unusable_amounts_are_bad_responses(bad: object) -> None:
    with pytest.raises(SourceBadResponse, match="amount"):
        n.btc_to_sat(bad, "amount")


@pytest.mark.parametrize(
    ("value", "unit", "hs"),
    [
        ("1.5", "Gh/s", 1.5e9),
        (125000, "Gh/s", 1.25e14),
        (Decimal("127.6"), "Th/s", 1.276e14),
        ("2", "PH/s", 2e15),
        ("127603936523714", "H/s", 127603936523714.0),
    ],
)
def test_hash_rates_convert_to_hashes_per_second(value: object, unit: str, hs: float) -> None:
    assert n.hashrate_to_hs(value, unit, "rate") == hs


def test_an_unknown_hash_rate_unit_is_refused() -> None:
    with pytest.raises(SourceBadResponse, match="unknown hash rate unit"):
        n.hashrate_to_hs("1", "Zh/s", "hash_rate_5m")


async def test_braiins_documented_payloads(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw("braiins", "/accounts/profile/json/btc/", fixture("braiins_profile.json"))
    server.serve_raw("braiins", "/accounts/workers/json/btc", fixture("braiins_workers.json"))
    server.serve_raw("braiins", "/accounts/rewards/json/btc", fixture("braiins_rewards.json"))
    server.serve_raw(
        "braiins", "/accounts/hash_rate_daily/json/btc", fixture("braiins_hash_rate_daily.json")
    )
    pool = adapter(server, session, RequestCounters(), "braiins", "ekibastuz1", token_env="X")
    snapshot = await pool.snapshot()
    assert snapshot.hashrate_hs == float(Decimal("127603.936") * 10**9)
    assert snapshot.hashrate_24h_hs == 1.25e14
    # rig2 says "ok" but its last share is 2 h old; rig3 says "off" but shared a minute ago.
    assert (snapshot.workers_online, snapshot.workers_offline) == (2, 1)
    days = await pool.earnings(date(2026, 3, 1), date(2026, 3, 11))
    # mining_reward and bos_plus_reward (Braiins OS+'s rebate) apart; a zero is no credit.
    assert days.credits == (
        Credit(date(2026, 3, 8), 100_000_001, Income.MINING),
        Credit(date(2026, 3, 9), 345, Income.FEE_REBATE),
        Credit(date(2026, 3, 9), 12_000, Income.MINING),
    )
    # hash_rate_daily ignores from/to and answers ~188 days (afaqueadmin/BitFactory
    # src/lib/braiins.ts, checked against the live API): 2026-02-01 is outside, left out.
    assert days.hashrates == (
        DayHashrate(date(2026, 3, 8), 1.240000005e17),
        DayHashrate(date(2026, 3, 9), 1.25e17),
    )


async def test_braiins_text_403_is_unauthorized(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw(
        "braiins",
        "/accounts/profile/json/btc/",
        "Invalid Access Profile token",
        status=403,
        content_type="text/plain",
    )
    counters = RequestCounters()
    pool = adapter(server, session, counters, "braiins", "ekibastuz1", token_env="X")
    with pytest.raises(SourceUnauthorized):
        await pool.snapshot()
    assert counters.value("pool", "unauthorized") == 1


async def test_f2pool_revenue_is_exact_from_json_floats(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw("f2pool", "/v2/assets/transactions/list", fixture("f2pool_transactions.json"))
    pool = adapter(server, session, RequestCounters(), "f2pool", "ekibastuz2", token_env="X")
    assert await pool.earnings(date(2026, 3, 1), date(2026, 3, 11)) == PoolDays(
        (Credit(date(2026, 3, 8), 12_346), Credit(date(2026, 3, 9), 12_345)),
        (DayHashrate(date(2026, 3, 8), 1.1e17), DayHashrate(date(2026, 3, 9), 1.2e17)),
        # The payout row is not revenue: kept out, and returned to be counted.
        (UnknownRow(None, "payout", -500_000),),
    )


async def test_f2pool_error_envelope_is_unauthorized_and_counted(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw("f2pool", "/v2/hash_rate/info", fixture("f2pool_error.json"))
    counters = RequestCounters()
    pool = adapter(server, session, counters, "f2pool", "ekibastuz2", token_env="X")
    with pytest.raises(SourceUnauthorized, match="5010"):
        await pool.snapshot()
    assert counters.value("pool", "unauthorized") == 1
    assert counters.value("pool", "ok") == 0


async def test_antpool_overview_string_numbers(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw(
        "antpool", "/api/accountOverview.htm", fixture("antpool_account_overview.json")
    )
    pool = adapter(
        server,
        session,
        RequestCounters(),
        "antpool",
        "ekibastuz3",
        user_id="ekibastuz3",
        token_env="X",
        secret_env="Y",
    )
    snapshot = await pool.snapshot()
    assert snapshot.hashrate_hs == 127603936523714.0
    assert snapshot.hashrate_24h_hs == 125123456789012.0
    assert (snapshot.workers_online, snapshot.workers_offline) == (41, 4)
    [request] = server.requests_to("antpool")
    form = dict(pair.split("=") for pair in request.body.split("&"))
    assert form["signature"] == signature("s", "ekibastuz3", "t", int(form["nonce"]))
    assert form["signature"] == form["signature"].upper()


async def test_foundry_daily_earnings_after_fees_and_hash_rate_in_gh(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw("foundry", "/earnings/ekibastuz4", fixture("foundry_earnings.json"))
    pool = adapter(server, session, RequestCounters(), "foundry", "ekibastuz4", token_env="X")
    # hashrate is GH/s as live users read it (CleanSatMining/dashboard-v0 multiplies by 1e9):
    # 96,759,000 is 96.8 PH/s, not 96.8 MH/s.
    assert await pool.earnings(date(2026, 3, 1), date(2026, 3, 11)) == PoolDays(
        (Credit(date(2026, 3, 9), 1_234_567), Credit(date(2026, 3, 10), 61_700)),
        (DayHashrate(date(2026, 3, 9), 1.25e17), DayHashrate(date(2026, 3, 10), 9.6759e16)),
    )
    # The range's days are both included: the last one asked is 2026-03-10.
    query = server.requests_to("foundry")[-1].query
    assert query["endDateUnixMs"] == str(int(datetime(2026, 3, 10, tzinfo=UTC).timestamp()) * 1000)


async def test_luxor_summary_strings(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw("luxor", "/api/v2/pool/summary/BTC", fixture("luxor_summary.json"))
    server.set_account("luxor", "ekibastuz5", token="t", workers_online=3, workers_offline=1)
    pool = adapter(server, session, RequestCounters(), "luxor", "ekibastuz5", token_env="X")
    snapshot = await pool.snapshot()
    assert snapshot.hashrate_hs == 127603936523714.0
    assert snapshot.hashrate_24h_hs == 125000000000000.0
    assert (snapshot.workers_online, snapshot.workers_offline) == (3, 1)


async def test_ocean_result_envelope(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw("ocean", "/v1/user_hashrate/bc1qocean", fixture("ocean_user_hashrate.json"))
    server.set_account("ocean", "bc1qocean", workers_online=2, workers_offline=1)
    pool = adapter(server, session, RequestCounters(), "ocean", "bc1qocean")
    snapshot = await pool.snapshot()
    assert (snapshot.hashrate_hs, snapshot.hashrate_24h_hs) == (1e14, 9.5e13)
    assert (snapshot.workers_online, snapshot.workers_offline) == (2, 1)


async def test_ocean_workers_are_bare_names_with_string_hash_rates(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    # Live captures (naciremadream81/trillion tests/fixtures/ocean/): workers keyed by the bare
    # worker name, hash rates as JSON strings. A name with a dot ("rack2.s14") is a worker
    # name, not "<address>.<worker>" of another account: polling goes on.
    server.serve_raw("ocean", "/v1/user_hashrate/bc1qocean", fixture("ocean_user_hashrate.json"))
    server.serve_raw(
        "ocean", "/v1/user_hashrate_full/bc1qocean", fixture("ocean_user_hashrate_full.json")
    )
    pool = adapter(server, session, RequestCounters(), "ocean", "bc1qocean")
    snapshot = await pool.snapshot()
    assert (snapshot.workers_online, snapshot.workers_offline) == (2, 1)


async def test_generic_pool_reads_configured_paths_and_units(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw(
        "generic",
        "/stats/acct",
        '{"data": {"rates": [{"now": "1.5", "day": 1.25}], "up": 7, "down": 1}}',
    )
    server.serve_raw(
        "generic",
        "/earnings",
        '{"items": [{"day": "2026-03-09", "btc": 0.00012345},'
        ' {"day": "2026-03-10", "btc": "0.5"}]}',
    )
    paths = GenericPoolPaths(
        hashrate_url="/stats/{account}",
        hashrate_path="data.rates.0.now",
        hashrate_24h_path="data.rates.0.day",
        hashrate_unit="PH/s",
        workers_online_path="data.up",
        workers_offline_path="data.down",
        earnings_url="/earnings?from={start}&to={end}",
        earnings_list_path="items",
        earnings_date_field="day",
        earnings_amount_field="btc",
    )
    pool = adapter(
        server, session, RequestCounters(), "generic", "acct", generic=paths.model_dump()
    )
    snapshot = await pool.snapshot()
    assert (snapshot.hashrate_hs, snapshot.hashrate_24h_hs) == (1.5e15, 1.25e15)
    assert (snapshot.workers_online, snapshot.workers_offline) == (7, 1)
    assert (await pool.earnings(date(2026, 3, 1), date(2026, 3, 10))).credits == (
        Credit(date(2026, 3, 9), 12_345),
    )
    assert server.requests_to("generic")[-1].query == {"from": "2026-03-01", "to": "2026-03-10"}


def test_every_configured_kind_has_an_adapter() -> None:
    from collector.config.sections import POOL_KINDS

    assert set(ADAPTERS) == set(POOL_KINDS)
    assert all(ADAPTERS[kind].descriptor.kind == kind for kind in POOL_KINDS)


async def test_antpool_fpps_rows_are_mining_days_and_carry_the_days_hash_rate_in_hs(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw(
        "antpool", "/api/paymentHistoryV2.htm", fixture("antpool_payment_history.json")
    )
    settings = {"user_id": "ekibastuz3", "token_env": "X", "secret_env": "Y"}
    pool = adapter(server, session, RequestCounters(), "antpool", "ekibastuz3", **settings)
    days = await pool.earnings(date(2026, 3, 1), date(2026, 3, 11))
    # fppsBlockAmount + fppsFeeAmount, dated by the row's own (mining) day.
    assert days.credits == (
        Credit(date(2026, 3, 8), 1_100_000),
        Credit(date(2026, 3, 9), 1_234_567),
    )
    # hashrate_unit is the day's hash rate in H/s as two clients read it (CleanSat antpool.ts,
    # MiningDAO/DeMine lib/antpool.js): the pool's own, by default.
    assert days.hashrates == (
        DayHashrate(date(2026, 3, 8), 1.24e17),
        DayHashrate(date(2026, 3, 9), 1.25e17),
    )
    shifted = adapter(
        server, session, RequestCounters(), "antpool", "ekibastuz3",
        row_date="day_after", **settings,
    )  # fmt: skip
    days = await shifted.earnings(date(2026, 3, 1), date(2026, 3, 11))
    assert days.credits[0] == Credit(date(2026, 3, 7), 1_100_000)
    assert days.hashrates[0] == DayHashrate(date(2026, 3, 7), 1.24e17)
    sampled = adapter(
        server, session, RequestCounters(), "antpool", "ekibastuz3",
        day_hashrate_unit="off", **settings,
    )  # fmt: skip
    assert (await sampled.earnings(date(2026, 3, 1), date(2026, 3, 11))).hashrates == ()


async def test_luxor_miner_revenue_is_mining_luxos_rebate_a_fee_rebate_others_apart(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw("luxor", "/api/v2/pool/transactions/BTC", fixture("luxor_transactions.json"))
    server.serve_raw("luxor", "/api/v2/pool/revenue/BTC", fixture("luxor_revenue.json"))
    server.serve_raw(
        "luxor", "/api/v2/pool/hashrate-efficiency/BTC", fixture("luxor_hashrate_efficiency.json")
    )
    pool = adapter(server, session, RequestCounters(), "luxor", "ekibastuz5", token_env="X")
    days = await pool.earnings(date(2026, 3, 1), date(2026, 3, 20))
    assert days.credits == (
        # "LuxOS Rebate": income to a production client (afaqueadmin/BitFactory), a fee
        # rebate as Braiins' bos_plus_reward, counted by default.
        Credit(date(2026, 3, 9), 2_469, Income.FEE_REBATE),
        # A "Miner Revenue" row is income whatever its transaction_type (Luxor's v2 doc
        # example is one typed debit; BitFactory books them as credits); a negative one, a
        # reversal, is kept negative: 123,456 - 456.
        Credit(date(2026, 3, 9), 123_000, Income.MINING),
        Credit(date(2026, 3, 9), 1_000, Income.OTHER),  # "Bonus": shown, not mined
        Credit(date(2026, 3, 10), 50_000, Income.MINING),
    )
    # A "Payout" debit is the balance paid out; a debit of a category not known is counted.
    assert days.unknown == (UnknownRow(date(2026, 3, 10), "debit/Adjustment", 100),)
    assert days.hashrates == (DayHashrate(date(2026, 3, 9), 1.25e17),)
    # end_date never after today (2026-03-10), even for a range that runs past it.
    for request in server.requests_to("luxor"):
        assert request.query["end_date"] == "2026-03-10"
    assert server.requests_to("luxor")[-1].query["tick_size"] == "1d"


@pytest.mark.parametrize(
    ("published", "mined", "finding"),
    [
        ("0.00123001", 123_001, ()),  # 1 sat apart: rounding, no finding
        # Luxor's own figure is the day's mining; the rows' sum (123,000) is 100 sat short.
        ("0.00123100", 123_100, (UnknownRow(date(2026, 3, 9), MISMATCH, -100),)),
    ],
)
async def test_luxors_own_day_figure_is_the_days_mining_and_a_mismatch_is_a_finding(
    server: FakePoolServer,
    session: aiohttp.ClientSession,
    published: str,
    mined: int,
    finding: tuple[UnknownRow, ...],
) -> None:
    server.serve_raw("luxor", "/api/v2/pool/transactions/BTC", fixture("luxor_transactions.json"))
    revenue = fixture("luxor_revenue.json").replace(
        '"revenue": 0.00123}', f'"revenue": {published}}}'
    )
    server.serve_raw("luxor", "/api/v2/pool/revenue/BTC", revenue)
    pool = adapter(
        server,
        session,
        RequestCounters(),
        "luxor",
        "ekibastuz5",
        token_env="X",
        day_hashrate_unit="off",
    )
    days = await pool.earnings(date(2026, 3, 1), date(2026, 3, 11))
    assert Credit(date(2026, 3, 9), mined, Income.MINING) in days.credits
    # 2026-03-09 is final (06:00 UTC the next day has passed); 03-10, today, is not reconciled.
    assert tuple(u for u in days.unknown if u.what == MISMATCH) == finding


async def test_luxors_revenue_naming_another_subaccount_is_refused(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw("luxor", "/api/v2/pool/transactions/BTC", fixture("luxor_transactions.json"))
    other = fixture("luxor_revenue.json").replace('"ekibastuz5"', '"someone-else"')
    server.serve_raw("luxor", "/api/v2/pool/revenue/BTC", other)
    pool = adapter(server, session, RequestCounters(), "luxor", "ekibastuz5", token_env="X")
    with pytest.raises(SourceBadResponse, match="another account"):
        await pool.earnings(date(2026, 3, 1), date(2026, 3, 11))


async def test_ocean_earnpay_reads_satoshis_net_earned_with_either_ts(
    server: FakePoolServer, session: aiohttp.ClientSession
) -> None:
    server.serve_raw(
        "ocean", "/v1/earnpay/bc1qocean/2026-03-01/2026-03-11", fixture("ocean_earnpay.json")
    )
    pool = adapter(server, session, RequestCounters(), "ocean", "bc1qocean")
    days = await pool.earnings(date(2026, 3, 1), date(2026, 3, 11))
    # "2026-03-09T03:12:45" (no zone: UTC by default) and 1773068400 (2026-03-09 15:00 UTC).
    assert days.credits == (Credit(date(2026, 3, 9), 121_700),)
    assert days.hashrates == ()  # OCEAN publishes none: samples
    east = adapter(
        server, session, RequestCounters(), "ocean", "bc1qocean", timestamp_zone="Asia/Tokyo"
    )
    days = await east.earnings(date(2026, 3, 1), date(2026, 3, 11))
    assert days.credits == (Credit(date(2026, 3, 8), 60_000), Credit(date(2026, 3, 9), 61_700))
