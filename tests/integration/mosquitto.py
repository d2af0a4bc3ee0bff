"""Start and stop a real Mosquitto on a free loopback port, by PID. No pytest here.

broker = Mosquitto(workdir, extra_config="allow_anonymous true\\n")
broker.start()
... broker.port ...
broker.restart()   # SIGTERM (Mosquitto saves its persistence file), then start again
broker.stop()
"""

from __future__ import annotations

import getpass
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"


def free_port() -> int:
    """A TCP port nobody listens on right now (loopback)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Mosquitto:
    """One broker process.

    ``listener_config`` replaces the default plain listener block; ``full_config`` replaces
    everything but the ``user`` and log lines (for testing a production config as it is).
    """

    def __init__(
        self,
        workdir: Path,
        *,
        extra_config: str = "allow_anonymous true\n",
        listener_config: str | None = None,
        port: int | None = None,
        full_config: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.extra_config = extra_config
        self.listener_config = listener_config
        self.full_config = full_config
        self.config_path = workdir / "mosquitto.conf"
        self.log_path = workdir / "mosquitto.log"
        self._process: subprocess.Popen[bytes] | None = None

    def write_config(self) -> None:
        head = (
            f"user {getpass.getuser()}\n"
            f"log_dest file {self.log_path}\n"
            "log_type error\nlog_type warning\nlog_type notice\n"
        )
        if self.full_config is not None:
            self.config_path.write_text(head + self.full_config, encoding="utf-8")
            return
        listener = self.listener_config or f"listener {self.port} 127.0.0.1\n"
        self.config_path.write_text(
            head + "persistence true\n"
            f"persistence_location {self.workdir}/\n"
            "max_queued_messages 1000000\n"
            "max_inflight_messages 0\n"
            "per_listener_settings false\n"
            f"{listener}{self.extra_config}",
            encoding="utf-8",
        )

    def start(self, timeout_s: float = 10.0) -> None:
        self.write_config()
        self._process = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.config_path)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                stderr = ""
                if self._process.stderr:
                    stderr = self._process.stderr.read().decode()
                    self._process.stderr.close()
                log = self.log_path.read_text() if self.log_path.exists() else ""
                raise RuntimeError(f"mosquitto exited: {stderr}\n{log}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"mosquitto did not listen on {self.port} within {timeout_s} s")

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process else None

    def stop(self, timeout_s: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()
        if process.stderr:
            process.stderr.close()

    def restart(self) -> None:
        self.stop()
        self.start()
