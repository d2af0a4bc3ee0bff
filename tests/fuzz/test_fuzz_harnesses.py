"""The atheris harnesses in ``fuzz/`` run clean for a short while (the CI run).

Each harness gets 2,000 runs from its seeds (a few seconds); a crash fails the test with the
harness's output, which holds the traceback and the input. The long run is documented in
``tests/fuzz/README.md``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

FUZZ_DIR = Path(__file__).parents[2] / "fuzz"
HARNESSES = ("telemetry", "pools", "esplora", "config", "csv_import")


def _run(harness: str, cwd: Path, *flags: str, plain: bool = False) -> None:
    env = {**os.environ, "RESERVEWATCH_FUZZ_PLAIN": "1" if plain else "0"}
    result = subprocess.run(
        [sys.executable, str(FUZZ_DIR / f"{harness}.py"), *flags],
        cwd=cwd,  # crash files land here, not in the checkout
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert not list(cwd.glob("crash-*"))


@pytest.mark.slow
@pytest.mark.parametrize("harness", HARNESSES)
def test_harness_runs_2000_inputs_without_a_crash(harness: str, tmp_path: Path) -> None:
    pytest.importorskip("atheris")
    _run(harness, tmp_path, "-runs=2000", "-seed=1")


@pytest.mark.slow
@pytest.mark.parametrize("harness", HARNESSES)
def test_plain_python_fallback_runs_without_a_crash(harness: str, tmp_path: Path) -> None:
    _run(harness, tmp_path, "-runs=300", "-seed=1", plain=True)
