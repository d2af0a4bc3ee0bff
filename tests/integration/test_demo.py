"""`reservewatch demo` runs end to end: the path a newcomer takes on a fresh machine."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.support.cli import run_cli
from tests.support.processes import free_port, stop


def _get(url: str, token: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url)  # noqa: S310 - a loopback URL the test built
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return int(response.status), bytes(response.read())
    except urllib.error.HTTPError as err:
        return err.code, err.read()


def _shortfall(metrics: str) -> dict[str, float]:
    prefix = "reservewatch_operation_remittance_shortfall_btc{"
    return {
        line.split('"')[1]: float(line.split()[-1])
        for line in metrics.splitlines()
        if line.startswith(prefix)
    }


@pytest.mark.integration
@pytest.mark.slow
@pytest.mark.parametrize("broker", ["amqtt", "mosquitto"])
def test_the_demo_shows_every_operation_and_the_under_remitter(tmp_path: Path, broker: str) -> None:
    if broker == "mosquitto" and not Path("/usr/sbin/mosquitto").exists():
        pytest.skip("mosquitto is not installed")
    port = free_port()
    log = (tmp_path / "demo.out").open("wb")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "collector.cli",
            "demo",
            "--listen",
            f"127.0.0.1:{port}",
            "--workdir",
            str(tmp_path / "work"),
            "--broker",
            broker,
            "--duration",
            "120",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 90
        metrics = ""
        while time.monotonic() < deadline:
            time.sleep(2)
            if process.poll() is not None:
                break
            try:
                status, body = _get(f"http://127.0.0.1:{port}/metrics")
            except OSError:
                continue
            metrics = body.decode()
            if (
                _shortfall(metrics).get("pavlodar-3")
                and "reservewatch_site_power_watts{" in metrics
            ):
                break
        assert process.poll() is None, (tmp_path / "demo.out").read_text()
        by_operation = _shortfall(metrics)
        assert len(by_operation) == 4, metrics
        assert by_operation["pavlodar-3"] > 0
        assert by_operation["ekibastuz-1"] == 0
        assert 'reservewatch_source_up{source="mqtt",target="broker"} 1.0' in metrics
        assert "reservewatch_site_power_watts{" in metrics

        banner = (tmp_path / "demo.out").read_text()
        lines = banner.split("API tokens")[1].splitlines()
        token, operator = lines[0].split()[0], lines[1].split()[0]
        status, body = _get(f"http://127.0.0.1:{port}/api/v1/operations/pavlodar-3/balance", token)
        assert status == 200
        assert json.loads(body)["shortfall_sat"] > 0
        # The operator token reads its own operation and is refused another's, as printed.
        base = f"http://127.0.0.1:{port}/api/v1/operations"
        assert _get(f"{base}/pavlodar-3/balance", operator)[0] == 200
        assert _get(f"{base}/ekibastuz-1/balance", operator)[0] == 403
        # The printed statement command works as printed (its executable, a covered period).
        [command] = [line for line in banner.splitlines() if " statement --config " in line]
        executable = command.split()[0]
        assert Path(executable).exists() or executable.endswith("python"), command
        assert _get(f"http://127.0.0.1:{port}/readyz")[0] == 200
    finally:
        stop(process, timeout_s=15)
        log.close()
    assert process.returncode == 0, (tmp_path / "demo.out").read_text()
    assert "demo stopped" in (tmp_path / "demo.out").read_text()
    [period] = re.findall(r"--operation pavlodar-3 --period (\S+)", banner)
    _the_story_month_s_reserve_report(tmp_path / "work", period)


def _the_story_month_s_reserve_report(work: Path, period: str) -> None:
    """The seized case, forfeited on the 15th of the story month, is the state's at its end;
    every tenge figure names the official price and the day it used (the demo's history holds
    the Committee's price of each working day)."""
    out = work / "reserve.json"
    done = run_cli("report", "reserve", "--config", str(work / "config.yaml"),
                   "--period", period, "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(out.read_text())["report"]
    assert [case["state"] for case in report["seized"]] == ["forfeited"]
    official = report["official_valuation"]
    assert official["holdings_end"]["price_day"] <= official["holdings_end"]["day"]
    assert official["inflows"] and official["inflows_unvalued"] == 0
