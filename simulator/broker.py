"""The demo's MQTT broker: Mosquitto when it is installed, else the embedded amqtt.

amqtt is pure Python, so the demo needs no system package; it speaks MQTT 3.1.1 only, so the
collector connects with protocol 3.1.1 there. Mosquitto (MQTT 5) is preferred when present.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import socket
import subprocess
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal


@dataclass(frozen=True)
class Broker:
    url: str
    protocol: Literal["3.1.1", "5"]
    name: str


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def find_mosquitto() -> str | None:
    found = shutil.which("mosquitto")
    if found:
        return found
    debian = Path("/usr/sbin/mosquitto")
    return str(debian) if debian.exists() else None


async def _wait_for_port(port: int, timeout_s: float = 10) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    while loop.time() < deadline:
        try:
            _, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        writer.close()
        await writer.wait_closed()
        return
    raise TimeoutError(f"the MQTT broker did not listen on {port} within {timeout_s} s")


@contextlib.asynccontextmanager
async def demo_broker(
    workdir: Path, *, kind: Literal["auto", "mosquitto", "amqtt"] = "auto"
) -> AsyncIterator[Broker]:
    """A broker on a free loopback port for as long as the context lasts."""
    port = _free_port()
    mosquitto = find_mosquitto() if kind != "amqtt" else None
    if kind == "mosquitto" and mosquitto is None:
        raise FileNotFoundError("mosquitto is not installed (apt-get install mosquitto)")
    if mosquitto:
        config = workdir / "mosquitto.conf"
        config.write_text(
            f"listener {port} 127.0.0.1\n"
            "allow_anonymous true\n"
            "persistence false\n"
            "max_queued_messages 100000\n"
            "log_dest none\n"
        )
        config.chmod(0o644)
        process = await asyncio.create_subprocess_exec(
            mosquitto,
            "-c",
            str(config),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            await _wait_for_port(port)
            yield Broker(f"mqtt://127.0.0.1:{port}", "5", f"mosquitto (pid {process.pid})")
        finally:
            if process.returncode is None:
                process.terminate()
                try:
                    await asyncio.wait_for(process.wait(), 10)
                except TimeoutError:
                    process.kill()
                    await process.wait()
        return
    try:
        from amqtt.broker import Broker as AmqttBroker  # noqa: PLC0415 - only without mosquitto
    except ImportError as err:
        raise FileNotFoundError(
            "the demo needs an MQTT broker: install mosquitto (apt-get install mosquitto) or "
            "the embedded one (pip install 'reservewatch[demo]'; scripts/demo does)"
        ) from err

    broker = AmqttBroker(
        {
            "listeners": {"default": {"type": "tcp", "bind": f"127.0.0.1:{port}"}},
            "sys_interval": 0,
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
    )
    await broker.start()
    try:
        yield Broker(f"mqtt://127.0.0.1:{port}", "3.1.1", "amqtt (embedded)")
    finally:
        await broker.shutdown()
