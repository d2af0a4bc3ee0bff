"""Every CLI error is one clear line and a documented exit code, never a traceback: a bad
--out, a missing config, an unreadable store, a statement as of a future instant (the real
command, in a process of its own)."""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from remittance.signing import new_private_key, private_key_pem
from tests.support.cli import assert_one_line_error as _one_line_error
from tests.support.cli import run_cli as _run
from tests.support.configs import editing, pool
from tests.support.scenario import database_url, populate, write_config

pytestmark = pytest.mark.integration


@pytest.fixture
def config(tmp_path: Path) -> Path:
    import asyncio

    path = write_config(tmp_path)
    asyncio.run(populate(database_url(path)))
    return path


def test_a_bad_out_is_one_line(config: Path, tmp_path: Path) -> None:
    nowhere = tmp_path / "missing" / "folder"
    for args in (
        ("statement", "--config", str(config), "--operation", "op-demo", "--period", "2026-10",
         "--format", "pdf", "--as-of", "2026-11-12T00:00:00Z", "--out", str(nowhere / "x.pdf")),
        ("report", "grid", "--config", str(config), "--period", "2026-10",
         "--out", str(nowhere / "g.png")),
        ("keygen", "--out", str(nowhere / "k.pem")),
    ):  # fmt: skip
        _one_line_error(_run(*args), 1, f"cannot write {nowhere}")


def test_a_missing_config_is_one_line(tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.yaml")
    for args in (
        ("statement", "--config", missing, "--operation", "op-demo", "--period", "2026-10"),
        ("report", "grid", "--config", missing, "--period", "2026-10", "--out", "g.png"),
        ("check-config", "--config", missing),
        ("run", "--once", "--config", missing),
    ):
        _one_line_error(_run(*args), 2, "nope.yaml")


def test_an_unreadable_store_is_one_line(config: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    with editing(config, to=broken) as document:
        document["database"] = f"sqlite+aiosqlite:///{tmp_path}/not-a-dir/x/db"
    (tmp_path / "not-a-dir").write_text("a file where a folder should be")
    done = _run(
        "statement", "--config", str(broken), "--operation", "op-demo", "--period", "2026-10"
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_a_statement_as_of_a_future_instant_is_refused_unless_a_projection(
    config: Path,
) -> None:
    future = (datetime.now(UTC) + timedelta(days=14)).isoformat()
    base = ("statement", "--config", str(config), "--operation", "op-demo", "--period")
    _one_line_error(_run(*base, "2026-10", "--as-of", future), 2, "is in the future")
    done = _run(*base, "2026-10", "--as-of", future, "--projection")
    assert done.returncode == 0, done.stderr
    projection = json.loads(done.stdout)
    assert projection["projection"] is True
    assert "signature" not in projection
    out = config.parent / "projection.pdf"
    pdf = _run(*base, "2026-10", "--as-of", future, "--projection", "--format", "pdf",
               "--out", str(out))  # fmt: skip
    assert pdf.returncode == 0, pdf.stderr
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert text.count("PROJECTION") >= 2  # at the top and the foot of every page


def test_check_config_refuses_what_run_would_refuse(tmp_path: Path) -> None:
    """An unset variable, a missing file, a key others may read, an empty file: each one line
    naming the field and the variable or file; --skip-secrets checks the file alone."""
    key = tmp_path / "key.pem"
    key.write_bytes(private_key_pem(new_private_key()))
    key.chmod(0o644)
    path = write_config(tmp_path, statement={"signing_key_file": str(key)})
    with editing(path) as document:
        document["operations"][0]["pools"] = [
            pool("a", "braiins", token_env="RW_TEST_UNSET_TOKEN"),
            pool("b", "f2pool", token_file="/nonexistent/token"),
        ]
    env = {k: v for k, v in os.environ.items() if k != "RW_TEST_UNSET_TOKEN"}
    done = subprocess.run(
        [sys.executable, "-m", "collector.cli", "check-config", "--config", str(path)],
        capture_output=True, text=True, check=False, env=env, timeout=60,
    )  # fmt: skip
    assert done.returncode == 2, done.stdout + done.stderr
    lines = done.stderr.splitlines()
    assert any(
        "operations[0].pools[0].token_env: environment variable RW_TEST_UNSET_TOKEN is not set"
        in line
        for line in lines
    ), lines
    assert any("operations[0].pools[1].token_file: cannot read /nonexistent/token" in line
               for line in lines), lines  # fmt: skip
    assert any("statement.signing_key_file" in line and "chmod 600" in line for line in lines)
    skipped = _run("check-config", "--config", str(path), "--skip-secrets")
    assert skipped.returncode == 0, skipped.stderr
    empty = tmp_path / "empty.yaml"
    empty.write_text("{}\n")
    _one_line_error(_run("check-config", "--config", str(empty)), 2, "operations: none")


@pytest.mark.parametrize(
    ("key", "forged", "words"),
    [
        ("statement", {"summary": {"due_sat": 1}}, "names the key 'statement' twice"),
        ("note", "paid in full", "carries 'note' outside what is signed"),
    ],
)
def test_verify_refuses_a_forged_or_unsigned_key_in_one_line(
    tmp_path: Path, key: str, forged: object, words: str
) -> None:
    from remittance.signing import public_key_pem, sign_statement_json
    from tests.unit.remittance.conftest import worked_example_statement

    signer = new_private_key()
    public = tmp_path / "regulator.pub.pem"
    public.write_bytes(public_key_pem(signer.public_key()))
    genuine = sign_statement_json(worked_example_statement(), signer)
    path = tmp_path / "statement.json"
    path.write_bytes(genuine)
    assert _run("statement", "verify", str(path), "--public-key", str(public)).returncode == 0
    inserted = f'{{\n  "{key}": {json.dumps(forged)},\n'.encode() + genuine[2:]
    path.write_bytes(inserted)
    done = _run("statement", "verify", str(path), "--public-key", str(public))
    _one_line_error(done, 1, f"NOT VERIFIED: the signed JSON {words}")


def test_check_config_loads_the_signing_key(tmp_path: Path) -> None:
    key = tmp_path / "key.pem"
    key.write_text("this is no key\n")
    key.chmod(0o600)
    path = write_config(tmp_path, statement={"signing_key_file": str(key)})
    done = _run("check-config", "--config", str(path))
    _one_line_error(done, 2, f"statement.signing_key_file: statement signing key {key}")


def test_keygen_refuses_when_either_file_exists(tmp_path: Path) -> None:
    out = tmp_path / "new.pem"
    public = tmp_path / "new.pub.pem"
    public.write_text("someone's public key\n")
    _one_line_error(_run("keygen", "--out", str(out)), 1, f"{public} exists")
    assert not out.exists()
    assert public.read_text() == "someone's public key\n"
    public.unlink()
    assert _run("keygen", "--out", str(out)).returncode == 0
    written = out.read_bytes(), public.read_bytes()
    _one_line_error(_run("keygen", "--out", str(out)), 1, f"{out} exists")
    assert (out.read_bytes(), public.read_bytes()) == written


def test_a_period_with_a_trailing_newline_is_refused(config: Path) -> None:
    done = _run("statement", "--config", str(config), "--operation", "op-demo",
                "--period", "2026-10\n")  # fmt: skip
    assert done.returncode != 0, done.stdout
    assert "Traceback" not in done.stderr
    assert "is not one of" in done.stderr


def test_an_instant_before_year_one_in_utc_is_one_line(config: Path) -> None:
    done = _run("statement", "--config", str(config), "--operation", "op-demo",
                "--period", "2026-10", "--as-of", "0001-01-01T00:00:00+01:00")  # fmt: skip
    _one_line_error(done, 2, "'0001-01-01T00:00:00+01:00' is outside the years 1-9999 in UTC")


def test_run_on_an_address_in_use_is_one_line(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        path = write_config(tmp_path, http={"listen": f"127.0.0.1:{port}"})
        done = _run("--log-level", "warning", "run", "--config", str(path))
    _one_line_error(done, 2, f"cannot listen on 127.0.0.1:{port}")


def test_every_command_of_the_parser_is_run_by_the_table() -> None:
    from collector.cli import COMMANDS, build_parser

    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert set(commands.choices) == set(COMMANDS)
