"""A small world for fault tests: fake pools and Esplora in this process, the real collector in
another, Mosquitto and PostgreSQL as real processes, and helpers to read what came out.

    world = FaultWorld(root, database_url=..., mqtt_port=broker.port)
    await world.start_fakes()
    collector = world.collector()          # `reservewatch run` as a subprocess, stopped by PID
    await collector.start(); await collector.wait_healthy()
    await world.publish(readings)          # QoS 1 site telemetry through the broker
    families = await collector.scrape()    # /metrics, parsed
    rows = await world.query("SELECT ...") # the store, read directly

Two operations, three sites, six pool accounts (every auth kind: bearer tokens, AntPool's
signed requests, Ocean's public API), five days of earnings, and one reserve payment each.
Every secret is a fixed, recognisable value (:data:`SECRETS`) so tests can look for leaks.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import signal
import sys
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import orjson
import yaml
from aiohttp import web
from prometheus_client.metrics_core import Metric
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text

from collector.clock import SystemClock
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine
from collector.telemetry.client import GmqttClient, MqttSettings
from remittance.signing import new_private_key, private_key_pem
from simulator.fake_chain import FakeChain
from simulator.fake_esplora import serve
from simulator.fake_pools import FakePoolServer
from tests.support import configs
from tests.support.processes import free_port

RESERVEWATCH = str(Path(sys.executable).with_name("reservewatch"))
TOPIC_PREFIX = "reservewatch"
ADDRESS_A = "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq"
ADDRESS_B = "bc1q0xcqpzrky6eff2g52qdye53xkk9jxkvrh6yhyw"
REGULATOR_TOKEN = "regulator-Tok3n-0f-the-fault-suite-e1d6"

# Known, distinctive values: a leak test greps every log line and /metrics for each of them.
SECRETS: Mapping[str, str] = {
    "RW_FAULT_BRAIINS_TOKEN": "braiins-S3CRET-7a91c4e2",
    "RW_FAULT_FOUNDRY_TOKEN": "foundry-S3CRET-55d0b3aa",
    "RW_FAULT_ANTPOOL_KEY": "antpool-S3CRET-key-0c3f",
    "RW_FAULT_ANTPOOL_SECRET": "antpool-S3CRET-sign-9e2d",
    "RW_FAULT_F2POOL_TOKEN": "f2pool-S3CRET-1b7e66f0",
    "RW_FAULT_LUXOR_TOKEN": "luxor-S3CRET-c0ffee42",
}


@dataclass(frozen=True)
class PoolAccount:
    operation: str
    kind: str
    account: str
    token_env: str | None
    secret_env: str | None = None
    hashrate_hs: float = 0.0


POOLS: tuple[PoolAccount, ...] = (
    PoolAccount("op-a", "braiins", "acct-braiins", "RW_FAULT_BRAIINS_TOKEN", None, 4.0e17),
    PoolAccount("op-a", "foundry", "acct-foundry", "RW_FAULT_FOUNDRY_TOKEN", None, 3.0e17),
    PoolAccount(
        "op-a", "antpool", "acct-antpool", "RW_FAULT_ANTPOOL_KEY", "RW_FAULT_ANTPOOL_SECRET", 2e17
    ),
    PoolAccount("op-b", "f2pool", "acct-f2pool", "RW_FAULT_F2POOL_TOKEN", None, 2.5e17),
    PoolAccount("op-b", "luxor", "acct-luxor", "RW_FAULT_LUXOR_TOKEN", None, 1.5e17),
    PoolAccount("op-b", "ocean", "acct-ocean", None, None, 1.0e17),
)
SITES: Mapping[str, tuple[str, str]] = {  # site -> (operation, region)
    "site-a1": ("op-a", "north"),
    "site-a2": ("op-a", "north"),
    "site-b1": ("op-b", "south"),
}
EARNING_DAYS = 5
ENERGY_STEP_WH = 13  # per reading, 1 s apart: about 48 MW


def earning_sat(account: str, day: date) -> int:
    """A deterministic, distinct amount per account and day (0.10–0.20 BTC)."""
    digest = hashlib.sha256(f"{account}:{day.isoformat()}".encode()).digest()
    return 10_000_000 + int.from_bytes(digest[:4], "big") % 10_000_000


def reading(ts: datetime, index: int) -> dict[str, Any]:
    """The ``index``-th reading of a site: 48.2 MW, a meter stepping ``ENERGY_STEP_WH``."""
    return {
        "ts": ts.isoformat().replace("+00:00", "Z"),
        "power_w": 48_200_000,
        "energy_wh": 1_000_000 + ENERGY_STEP_WH * index,
        "hashrate_hs": 2.1e18,
        "miners_online": 9800,
        "miners_total": 10000,
        "inlet_temp_c": -5.2,
    }


class TelemetryPlan:
    """Readings per site with strictly increasing timestamps (one per second of site time),
    starting six days in the past so that half a million of them stay within the accepted
    window (``mqtt.max_age_s`` is 7 days)."""

    def __init__(self, sites: Iterable[str], start: datetime) -> None:
        self.start = start
        self.sent: dict[str, int] = dict.fromkeys(sites, 0)

    def next_batch(self, per_site: int) -> list[tuple[str, bytes]]:
        messages: list[tuple[str, bytes]] = []
        for site, count in self.sent.items():
            for index in range(count, count + per_site):
                ts = self.start + timedelta(seconds=index)
                topic = f"{TOPIC_PREFIX}/sites/{site}/telemetry"
                messages.append((topic, orjson.dumps(reading(ts, index))))
            self.sent[site] = count + per_site
        return messages

    def expected_energy_wh(self, site: str) -> int:
        """What the site's energy counter must show: every forward step after the first."""
        return max(0, self.sent[site] - 1) * ENERGY_STEP_WH


class CollectorProcess:
    """``reservewatch run`` as a child process: its logs append to ``log_path`` across restarts."""

    def __init__(
        self, config_path: Path, log_path: Path, env: Mapping[str, str], port: int
    ) -> None:
        self.config_path = config_path
        self.log_path = log_path
        self.env = dict(env)
        self.port = port
        self.process: asyncio.subprocess.Process | None = None
        self.log_level = "info"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        with self.log_path.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                RESERVEWATCH,
                "--log-level",
                self.log_level,
                "run",
                "--config",
                str(self.config_path),
                stdout=log,
                stderr=log,
                env=self.env,
            )

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError("the collector is not running")
        return self.process.pid

    def signal(self, signum: signal.Signals) -> None:
        os.kill(self.pid, signum)

    async def wait(self, timeout_s: float) -> int:
        if self.process is None:
            raise RuntimeError("the collector is not running")
        async with asyncio.timeout(timeout_s):
            code = await self.process.wait()
        self.process = None
        return code

    async def kill(self) -> None:
        """``kill -9``: no flush, no goodbye."""
        self.signal(signal.SIGKILL)
        await self.wait(10)

    async def stop(self) -> int:
        """SIGTERM and wait; SIGKILL if it has not gone in 15 s."""
        if self.process is None or self.process.returncode is not None:
            self.process = None
            return 0
        self.signal(signal.SIGTERM)
        try:
            return await self.wait(15)
        except TimeoutError:
            await self.kill()
            return -9

    async def get(self, path: str) -> tuple[int, str]:
        timeout = aiohttp.ClientTimeout(total=5)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(self.url + path) as response,
        ):
            return response.status, await response.text()

    async def wait_for(self, path: str, status: int, timeout_s: float = 30) -> float:
        """Poll ``path`` until it answers ``status``; returns the seconds it took."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        async with asyncio.timeout(timeout_s):
            while True:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    answer, _ = await self.get(path)
                    if answer == status:
                        return loop.time() - started
                await asyncio.sleep(0.1)

    async def wait_healthy(self, timeout_s: float = 30) -> None:
        await self.wait_for("/healthz", 200, timeout_s)

    async def metrics_text(self) -> str:
        status, body = await self.get("/metrics")
        if status != 200:
            raise AssertionError(f"/metrics answered {status}")
        return body

    async def scrape(self) -> dict[str, Metric]:
        return {
            family.name: family
            for family in text_string_to_metric_families(await self.metrics_text())
        }

    def logs(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def sample(families: Mapping[str, Metric], name: str, **labels: str) -> float | None:
    """The value of the sample ``name`` whose labels include ``labels``; None when absent."""
    family_name = name.removesuffix("_total")
    family = families.get(family_name) or families.get(name)
    if family is None:
        return None
    for item in family.samples:
        if item.name == name and all(item.labels.get(k) == v for k, v in labels.items()):
            return float(item.value)
    return None


class FaultWorld:
    """The fakes, the config and the environment one collector needs (see module docstring)."""

    def __init__(
        self, root: Path, *, database_url: str, mqtt_port: int, client_id: str = "rw-faults"
    ) -> None:
        self.root = root
        self.database_url = database_url
        self.mqtt_port = mqtt_port
        self.client_id = client_id
        self.http_port = free_port()
        self.clock = SystemClock()
        self.now = self.clock.now()
        self.pools = FakePoolServer(self.clock, slow_s=22)  # "slow" = hung: past the 20 s timeout
        self.chain = FakeChain(
            start=self.now - timedelta(days=3), block_interval_s=1800, history_blocks=120
        )
        self.esplora_runner: web.AppRunner | None = None
        self.esplora_port = 0
        self.earnings: dict[tuple[str, str], dict[date, int]] = {}
        self.payments: dict[str, int] = {}
        self.telemetry = TelemetryPlan(SITES, self.now - timedelta(days=6))
        self.base_urls: dict[str, str] = {}  # pool kind -> another server's URL
        self._extra_pools: list[FakePoolServer] = []
        self._publisher: GmqttClient | None = None

    # -- the fakes ------------------------------------------------------------------------

    async def start_fakes(self) -> None:
        await self.pools.start()
        today = self.now.date()
        for pool in POOLS:
            token = SECRETS[pool.token_env] if pool.token_env else None
            secret = SECRETS[pool.secret_env] if pool.secret_env else None
            self.pools.set_account(
                pool.kind,
                pool.account,
                token=token,
                secret=secret,
                hashrate_hs=pool.hashrate_hs,
                workers_online=1000,
                workers_offline=3,
            )
            # From the day before yesterday back: F2Pool credits a day when it settles it, at
            # 02:00 UTC the next day, and this world runs on the real clock, at any hour.
            days = [today - timedelta(days=n) for n in range(2, EARNING_DAYS + 2)]
            amounts = {day: earning_sat(pool.account, day) for day in days}
            self.earnings[(pool.kind, pool.account)] = amounts
            self.pools.set_earnings(
                pool.kind, pool.account, amounts, dict.fromkeys(days, pool.hashrate_hs)
            )
        for address, amount in ((ADDRESS_A, 12_345_678), (ADDRESS_B, 7_654_321)):
            self.chain.pay(address, amount, confirm=True)
            self.payments[address] = amount
        self.chain.mine(8)
        self.esplora_runner, self.esplora_port = await serve(self.chain)

    async def second_pool_server(self, kinds: Iterable[str], *, slow_s: float) -> FakePoolServer:
        """Serve ``kinds`` from another fake server (with its own ``slow_s``), same accounts."""
        server = FakePoolServer(self.clock, slow_s=slow_s)
        await server.start()
        for pool in POOLS:
            if pool.kind not in kinds:
                continue
            server.set_account(
                pool.kind,
                pool.account,
                token=SECRETS[pool.token_env] if pool.token_env else None,
                secret=SECRETS[pool.secret_env] if pool.secret_env else None,
                hashrate_hs=pool.hashrate_hs,
                workers_online=1000,
                workers_offline=3,
            )
            amounts = self.earnings[(pool.kind, pool.account)]
            server.set_earnings(pool.kind, pool.account, amounts, dict.fromkeys(amounts, 1e17))
            self.base_urls[pool.kind] = server.base_url(pool.kind)
        self._extra_pools.append(server)
        return server

    async def close(self) -> None:
        for server in self._extra_pools:
            await server.close()
        if self._publisher is not None:
            with contextlib.suppress(Exception):
                await self._publisher.disconnect()
        await self.pools.close()
        if self.esplora_runner is not None:
            await self.esplora_runner.cleanup()

    # -- the collector --------------------------------------------------------------------

    def config(self, **overrides: Any) -> dict[str, Any]:
        key_file = self.root / "statement-key.pem"
        if not key_file.exists():
            descriptor = os.open(key_file, os.O_WRONLY | os.O_CREAT, 0o600)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(private_key_pem(new_private_key()))
        operations = [
            configs.operation(
                operation_id,
                address,
                name=f"Operation {operation_id}",
                remittance={"rate": "0.1", "period": "monthly", "due_days": 10},
                pools=[self._pool(p) for p in POOLS if p.operation == operation_id],
                sites=[
                    configs.site(
                        name,
                        region=region,
                        power_quota_w=50_000_000,
                        efficiency_j_per_th="21.5",
                        miners_total=10000,
                    )
                    for name, (owner, region) in SITES.items()
                    if owner == operation_id
                ],
            )
            for operation_id, address in (("op-a", ADDRESS_A), ("op-b", ADDRESS_B))
        ]
        config: dict[str, Any] = {
            "database": self.database_url,
            "http": {"listen": f"127.0.0.1:{self.http_port}"},
            "mqtt": {
                "url": f"mqtt://127.0.0.1:{self.mqtt_port}",
                "topic_prefix": TOPIC_PREFIX,
                "client_id": self.client_id,
            },
            "network": {
                "esplora_url": f"http://127.0.0.1:{self.esplora_port}/api",
                "poll_interval_s": 2,
                "backfill_days": 3,
            },
            "reserve": {"confirmations": 6, "poll_interval_s": 2},
            "statement": {"signing_key_file": str(key_file)},
            "api": {"tokens": [configs.api_token("regulator", REGULATOR_TOKEN, role="regulator")]},
            "operations": operations,
        }
        config.update(overrides)
        return config

    def _pool(self, account: PoolAccount) -> dict[str, Any]:
        """``account``'s entry, on this world's fake pool server (or its stand-in)."""
        secrets: dict[str, str] = {}
        if account.token_env:
            secrets["token_env"] = account.token_env
        if account.secret_env:
            secrets |= {"secret_env": account.secret_env, "user_id": account.account}
        return configs.pool(
            account.account,
            account.kind,
            base_url=self.base_urls.get(account.kind, self.pools.base_url(account.kind)),
            backfill_days=10,
            poll_interval_s=5,
            **secrets,
        )

    def write_config(self, **overrides: Any) -> Path:
        path = self.root / "config.yaml"
        path.write_text(yaml.safe_dump(self.config(**overrides), sort_keys=False))
        return path

    def environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("RESERVEWATCH_")}
        env.update(SECRETS)
        return env

    def collector(self, **overrides: Any) -> CollectorProcess:
        return CollectorProcess(
            self.write_config(**overrides),
            self.root / "collector.log",
            self.environment(),
            self.http_port,
        )

    # -- telemetry ------------------------------------------------------------------------

    async def publisher(self) -> GmqttClient:
        if self._publisher is None or not self._publisher.connected:
            client = GmqttClient(
                MqttSettings(
                    host="127.0.0.1",
                    port=self.mqtt_port,
                    client_id=f"{self.client_id}-publisher",
                    persistent=False,
                )
            )
            await client.connect()
            self._publisher = client
        return self._publisher

    async def publish(self, messages: list[tuple[str, bytes]]) -> None:
        """Publish at QoS 1 and wait until the broker has acknowledged every message."""
        client = await self.publisher()
        for topic, payload in messages:
            client.publish(topic, payload, 1)
        await client.drain()

    async def drop_publisher(self) -> None:
        if self._publisher is not None:
            await self._publisher.disconnect()
            self._publisher = None

    # -- the store ------------------------------------------------------------------------

    async def query(self, sql: str) -> list[tuple[Any, ...]]:
        engine = open_engine(DatabaseConfig(url=self.database_url))
        try:
            async with engine.connect() as connection:
                result = await connection.execute(text(sql))
                return [tuple(row) for row in result.all()]
        finally:
            await engine.dispose()

    async def stored_samples(self) -> dict[str, int]:
        rows = await self.query(
            "SELECT site_id, SUM(samples) FROM telemetry_rollups GROUP BY site_id"
        )
        return {str(site): int(total) for site, total in rows}

    async def stored_earnings(self) -> dict[tuple[str, str], dict[date, int]]:
        """What each account's days count as mined (mining rewards and fee rebates)."""
        rows = await self.query(
            "SELECT pool_kind, account, day, amount_sat FROM pool_earnings"
            " WHERE income IN ('mining', 'fee_rebate')"
        )
        stored: dict[tuple[str, str], dict[date, int]] = {}
        for kind, account, day, amount in rows:
            when = day if isinstance(day, date) else date.fromisoformat(str(day))
            days = stored.setdefault((str(kind), str(account)), {})
            days[when] = days.get(when, 0) + int(amount)
        return stored

    async def stored_energy_wh(self) -> dict[str, int]:
        rows = await self.query("SELECT site_id, energy_total_wh FROM site_state")
        return {str(site): int(total) for site, total in rows}

    async def stored_outputs(self) -> dict[str, tuple[int, str]]:
        rows = await self.query("SELECT txid, amount_sat, status FROM reserve_outputs")
        return {str(txid): (int(amount), str(status)) for txid, amount, status in rows}


def utc_now() -> datetime:
    return datetime.now(UTC)


async def eventually(
    check: Callable[[], Awaitable[bool]], timeout_s: float, what: str, every_s: float = 0.2
) -> float:
    """Await ``check`` until it is true; returns the seconds it took, fails after ``timeout_s``."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    while True:
        if await check():
            return loop.time() - started
        if loop.time() - started > timeout_s:
            raise AssertionError(f"{what}: not true after {timeout_s} s")
        await asyncio.sleep(every_s)
