"""Secrets never appear in logs, metrics, errors or statements; the statement key is guarded.

The collector runs at debug level with known secret values (:data:`SECRETS`), one pool rejects
its token with 403 and the API is called with a wrong token, so the error paths log too.
"""

from __future__ import annotations

import os
import subprocess
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from tests.faults.world import (
    POOLS,
    REGULATOR_TOKEN,
    RESERVEWATCH,
    SECRETS,
    FaultWorld,
    eventually,
    sample,
)

pytestmark = pytest.mark.faults


def _leaks(text: str, secrets: list[str]) -> list[str]:
    return [secret for secret in secrets if secret in text]


async def test_no_secret_in_logs_metrics_errors_or_statements(world: FaultWorld) -> None:
    # Luxor's account now wants another key: the collector's token is refused with 403.
    world.pools.set_account("luxor", "acct-luxor", token="luxor-rotated-key", hashrate_hs=1e17)
    collector = world.collector()
    collector.log_level = "debug"
    await collector.start()
    await collector.wait_for("/readyz", 200)
    await world.publish(world.telemetry.next_batch(50))

    async def luxor_refused() -> bool:
        families = await collector.scrape()
        return bool(
            sample(
                families, "reservewatch_source_requests_total", source="pool", result="unauthorized"
            )
        )

    await eventually(luxor_refused, 30, "the 403 from luxor seen")
    async with aiohttp.ClientSession() as session:
        for token in ("wrong-token", SECRETS["RW_FAULT_BRAIINS_TOKEN"], REGULATOR_TOKEN):
            async with session.get(
                f"{collector.url}/api/v1/operations/op-a/balance",
                headers={"Authorization": f"Bearer {token}"},
            ) as response:
                body = await response.text()
                assert _leaks(body, list(SECRETS.values())) == []
    metrics = await collector.metrics_text()
    assert await collector.stop() == 0

    period = (world.now.replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    statement = subprocess.run(  # noqa: ASYNC221 - a short child process, after the collector
        [
            RESERVEWATCH,
            "statement",
            "--config",
            str(collector.config_path),
            "--operation",
            "op-a",
            "--period",
            period,
            "--format",
            "json",
        ],
        capture_output=True,
        env=collector.env,
        check=False,
        timeout=60,
    )
    secrets = [*SECRETS.values(), REGULATOR_TOKEN]
    logs = collector.logs()
    assert "unauthorized" in logs or "403" in logs  # the error path did log
    assert len(logs.splitlines()) > 20
    assert _leaks(logs, secrets) == []
    assert _leaks(metrics, secrets) == []
    assert _leaks(statement.stdout.decode() + statement.stderr.decode(), secrets) == []
    print(
        f"secret scan: {len(logs.splitlines())} debug log lines, {len(metrics.splitlines())} "
        f"metric lines, a statement and API errors: 0 of {len(secrets)} secrets found"
    )


def test_run_refuses_a_signing_key_others_may_read(tmp_path: Path) -> None:
    world = FaultWorld(
        tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", mqtt_port=1
    )
    world.base_urls.update({pool.kind: "http://127.0.0.1:9/pool" for pool in POOLS})
    config_path = world.write_config()
    key = tmp_path / "statement-key.pem"
    key.chmod(0o644)
    result = subprocess.run(
        [RESERVEWATCH, "run", "--config", str(config_path)],
        capture_output=True,
        env=world.environment(),
        check=False,
        timeout=30,
    )
    assert result.returncode != 0
    message = result.stderr.decode()
    assert "readable by group or others" in message
    assert f"chmod 600 {key}" in message
    assert "PRIVATE KEY" not in message
    assert not (tmp_path / "db.sqlite").exists()  # refused before touching anything


def test_run_starts_with_a_private_signing_key(tmp_path: Path) -> None:
    """The same world with the key at mode 600 gets past the check (to its first log line)."""
    world = FaultWorld(
        tmp_path, database_url=f"sqlite+aiosqlite:///{tmp_path}/db.sqlite", mqtt_port=1
    )
    world.base_urls.update({pool.kind: "http://127.0.0.1:9/pool" for pool in POOLS})
    config_path = world.write_config()
    (tmp_path / "statement-key.pem").chmod(0o600)
    with subprocess.Popen(
        [RESERVEWATCH, "run", "--config", str(config_path)],
        stderr=subprocess.PIPE,
        env=world.environment(),
    ) as process:
        assert process.stderr is not None
        first_line = process.stderr.readline().decode()
        os.kill(process.pid, 15)
        process.wait(timeout=15)
    assert "readable by group or others" not in first_line
    assert "collector started" in first_line or "http listening" in first_line, first_line
