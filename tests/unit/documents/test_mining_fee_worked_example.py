"""The digital-mining fee's worked example (docs/reference/mining-fee.md) through the CLI: the
statement of May 2026 as of 1 June carries Q1 2026's fee across the band change of 15 February,
3,668,507.15 KZT, and 668,507.15 KZT overdue after one transfer; its PDF says so in kk, ru, en."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from collector.cli import main
from tests.support import fee_scenario as example


def _statement(config: Path, out: Path, fmt: str, language: str = "en") -> None:
    argv = ["statement", "--config", str(config), "--operation", "op-demo", "--period",
            "2026-03", "--as-of", example.AS_OF.isoformat(), "--format", fmt, "--out", str(out),
            "--lang", language]  # fmt: skip
    assert main(argv) == 0


@pytest.fixture
def config(tmp_path: Path) -> Path:
    return example.fee_world(tmp_path)


def test_the_statement_carries_q1s_fee_across_the_band_change(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "statement.json"
    _statement(config, out, "json")
    fee = json.loads(out.read_text())["statement"]["mining_fee"]
    [q1] = fee["quarters"]
    assert (q1["quarter"], q1["due_kzt"], q1["exact_millitiyn"]) == (
        "2026-Q1",
        "3668507.15",
        "366850715000",
    )
    assert [
        (p["start"], p["energy_kwh"], p["rate_tiyn"], p["fee_millitiyn"]) for p in q1["parts"]
    ] == [
        ("2026-01-01", "120000.251", 2500, "300000627500"),
        ("2026-02-15", "95500.125", 700, "66850087500"),
    ]
    assert q1["payment_deadline"] == "2026-05-25T19:00:00+00:00"
    assert (q1["paid_tiyn"], q1["overdue_tiyn"], fee["overdue_kzt"]) == (
        300_000_000,
        66_850_715,
        "668507.15",
    )
    assert main(["statement", "verify", str(out), "--config", str(config)]) == 0


def test_the_signed_csv_has_the_fee_sections_and_verifies(config: Path, tmp_path: Path) -> None:
    out = tmp_path / "statement.csv"
    _statement(config, out, "csv")
    rows = [line.split(",") for line in out.read_text().splitlines()]
    [quarter] = [row for row in rows if row[0] == "mining_fee_quarter"]
    parts = [row for row in rows if row[0] == "mining_fee_part"]
    assert (quarter[1], quarter[9], quarter[13]) == ("2026-Q1", "366850715", "66850715")
    assert [(row[3], row[7], row[8], row[9]) for row in parts] == [
        ("2026-01-01", "1850", "configured", "2500"),
        ("2026-02-15", "1850", "configured", "700"),
    ]
    assert main(["statement", "verify", str(out), "--config", str(config)]) == 0


@pytest.mark.parametrize(
    ("language", "words"),
    [
        ("en", ["Digital-mining fee", "3,668,507.15", "668,507.15", "band of the price paid"]),
        ("ru", ["Плата за цифровой майнинг", "668 507,15"]),
        ("kk", ["Цифрлық майнинг үшін төлем", "668 507,15"]),
    ],
)
def test_the_pdf_has_the_fee_section_in_its_language(
    config: Path, tmp_path: Path, language: str, words: list[str]
) -> None:
    out = tmp_path / f"statement-{language}.pdf"
    _statement(config, out, "pdf", language)
    text = subprocess.run(
        ["pdftotext", str(out), "-"], capture_output=True, text=True, check=True
    ).stdout
    flat = " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())
    for word in words:
        assert word.replace("\u00a0", " ") in flat, word
