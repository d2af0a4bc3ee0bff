"""The bounded soak in CI: `python -m bench.soak` at load with random faults must pass.

The soak itself (bench/soak.py) checks that every reading sent was stored exactly once, that no
wrong earning was stored, and that RSS and open descriptors stay flat; it exits 1 otherwise.
CI runs it for RESERVEWATCH_SOAK_SECONDS (120 by default); 600 is the documented long run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.faults
@pytest.mark.slow
def test_the_soak_holds_every_count_and_stays_flat() -> None:
    seconds = int(os.environ.get("RESERVEWATCH_SOAK_SECONDS", "120"))
    result = subprocess.run(
        [sys.executable, "-m", "bench.soak", "--soak-seconds", str(seconds)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=seconds + 240,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    summary = json.loads(result.stdout[result.stdout.index("{") :])
    print(json.dumps(summary))  # the figures, for the CI log (pytest -s or on failure)
    assert summary
