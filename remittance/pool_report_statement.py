"""The pools' reports' section of a statement: each month its period covers that a pool's
report to the tax authority names, reconciled (:mod:`remittance.pool_reports`), as JSON, CSV
rows and a PDF table in the statement's language.

A statement carries the months that start within its period (:func:`months_in`); a statement
of an operation no report names carries none, and keeps its bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Any, cast

from remittance.errors import StatementFormatError
from remittance.i18n import Wording
from remittance.pool_reports import (
    LEGS,
    Finding,
    Leg,
    MonthReadings,
    Reconciliation,
    reconciliation_to_dict,
)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    return message


LEG_WORDS = {
    "report_api": N_("report vs the pool's API"),
    "report_chain": N_("report vs the chain"),
    "api_chain": N_("the pool's API vs the chain"),
}


def months_in(
    reconciled: Iterable[Reconciliation], start: date, end: date
) -> tuple[Reconciliation, ...]:
    """The reconciled months that start in ``[start, end)``, by month and pool."""
    return tuple(
        sorted((m for m in reconciled if start <= m.month < end), key=lambda m: (m.month, m.pool))
    )


def section_to_list(months: Sequence[Reconciliation]) -> list[dict[str, object]]:
    """The section's JSON: :func:`remittance.pool_reports.reconciliation_to_dict` each."""
    return [reconciliation_to_dict(m) for m in months]


def _int(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError(f"{value!r} is not an integer")
    return value


def section_from_list(operation_id: str, items: object) -> tuple[Reconciliation, ...]:
    """Read the section back; raises :class:`StatementFormatError`."""
    try:
        months = []
        for item in cast("list[Mapping[str, Any]]", items):
            chain = item["chain_sat"]
            findings = []
            for f in item["findings"]:
                if f["leg"] not in LEGS:
                    raise ValueError(f"unknown leg {f['leg']!r}")
                leg = cast("Leg", f["leg"])
                findings.append(
                    Finding(leg, _int(f["left_sat"]), _int(f["right_sat"]), _int(f["allowed_sat"]))
                )
            months.append(
                Reconciliation(
                    operation_id,
                    str(item["pool"]),
                    date.fromisoformat(f"{item['month']}-01"),
                    MonthReadings(
                        _int(item["report_sat"]),
                        _int(item["api_sat"]),
                        None if chain is None else _int(chain),
                    ),
                    tuple(findings),
                )
            )
    except (KeyError, TypeError, ValueError) as error:
        msg = f"statement pool_reports: {error.__class__.__name__}: {error}"
        raise StatementFormatError(msg) from error
    return tuple(months)


COLUMNS = ("section", "pool", "month", "report_sat", "api_sat", "chain_sat", "findings")


def section_csv_rows(months: Sequence[Reconciliation]) -> list[list[object]]:
    """A column-name row and a ``pool_report`` row per month (``chain_sat`` empty when not
    observable; ``findings`` the legs beyond the tolerance, space-separated)."""
    rows: list[list[object]] = [[], list(COLUMNS)]
    for m in months:
        chain = "" if m.readings.chain_sat is None else m.readings.chain_sat
        legs = " ".join(f.leg for f in m.findings)
        rows.append(
            ["pool_report", m.pool, f"{m.month:%Y-%m}", m.readings.report_sat,
             m.readings.api_sat, chain, legs]
        )  # fmt: skip
    return rows


def findings_list(reconciled: Iterable[Reconciliation]) -> list[dict[str, object]]:
    """Every finding of ``reconciled`` as the regulator's reserve report lists it: by
    operation, month and pool, in :data:`remittance.pool_reports.LEGS` order."""
    return [
        {
            "operation": m.operation_id,
            "pool": m.pool,
            "month": f"{m.month:%Y-%m}",
            "leg": f.leg,
            "left_sat": f.left_sat,
            "right_sat": f.right_sat,
            "difference_sat": f.difference_sat,
            "allowed_sat": f.allowed_sat,
        }
        for m in sorted(reconciled, key=lambda m: (m.operation_id, m.month, m.pool))
        for f in m.findings
    ]


FINDING_COLUMNS = (
    "operation", "pool", "month", "leg", "left_sat", "right_sat", "difference_sat", "allowed_sat",
)  # fmt: skip


def finding_text(finding: Mapping[str, Any], words: Wording) -> str:
    """One listed finding (:func:`findings_list`) in ``words``' language."""
    return words.text(
        "Finding, {pool} {month}, {leg}: {left} and {right} sat differ by {difference} "
        "sat, above the {allowed} sat allowed.",
        pool=finding["pool"],
        month=finding["month"],
        leg=words.text(LEG_WORDS[finding["leg"]]),
        left=words.sat(finding["left_sat"]),
        right=words.sat(finding["right_sat"]),
        difference=words.sat(abs(finding["difference_sat"])),
        allowed=words.sat(finding["allowed_sat"]),
    )
