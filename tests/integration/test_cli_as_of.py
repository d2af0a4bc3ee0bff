"""Through the command line, a document as of an instant is made from the terms and the
settings known then, and one issued is served again as issued (issue 25): editing an
operation's rate, ``reserve.confirmations``, ``reserve.require_proof`` or the regulator's time
zone in the file afterwards changes neither the reserve report, the public page, nor a
statement or report format never issued before, as of that instant."""

from __future__ import annotations

import asyncio
import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

from collector.accounts.terms import terms_documents
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.store.database import open_engine
from collector.store.queries import Store
from collector.store.records import ReserveOutputRecord
from tests.support.cli import run_cli
from tests.support.configs import editing
from tests.support.scenario import AS_OF, DEMO_ADDRESS, OBSERVED_AT, populate, write_config

RECENT_SAT = 50_000  # paid in a block 4 below the tip: counted with 1 confirmation, not 6


async def _as_the_collector_saw_it(path: Path) -> None:
    """The worked example, a payment with 4 confirmations, and the file's terms and settings,
    all observed at OBSERVED_AT (as the running collector would have recorded them)."""
    config = load_config(path)
    await populate(config.database.url)
    async with Store(open_engine(config.database), FrozenClock(OBSERVED_AT)) as store:
        await store.upsert_reserve_outputs(
            [
                ReserveOutputRecord(
                    "c" * 64,
                    0,
                    "op-demo",
                    DEMO_ADDRESS,
                    RECENT_SAT,
                    "confirmed",
                    950_996,
                    "44" * 32,
                    datetime(2026, 11, 10, 22, tzinfo=UTC),
                )
            ]
        )
        await store.record_terms(terms_documents(config))


def _edit(path: Path) -> None:
    """What an administrator changes in the file after the instant."""
    with editing(path) as document:
        document["operations"][0]["remittance"]["rate"] = "0.20"
        document["reserve"] = {
            "confirmations": 1,
            "require_proof": True,
            "time_zone": "Asia/Almaty",
        }


def _cli(path: Path, *args: str) -> None:
    done = run_cli(*args, "--config", str(path), "--as-of", AS_OF.isoformat())
    assert done.returncode == 0, done.stderr


def _csv_figures(path: Path) -> dict[str, str]:
    rows = csv.reader(io.StringIO(path.read_text()))
    return {row[1]: row[2] for row in rows if len(row) >= 3 and row[0] == "statement"}


def test_a_report_and_a_new_statement_format_as_of_an_instant_ignore_later_edits(
    tmp_path: Path,
) -> None:
    path = write_config(tmp_path)
    asyncio.run(_as_the_collector_saw_it(path))
    out = tmp_path / "out"
    out.mkdir()
    statement = ("statement", "--operation", "op-demo", "--period", "2026-10")
    _cli(path, *statement, "--format", "json", "--out", str(out / "issued.json"))
    _cli(path, "report", "reserve", "--period", "2026-Q4", "--out", str(out / "before.json"))
    _cli(path, "report", "transparency", "--out", str(out / "page"))
    issued = json.loads((out / "issued.json").read_text())["statement"]["summary"]
    assert issued["due_sat"] == 300_001
    assert issued["remitted_sat"] == 200_000  # the recent payment has 4 of 6 confirmations

    _edit(path)
    edited = load_config(path)
    assert edited.reserve.confirmations == 1 and edited.reserve.require_proof

    _cli(path, *statement, "--format", "csv", "--out", str(out / "never-issued.csv"))
    _cli(path, "report", "reserve", "--period", "2026-Q4", "--out", str(out / "after.json"))
    _cli(path, "report", "reserve", "--period", "2026-Q4", "--out", str(out / "after.csv"))
    _cli(path, "report", "transparency", "--out", str(out / "page-after"))
    # Issued before the edit: served again as issued.
    assert (out / "after.json").read_bytes() == (out / "before.json").read_bytes()
    for name in ("index.html", "transparency.json"):
        assert (out / "page-after" / name).read_bytes() == (out / "page" / name).read_bytes()
    # Never issued before: made now from the terms and settings known at the instant.
    report = json.loads((out / "after.json").read_text())["report"]
    [row] = [r for r in report["operations"] if r["operation"] == "op-demo"]
    assert (row["due_sat"], row["past_deadline_sat"]) == (300_001, 100_001)
    csv_text = (out / "after.csv").read_text()
    assert "op-demo" in csv_text and ",300001," in csv_text and ",100001," in csv_text
    assert "Asia/Almaty" not in csv_text  # the regulator's zone as known then: UTC
    figures = _csv_figures(out / "never-issued.csv")
    assert figures, (out / "never-issued.csv").read_text()
    assert figures.get("due_sat") == "300001"
    assert figures.get("remitted_sat") == "200000"


def test_a_document_made_right_after_an_edit_states_the_edited_terms(tmp_path: Path) -> None:
    """The default instant is read after the file's terms are recorded (issue 26, item 10)."""
    path = write_config(tmp_path)
    asyncio.run(populate(load_config(path).database.url))
    out = tmp_path / "out"
    out.mkdir()
    statement = ("statement", "--config", str(path), "--operation", "op-demo")
    for name, rate, due in (("before", "0.10", 300_001), ("after", "0.20", 600_001)):
        with editing(path) as document:
            document["operations"][0]["remittance"]["rate"] = rate
        target = out / f"{name}.json"
        done = run_cli(*statement, "--period", "2026-10", "--out", str(target))
        assert done.returncode == 0, done.stderr
        assert json.loads(target.read_text())["statement"]["summary"]["due_sat"] == due
        report = out / f"{name}-report.json"
        done = run_cli("report", "reserve", "--config", str(path), "--period", "2026-10",
                       "--out", str(report))  # fmt: skip
        assert done.returncode == 0, done.stderr
        rows = json.loads(report.read_text())["report"]["operations"]
        assert [r["due_sat"] for r in rows if r["operation"] == "op-demo"] == [due]
