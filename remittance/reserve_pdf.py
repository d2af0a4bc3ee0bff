"""The reserve report as a signed A4 PDF (see :mod:`remittance.reserve_report`).

Text in DejaVu Sans (registered by :mod:`remittance.pdf`: it covers Kazakh and Russian names);
times in the regulator's time zone; amounts in BTC with eight decimals and thousands
separators. Every page's footer carries the report's SHA-256 and the Ed25519 signature
(:func:`remittance.signing.sign_report_pdf`; placeholders as for statements).
"""

from __future__ import annotations

import io
from datetime import datetime
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
    if text is None:
        return "in the mempool"
    moment = datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(zone)
    return moment.strftime("%Y-%m-%d %H:%M %Z")


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
    small = styles["Normal"].clone("small", fontSize=7.5, leading=9)
    zone = ZoneInfo(report["time_zone"])
    story: list[Flowable] = [
        Paragraph(f"State crypto reserve — report for {escape(report['period'])}", styles["Title"]),
        Paragraph(
            f"Period {_when(report['start'], zone)} to {_when(report['end'], zone)}; figures as "
            f"of {_when(report['as_of'], zone)} (chain tip {report['tip_height']}).",
            small,
        ),
        Spacer(1, 4 * mm),
        Paragraph("Holdings by source", styles["Heading2"]),
    ]

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
    story += [Spacer(1, 3 * mm), Paragraph("Operations: remitted against due", styles["Heading2"])]
    story.append(
        _table(
            ["Operation", "Periods", "Due BTC", "Settled BTC", "Remitted BTC", "Shortfall BTC"],
            [
                [
                    Paragraph(
                        escape(f"{r['name']} ({r['operation']}, licence {r['licence']})"), small
                    ),
                    Paragraph(escape(", ".join(r["periods"])), small),
                    btc(r["due_sat"]),
                    btc(r["settled_sat"]),
                    btc(r["remitted_sat"]),
                    btc(r["shortfall_sat"]),
                ]
                for r in report["operations"]
            ],
            right_from=2,
            widths=[w * mm for w in (52, 32, 24, 24, 24, 24)],
        )
    )
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
                    f"Prices: {valuation['price_end_usd_source']} (USD), "
                    f"{valuation['price_end_kzt_source']} (KZT). {valuation['rule']}"
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
                ["Wallet", "Address", "Status"],
                [
                    [f"{p.get('role', '')} {p.get('holder', '')}", p["address"], p["status"]]
                    for p in report["proofs"]
                ],
                right_from=3,
            )
        )
    story += [Spacer(1, 4 * mm), Paragraph("Rules", styles["Heading2"])]
    for rule in ("holdings", "holdings_at", "unapproved"):
        story.append(Paragraph(escape(report["rules"][rule]), small))
    return story


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
