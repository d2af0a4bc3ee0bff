"""The reserve report as CSV (:func:`remittance.reserve_report.build_report`'s data): one
section per kind of row, each row starting with its section's name, every text cell guarded
against spreadsheet formulas."""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from remittance.csv_cells import Number, Writer
from remittance.journal import JournalEntry, entry_line
from remittance.money import sat_to_btc_text
from remittance.official_price import official_rows
from remittance.pool_report_statement import FINDING_COLUMNS

REPORT_KIND = "reserve"


def render_report_csv(report: Mapping[str, Any], sha256: str) -> bytes:
    """The report as CSV. The first line names it, the second gives its SHA-256 (what a
    signature line appended after them covers); then one section per kind of row, each
    after a blank line and its own column-name row (``section,…``), every row starting with
    its section's name, as in the statement's CSV: a spreadsheet can filter on it."""
    out = io.StringIO()
    writer = Writer(out)  # text cells guarded against spreadsheet formulas

    def btc(sat: int) -> Number:
        return Number(sat_to_btc_text(sat))

    def section(name: str, columns: Sequence[str], rows: Iterable[Sequence[object]]) -> None:
        writer.writerow([])
        writer.writerow(["section", *columns])
        writer.writerows([name, *row] for row in rows)

    writer.writerow(["report", REPORT_KIND, report["period"], report["as_of"]])
    writer.writerow(["report", "report_sha256", sha256])
    provisional = report.get("provisional") or {"provisional": False, "reasons": []}
    section("report_field", ["field", "value"], [
        ("period_start", report.get("start") or ""),
        ("period_end_exclusive", report.get("end") or ""),
        ("as_of", report["as_of"]),
        ("tip_height", "" if report.get("tip_height") is None else report["tip_height"]),
        ("provisional", str(provisional["provisional"]).lower()),
        ("provisional_reasons", " ".join(provisional["reasons"])),
    ])  # fmt: skip
    section("holdings", ["moment", "source", "holder", "sat", "btc"], [
        row
        for moment in ("start", "end")
        for row in (
            *((moment, r["source"], r["holder"], r["sat"], btc(r["sat"]))
              for r in report["holdings"][moment]["by_source"]),
            (moment, "total", "", report["holdings"][moment]["total_sat"],
             btc(report["holdings"][moment]["total_sat"])),
        )
    ])  # fmt: skip
    section("held_apart", ["moment", "case", "state", "sat", "btc"],
            [(moment, r["case"], r["state"], r["sat"], btc(r["sat"]))
             for moment in ("start", "end")
             for r in report["holdings"][moment].get("held_apart", {}).get("by_case", [])
             ])  # fmt: skip
    section("pending", ["txid", "status", "spent_sat", "to_custody_sat", "unapproved_sat",
                        "fee_sat"],
            [(m["txid"], m["status"], m["spent_sat"], m["to_custody_sat"], m["unapproved_sat"],
              m["fee_sat"]) for m in report["holdings"]["pending"]["movements"]])  # fmt: skip
    section("inflows", ["source", "holder", "outputs", "sat", "btc"],
            [(r["source"], r["holder"], r["outputs"], r["sat"], btc(r["sat"]))
             for r in report["inflows"]["by_source"]])  # fmt: skip
    section("operation_period", ["operation", "period", "deadline", "due_sat", "settled_sat",
                                 "unpaid_sat", "past_deadline_sat", "not_yet_due_sat",
                                 "provisional"],
            [(op["operation"], p["period"], p["deadline"], p["due_sat"], p["settled_sat"],
              p["unpaid_sat"], p["past_deadline_sat"], p["not_yet_due_sat"],
              " ".join(p["provisional"]))
             for op in report["operations"] for p in op["periods"]])  # fmt: skip
    section("operation_payments", ["operation", "received_sat", "to_earlier_sat",
                                   "to_listed_sat", "to_later_sat", "credit_sat"],
            [(op["operation"], op["received_sat"], op["received_to_earlier_sat"],
              op["received_to_listed_sat"], op["received_to_later_sat"],
              op["received_credit_sat"]) for op in report["operations"]])  # fmt: skip
    section("seized", ["case", "authority", "order_ref", "sat", "btc", "state", "since",
                       "order"],
            [(r["case"], r["authority"], r["order_ref"], r["received_sat"],
              btc(r["received_sat"]), r.get("state", "seized"), r.get("since") or "",
              r.get("order", "")) for r in report["seized"]])  # fmt: skip
    section("released", ["txid", "status", "block_time", "address", "sat"],
            [(row["txid"], row["status"], row["block_time"] or "", paid["address"], paid["sat"])
             for row in report.get("released_outflows", []) for paid in row["paid_to"]
             ])  # fmt: skip
    section("custody", ["txid", "status", "block_time", "to_custody_sat", "fee_sat"],
            [(r["txid"], r["status"], r["block_time"] or "", r["to_custody_sat"], r["fee_sat"])
             for r in report["custody_movements"]])  # fmt: skip
    section("unapproved", ["txid", "status", "block_time", "address", "sat", "reason"],
            [(row["txid"], row["status"], row["block_time"] or "", paid["address"], paid["sat"],
              "beyond_gap" if paid["beyond_gap_of"]
              else next((r for r in row["reasons"] if r != "beyond_gap"), ""))
             for row in report["unapproved_outflows"] for paid in row["paid_to"]])  # fmt: skip
    if "refunds" in report:  # only where there is one: earlier reports keep their bytes
        section("refund", ["txid", "status", "block_time", "address", "sat"],
                [(row["txid"], row["status"], row["block_time"] or "", paid["address"],
                  paid["sat"])
                 for row in report["refunds"] for paid in row["paid_to"]])  # fmt: skip
    if "pool_report_findings" in report:
        findings = report["pool_report_findings"]
        section("pool_report_finding", FINDING_COLUMNS,
                [tuple(f[c] for c in FINDING_COLUMNS) for f in findings])  # fmt: skip
    if "journal" in report:
        section("journal", ["entry"],
                [(entry_line(JournalEntry.from_dict(e)),) for e in report["journal"]])  # fmt: skip
    valuation = report.get("valuation") or {}
    valued = []
    for key in sorted(valuation):
        value = valuation[key]
        if isinstance(value, dict | list):
            continue
        # prices and amounts are numbers written as text; the rule, sources, instants text
        numeric = isinstance(value, str) and key != "rule"
        numeric = numeric and not key.endswith(("_source", "_instant"))
        valued.append((key, Number(value) if numeric else value))
    section("valuation", ["field", "value"], valued)
    share = report.get("national_hashrate_share")
    ratio = None if not share else share.get("average_ratio")
    section("official_valuation",
            ["what", "day", "price_day", "price_kzt", "sat", "value_kzt", "source"],
            official_rows(report.get("official_valuation")))  # fmt: skip
    section("national_hashrate_share", ["average_ratio", "days"],
            [(None if ratio is None else Number(str(ratio)), share.get("days"))]
            if share else [])  # fmt: skip
    section("proof", ["role", "holder", "address", "status", "registered_at", "expires_at",
                      "block_height"],
            [(p.get("role", ""), p.get("holder", ""), p.get("address"), p.get("status"),
              p.get("registered_at") or "", p.get("expires_at") or "",
              "" if p.get("block_height") is None else p["block_height"])
             for p in report.get("proofs", [])])  # fmt: skip
    return out.getvalue().encode()
