"""The demo's world in-process at any instant: a simulated chain, fake pools, and the config.

:data:`PINNED_INSTANTS` are the instants the demo's story must hold at (the 1st of a month, the
day before and the day of a deadline, a month's last day, the year's turn, the leap day and
the 1st of March after it, a 53-week ISO year's last week), each named for what it tests.
:func:`demo_world` builds the world "as of" one of them, serves it on loopback and yields what
a collector needs to poll it::

    async with demo_world(tmp_path, PINNED_INSTANTS["first-of-month"]) as world:
        async with Collector(load_config(world.config_path), world.clock, telemetry=False):
            ...
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from simulator.broker import Broker
from simulator.fake_chain import FakeChain
from simulator.fake_esplora import serve
from simulator.fake_pools import FakePoolServer
from simulator.mandatory_sale import fill_sales
from simulator.runner import _set_up_pools, demo_config
from simulator.world import DemoHistory, build_history, history_start, reserve_address
from tests.support.configs import operation

PINNED_INSTANTS: Mapping[str, datetime] = {
    "first-of-month": datetime(2026, 12, 1, 0, 0, tzinfo=UTC),
    "day-before-deadline": datetime(2026, 12, 10, 12, 0, tzinfo=UTC),
    "deadline": datetime(2026, 12, 11, 0, 0, tzinfo=UTC),
    "last-day-of-month": datetime(2026, 11, 30, 23, 30, tzinfo=UTC),
    "new-years-eve": datetime(2026, 12, 31, 23, 59, 30, tzinfo=UTC),
    "new-year": datetime(2027, 1, 1, 0, 0, tzinfo=UTC),
    "leap-day": datetime(2028, 2, 29, 12, 0, tzinfo=UTC),
    "first-of-march-after-leap-day": datetime(2028, 3, 1, 0, 0, tzinfo=UTC),
    "iso-week-53": datetime(2027, 1, 3, 18, 0, tzinfo=UTC),  # Sunday of 2026-W53
}


@dataclass(frozen=True, slots=True)
class DemoWorld:
    """One demo world, served: its config file, the pools' secrets and its clock."""

    now: datetime
    clock: FrozenClock
    chain: FakeChain
    history: DemoHistory
    config_path: Path
    env: Mapping[str, str]
    pools: FakePoolServer


async def _sell(path: Path, clock: FrozenClock, history: DemoHistory, now: datetime) -> None:
    """The exchange's statement of the history's sales, as the live demo imports it."""
    engine = open_engine(load_config(path).database)
    try:
        await upgrade(engine)
        await fill_sales(Store(engine, clock), history, now)
    finally:
        await engine.dispose()


@asynccontextmanager
async def demo_world(
    root: Path, now: datetime, *, chain_start: datetime | None = None
) -> AsyncIterator[DemoWorld]:
    """The demo's chain and pools as of ``now``, on loopback; a config for them in ``root``
    (no broker: telemetry is the live demo's part, not this world's). The chain starts with
    the history (:func:`history_start`) or at ``chain_start`` when that is earlier."""
    clock = FrozenClock(now)
    start = history_start(now)
    chain = FakeChain(start=start if chain_start is None else min(start, chain_start))
    history = build_history(now, chain)
    runner, port = await serve(chain)
    pools = FakePoolServer(clock)
    try:
        await pools.start()
        env = _set_up_pools(pools, history)
        config = demo_config(
            workdir=root,
            listen="127.0.0.1:9",
            broker=Broker("mqtt://127.0.0.1:9", "5", "none"),
            esplora_url=f"http://127.0.0.1:{port}/api",
            pools=pools,
            regulator_token="unused",
            now=now,
        )
        config["statement"] = {}
        path = root / "config.yaml"
        path.write_text(yaml.safe_dump(config))
        await _sell(path, clock, history, now)
        yield DemoWorld(now, clock, chain, history, path, env, pools)
    finally:
        await pools.close()
        await runner.cleanup()


def one_operation_per_kind(
    document: dict[str, Any], kinds: Sequence[str] = (), **pool_fields: Any
) -> None:
    """Give the demo's config ``document`` one operation per pool kind instead of its own:
    ``on-<kind>`` on one demo account of that kind (with ``pool_fields``), remitting 10 % on
    the greater basis, for ``kinds`` in that order (every kind the demo uses, sorted, when
    none); the operators' API tokens dropped (they name the demo's operations)."""
    entries = {p["kind"]: p for op in document["operations"] for p in op["pools"]}
    document["operations"] = [
        operation(
            f"on-{kind}",
            reserve_address(f"on-{kind}"),
            name=f"On {kind}",
            license=f"KZ-T-{index}",
            remittance={"rate": "0.10", "basis": "greater"},
            pools=[entries[kind] | pool_fields],
        )
        for index, kind in enumerate(kinds or sorted(entries))
    ]
    document["api"]["tokens"] = [t for t in document["api"]["tokens"] if "operations" not in t]
