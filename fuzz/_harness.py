"""Runs one fuzz target under atheris (coverage-guided libFuzzer), or a plain-Python loop.

Each ``fuzz/<name>.py`` script calls :func:`main` with its targets (from
``tests/fuzz/targets.py``, the same entry points the hypothesis tests use). With several
targets, the first input byte picks one and the rest is its input.

    python fuzz/pools.py -runs=2000                   # short run, as CI does
    python fuzz/pools.py -max_total_time=3600 corpus/pools   # long run, corpus kept

Flags are libFuzzer's. Without atheris installed (``pip install atheris``), or with
``RESERVEWATCH_FUZZ_PLAIN=1``, a seeded random mutation loop runs the same targets and honours
``-runs``, ``-seed`` and ``-max_total_time``. A crash prints the input and saves it as
``crash-<sha1>`` in the current directory; both runners exit non-zero.
"""

from __future__ import annotations

import hashlib
import importlib
import os
import random
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script, the repository root is not on the path
    sys.path.insert(0, str(ROOT))

Target = Callable[[bytes], None]


def load_atheris() -> ModuleType | None:
    if os.environ.get("RESERVEWATCH_FUZZ_PLAIN") == "1":
        return None
    try:
        import atheris  # type: ignore[import-untyped]  # noqa: PLC0415 - optional
    except ImportError:
        return None
    module: ModuleType = atheris
    return module


def dispatch(targets: Sequence[Target]) -> Target:
    """One target, or a target choosing among several by the first byte."""
    if len(targets) == 1:
        return targets[0]

    def pick(data: bytes) -> None:
        if data:
            targets[data[0] % len(targets)](data[1:])

    return pick


def seed_inputs(seeds: Sequence[Sequence[bytes]]) -> list[bytes]:
    """Every target's seeds, prefixed with that target's selector byte when there are several."""
    if len(seeds) == 1:
        return list(seeds[0])
    return [bytes([index]) + seed for index, group in enumerate(seeds) for seed in group]


def _flags(argv: Sequence[str]) -> dict[str, str]:
    return dict(arg[1:].split("=", 1) for arg in argv if arg.startswith("-") and "=" in arg)


def _mutate(data: bytes, pool: Sequence[bytes], rng: random.Random) -> bytes:
    buffer = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        choice = rng.randrange(6)
        at = rng.randint(0, len(buffer))
        if choice == 0 and buffer:
            buffer[min(at, len(buffer) - 1)] ^= 1 << rng.randrange(8)
        elif choice == 1:
            buffer[at:at] = bytes([rng.randrange(256)])
        elif choice == 2 and buffer:
            del buffer[at : at + rng.randint(1, 8)]
        elif choice == 3:
            token = rng.choice(
                [b"-1", b"1e999", b"null", b"[]", b"{}", b'"', b"\\u0000", b"9" * 30]
            )
            buffer[at:at] = token
        elif choice == 4:
            other = rng.choice(pool)
            start = rng.randint(0, len(other))
            buffer[at:at] = other[start : start + rng.randint(1, 32)]
        else:
            buffer[at : at + 1] = b"0123456789"[rng.randrange(10) : rng.randrange(10) + 1]
    return bytes(buffer[:4096])


def _crash(data: bytes) -> None:
    name = f"crash-{hashlib.sha1(data, usedforsecurity=False).hexdigest()}"
    Path(name).write_bytes(data)
    print(f"\n== crash on {data[:400]!r}\n== input saved as {name}", file=sys.stderr)


def plain_loop(target: Target, seeds: Sequence[bytes], argv: Sequence[str]) -> int:
    flags = _flags(argv)
    runs = int(flags.get("runs", "10000"))
    rng = random.Random(int(flags.get("seed", "1")))  # noqa: S311 - fuzzing, not secrets
    deadline = time.monotonic() + float(flags.get("max_total_time", "inf"))
    pool = list(seeds) or [b""]
    done = 0
    for data in pool:
        try:
            target(data)
        except Exception:  # whatever escapes is the finding: save it, then re-raise
            _crash(data)
            raise
    while done < runs and time.monotonic() < deadline:
        data = _mutate(rng.choice(pool), pool, rng)
        try:
            target(data)
        except Exception:  # as above: saved, then re-raised
            _crash(data)
            raise
        if len(pool) < 512 and rng.random() < 0.05:
            pool.append(data)  # keep a few mutants to mutate further (no coverage here)
        done += 1
    print(f"plain fuzz loop: {done} runs, no crash", file=sys.stderr)
    return 0


def main(targets: Sequence[Target], seeds: Sequence[Sequence[bytes]], argv: list[str]) -> int:
    """Fuzz ``targets`` starting from ``seeds`` (one list per target)."""
    target = dispatch(targets)
    inputs = seed_inputs(seeds)
    atheris = load_atheris()
    if atheris is None:
        return plain_loop(target, inputs, argv)
    corpus_given = any(not arg.startswith("-") for arg in argv[1:])
    with tempfile.TemporaryDirectory(prefix="reservewatch-seeds-") as seed_dir:
        if not corpus_given:
            for index, data in enumerate(inputs):
                (Path(seed_dir) / f"seed-{index}").write_bytes(data)
            argv = [*argv, seed_dir]
        atheris.Setup(argv, target)
        atheris.Fuzz()
    return 0


def import_targets() -> ModuleType:
    """``tests.fuzz.targets``, with ``collector`` instrumented for coverage under atheris."""
    atheris = load_atheris()
    if atheris is None:
        return importlib.import_module("tests.fuzz.targets")
    with atheris.instrument_imports(include=["collector"]):
        return importlib.import_module("tests.fuzz.targets")
