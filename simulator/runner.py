"""``reservewatch demo``: the whole system on one machine, simulated, with no set-up.

Starts, all on loopback: an MQTT broker (:mod:`simulator.broker`), a simulated chain
served in mempool/Esplora formats, fake pool APIs for every supported pool, simulated sites
publishing telemetry over MQTT, and the real collector on SQLite in a work folder. It writes
the configuration it uses (``config.yaml``), prints what runs where, then a live summary until
Ctrl-C (or ``--duration``).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import secrets
import shutil
import signal
import sys
import tempfile
from collections.abc import Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, TextIO

import yaml

from collector.app import Collector, install_event_loop_policy
from collector.bitcoin.descriptors import parse_descriptor
from collector.clock import Clock, PinnedClock, SystemClock
from collector.commands.proofs import register_proof
from collector.commands.rates_import import day_start
from collector.config.load import load_config
from collector.config.model import regulator_zone
from collector.sources.pools.registry import DESCRIPTORS
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.store.records import PoolHashrateDayRecord, PriceQuoteRecord
from remittance.money import sat_to_btc_text
from remittance.official_price import SOURCE as OFFICIAL_SOURCE
from remittance.periods import Period
from remittance.proofs import proof_message
from remittance.signing import new_private_key, private_key_pem, public_key_of, public_key_pem
from simulator.bip322_sign import sign_simple
from simulator.broker import Broker, demo_broker
from simulator.fake_chain import FakeChain
from simulator.fake_esplora import serve
from simulator.fake_pools import FakePoolServer
from simulator.fake_prices import FakeTicker
from simulator.fake_prices import serve as serve_ticker
from simulator.fee import DEMO_ZONE, fill_fee, site_fee_config
from simulator.grid_operator import publish_curtailment_order
from simulator.keys import account_private_key
from simulator.mandatory_sale import fill_sales, mandatory_sale_config
from simulator.month import SAMPLED, fill_telemetry
from simulator.pool_report import LICENCE_DAY, demo_iin_bin, fill_pool_report
from simulator.world import (
    DUE_DAYS,
    OPERATIONS,
    PAYOUT_OPERATION,
    SEIZED_CASE,
    SEIZED_CASE_ACCOUNT,
    SWEPT_OPERATION,
    VAULT,
    DemoHistory,
    build_history,
    case_states,
    demo_holidays,
    history_start,
    intake_descriptor,
    payout_address,
    reserve_address,
    story_period,
    vault_descriptor,
)

DEMO_USD_PER_BTC = Decimal("97000")  # the fake ticker's last trade
DEMO_KZT_PER_USD = Decimal("510.25")  # the official rate the demo's history holds each day
SECRET_ENV_PREFIX = "RESERVEWATCH_DEMO_"  # noqa: S105 - a variable-name prefix, not a secret
BACKFILL_DAYS = 95  # the history's depth (at most 92 days) and a margin
HISTORY_STEP = timedelta(hours=1)  # the simulated history: one rollup per site and hour


OPERATOR_OPERATION = "pavlodar-3"  # the demo's operator token reads this operation only


def operator_token(regulator_token: str) -> str:
    """The demo operator's token, derived from the regulator's (one secret per demo run)."""
    return hashlib.sha256(f"operator:{regulator_token}".encode()).hexdigest()[:32]


def cli_command() -> str:
    """How to run ``reservewatch`` from this demo's environment, as a user can paste it."""
    beside = Path(sys.executable).with_name("reservewatch")
    if beside.exists():
        return str(beside)
    return shutil.which("reservewatch") or f"{sys.executable} -m collector.cli"


def _token_env(kind: str, account: str) -> str:
    clean = "".join(c if c.isalnum() else "_" for c in f"{kind}_{account}").upper()
    return f"{SECRET_ENV_PREFIX}{clean}"


def demo_config(
    *,
    workdir: Path,
    listen: str,
    broker: Broker,
    esplora_url: str,
    pools: FakePoolServer,
    regulator_token: str,
    now: datetime,
    ticker_url: str | None = None,
) -> dict[str, Any]:
    """The demo's configuration as of ``now``: its seized case's legal states
    (:func:`simulator.world.case_states`), the fee's quarter and prices."""
    operations = []
    for operation in OPERATIONS:
        pool_entries = []
        for pool in operation.pools:
            entry: dict[str, Any] = {
                "kind": pool.kind,
                "account": pool.account,
                "base_url": pools.base_url(pool.kind),
                "backfill_days": BACKFILL_DAYS,
                "poll_interval_s": 30,
            }
            needs = DESCRIPTORS[pool.kind].needs  # what the pool table says an account needs
            if "token" in needs:
                entry["token_env"] = _token_env(pool.kind, pool.account)
            if "user_id" in needs:
                entry["user_id"] = pool.account
            if "secret" in needs:
                entry["secret_env"] = _token_env(f"{pool.kind}_secret", pool.account)
            pool_entries.append(entry)
        operations.append(
            {
                "id": operation.id,
                "name": operation.name,
                "license": operation.license,
                "tax_identity": {
                    "iin_bin": demo_iin_bin(operation.id),
                    "licence_date": LICENCE_DAY,
                },
                "remittance": {
                    "rate": operation.rate,
                    "period": "monthly",
                    "due_days": DUE_DAYS,
                },
                "reserve_addresses": [reserve_address(operation.id)],
                **(
                    {"payout_wallets": [{"addresses": [payout_address(operation.id)]}]}
                    if operation.id == PAYOUT_OPERATION
                    else {}
                ),
                "mandatory_sale": mandatory_sale_config(),
                "pools": pool_entries,
                "sites": [
                    {
                        "id": site.id,
                        "region": site.region,
                        "power_quota_w": site.power_quota_w,
                        "efficiency_j_per_th": str(site.efficiency_j_per_th),
                        "miners_total": site.miners_total,
                        "mining_fee": site_fee_config(site, now, DEMO_ZONE),
                    }
                    for site in operation.sites
                ],
            }
        )
    return {
        "database": f"sqlite+aiosqlite:///{workdir}/reservewatch.db",
        "http": {"listen": listen},
        "mqtt": {
            "url": broker.url,
            "topic_prefix": "reservewatch",
            "protocol": broker.protocol,
            "client_id": "reservewatch-demo",
        },
        "network": {
            "esplora_url": esplora_url,
            "poll_interval_s": 5,
            "backfill_days": BACKFILL_DAYS,
            # The demo's Esplora is its own, on loopback: no public instance to be polite to.
            "requests_per_second": 200,
        },
        "reserve": {
            "confirmations": 6,
            "poll_interval_s": 10,
            "time_zone": "Asia/Almaty",
            "intake": [
                {
                    "case": SEIZED_CASE,
                    "source": "seized",
                    "descriptor": intake_descriptor(),
                    "authority": "Agency for Financial Monitoring of the Republic of Kazakhstan",
                    "order_ref": "Specialised inter-district court order 2-1234/2026",
                    "received_from": "custodial exchange account (frozen)",
                    "states": case_states(now),
                }
            ],
            "custody": [{"name": VAULT, "descriptor": vault_descriptor()}],
        },
        **({"prices": {"ticker_url": ticker_url, "poll_interval_s": 10}} if ticker_url else {}),
        "calendar": {"holidays": [day.isoformat() for day in demo_holidays(now)]},
        "statement": {"signing_key_file": str(workdir / "statement-key.pem")},
        "api": {
            "tokens": [
                {
                    "name": "demo-regulator",
                    "sha256": hashlib.sha256(regulator_token.encode()).hexdigest(),
                    "role": "regulator",
                },
                {
                    "name": f"demo-operator-{OPERATOR_OPERATION}",
                    "sha256": hashlib.sha256(operator_token(regulator_token).encode()).hexdigest(),
                    "operations": [OPERATOR_OPERATION],
                },
            ]
        },
        "operations": operations,
    }


def _set_up_pools(pools: FakePoolServer, history: DemoHistory) -> dict[str, str]:
    """Accounts, tokens and history on the fake pool server; returns the secrets' env vars."""
    env: dict[str, str] = {}
    for operation in OPERATIONS:
        for pool in operation.pools:
            needs = DESCRIPTORS[pool.kind].needs
            token = secrets.token_urlsafe(16) if "token" in needs else None
            secret = secrets.token_hex(16) if "secret" in needs else None
            hashrate = operation.hashrate_hs * pool.share
            workers = sum(site.miners_total for site in operation.sites) * pool.share
            pools.set_account(
                pool.kind,
                pool.account,
                token=token,
                secret=secret,
                hashrate_hs=hashrate * 0.985,
                hashrate_24h_hs=hashrate * 0.99,
                workers_online=int(workers * 0.97),
                workers_offline=int(workers * 0.03),
            )
            key = (pool.kind, pool.account)
            pools.set_earnings(
                pool.kind, pool.account, history.earnings[key], history.day_hashrate[key]
            )
            if token is not None:
                env[_token_env(pool.kind, pool.account)] = token
            if secret is not None:
                env[_token_env(f"{pool.kind}_secret", pool.account)] = secret
    return env


def _write_signing_key(workdir: Path) -> None:
    key = new_private_key()
    path = workdir / "statement-key.pem"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(private_key_pem(key))
    (workdir / "statement-key.pub.pem").write_bytes(public_key_pem(public_key_of(key)))


def _summary(collector: Collector, out: TextIO) -> None:
    accounts = collector.accounts.accounts
    inputs = collector.accounts.inputs
    network_hs = inputs.network_hashrate_hs if inputs is not None else None
    clock = collector.clock.now().astimezone().strftime("%H:%M:%S")
    lines = [
        f"[{clock}] network {(network_hs or 0) / 1e18:,.0f} EH/s",
        f"{'operation':<13} {'share':>7} {'mined BTC':>12} {'due BTC':>11} {'remitted':>11} "
        f"{'shortfall':>11}  overdue",
    ]
    if not network_hs:
        print(f"[{clock}] first pass: backfilling pools and the chain …", file=out, flush=True)
        return
    for operation in OPERATIONS:
        account = accounts.get(operation.id)
        if account is None:
            lines.append(f"{operation.id:<13} (waiting for the first pass)")
            continue
        if operation.id in collector.accounts.held:
            pools = ", ".join(sorted({pool.kind for pool in operation.pools}))
            lines.append(f"{operation.id:<13} (backfilling its pools: {pools} …)")
            continue
        share = ""
        if inputs is not None and network_hs:
            share = f"{inputs.pool_hashrate_hs.get(operation.id, 0) / network_hs:.3%}"
        ledger = account.ledger
        overdue = f"{ledger.overdue_seconds / 86400:.1f} d" if ledger.overdue_seconds else "-"
        lines.append(
            f"{operation.id:<13} {share:>7} {sat_to_btc_text(account.total_mined_sat):>12} "
            f"{sat_to_btc_text(account.total_due_sat):>11} "
            f"{sat_to_btc_text(account.total_remitted_sat):>11} "
            f"{sat_to_btc_text(ledger.shortfall_sat):>11}  {overdue}"
        )
    snapshot = collector.accounts.snapshot
    fees = snapshot.mining_fees if snapshot is not None else {}
    late = [
        f"{op} {fee.overdue_tiyn / 100:,.2f} KZT" for op, fee in fees.items() if fee.overdue_tiyn
    ]
    if fees:
        lines.append(f"digital-mining fee overdue: {', '.join(late) or 'none'}")
    sales = snapshot.mandatory_sales if snapshot is not None else {}
    short = [
        f"{op} {sat_to_btc_text(s.overdue_sat)} BTC" for op, s in sales.items() if s.overdue_sat
    ]
    if sales:
        lines.append(f"mandatory sale overdue: {', '.join(short) or 'none'}")
    print("\n".join(lines) + "\n", file=out, flush=True)


async def _fill_history(
    config_path: Path, clock: Clock, start: datetime, history: DemoHistory
) -> int:
    """The simulated telemetry and curtailment history, from ``start`` to the current step;
    the daily hash rates the collector would have averaged from its own samples of the
    accounts whose pools publish none (AntPool, OCEAN) over the history's closed days."""
    config = load_config(config_path)
    engine = open_engine(config.database)
    try:
        await upgrade(engine)
        now = clock.now()
        end = start + (now - start) // HISTORY_STEP * HISTORY_STEP
        store = Store(engine, clock)
        await store.upsert_pool_hashrate_days(
            [
                PoolHashrateDayRecord(
                    operation.id, pool.kind, pool.account, day, rate, "samples", 1.0
                )
                for operation in OPERATIONS
                for pool in operation.pools
                if pool.kind in SAMPLED
                for day, rate in history.day_hashrate.get((pool.kind, pool.account), {}).items()
                if day < now.date()
            ]
        )
        # The National Bank's official rate for each day of the history (KZT per USD).
        zone = regulator_zone(config)
        day = start.date()
        # And the exchange's BTC price at each day's start, drifting up 0.1 % a day to today's;
        # and the State Revenue Committee's official price of each working day before today
        # (the day's price in tenge), as `import official-prices` would store it.
        calendar = config.calendar.working_calendar()
        rates = []
        while day <= now.date():
            at = day_start(day, zone)
            usd = (DEMO_USD_PER_BTC * Decimal("0.999") ** (now.date() - day).days).quantize(
                Decimal("0.1")
            )
            rates.append(PriceQuoteRecord("USD", "KZT", "nbk-csv", at, DEMO_KZT_PER_USD))
            rates.append(PriceQuoteRecord("BTC", "USD", "kraken", at, usd))
            if day < now.date() and calendar.is_working(day):
                official = (usd * DEMO_KZT_PER_USD).quantize(Decimal("0.01"))
                rates.append(PriceQuoteRecord("BTC", "KZT", OFFICIAL_SOURCE, at, official))
            day += timedelta(days=1)
        await store.record_prices(rates)
        written = await fill_telemetry(store, start, end, step=HISTORY_STEP)
        await fill_fee(store, config, now, zone)
        await fill_pool_report(store, now)
        await fill_sales(store, history, now)
        return written
    finally:
        await engine.dispose()


async def _demo(  # noqa: PLR0917 - the command's options, passed through
    listen: str,
    duration_s: float | None,
    workdir: Path,
    out: TextIO,
    broker_kind: str,
    clock: Clock,
) -> None:
    now = clock.now()
    async with contextlib.AsyncExitStack() as stack:
        kinds: dict[str, Literal["auto", "mosquitto", "amqtt"]] = {
            "auto": "auto",
            "mosquitto": "mosquitto",
            "amqtt": "amqtt",
        }
        broker = await stack.enter_async_context(demo_broker(workdir, kind=kinds[broker_kind]))
        chain = FakeChain(start=history_start(now))
        history = build_history(now, chain)
        esplora_runner, esplora_port = await serve(chain)
        stack.push_async_callback(esplora_runner.cleanup)
        pools = FakePoolServer(clock)
        await pools.start()
        stack.push_async_callback(pools.close)
        ticker_runner, ticker_port = await serve_ticker(FakeTicker(DEMO_USD_PER_BTC))
        stack.push_async_callback(ticker_runner.cleanup)
        os.environ.update(_set_up_pools(pools, history))
        regulator_token = secrets.token_urlsafe(24)
        _write_signing_key(workdir)
        config_path = workdir / "config.yaml"
        config_path.write_text(
            yaml.safe_dump(
                demo_config(
                    workdir=workdir,
                    listen=listen,
                    broker=broker,
                    esplora_url=f"http://127.0.0.1:{esplora_port}/api",
                    pools=pools,
                    regulator_token=regulator_token,
                    now=now,
                    ticker_url=f"http://127.0.0.1:{ticker_port}/0/public/Ticker?pair=XBTUSD",
                ),
                sort_keys=False,
            )
        )
        await _fill_history(config_path, clock, history_start(now), history)
        config = load_config(config_path)
        _print_banner(
            out, workdir, listen, broker, esplora_port, pools, regulator_token, story_period(now)
        )
        collector = await stack.enter_async_context(Collector(config, clock))
        async with asyncio.TaskGroup() as group:
            group.create_task(collector.run(), name="collector")
            group.create_task(_publish_sites(config_path, broker, clock), name="sites")
            group.create_task(_mine(chain, clock), name="chain")
            group.create_task(
                publish_curtailment_order(config, broker.url, broker.protocol, clock),
                name="grid-operator",
            )
            group.create_task(_print_summaries(collector, out), name="summary")
            group.create_task(_prove_intake(collector, chain), name="proof")
            if duration_s is not None:
                await asyncio.sleep(duration_s)
                raise _DemoFinished


async def _prove_intake(collector: Collector, chain: FakeChain) -> None:
    """Once the collector knows the chain's tip, register a BIP-322 proof of control of the
    seized-asset case's wallet (its first address, signed with the demo's key); the custody
    vault (2-of-3 multisig) and the operations' addresses stay unproven."""
    address = parse_descriptor(intake_descriptor(), "main").address(0)
    key = account_private_key(SEIZED_CASE_ACCOUNT, 0, 0).key
    for _ in range(600):
        tip = chain.tip
        if await collector.store.block_height_of(tip.block_hash) is not None:
            message = proof_message(address, tip.block_hash)
            await register_proof(
                collector.store,
                collector.config,
                address,
                message=message,
                signature=sign_simple(key, message),
                clock=collector.clock,
            )
            return
        await asyncio.sleep(1)


class _DemoFinished(Exception):
    """--duration elapsed."""


async def _publish_sites(config_path: Path, broker: Broker, clock: Clock) -> None:
    from simulator.sites import run_sites  # noqa: PLC0415

    await run_sites(load_config(config_path), broker.url, broker.protocol, clock=clock)


async def _mine(chain: FakeChain, clock: Clock) -> None:
    while True:
        await asyncio.sleep(5)
        chain.mine_until(clock.now())


async def _print_summaries(collector: Collector, out: TextIO) -> None:
    """A summary every 10 s, and one as soon as each accounts' pass is done (the first
    figures show the moment the first pass over the backfilled sources has them)."""
    await asyncio.sleep(3)
    while True:
        with contextlib.suppress(Exception):  # a summary line must never stop the demo
            _summary(collector, out)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(10):
                await collector.accounts.next_pass()


def _print_banner(  # noqa: PLR0917 - each value printed once, in the order shown
    out: TextIO,
    workdir: Path,
    listen: str,
    broker: Broker,
    esplora_port: int,
    pools: FakePoolServer,
    regulator_token: str,
    period: Period,
) -> None:
    sites = sum(len(op.sites) for op in OPERATIONS)
    power = sum(site.power_w for op in OPERATIONS for site in op.sites)
    operator = operator_token(regulator_token)
    print(
        f"""reservewatch demo — {len(OPERATIONS)} state-linked operations, {sites} sites drawing \
{power / 1e6:.0f} MW, simulated
  work folder     {workdir}   (config.yaml, reservewatch.db, statement key)
  MQTT broker     {broker.url}   {broker.name}
  fake Esplora    http://127.0.0.1:{esplora_port}/api   simulated chain, ~1 ZH/s network
  fake pools      {pools.url}/<kind>   braiins f2pool antpool foundry luxor ocean
  collector       http://{listen}/metrics   /healthz /readyz /api/v1/...
  portal          http://{listen}/portal/login   (sign in with an API token below)
  API tokens      {regulator_token}   (regulator: sees every operation)
                  {operator}   (operator of {OPERATOR_OPERATION}: its own only)

Try:  curl -s http://{listen}/metrics | grep reservewatch_operation_remittance_shortfall
      curl -s -H 'Authorization: Bearer {regulator_token}' \\
           http://{listen}/api/v1/operations/pavlodar-3/balance
      curl -s -o /dev/null -w '%{{http_code}}\\n' -H 'Authorization: Bearer {operator}' \\
           http://{listen}/api/v1/operations/ekibastuz-1/balance      # 403: not its own
      {cli_command()} statement --config {workdir}/config.yaml \\
           --operation pavlodar-3 --period {period.label} --format pdf --out statement.pdf
      {cli_command()} report reserve --config {workdir}/config.yaml \
           --period {period.start.year} --out reserve.pdf    # the central bank's report
      curl -s http://{listen}/metrics | grep -E 'reservewatch_reserve_(balance|unapproved|case)'
pavlodar-3 under-reports its earnings and remitted only 40 % of what it owed: watch its shortfall.
The grid operator has capped the almaty region at 98 % of its quota for the evening peak.
The reserve holds seized coins of case {SEIZED_CASE}, forfeited on the 15th of {period.label}
(its order pending before: held apart at the month's start, the state's at its end — see
report reserve --period {period.label}), swept with {SWEPT_OPERATION}'s remittances into the
2-of-3 vault {VAULT}; 0.1 BTC from the vault to an outside address is in the mempool:
ReserveUnapprovedOutflow fires.
Ctrl-C stops everything.
""",
        file=out,
        flush=True,
    )


def run_demo(
    listen: str,
    duration_s: float | None,
    workdir: Path | None,
    broker: str = "auto",
    at: datetime | None = None,
) -> int:
    """Run the demo until Ctrl-C or ``duration_s``; ``at`` pins its "now" to that instant
    (the whole world — chain, pools, sites, collector — then runs from there at real pace)."""
    clock: Clock = SystemClock() if at is None else PinnedClock(at)
    install_event_loop_policy()
    folder = workdir or Path(tempfile.mkdtemp(prefix="reservewatch-demo-"))
    folder.mkdir(parents=True, exist_ok=True)

    async def main() -> None:
        task = asyncio.current_task()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, lambda: task.cancel() if task else None)
        try:
            await _demo(listen, duration_s, folder, sys.stdout, broker, clock)
        except* _DemoFinished:
            pass

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(main())
    print(f"demo stopped; its files stay in {folder}", flush=True)
    return 0


def environment_secrets() -> Mapping[str, str]:
    """The demo's secret environment variables (for the secret-leak test)."""
    return {k: v for k, v in os.environ.items() if k.startswith(SECRET_ENV_PREFIX)}
