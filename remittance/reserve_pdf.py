"""The reserve report as a signed A4 PDF (see :mod:`remittance.reserve_report`).

Text in DejaVu Sans (registered by :mod:`remittance.pdf`: it covers Kazakh and Russian names);
times in the regulator's time zone; amounts in BTC with eight decimals and thousands
separators. Every page's footer carries the report's SHA-256 and the Ed25519 signature
(:func:`remittance.signing.sign_report_pdf`; placeholders as for statements).
"""

from __future__ import annotations

import io
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from remittance.journal import JournalEntry, entry_line
from remittance.money import sat_to_btc_text
from remittance.pdf import BODY_FONT, BOLD_FONT, draw_signature_footer
from remittance.signing import (
    PDF_REPORT_DIGEST_LABEL,
    key_id,
    sign_report_pdf,
)

_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), BODY_FONT, 7.5),
        ("FONT", (0, 0), (-1, 0), BOLD_FONT, 7.5),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
)
_SOURCE_WORDS = {"mined": "Remitted by operation", "seized": "Seized, case",
                 "unattributed": "Paid to custody from outside"}  # fmt: skip


def _source_words(row: dict[str, Any]) -> str:
    if not row["holder"]:  # unattributed: coins spent that the watcher never saw arrive
        return "Unattributed: coins never seen arriving"
    return f"{_SOURCE_WORDS[row['source']]} {row['holder']}"


def btc(sat: int) -> str:
    """``1234567890`` → ``12.34567890`` with thousands separators in the whole part."""
    text = sat_to_btc_text(sat)
    whole, _, fraction = text.partition(".")
    sign = "-" if whole.startswith("-") else ""
    return f"{sign}{int(whole.lstrip('-')):,}.{fraction}"


def _amount(text: str | None) -> str:
    """``"1234567.891"`` → ``1,234,567.89``; a dash when unknown."""
    if text is None:
        return "—"
    return f"{Decimal(text):,.2f}"


def _when(text: str | None, zone: ZoneInfo) -> str:
    """An instant in the regulator's zone, named (``Asia/Almaty``, not ``+05``)."""
    if text is None:
        return "in the mempool"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone)
    return moment.strftime(f"%Y-%m-%d %H:%M {zone.key}")


def _utc_day(text: str) -> str:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%Y-%m-%d")


def _period_words(report: dict[str, Any], zone: ZoneInfo) -> str:
    """The report's period as what it is: whole UTC days (as pools and the chain account),
    with the instants its ends fall on in the regulator's zone."""
    start, end = report["start"], report["end"]
    last = datetime.fromisoformat(end.replace("Z", "+00:00")) - timedelta(days=1)
    return (
        f"Period {escape(report['period'])}: the UTC days {_utc_day(start)} to "
        f"{last:%Y-%m-%d} (from {_when(start, zone)} to {_when(end, zone)})"
    )


def _price_source(source: str | None) -> str:
    """``kraken*nbk-csv`` (a tenge price derived from the dollar one) in words."""
    if source is None:
        return "no price"
    if "*" in source:
        usd, rate = source.split("*", 1)
        return f"{usd} (BTC/USD) × {rate} (USD/KZT rate)"
    return source


def _table(
    header: list[str],
    rows: list[list[Any]],
    right_from: int = 1,
    widths: list[float] | None = None,
) -> Table:
    table = Table([header, *rows], repeatRows=1, hAlign="LEFT", colWidths=widths)
    style = TableStyle(_STYLE.getCommands())
    style.add("ALIGN", (right_from, 0), (-1, -1), "RIGHT")
    table.setStyle(style)
    return table


def _story(report: dict[str, Any]) -> list[Flowable]:
    styles = getSampleStyleSheet()
    for name in ("Title", "Heading2", "Normal"):
        styles[name].fontName = BOLD_FONT if name != "Normal" else BODY_FONT
    styles["Heading2"].keepWithNext = 1  # a heading never ends a page without its table
    small = styles["Normal"].clone("small", fontSize=7.5, leading=9)
    zone = ZoneInfo(report["time_zone"])
    story: list[Flowable] = [
        Paragraph(f"State crypto reserve — report for {escape(report['period'])}", styles["Title"]),
        Paragraph(
            f"{_period_words(report, zone)}; figures as of {_when(report['as_of'], zone)} "
            f"(chain tip {report['tip_height']}).",
            small,
        ),
    ]
    provisional = report.get("provisional") or {}
    if provisional.get("provisional"):
        story.append(
            Paragraph(
                "<b>Provisional.</b> "
                + " ".join(_PROVISIONAL_WORDS[r] for r in provisional["reasons"])
                + " Figures marked * may still change.",
                small.clone("warning", textColor=colors.HexColor("#8a1c00")),
            )
        )
    story += [Spacer(1, 4 * mm), Paragraph("Holdings by source", styles["Heading2"])]

    def holdings_rows(moment: str) -> list[list[str]]:
        h = report["holdings"][moment]
        rows = [[_source_words(r), btc(r["sat"])] for r in h["by_source"]]
        return [*rows, ["Total", btc(h["total_sat"])]]

    for moment, words in (("start", "At the start"), ("end", "At the end")):
        story += [Paragraph(words, small), _table(["Source", "BTC"], holdings_rows(moment))]
    waiting = report["holdings"]["pending"]
    if waiting["movements"]:
        story.append(
            Paragraph(
                f"Pending, not counted above (in the mempool at the report's instant): "
                f"{len(waiting['movements'])} transaction(s) of the reserve's own, "
                f"{btc(waiting['unapproved_sat'])} BTC unapproved, "
                f"{btc(waiting['to_custody_sat'])} BTC to custody, "
                f"{btc(waiting['fee_sat'])} BTC in fees.",
                small,
            )
        )
    story += [Spacer(1, 3 * mm), Paragraph("Inflows in the period", styles["Heading2"])]
    story.append(
        _table(
            ["Source", "Outputs", "BTC"],
            [
                [_source_words(r), str(r["outputs"]), btc(r["sat"])]
                for r in report["inflows"]["by_source"]
            ]
            + [["Total", "", btc(report["inflows"]["total_sat"])]],
        )
    )
    story += _operations(report, small, styles["Heading2"])
    story += [Spacer(1, 3 * mm), Paragraph("Seized assets received, by case", styles["Heading2"])]
    story.append(
        _table(
            ["Case", "Authority", "Order", "Received from", "BTC"],
            [
                [
                    r["case"],
                    Paragraph(escape(r["authority"]), small),
                    Paragraph(escape(r["order_ref"]), small),
                    Paragraph(escape(r["received_from"]), small),
                    btc(r["received_sat"]),
                ]
                for r in report["seized"]
            ],
            right_from=4,
        )
    )
    story += [Spacer(1, 3 * mm), Paragraph("Movements to custody", styles["Heading2"])]
    story.append(
        _table(
            ["Transaction", "When", "To custody BTC", "Fee BTC"],
            [
                [
                    r["txid"][:16] + "…",
                    _when(r["block_time"], zone),
                    btc(r["to_custody_sat"]),
                    btc(r["fee_sat"]),
                ]
                for r in report["custody_movements"]
            ],
            right_from=2,
        )
    )
    story += [Spacer(1, 3 * mm), Paragraph("Unapproved outflows", styles["Heading2"])]
    unapproved = report["unapproved_outflows"]
    if not unapproved:
        story.append(Paragraph("None.", small))
    for r in unapproved:
        sources = "; ".join(
            f"{s['holder'] or 'unattributed (coins never seen arriving)'} {btc(s['sat'])}"
            for s in r["by_source"]
        )
        paid = "; ".join(
            f"{p['address']} {btc(p['sat'])}"
            + (f" (beyond the gap limit of {p['beyond_gap_of']})" if p["beyond_gap_of"] else "")
            for p in r["paid_to"]
        )
        story.append(
            Paragraph(
                f"<b>{r['txid']}</b> ({escape(_when(r['block_time'], zone))}): "
                f"{btc(r['unapproved_sat'])} BTC to {escape(paid)}. Sources: {escape(sources)}. "
                f"Reason: {escape(', '.join(r['reasons']))}.",
                small,
            )
        )
    if "refunds" in report or "journal" in report:
        story += [Spacer(1, 3 * mm), Paragraph("Regulator's journal", styles["Heading2"])]
    for r in report.get("refunds", ()):
        paid = "; ".join(f"{p['address']} {btc(p['sat'])}" for p in r["paid_to"])
        story.append(
            Paragraph(
                f"<b>{r['txid']}</b> ({escape(_when(r['block_time'], zone))}): refund of "
                f"{btc(r['refunded_sat'])} BTC to {escape(paid)}, approved by the journal.",
                small,
            )
        )
    for e in report.get("journal", ()):
        story.append(Paragraph(escape(entry_line(JournalEntry.from_dict(e))), small))
    valuation = report.get("valuation")
    story += [Spacer(1, 3 * mm), Paragraph("Valuation", styles["Heading2"])]
    if not valuation:
        story.append(Paragraph("No price is known for the period: no valuation.", small))
    else:
        rows = [
            [
                "Holdings at the start",
                valuation["holdings_start_usd"],
                valuation["holdings_start_kzt"],
            ],
            ["Holdings at the end", valuation["holdings_end_usd"], valuation["holdings_end_kzt"]],
            ["Inflows in the period", valuation["inflows_usd"], valuation["inflows_kzt"]],
            ["Price per BTC at the end", valuation["price_end_usd"], valuation["price_end_kzt"]],
        ]
        story.append(
            _table(
                ["", "US dollars", "Tenge"],
                [[label, _amount(usd), _amount(kzt)] for label, usd, kzt in rows],
            )
        )
        story.append(
            Paragraph(
                escape(
                    f"Prices: {_price_source(valuation['price_end_usd_source'])} in dollars; "
                    f"{_price_source(valuation['price_end_kzt_source'])} in tenge. "
                    f"{valuation['rule']}"
                ),
                small,
            )
        )
    share = report.get("national_hashrate_share")
    story += [Spacer(1, 3 * mm), Paragraph("National hash-rate share", styles["Heading2"])]
    if share and share.get("average_ratio") is not None:
        story.append(
            Paragraph(
                f"{float(share['average_ratio']) * 100:.3f} % of the network on average over "
                f"{share['days']} day(s) with every operation's figures.",
                small,
            )
        )
    else:
        story.append(Paragraph("No hash-rate figures for the period.", small))
    if report.get("proofs"):
        story += [Spacer(1, 3 * mm), Paragraph("Proofs of control", styles["Heading2"])]
        story.append(
            _table(
                ["Wallet", "Address", "Status", "Registered", "Until"],
                [
                    [
                        f"{p.get('role', '')} {p.get('holder', '')}",
                        p["address"],
                        p["status"],
                        _when(p["registered_at"], zone)[:10] if p.get("registered_at") else "",
                        _when(p["expires_at"], zone)[:10] if p.get("expires_at") else "",
                    ]
                    for p in report["proofs"]
                ],
                right_from=5,
                widths=[w * mm for w in (30, 97, 15, 17, 17)],
            )
        )
    story += [Spacer(1, 4 * mm), Paragraph("Rules", styles["Heading2"])]
    for rule in ("holdings", "holdings_at", "unapproved"):
        story.append(Paragraph(escape(report["rules"][rule]), small))
    return story


_PROVISIONAL_WORDS = {
    "period_not_ended": "The report's period had not ended at its instant.",
    "deadlines_not_passed": "Some periods' deadlines had not passed: their unpaid amounts are "
    "not yet due.",
    "network_figures_not_final": "Some days' network figures were not final.",
    "days_missing": "Some days lacked the figures the due needs.",
}
_PERIOD_MARKS = {"open": "open", "network_figures_not_final": "network figures not final",
                 "days_missing": "days missing"}  # fmt: skip


def _operations(report: dict[str, Any], small: Any, heading: Any) -> list[Flowable]:
    """Two tables whose figures add up, each column defined below them: per period ending
    within the report's, Due = Settled + Past deadline + Not yet due; per operation, payments
    in the report's period = to earlier periods + to these + to later ones + credit."""
    zone = ZoneInfo(report["time_zone"])
    rows: list[list[Any]] = []
    for op in report["operations"]:
        rows.append([
            Paragraph(f"<b>{escape(op['name'])}</b> ({escape(op['operation'])}, licence "
                      f"{escape(op['licence'])})", small), "", "", "", "", "",
        ])  # fmt: skip
        for p in op["periods"]:
            marks = ", ".join(_PERIOD_MARKS[m] for m in p["provisional"])
            label = f"{p['period']}{' *' if p['provisional'] else ''}"
            rows.append([
                Paragraph(escape(label + (f" ({marks})" if marks else "")), small),
                _when(p["deadline"], zone)[:10],
                btc(p["due_sat"]), btc(p["settled_sat"]), btc(p["past_deadline_sat"]),
                btc(p["not_yet_due_sat"]),
            ])  # fmt: skip
        if len(op["periods"]) != 1:
            rows.append([
                Paragraph("Total" if op["periods"] else "No period ends in the report's", small),
                "", btc(op["due_sat"]), btc(op["settled_sat"]), btc(op["past_deadline_sat"]),
                btc(op["not_yet_due_sat"]),
            ])  # fmt: skip
    dues = _table(
        ["Operation / period", "Deadline", "Due", "Settled", "Past deadline", "Not yet due"],
        rows, right_from=2, widths=[w * mm for w in (52, 20, 26, 26, 26, 26)],
    )  # fmt: skip
    payments = _table(
        ["Operation", "Received", "To earlier periods", "To those above", "To later periods",
         "Credit"],
        [[op["operation"], btc(op["received_sat"]), btc(op["received_to_earlier_sat"]),
          btc(op["received_to_listed_sat"]), btc(op["received_to_later_sat"]),
          btc(op["received_credit_sat"])] for op in report["operations"]],
        widths=[w * mm for w in (36, 28, 28, 28, 28, 28)],
    )  # fmt: skip
    return [
        Spacer(1, 3 * mm),
        Paragraph("Operations: dues, BTC", heading),
        dues,
        Spacer(1, 2 * mm),
        Paragraph("Operations: payments received in the period, BTC", heading),
        payments,
        Spacer(1, 1 * mm),
        Paragraph(escape(report["rules"].get("operations", "")), small),
    ]


def render_report_pdf(report: dict[str, Any], sha256: str, private_key: Ed25519PrivateKey) -> bytes:
    """The report as an A4 PDF signed with ``private_key`` (``signing.verify`` checks it)."""
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=22 * mm,
        title=f"State crypto reserve report {report['period']}",
        author="reservewatch",
        subject=f"report sha256 {sha256}",
        invariant=1,
        pageCompression=0,
    )
    footer_key = key_id(private_key.public_key())

    def footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        digest = f"{PDF_REPORT_DIGEST_LABEL}{sha256}"
        draw_signature_footer(canvas, digest, footer_key, f"page {doc.page}")

    document.build(_story(report), onFirstPage=footer, onLaterPages=footer)
    return sign_report_pdf(buffer.getvalue(), private_key)
