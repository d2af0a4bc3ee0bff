"""The peer the ingest benchmark measures against: ``mqtt-exporter`` (PyPI) as users run it.

It lives in its own venv, ``bench/.peer-venv``, created on first use, so its paho pin never
touches ours; it subscribes at QoS 0 only.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psutil

from bench.common import PREFIX, ROOT, BenchBroker
from tests.support.processes import free_port, stop

PEER_VENV = ROOT / "bench" / ".peer-venv"
PEER_REQUIREMENT = "mqtt-exporter==1.12.1"


def ensure_peer_venv() -> Path:
    """Create ``bench/.peer-venv`` with the peer exporter (its paho pin stays out of ours)."""
    python = PEER_VENV / "bin" / "python"
    exporter = PEER_VENV / "bin" / "mqtt-exporter"
    if not exporter.exists():
        subprocess.run([sys.executable, "-m", "venv", str(PEER_VENV)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", PEER_REQUIREMENT], check=True)
    return exporter


def _scrape_count(port: int) -> int:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=120) as response:
        body = response.read().decode()
    total = 0.0
    for line in body.splitlines():
        if line.startswith("mqtt_message_total{"):
            total += float(line.rsplit(" ", 1)[1])
    return int(total)


@dataclass(frozen=True)
class PeerOutcome:
    """What the exporter did with one stream: its count, when it ended, its CPU and RSS."""

    received: int
    published: dict[str, Any]
    end: float
    cpu_s: float
    max_rss_mb: float


def run_peer(broker: BenchBroker, publish: Callable[[], dict[str, Any]]) -> PeerOutcome:
    """mqtt-exporter as users run it, configured by its environment variables, while
    ``publish`` sends one stream (it returns the publisher's last JSON line).

    It cannot say when it has finished, so the end is when its CPU time stops growing; the
    count is its own ``mqtt_message_total``, read once afterwards.
    """
    exporter = ensure_peer_venv()
    metrics_port = free_port()
    env = {
        **os.environ,
        "MQTT_ADDRESS": "127.0.0.1",
        "MQTT_PORT": str(broker.port),
        "MQTT_TOPIC": f"{PREFIX}/sites/#",
        "PROMETHEUS_PORT": str(metrics_port),
        "PROMETHEUS_ADDRESS": "127.0.0.1",
        "MQTT_CLIENT_ID": f"bench-peer-{time.time_ns()}",
        "LOG_LEVEL": "WARNING",
    }
    process = subprocess.Popen([str(exporter)], env=env, cwd=ROOT)
    try:
        watched = psutil.Process(process.pid)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{metrics_port}/metrics", timeout=1)
                break
            time.sleep(0.1)
        time.sleep(1.0)  # connected and subscribed (it logs nothing we could wait on)
        cpu_before = sum(watched.cpu_times()[:2])
        published = publish()
        last_cpu, last_change = sum(watched.cpu_times()[:2]), time.time()
        peak_rss = watched.memory_info().rss
        while time.time() - last_change < 2.0:
            time.sleep(0.1)
            cpu = sum(watched.cpu_times()[:2])
            peak_rss = max(peak_rss, watched.memory_info().rss)
            if cpu > last_cpu + 0.02:
                last_cpu, last_change = cpu, time.time()
        received = _scrape_count(metrics_port)
    finally:
        stop(process)
    return PeerOutcome(received, published, last_change, last_cpu - cpu_before, peak_rss / 2**20)
