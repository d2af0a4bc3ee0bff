"""Any CSV text imports cleanly or raises CsvImportError listing its bad lines, nothing else."""

from __future__ import annotations

import csv
import io

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.targets import SEED_CSV, csv_bytes, csv_text

FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
CELLS = st.sampled_from(
    [
        "op-demo",
        "ocean/pool-a",
        "2026-10-29",
        "5",
        "²",
        "9" * 5000,
        "2100000000000001",
        "-1",
        "1.5",
        " ",
        "",
        '"',
        "\x00",
        "\r",
        "a\nb",
    ]
) | st.text(max_size=10)


def test_the_seed_csv_imports() -> None:
    csv_text(SEED_CSV)


@FUZZ
@given(text=st.text(max_size=300))
def test_any_text_imports_or_is_refused(text: str) -> None:
    csv_text(SEED_CSV + text)


@FUZZ
@given(rows=st.lists(st.lists(CELLS, min_size=0, max_size=5), max_size=5))
def test_any_rows_import_or_are_refused(rows: list[list[str]]) -> None:
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    csv_text(SEED_CSV + out.getvalue())


@settings(max_examples=50, deadline=None)
@given(data=st.binary(max_size=300))
def test_any_bytes_import_or_are_refused(data: bytes) -> None:
    csv_bytes(SEED_CSV.encode() + data)
