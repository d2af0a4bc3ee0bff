"""A simulated month of the demo world in a store: what ``report grid`` needs to draw.

The live demo holds minutes of telemetry; a grid report wants a month. :func:`fill_month`
writes, for one period and the demo's operations (:data:`simulator.world.OPERATIONS`):

* telemetry rollups per site every ``step`` (5 min by default): the sites' daily ±4 % swing
  around 93 % of quota, as the demo's gateways report, with noise; a site never draws more
  than a curtailment order allows it;
* the grid operator's curtailment orders (:data:`MONTH_EVENTS`): a 36-hour maintenance cap on
  the karaganda line mid-month, and evening-peak caps on almaty in the month's last week;
* the network's hash rate per day (~1.04 ZH/s, slowly growing) and the pools' reported hash
  rate per account and day — ``pavlodar-3`` points a quarter of its fleet elsewhere, so its
  pools see 75 % of it, as in the live demo.

:func:`fill_telemetry` writes only the rollups and curtailment orders, over any span: the live
demo fills its history with it, from the first day of its history to the minute it starts.

Deterministic for a given ``seed``. Used by ``scripts/screenshots`` and the grid report tests::

    config = month_config("sqlite+aiosqlite:///month.db")
    await fill_month(store, parse_period_label("2026-10"))
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Final

from collector.config.model import Config
from collector.sources.pools.registry import DESCRIPTORS
from collector.store.queries import Store
from collector.store.records import (
    CurtailmentRecord,
    NetworkDayRecord,
    PoolHashrateDayRecord,
    RollupDelta,
)
from remittance.periods import Period, PeriodKind, periods_covering
from simulator.world import OPERATIONS, DemoSite, reserve_address

READING_INTERVAL_S = 10  # the demo gateways publish every 10 s
NETWORK_HASHRATE_HS = 1.04e21
BLOCK_SUBSIDY_SAT = 312_500_000
_BATCH_ROWS = 5_000


@dataclass(frozen=True, slots=True)
class CurtailmentEvent:
    """A grid operator's order: ``region`` draws at most ``share_of_quota`` of its quota."""

    region: str
    start: datetime
    end: datetime
    share_of_quota: float


def month_events(period: Period) -> tuple[CurtailmentEvent, ...]:
    """The month's curtailment orders, placed relative to the period's first day."""
    first = period.start_at
    events = [
        # Line maintenance: karaganda capped at 60 % from the 14th, 06:00 UTC, for 36 h.
        CurtailmentEvent(
            "karaganda",
            first + timedelta(days=13, hours=6),
            first + timedelta(days=14, hours=18),
            0.6,
        )
    ]
    # Cold snap in the last week: almaty capped at 75 % during the evening peak
    # (18:00–22:00 Almaty time, UTC+5).
    last_week_start = period.end_at - timedelta(days=7)
    for day in range(7):
        start = last_week_start + timedelta(days=day, hours=13)
        events.append(CurtailmentEvent("almaty", start, start + timedelta(hours=4), 0.75))
    return tuple(event for event in events if period.start_at <= event.start < period.end_at)


def month_config(database_url: str) -> Config:
    """A configuration holding the demo's operations and sites (no pools or broker needed)."""
    return Config.model_validate(month_config_document(database_url))


def month_config_document(database_url: str) -> dict[str, Any]:
    """:func:`month_config` as the YAML document a ``--config`` file holds. Its pool accounts
    name no reachable pool (a report reads the store only): their secrets are never read."""
    return {
        "database": {"url": database_url},
        "operations": [
            {
                "id": operation.id,
                "name": operation.name,
                "license": operation.license,
                "remittance": {"rate": operation.rate},
                "reserve_addresses": [reserve_address(operation.id)],
                "sites": [
                    {
                        "id": site.id,
                        "region": site.region,
                        "power_quota_w": site.power_quota_w,
                        "efficiency_j_per_th": str(site.efficiency_j_per_th),
                        "miners_total": site.miners_total,
                    }
                    for site in operation.sites
                ],
                "pools": [_unpolled_pool(pool.kind, pool.account) for pool in operation.pools],
            }
            for operation in OPERATIONS
        ],
    }


def _unpolled_pool(kind: str, account: str) -> dict[str, Any]:
    entry: dict[str, Any] = {"kind": kind, "account": account}
    needs = DESCRIPTORS[kind].needs
    if "token" in needs:
        entry["token_env"] = "RESERVEWATCH_UNPOLLED_TOKEN"  # noqa: S105 - a variable name
    if "user_id" in needs:
        entry["user_id"] = account
    if "secret" in needs:
        entry["secret_env"] = "RESERVEWATCH_UNPOLLED_SECRET"  # noqa: S105 - a variable name
    return entry


SAMPLED: Final = frozenset(
    kind for kind, d in DESCRIPTORS.items() if d.default_day_hashrate_unit == "off"
)


def _cap(site: DemoSite, at: datetime, events: tuple[CurtailmentEvent, ...]) -> float:
    """The share of quota ``site`` may draw at ``at`` (1.0 without an order)."""
    caps = [e.share_of_quota for e in events if e.region == site.region and e.start <= at < e.end]
    return min(caps, default=1.0)


def _instants(start: datetime, end: datetime, step: timedelta) -> Iterator[datetime]:
    at = start
    while at < end:
        yield at
        at += step


async def fill_month(
    store: Store, period: Period, *, step: timedelta = timedelta(minutes=5), seed: int = 11
) -> int:
    """Write the period's simulated history into ``store``: telemetry rollups, curtailment
    orders, network days and the pools' daily hash rates. Returns the rollup rows written."""
    rng = random.Random(seed)  # noqa: S311 - simulation, not cryptography
    written, fleet_hs_sum = await _fill_telemetry(
        store, period.start_at, period.end_at, step=step, rng=rng
    )
    await _fill_days(store, period, rng, fleet_hs_sum)
    return written


async def fill_telemetry(
    store: Store,
    start: datetime,
    end: datetime,
    *,
    step: timedelta = timedelta(minutes=5),
    seed: int = 11,
) -> int:
    """Telemetry rollups and curtailment orders of the demo's sites over ``[start, end)``,
    for a store whose network and pool data come from elsewhere (the live demo's fakes).
    Returns the rollup rows written."""
    rng = random.Random(seed)  # noqa: S311 - simulation, not cryptography
    written, _ = await _fill_telemetry(store, start, end, step=step, rng=rng)
    return written


async def _fill_telemetry(
    store: Store, start: datetime, end: datetime, *, step: timedelta, rng: random.Random
) -> tuple[int, defaultdict[tuple[str, date], float]]:
    periods = periods_covering(PeriodKind.MONTHLY, start.date(), (end - step).date())
    events = tuple(
        event for period in periods for event in month_events(period) if start <= event.start < end
    )
    samples = max(1, int(step.total_seconds()) // READING_INTERVAL_S)
    phases = {site.id: rng.uniform(0, 2 * math.pi) for op in OPERATIONS for site in op.sites}
    batch: list[RollupDelta] = []
    written = 0
    # Hash-rate sums per operation and day: the pools see what the fleet really hashed.
    fleet_hs_sum: defaultdict[tuple[str, date], float] = defaultdict(float)
    steps_per_day = timedelta(days=1) / step
    for at in _instants(start, end, step):
        hours = at.timestamp() / 3600
        for operation in OPERATIONS:
            for site in operation.sites:
                load = 0.93 + 0.04 * math.sin(2 * math.pi * hours / 24 + phases[site.id])
                load = min(load + rng.gauss(0, 0.01), _cap(site, at, events) * 0.98)
                power_w = site.power_quota_w * max(0.0, load)
                hashrate_hs = power_w / float(site.efficiency_j_per_th) * 1e12
                fleet_hs_sum[operation.id, at.date()] += hashrate_hs / steps_per_day
                batch.append(
                    RollupDelta(
                        site_id=site.id,
                        operation_id=operation.id,
                        minute=at,
                        samples=samples,
                        power_w_sum=power_w * samples,
                        power_w_max=power_w * 1.01,
                        energy_wh=round(power_w * step.total_seconds() / 3600),
                        hashrate_hs_sum=hashrate_hs * samples,
                        hashrate_samples=samples,
                        miners_online_last=round(site.miners_total * min(1.0, load + 0.05)),
                    )
                )
        if len(batch) >= _BATCH_ROWS:
            await store.flush_telemetry(batch, [])
            written += len(batch)
            batch = []
    if batch:
        await store.flush_telemetry(batch, [])
        written += len(batch)
    for event in events:
        quota_w = sum(
            site.power_quota_w
            for op in OPERATIONS
            for site in op.sites
            if site.region == event.region
        )
        await store.record_curtailment(
            CurtailmentRecord(
                region=event.region,
                issued_at=event.start,
                max_power_w=round(quota_w * event.share_of_quota),
                until=event.end,
                lifted_at=None,
            )
        )
    return written, fleet_hs_sum


async def _fill_days(
    store: Store,
    period: Period,
    rng: random.Random,
    fleet_hs: defaultdict[tuple[str, date], float],
) -> None:
    network: list[NetworkDayRecord] = []
    pools: list[PoolHashrateDayRecord] = []
    day = period.start
    while day < period.end:
        index = (day - date(2026, 1, 1)).days
        network_hs = NETWORK_HASHRATE_HS * (1 + 0.001 * index) * (1 + rng.gauss(0, 0.03))
        blocks = max(100, round(144 * network_hs / NETWORK_HASHRATE_HS + rng.gauss(0, 8)))
        network.append(
            NetworkDayRecord(
                day=day,
                blocks=blocks,
                rewards_sat=blocks * (BLOCK_SUBSIDY_SAT + rng.randint(1_000_000, 4_000_000)),
                hashrate_hs=network_hs,
                difficulty=None,
                complete=True,
            )
        )
        for operation in OPERATIONS:
            for pool in operation.pools:
                pools.append(
                    PoolHashrateDayRecord(
                        operation_id=operation.id,
                        pool_kind=pool.kind,
                        account=pool.account,
                        day=day,
                        hashrate_hs=fleet_hs[operation.id, day]
                        * pool.share
                        * rng.uniform(0.98, 1.01),
                        # OCEAN publishes none: the collector averages its samples.
                        source="samples" if pool.kind in SAMPLED else "pool",
                        coverage=1.0 if pool.kind in SAMPLED else None,
                    )
                )
        day += timedelta(days=1)
    await store.upsert_network_days(network)
    await store.upsert_pool_hashrate_days(pools)
