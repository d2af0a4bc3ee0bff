"""Shared fixtures: a PostgreSQL server started by the tests, a migrated store per test (on
each backend, or on SQLite alone), and a real Mosquitto per test; and a stand-in for the
accounts' pass holding a snapshot of only the figures a test gives (:func:`holding`).

Configs are built with the plain functions of :mod:`tests.support.configs` (``operation()``,
``pool()``, ``site()``, ``raw_config()``, ``build_config()``, ``editing()``): called with
arguments, they read better than fixtures would."""

from __future__ import annotations

import ast
import functools
import gc
import itertools
import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from collector.accounts.inputs import Inputs
from collector.accounts.snapshot import AccountsSnapshot
from collector.config.load import parse_config
from collector.config.model import Config
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from tests.integration.mosquitto import Mosquitto
from tests.support.processes import PostgresServer, find_postgres_bin

_database_names = itertools.count()


@dataclass
class Held:
    """The accounts' pass as the metrics read it: its last snapshot (none before a pass)."""

    snapshot: AccountsSnapshot | None = None


@functools.cache
def _no_operations() -> Config:
    return parse_config({})


def holding(**figures: Any) -> Held:
    """A pass whose snapshot holds only ``figures`` (``mining_fees=``, ``reserve=`` …): no
    operation, no inputs."""
    inputs = Inputs(
        earnings={}, hashrates={}, network=[], outputs={}, pool_hashrate_hs={},
        network_hashrate_hs=None,
    )  # fmt: skip
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return Held(AccountsSnapshot(when, _no_operations(), inputs, {}, **figures))


def _parse_without_gc(parse: Callable[..., Any]) -> Callable[..., Any]:
    """``ast.parse`` with the garbage collector held off while it builds the tree.

    CPython 3.11 (Debian 12's 3.11.2; gh-106905 and its kin) keeps one AST-construction depth
    counter per interpreter. A collection inside ``ast.parse`` runs finalizers; one that raises
    (a ``ResourceWarning`` made an error by ``filterwarnings``) reaches pytest's unraisable
    hook, which formats a traceback, and 3.11's traceback module parses the failing line with
    ``ast.parse`` — a nested parse that resets the counter, so the outer one ends with
    ``SystemError: AST constructor recursion depth mismatch``. Pytest parses whole files to
    show a failure, so a run with failures could end in that crash with no summary line. No
    collection inside, no nested parse; the garbage is collected right after.
    """

    @functools.wraps(parse)
    def parse_without_gc(*args: Any, **kwargs: Any) -> Any:
        if not gc.isenabled():
            return parse(*args, **kwargs)
        gc.disable()
        try:
            return parse(*args, **kwargs)
        finally:
            gc.enable()

    return parse_without_gc


ast.parse = _parse_without_gc(ast.parse)  # type: ignore[assignment]


_STARTS_PROCESSES = ("integration", "faults", "browser")
"""The folders whose tests start real processes: marked ``integration``, so the fast lane
``scripts/test -m "not integration and not postgres"`` (the unit and store tests on SQLite)
leaves them out."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = item.path.parent.name
        if folder in _STARTS_PROCESSES and item.get_closest_marker("integration") is None:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries are missing in CI; .ci/run must install postgresql")
        pytest.skip("PostgreSQL binaries (initdb, postgres) are not installed")
    # Not under pytest's tmp_path: that is root-only, and PostgreSQL runs as another user.
    root = Path(tempfile.mkdtemp(prefix="reservewatch-pg-"))
    server = PostgresServer(root, bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database on each backend."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path}/reservewatch.db"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.create_database(f"test_{os.getpid()}_{next(_database_names)}")


@pytest.fixture
async def store(database_url: str) -> AsyncIterator[Store]:
    engine = open_engine(DatabaseConfig(url=database_url))
    await upgrade(engine)
    store = Store(engine)
    yield store
    await store.close()


@pytest.fixture
async def sqlite_store(tmp_path: Path) -> AsyncIterator[Store]:
    """A migrated store on SQLite alone, for tests about what reaches a store, not which one."""
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    store = Store(engine)
    yield store
    await store.close()


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real Mosquitto of this test's own on a free loopback port (anonymous, plain MQTT)."""
    workdir = tmp_path / "broker"
    workdir.mkdir()
    mosquitto = Mosquitto(workdir)
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()
