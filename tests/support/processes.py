"""Starting and stopping real servers for tests and benchmarks: free ports, PIDs, readiness."""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise TimeoutError(f"{what} not ready after {timeout_s} s")


def port_open(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.2):
            return True
    except OSError:
        return False


def stop(process: subprocess.Popen[bytes], timeout_s: float = 10) -> None:
    """SIGTERM by PID, then SIGKILL if it does not go."""
    if process.poll() is not None:
        return
    os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=timeout_s)


def unprivileged_user() -> str | None:
    """When running as root: a user that servers refusing root (PostgreSQL) can run as."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return name
    return None


def find_postgres_bin() -> Path | None:
    """The folder holding initdb, postgres, pg_isready and createdb: Debian's versioned
    folders first (Debian puts only some of them on PATH), then PATH."""
    needed = ("initdb", "postgres", "pg_isready", "createdb")
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    for candidate in candidates:
        if all((candidate / name).exists() for name in needed):
            return candidate
    return None


class PostgresServer:
    """A throwaway PostgreSQL: initdb into ``root``, listen on 127.0.0.1:``port``, trust auth."""

    def __init__(self, root: Path, bin_dir: Path) -> None:
        self.root = root
        self.bin_dir = bin_dir
        self.port = free_port()
        self.data = root / "data"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: BinaryIO | None = None
        self._user = unprivileged_user()

    def _as_user(self, argv: list[str]) -> list[str]:
        return ["runuser", "-u", self._user, "--", *argv] if self._user else argv

    def start(self) -> None:
        """initdb into ``root``, then launch the server."""
        self.root.mkdir(parents=True, exist_ok=True)
        if self._user:
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        subprocess.run(
            self._as_user(
                [
                    str(self.bin_dir / "initdb"),
                    "-D",
                    str(self.data),
                    "-U",
                    "postgres",
                    "--auth=trust",
                    "--no-sync",
                    "-E",
                    "UTF8",
                ]
            ),
            check=True,
            capture_output=True,
        )
        self.start_again()

    def start_again(self) -> None:
        """Launch the server on its existing data folder and port (after :meth:`halt`)."""
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
                    "-c",
                    "full_page_writes=off",
                ]
            ),
            stdout=subprocess.DEVNULL,
            stderr=self._log,
        )
        wait_for(lambda: port_open(self.port), 30, "PostgreSQL")
        # The port opens a moment before connections are accepted; pg_isready says when.
        wait_for(
            lambda: (
                subprocess.run(
                    [str(self.bin_dir / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                    capture_output=True,
                    check=False,
                ).returncode
                == 0
            ),
            30,
            "PostgreSQL connections",
        )

    def create_database(self, name: str) -> str:
        """Create database ``name``; return its SQLAlchemy async URL."""
        subprocess.run(
            [
                str(self.bin_dir / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                name,
            ],
            check=True,
            capture_output=True,
        )
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{name}"

    def halt(self) -> None:
        """Stop the server (fast shutdown: clients are disconnected), keeping its data."""
        self.stop()

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None
