"""What the benchmarks share: a sized Mosquitto, a fleet's config, child processes, tables.

Every benchmark prints a human table and one machine-readable line::

    BENCH_RESULT {"benchmark": "ingest", ...}
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import psutil
from embit.script import Script

from tests.support.processes import free_port, port_open, stop, wait_for


def reserve_address(operation_id: str) -> str:
    """A valid mainnet P2WPKH address of the operation's own (an address is one operation's)."""
    program = hashlib.sha256(operation_id.encode()).digest()[:20]
    return str(Script(b"\x00\x14" + program).address())


MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
PREFIX = "bench"
ROOT = Path(__file__).resolve().parent.parent


def machine() -> str:
    """``python (2 cores, 24 GiB), Debian 12, loopback``-style description of this machine."""
    memory_gib = psutil.virtual_memory().total / 2**30
    distro = "Linux"
    os_release = Path("/etc/os-release")
    if os_release.exists():
        fields = dict(
            line.split("=", 1) for line in os_release.read_text().splitlines() if "=" in line
        )
        distro = fields.get("PRETTY_NAME", distro).strip('"')
    return (
        f"python {platform.python_version()} ({os.cpu_count()} cores, {memory_gib:.0f} GiB), "
        f"{distro}, loopback"
    )


def load_average() -> str:
    """The machine's load as ``uptime`` gives it (1, 5 and 15 minutes): shared machines vary."""
    one, five, fifteen = os.getloadavg()
    return f"load average {one:.2f}, {five:.2f}, {fifteen:.2f}"


class BenchBroker:
    """Mosquitto sized for bursts: queues large enough that nothing is dropped silently.

    Mosquitto's default ``max_queued_messages`` (1000) drops readings for any subscriber that
    falls behind a burst; ``max_inflight_messages 0`` lets a subscriber's MQTT 5 receive
    maximum (65,535 for ours) bound QoS 1 in flight instead of 20.
    """

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        config = self.workdir / "mosquitto.conf"
        user = f"user {getpass.getuser()}\n" if os.geteuid() == 0 else ""
        config.write_text(
            f"{user}"
            f"log_dest file {self.workdir}/mosquitto.log\n"
            "log_type error\nlog_type warning\n"
            "persistence false\n"
            "max_queued_messages 20000000\n"
            "max_queued_bytes 0\n"
            "max_inflight_messages 0\n"
            "max_inflight_bytes 0\n"
            "memory_limit 0\n"
            f"listener {self.port} 127.0.0.1\n"
            "allow_anonymous true\n",
            encoding="utf-8",
        )
        self.process = subprocess.Popen([MOSQUITTO, "-c", str(config)])
        wait_for(lambda: port_open(self.port), 10, "mosquitto")

    def cpu_s(self) -> float:
        if self.process is None:
            return 0.0
        times = psutil.Process(self.process.pid).cpu_times()
        return float(times.user + times.system)

    def stop(self) -> None:
        if self.process is not None:
            stop(self.process)
            self.process = None


def site_ids(sites: int) -> list[str]:
    return [f"site-{index:04d}" for index in range(sites)]


def fleet_config(
    sites: int,
    *,
    port: int = 1883,
    qos: int = 1,
    protocol: str = "5",
    operations: int = 10,
    client_id: str = "bench-collector",
    shard: tuple[int, int] | None = None,
    database_url: str | None = None,
) -> dict[str, Any]:
    """A configuration of ``sites`` sites spread over ``operations`` operations.

    ``protocol`` picks the telemetry transport as ``mqtt.protocol`` does: ``"5"`` the ``mqtt5``
    codec's (``collector/telemetry/mqtt5_client.py``), ``"3.1.1"`` gmqtt's (``client.py``).
    """
    ids = site_ids(sites)
    per_operation = max(1, -(-sites // operations))
    mqtt: dict[str, Any] = {
        "url": f"mqtt://127.0.0.1:{port}",
        "topic_prefix": PREFIX,
        "client_id": client_id,
        "qos": qos,
        "protocol": protocol,
    }
    if shard is not None:
        mqtt["shard"] = {"index": shard[0], "count": shard[1]}
    config: dict[str, Any] = {
        "mqtt": mqtt,
        "operations": [
            {
                "id": f"op-{number:03d}",
                "name": f"Operation {number}",
                "license": f"L-{number}",
                "remittance": {"rate": "0.1"},
                "reserve_addresses": [reserve_address(f"op-{number:03d}")],
                "sites": [
                    {
                        "id": site_id,
                        "region": f"region-{index % 17:02d}",
                        "power_quota_w": 50_000_000,
                        "efficiency_j_per_th": "17.5",
                        "miners_total": 10_000,
                    }
                    for index, site_id in enumerate(
                        ids[number * per_operation : (number + 1) * per_operation]
                    )
                ],
            }
            for number in range(operations)
            if ids[number * per_operation : (number + 1) * per_operation]
        ],
    }
    if database_url is not None:
        config["database"] = {"url": database_url}
    return config


def peak_rss_mb(pid: int | None = None) -> float:
    """A process's own peak RSS (``VmHWM``) in MB. Not ``ru_maxrss``: Linux carries that
    across fork and exec, so a child would report its parent's peak."""
    status = Path(f"/proc/{pid or 'self'}/status")
    with contextlib.suppress(OSError):
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return float("nan")


def python_child(module: str, *args: str) -> list[str]:
    return [sys.executable, "-m", module, *args]


def read_json_line(process: subprocess.Popen[str], timeout_s: float) -> dict[str, Any]:
    """The next stdout line of a child that prints JSON lines (``{"ready": ...}`` etc.)."""
    if process.stdout is None:
        raise RuntimeError("child started without stdout=PIPE")
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if line.startswith("{"):
            parsed: dict[str, Any] = json.loads(line)
            return parsed
        if not line and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
    raise TimeoutError(f"{process.args!r} printed nothing in {timeout_s} s")


def median(values: Sequence[float]) -> float:
    return float(statistics.median(values)) if values else float("nan")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A GitHub-flavoured Markdown table."""
    text_rows = [[str(cell) for cell in row] for row in rows]
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in text_rows]
    return "\n".join(lines)


def emit(benchmark: str, result: dict[str, Any]) -> None:
    print("BENCH_RESULT " + json.dumps({"benchmark": benchmark, **result}, sort_keys=True))
