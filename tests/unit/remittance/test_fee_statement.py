"""The statement's fee section: which quarters it shows, read back from its JSON exactly, a
garbled section refused as a format error, CSV rows as wide as their header."""

from __future__ import annotations

from datetime import UTC, date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from remittance.errors import StatementFormatError
from remittance.fee_statement import (
    PART_COLUMNS,
    QUARTER_COLUMNS,
    fee_csv_rows,
    fee_from_dict,
    fee_section,
    fee_to_dict,
    kzt_text,
)
from remittance.mining_fee import FeePart, FeePayment, FeeQuarter, fee_standing, quarter_fee

ALMATY = ZoneInfo("Asia/Almaty")


def _standings() -> tuple[list, int]:  # type: ignore[type-arg]
    q1, q2 = FeeQuarter(2026, 1), FeeQuarter(2026, 2)
    fees = [
        quarter_fee(q1, [FeePart("a", q1.start, q1.end, Fraction(28_000, 3), 700, "band")]),
        quarter_fee(
            q2, [FeePart("a", q2.start, q2.end, 1_000, 2500, "no_meter", None, "quota_estimate")]
        ),
    ]
    standings, credit = fee_standing(
        fees, [FeePayment(date(2026, 5, 1), 100, "R1")], datetime(2026, 7, 1, tzinfo=UTC), ALMATY
    )
    return list(standings), credit


def test_a_statement_shows_its_periods_quarter_and_every_earlier_one_still_short() -> None:
    standings, credit = _standings()
    june = fee_section(standings, credit, (date(2026, 6, 1), date(2026, 7, 1)), "Asia/Almaty")
    assert june is not None
    assert [q.quarter for q in june.quarters] == ["2026-Q1", "2026-Q2"]
    january = fee_section(standings, credit, (date(2026, 1, 1), date(2026, 2, 1)), "Asia/Almaty")
    assert january is not None
    assert [q.quarter for q in january.quarters] == ["2026-Q1"]
    assert fee_section([], 0, (date(2026, 1, 1), date(2026, 2, 1)), "UTC") is None


def test_the_section_reads_back_from_its_json_exactly() -> None:
    standings, credit = _standings()
    section = fee_section(standings, credit, (date(2026, 6, 1), date(2026, 7, 1)), "Asia/Almaty")
    assert section is not None
    data = fee_to_dict(section)
    assert data["quarters"][0]["parts"][0]["fee_millitiyn"] == "19600000/3"
    assert data["quarters"][0]["due_tiyn"] == 6533  # 6,533.33 tiyn, rounded once
    assert fee_from_dict(data) == section
    assert kzt_text(6533) == "65.33"


@pytest.mark.parametrize(
    "garble",
    [
        lambda d: d.pop("quarters"),
        lambda d: d.update(overdue_tiyn="12"),
        lambda d: d["quarters"][0].update(start="2026-13-01"),
        lambda d: d["quarters"][0].update(exact_millitiyn="a third"),
    ],
)
def test_a_garbled_section_is_a_format_error(garble: object) -> None:
    standings, credit = _standings()
    section = fee_section(standings, credit, (date(2026, 6, 1), date(2026, 7, 1)), "UTC")
    assert section is not None
    data = fee_to_dict(section)
    garble(data)  # type: ignore[operator]
    with pytest.raises(StatementFormatError, match="mining_fee"):
        fee_from_dict(data)


def test_each_csv_row_is_as_wide_as_its_header() -> None:
    standings, credit = _standings()
    section = fee_section(standings, credit, (date(2026, 6, 1), date(2026, 7, 1)), "UTC")
    assert section is not None
    rows = fee_csv_rows(section)
    quarters = [r for r in rows if r and r[0] == "mining_fee_quarter"]
    parts = [r for r in rows if r and r[0] == "mining_fee_part"]
    assert len(quarters) == 2 and len(parts) == 2
    assert {len(r) for r in quarters} == {len(QUARTER_COLUMNS)}
    assert {len(r) for r in parts} == {len(PART_COLUMNS)}
