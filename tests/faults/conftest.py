"""Fixtures of the fault suite: the fakes, a world on SQLite or on a PostgreSQL this suite may
stop and start at will, each with a real Mosquitto of its test's own (``broker``,
tests/conftest.py)."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.faults.world import FaultWorld
from tests.integration.mosquitto import Mosquitto
from tests.support.processes import PostgresServer, find_postgres_bin


@pytest.fixture
def postgres(request: pytest.FixtureRequest) -> Iterator[PostgresServer]:
    """A PostgreSQL of this test's own (so stopping it disturbs no other test)."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries are missing in CI")
        pytest.skip("PostgreSQL binaries (initdb, postgres) are not installed")
    root = Path(tempfile.mkdtemp(prefix="reservewatch-faults-pg-"))
    server = PostgresServer(root, bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.halt()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
async def world(tmp_path: Path, broker: Mosquitto) -> AsyncIterator[FaultWorld]:
    """The fault world on SQLite."""
    the_world = FaultWorld(
        tmp_path,
        database_url=f"sqlite+aiosqlite:///{tmp_path}/reservewatch.db",
        mqtt_port=broker.port,
    )
    await the_world.start_fakes()
    yield the_world
    await the_world.close()


@pytest.fixture
async def pg_world(
    tmp_path: Path, broker: Mosquitto, postgres: PostgresServer
) -> AsyncIterator[FaultWorld]:
    """The fault world on a PostgreSQL the test may stop and start."""
    the_world = FaultWorld(
        tmp_path, database_url=postgres.create_database("faults"), mqtt_port=broker.port
    )
    await the_world.start_fakes()
    yield the_world
    await the_world.close()
