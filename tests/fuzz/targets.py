"""Fuzz entry points shared by the hypothesis tests and the atheris harnesses in ``fuzz/``.

Each target feeds untrusted input to one real parser. It returns normally when the parser
accepts the input (and what it returns is sane) or refuses it with the one exception it is
documented to raise; anything else escapes and is a bug:

==================  ==============================================  ===========================
target              parser                                          the only refusal allowed
==================  ==============================================  ===========================
telemetry_site      ``telemetry.payloads.parse_site_payload``       ``Rejected`` (known reason)
telemetry_curtail   ``telemetry.payloads.parse_curtailment_payload``  ``Rejected`` (known reason)
pool_<endpoint>     ``sources.http._parse_json`` + the adapter's    ``SourceError``
                    check, through ``snapshot()``/``earnings()``
esplora_<doc>       ``sources.network``/``chain`` pure parsers      ``SourceBadResponse``
config_yaml         ``config.load_config``                          ``ConfigError``
csv_import          ``imports.parse_earnings_csv``                  ``CsvImportError``
==================  ==============================================  ===========================
"""

from __future__ import annotations

import json
import math
import tempfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Final, cast

from pydantic import SecretStr

from collector.clock import FrozenClock
from collector.commands.imports import CsvImportError, parse_earnings_csv
from collector.config.load import load_config, parse_config
from collector.config.model import Config
from collector.config.sections import PoolAccountConfig
from collector.errors import ConfigError, SourceBadResponse, SourceError
from collector.sources import chain, network
from collector.sources.http import HttpSource, _parse_json
from collector.sources.pools.base import PoolCredentials, PoolDays, PoolSnapshot
from collector.sources.pools.registry import ADAPTERS
from collector.telemetry.payloads import (
    REJECT_REASONS,
    Limits,
    Rejected,
    parse_curtailment_payload,
    parse_site_payload,
)
from tests.fuzz.fakes import CannedHttp, run_now
from tests.support.configs import build_config, operation, pool

FIXTURES: Final = Path(__file__).parents[1] / "fixtures" / "pools"
NOW: Final = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
START: Final = date(2026, 2, 1)
END: Final = date(2026, 3, 11)
MAX_SAT: Final = 21_000_000 * 100_000_000


def _fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"), parse_float=Decimal)


def _exact(document: Any) -> Any:
    """``document`` as the HTTP layer would parse it: JSON numbers with a point are Decimal."""
    return json.loads(json.dumps(document), parse_float=Decimal)


# -- telemetry -------------------------------------------------------------------------------

LIMITS: Final = Limits(now=NOW)


def telemetry_site(data: bytes) -> None:
    try:
        batch = parse_site_payload(data, LIMITS)
    except Rejected as rejected:
        assert rejected.reason in REJECT_REASONS, rejected.reason
        return
    for reject in batch.rejects:
        assert reject.reason in REJECT_REASONS, reject.reason
    for reading in batch.readings:
        assert math.isfinite(reading.power_w)
        assert reading.power_w >= 0


def telemetry_curtailment(data: bytes) -> None:
    try:
        parse_curtailment_payload(data, LIMITS)
    except Rejected as rejected:
        assert rejected.reason in REJECT_REASONS, rejected.reason


# -- pools -----------------------------------------------------------------------------------

ACCOUNTS: Final[Mapping[str, dict[str, Any]]] = {
    "braiins": {"account": "ekibastuz1", "token_env": "T"},
    "f2pool": {"account": "ekibastuz2", "token_env": "T"},
    "antpool": {
        "account": "ekibastuz3",
        "user_id": "ekibastuz3",
        "token_env": "T",
        "secret_env": "S",
    },
    "foundry": {"account": "ekibastuz4", "token_env": "T"},
    "luxor": {"account": "ekibastuz5", "token_env": "T"},
    "ocean": {"account": "bc1qocean"},
    "generic": {
        "account": "ekibastuz7",
        "generic": {
            "hashrate_url": "/stats/{account}",
            "hashrate_path": "data.hashrate",
            "hashrate_24h_path": "data.hashrate_24h",
            "hashrate_unit": "TH/s",
            "workers_online_path": "data.workers.0.online",
            "workers_offline_path": "data.workers.0.offline",
            "earnings_url": "/earnings/{account}?from={start}&to={end}",
            "earnings_list_path": "data.days",
            "earnings_amount_unit": "sat",
        },
    },
}


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One pool endpoint: the URL fragment that selects it, the call that reaches it, a seed."""

    kind: str
    url_part: str
    call: str  # "snapshot" or "earnings"
    seed: Any

    @property
    def name(self) -> str:
        return f"{self.kind}:{self.url_part}"


_F2POOL_INFO = {"info": {"name": "ekibastuz2", "hash_rate": 1.2e14, "h24_hash_rate": 1.1e14}}
_F2POOL_WORKERS = {
    "workers": [
        {"hash_rate_info": {"name": "w0", "hash_rate": 1e14}, "last_share_at": 1773143940},
        {"hash_rate_info": {"name": "w1", "hash_rate": 0}, "last_share_at": None, "status": 1},
    ]
}
_ANTPOOL_PAYMENTS = {
    "code": 0,
    "message": "ok",
    "data": {
        "page": 1,
        "totalPage": 1,
        "rows": [
            {"timestamp": "2026-03-10", "fppsBlockAmount": "0.0001", "fppsFeeAmount": "0.00001"},
            {"timestamp": 1773014400000, "ppsAmount": "0.00000001"},
        ],
    },
}
_FOUNDRY_STATS = {
    "name": "ekibastuz4",
    "hashrate5min_avg": 1.27e17,
    "hashrate24hr_avg": 1.25e17,
    "active_workers": 41,
    "offline15_min_worker_count": 4,
}
_LUXOR_WORKERS = {
    "workers": [
        {"subaccount_name": "ekibastuz5", "last_share_time": "2026-03-10T11:59:00Z"},
        {"subaccount_name": "ekibastuz5", "last_share_time": None, "status": "INACTIVE"},
    ],
    "pagination": {"next_page_url": None},
}
_LUXOR_TRANSACTIONS = {
    "transactions": [
        {
            "date_time": "2026-03-09T01:00:00Z",
            "currency_amount": "0.00100000",
            "transaction_type": "credit",
            "transaction_category": "Miner Revenue",
        },
        {"date_time": "2026-03-09T02:00:00Z", "currency_amount": "1", "transaction_type": "debit"},
    ],
    "pagination": {"next_page_url": None},
}
_OCEAN_FULL = {
    "result": {
        "workers": {
            # Bare worker names, string hash rates (live captures; pool-apis.md §1.12).
            "w0": [{"hashrate_60s": "100000000000000", "hashrate_300s": "100000000000000"}],
            "rack.w1": [{"hashrate_60s": "0"}],
        }
    }
}
_OCEAN_EARNINGS = {
    "result": {
        "earnings": [
            {"ts": "2026-03-09T03:00:00Z", "satoshis_net_earned": 1000},
            {"ts": 1773014400, "satoshis_net_earned": "2000"},
        ]
    }
}
_GENERIC_STATS = {
    "data": {"hashrate": "127.6", "hashrate_24h": 125, "workers": [{"online": 41, "offline": 4}]}
}
_GENERIC_EARNINGS = {"data": {"days": [{"date": "2026-03-09", "amount": 12345}]}}

ENDPOINTS: Final = (
    Endpoint("braiins", "/accounts/profile/", "snapshot", _fixture("braiins_profile.json")),
    Endpoint("braiins", "/accounts/workers/", "snapshot", _fixture("braiins_workers.json")),
    Endpoint("braiins", "/accounts/rewards/", "earnings", _fixture("braiins_rewards.json")),
    Endpoint("braiins", "/hash_rate_daily/", "earnings", _fixture("braiins_hash_rate_daily.json")),
    Endpoint("f2pool", "/hash_rate/info", "snapshot", _exact(_F2POOL_INFO)),
    Endpoint("f2pool", "/hash_rate/worker/list", "snapshot", _exact(_F2POOL_WORKERS)),
    Endpoint("f2pool", "/transactions/list", "earnings", _fixture("f2pool_transactions.json")),
    Endpoint("antpool", "/accountOverview", "snapshot", _fixture("antpool_account_overview.json")),
    Endpoint("antpool", "/paymentHistoryV2", "earnings", _exact(_ANTPOOL_PAYMENTS)),
    Endpoint("foundry", "/subaccount_stats/", "snapshot", _exact(_FOUNDRY_STATS)),
    Endpoint("foundry", "/earnings/", "earnings", _fixture("foundry_earnings.json")),
    Endpoint("luxor", "/summary/", "snapshot", _fixture("luxor_summary.json")),
    Endpoint("luxor", "/workers/", "snapshot", _exact(_LUXOR_WORKERS)),
    Endpoint("luxor", "/transactions/", "earnings", _exact(_LUXOR_TRANSACTIONS)),
    Endpoint("luxor", "/revenue/", "earnings", _fixture("luxor_revenue.json")),
    Endpoint(
        "luxor", "/hashrate-efficiency/", "earnings", _fixture("luxor_hashrate_efficiency.json")
    ),
    Endpoint("ocean", "/user_hashrate/", "snapshot", _fixture("ocean_user_hashrate.json")),
    Endpoint("ocean", "/user_hashrate_full/", "snapshot", _exact(_OCEAN_FULL)),
    Endpoint("ocean", "/earnpay/", "earnings", _exact(_OCEAN_EARNINGS)),
    Endpoint("generic", "/stats/", "snapshot", _exact(_GENERIC_STATS)),
    Endpoint("generic", "/earnings/", "earnings", _exact(_GENERIC_EARNINGS)),
)
ENDPOINTS_BY_NAME: Final = {endpoint.name: endpoint for endpoint in ENDPOINTS}
ERROR_SEEDS: Final = (_fixture("f2pool_error.json"), {"code": 1, "message": "invalid sign"})


def _good_answers(kind: str) -> dict[str, Any]:
    # "/user_hashrate_full/" must be tried before "/user_hashrate/", which it contains.
    ordered = sorted(
        (e for e in ENDPOINTS if e.kind == kind), key=lambda e: len(e.url_part), reverse=True
    )
    return {endpoint.url_part: endpoint.seed for endpoint in ordered}


def _check_snapshot(snapshot: PoolSnapshot) -> None:
    for rate in (snapshot.hashrate_hs, snapshot.hashrate_24h_hs):
        assert isinstance(rate, float), rate
        assert math.isfinite(rate), rate
        assert rate >= 0, rate
    for workers in (snapshot.workers_online, snapshot.workers_offline):
        assert isinstance(workers, int), workers
        assert workers >= 0, workers


def _check_earnings(found: PoolDays) -> None:
    keys = [(credit.day, credit.income) for credit in found.credits]
    assert keys == sorted(set(keys)), keys
    for credit in found.credits:
        assert START <= credit.day < END, credit
        assert isinstance(credit.amount_sat, int), credit
        # A negative day is a pool's clawback: sane, within what will ever exist.
        assert abs(credit.amount_sat) <= MAX_SAT, credit
    days = [rate.day for rate in found.hashrates]
    assert days == sorted(set(days)), days
    for rate in found.hashrates:
        assert START <= rate.day < END, rate
        assert math.isfinite(rate.hashrate_hs), rate
        assert rate.hashrate_hs >= 0, rate


def pool_document(endpoint: Endpoint, document: Any) -> bool:
    """Answer ``endpoint`` with ``document`` (every other endpoint of the pool answers well);
    True when the adapter accepted it, False when it refused it with a SourceError."""
    answers = _good_answers(endpoint.kind)
    answers[endpoint.url_part] = document  # keeps its place: longest fragments first
    config = PoolAccountConfig.model_validate({"kind": endpoint.kind, **ACCOUNTS[endpoint.kind]})
    http = CannedHttp(answers)
    credentials = PoolCredentials(token=SecretStr("token"), secret=SecretStr("secret"))
    adapter = ADAPTERS[endpoint.kind](config, cast(HttpSource, http), credentials, FrozenClock(NOW))
    try:
        if endpoint.call == "snapshot":
            _check_snapshot(run_now(adapter.snapshot()))
        else:
            _check_earnings(run_now(adapter.earnings(START, END)))
    except SourceError as err:
        assert str(err), "a refusal must say why"
        return False
    return True


def pool_body(endpoint: Endpoint, body: bytes) -> None:
    """Parse ``body`` as the HTTP layer does, then answer ``endpoint`` with it."""
    try:
        document = _parse_json("POST fuzz", body)
    except SourceBadResponse:
        return
    pool_document(endpoint, document)


def _pool_target(endpoint: Endpoint) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        pool_body(endpoint, data)

    return target


# -- Esplora ---------------------------------------------------------------------------------

ESPLORA_PARSERS: Final[Mapping[str, Callable[[Any], object]]] = {
    "block": network.parse_block,
    "block_plain": lambda doc: network.parse_block(doc, reward_sat=0),
    "coinbase": network.coinbase_reward_sat,
    "hashrate": network.parse_hashrate_summary,
    "tx": chain.parse_tx,
    "status": chain.parse_status,
}
_HASH: Final = "00000000000000000001" + "a" * 44
ESPLORA_SEEDS: Final[Mapping[str, Any]] = _exact(
    {
        "block": {
            "id": _HASH,
            "height": 938_000,
            "timestamp": 1773144000,
            "difficulty": 1.1e14,
            "extras": {"reward": 315_000_000},
        },
        "block_plain": {"id": _HASH, "height": 938_000, "timestamp": 1773144000},
        "coinbase": [
            {"vin": [{"is_coinbase": True}], "vout": [{"value": 312_500_000}, {"value": 2_500_000}]}
        ],
        "hashrate": {
            "currentHashrate": 9.1e20,
            "currentDifficulty": 1.1e14,
            "hashrates": [{"timestamp": 1773014400, "avgHashrate": 9e20}],
        },
        "tx": {
            "txid": "b" * 64,
            "vout": [{"scriptpubkey_address": "bc1qexample", "value": 200_000}, {"value": 0}],
            "status": {
                "confirmed": True,
                "block_height": 938_000,
                "block_hash": _HASH,
                "block_time": 1773144000,
            },
        },
        "status": {"confirmed": False},
    }
)


def esplora_document(name: str, document: Any) -> bool:
    try:
        ESPLORA_PARSERS[name](document)
    except SourceBadResponse as err:
        assert str(err), "a refusal must say why"
        return False
    return True


def esplora_body(name: str, body: bytes) -> None:
    try:
        document = _parse_json("GET fuzz", body)
    except SourceBadResponse:
        return
    esplora_document(name, document)


def tip_height(data: bytes) -> None:
    text = data.decode("utf-8", "replace")
    try:
        height = network.parse_tip_height(text)
    except SourceBadResponse:
        return
    assert height >= 0


def _esplora_target(name: str) -> Callable[[bytes], None]:
    def target(data: bytes) -> None:
        esplora_body(name, data)

    return target


# -- configuration and CSV imports -----------------------------------------------------------

SEED_CONFIG: Final = """\
database: sqlite+aiosqlite:////tmp/reservewatch-fuzz.db
http: {listen: "127.0.0.1:9108"}
network: {esplora_url: "http://127.0.0.1:9/api"}
operations:
  - id: op-demo
    name: Demo Mining LLP
    license: DM-2026-001
    remittance: {rate: "0.10", period: monthly, due_days: 10}
    reserve_addresses: [bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq]
    pools:
      - {kind: ocean, account: pool-a}
    sites:
      - {id: demo-a, region: pavlodar, power_quota_w: 500000, efficiency_j_per_th: 20}
"""


def config_data(document: Any) -> bool:
    try:
        parse_config(document, "fuzz.yaml")
    except ConfigError as err:
        assert err.problems, "a ConfigError must list its problems"
        return False
    return True


class ConfigFile:
    """One scratch file the config target rewrites per input (``load_config`` takes a path)."""

    def __init__(self) -> None:
        self._directory = tempfile.TemporaryDirectory(prefix="reservewatch-fuzz-")
        self.path = Path(self._directory.name) / "config.yaml"

    def load(self, data: bytes) -> None:
        self.path.write_bytes(data)
        try:
            load_config(self.path)
        except ConfigError as err:
            assert err.problems, "a ConfigError must list its problems"

    def close(self) -> None:
        self._directory.cleanup()


CSV_CONFIG: Final[Config] = build_config(
    operation(
        "op-demo",
        remittance={"rate": "0.10", "period": "monthly", "due_days": 10},
        pools=[pool("pool-a")],
    ),
    database="sqlite+aiosqlite:////tmp/reservewatch-fuzz.db",
)
SEED_CSV: Final = (
    "operation,pool,date,amount_sat\n"
    "op-demo,ocean/pool-a,2026-10-29,5\n"
    "op-demo,ocean/pool-a,2026-10-31,700000000\n"
)


def csv_text(text: str) -> None:
    try:
        records = parse_earnings_csv(text, CSV_CONFIG, "fuzz.csv")
    except CsvImportError as err:
        assert err.problems, "an CsvImportError must list its problems"
        return
    for record in records:
        assert 0 <= record.amount_sat <= MAX_SAT, record


def csv_bytes(data: bytes) -> None:
    csv_text(data.decode("utf-8", "replace"))


# -- the table the harnesses read ------------------------------------------------------------


def seeds(target: str) -> list[bytes]:
    """Valid inputs each harness starts mutating from."""
    if target.startswith("pool_"):
        endpoint = ENDPOINTS_BY_NAME[target.removeprefix("pool_")]
        documents = [endpoint.seed, *ERROR_SEEDS]
        return [json.dumps(doc, default=float).encode() for doc in documents]
    if target.startswith("esplora_"):
        return [json.dumps(ESPLORA_SEEDS[target.removeprefix("esplora_")], default=float).encode()]
    return {
        "telemetry_site": [
            b'{"ts": "2026-03-10T11:59:00Z", "power_w": 480000, "energy_wh": 1200000,'
            b' "hashrate_hs": 1.2e16, "miners_online": 41, "miners_total": 45,'
            b' "inlet_temp_c": 24.5}',
            b'[{"ts": 1773143940, "power_w": 1}, {"ts": 1773143940, "power_w": -1}]',
        ],
        "telemetry_curtailment": [
            b'{"ts": "2026-03-10T11:59:00Z", "max_power_w": 300000,'
            b' "until": "2026-03-10T18:00:00Z"}',
            b"",
        ],
        "tip_height": [b"938000", b"938000\n"],
        "csv_import": [SEED_CSV.encode()],
    }[target]


def bytes_targets() -> dict[str, Callable[[bytes], None]]:
    """Every byte-level target by name (the config target needs a scratch file: see ConfigFile)."""
    targets: dict[str, Callable[[bytes], None]] = {
        "telemetry_site": telemetry_site,
        "telemetry_curtailment": telemetry_curtailment,
        "tip_height": tip_height,
        "csv_import": csv_bytes,
    }
    for endpoint in ENDPOINTS:
        targets[f"pool_{endpoint.name}"] = _pool_target(endpoint)
    for name in ESPLORA_PARSERS:
        targets[f"esplora_{name}"] = _esplora_target(name)
    return targets
