"""Fixtures of the fault suite: a real Mosquitto per test, the fakes, a world on SQLite or on
a PostgreSQL this suite may stop and start at will."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.faults.world import FaultWorld
from tests.integration.mosquitto import Mosquitto
from tests.support.processes import PostgresServer, find_postgres_bin, port_open, stop, wait_for


class RestartablePostgres(PostgresServer):
    """A PostgreSQL that can go away and come back on the same port with its data."""

    def start_again(self) -> None:
        """Start the server on its existing data folder (no initdb)."""
        self._log = (self.root / "postgres.log").open("ab")
        self.process = subprocess.Popen(
            self._as_user(
                [
                    str(self.bin_dir / "postgres"),
                    "-D",
                    str(self.data),
                    "-p",
                    str(self.port),
                    "-k",
                    str(self.root),
                    "-c",
                    "listen_addresses=127.0.0.1",
                    "-c",
                    "fsync=off",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        wait_for(lambda: port_open(self.port), 30, "PostgreSQL")

    def halt(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected), keeping its data."""
        if self.process is not None:
            stop(self.process)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


@pytest.fixture
def postgres(request: pytest.FixtureRequest) -> Iterator[RestartablePostgres]:
    """A PostgreSQL of this test's own (so stopping it disturbs no other test)."""
    bin_dir = find_postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL binaries are missing in CI")
        pytest.skip("PostgreSQL binaries (initdb, postgres) are not installed")
    root = Path(tempfile.mkdtemp(prefix="reservewatch-faults-pg-"))
    server = RestartablePostgres(root, bin_dir)
    try:
        server.start()
        yield server
    finally:
        server.halt()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Mosquitto]:
    workdir = tmp_path / "broker"
    workdir.mkdir()
    mosquitto = Mosquitto(workdir)
    mosquitto.start()
    yield mosquitto
    mosquitto.stop()


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
    tmp_path: Path, broker: Mosquitto, postgres: RestartablePostgres
) -> AsyncIterator[FaultWorld]:
    """The fault world on a PostgreSQL the test may stop and start."""
    the_world = FaultWorld(
        tmp_path, database_url=postgres.create_database("faults"), mqtt_port=broker.port
    )
    await the_world.start_fakes()
    yield the_world
    await the_world.close()
