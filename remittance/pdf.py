"""A statement as a signed PDF that reads like a bank statement.

Layout: a header (operation, licence, period, deadline, as of), a summary table, flags and
missing days, a bar chart of daily mined vs expected satoshis (reportlab.graphics), the
per-day table, the transfers that settled this period, energy, and on every page a footer with
the statement's SHA-256, the Ed25519 signature and the key id. How the signature covers the
file is explained in `remittance.signing`. Text uses the PDF base fonts (Latin-1 only).
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import matplotlib
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from remittance.money import sat_to_btc_text
from remittance.signing import (
    PDF_DIGEST_LABEL,
    PDF_KEY_LABEL,
    PDF_SIGNATURE_LABEL,
    PDF_SIGNATURE_PLACEHOLDER,
    key_id,
    sign_pdf_placeholders,
)
from remittance.statement import Statement, StatementDay

BODY_FONT, BOLD_FONT = "DejaVuSans", "DejaVuSans-Bold"
"""The statement's text face: DejaVu Sans (it covers Kazakh and Russian Cyrillic), the copy that
ships inside matplotlib (its licence: the Bitstream Vera / DejaVu permissive font licence,
matplotlib's LICENSE_DEJAVU). The footer's digest and signature stay in Helvetica: ASCII, and
written as plain text so the signature placeholder is found in the file's bytes."""


def _register_fonts() -> None:
    """Embed DejaVu Sans (once per process); the same file gives the same bytes each time."""
    if BODY_FONT in pdfmetrics.getRegisteredFontNames():
        return
    folder = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    pdfmetrics.registerFont(TTFont(BODY_FONT, str(folder / "DejaVuSans.ttf")))
    pdfmetrics.registerFont(TTFont(BOLD_FONT, str(folder / "DejaVuSans-Bold.ttf")))
    pdfmetrics.registerFontFamily(BODY_FONT, normal=BODY_FONT, bold=BOLD_FONT)


_register_fonts()

_TABLE_STYLE = TableStyle(
    [
        ("FONT", (0, 0), (-1, -1), BODY_FONT, 8),
        ("FONT", (0, 0), (-1, 0), BOLD_FONT, 8),
        ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
        ("ALIGN", (1, 1), (-1, -1), "RIGHT"),
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
)


def _document(statement: Statement, buffer: io.BytesIO) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=22 * mm,
        title=f"Reserve remittance statement {statement.operation_id} {statement.period_label}",
        author="reservewatch",
        subject=f"statement sha256 {statement.sha256()}",
        invariant=1,  # no creation date or random document id: same statement, same bytes
        pageCompression=0,  # the signature placeholder must be findable in the raw bytes
    )


def render_signed_pdf(statement: Statement, private_key: Ed25519PrivateKey) -> bytes:
    """The statement as a PDF, signed with `private_key`; `signing.verify` checks it."""
    buffer = io.BytesIO()
    document = _document(statement, buffer)
    footer_key_id = key_id(private_key.public_key())
    digest = statement.sha256()

    def draw_footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica", 6.5)
        canvas.drawString(15 * mm, 14 * mm, f"{PDF_DIGEST_LABEL}{digest}")
        canvas.drawString(
            15 * mm,
            10 * mm,
            f"{PDF_SIGNATURE_LABEL}{PDF_SIGNATURE_PLACEHOLDER}  {PDF_KEY_LABEL}{footer_key_id}",
        )
        canvas.drawRightString(195 * mm, 6 * mm, f"page {doc.page}")
        canvas.restoreState()

    document.build(_story(statement), onFirstPage=draw_footer, onLaterPages=draw_footer)
    return sign_pdf_placeholders(buffer.getvalue(), private_key)


PROJECTION_MARK = "PROJECTION - figures as of a future instant; not a statement, not signed"


def render_projection_pdf(statement: Statement) -> bytes:
    """A statement as of a future instant, as a PDF marked as a projection on every page,
    and never signed: what would be owed if nothing else arrived."""
    buffer = io.BytesIO()
    document = _document(statement, buffer)

    def draw_mark(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont("Helvetica-Bold", 9)
        canvas.setFillColor(colors.HexColor("#b00020"))
        canvas.drawString(15 * mm, 287 * mm, PROJECTION_MARK)
        canvas.drawString(15 * mm, 12 * mm, PROJECTION_MARK)
        canvas.setFont("Helvetica", 6.5)
        canvas.setFillColor(colors.black)
        canvas.drawRightString(195 * mm, 6 * mm, f"page {doc.page}")
        canvas.restoreState()

    document.build(_story(statement), onFirstPage=draw_mark, onLaterPages=draw_mark)
    return buffer.getvalue()


def _when(instant: datetime) -> str:
    return instant.strftime("%Y-%m-%d %H:%M UTC")


def _deadline(statement: Statement) -> str:
    """The deadline in UTC and, for a reader in the regulator's zone, in that zone too."""
    if statement.deadline_timezone == "UTC":
        return _when(statement.deadline)
    local = statement.deadline.astimezone(ZoneInfo(statement.deadline_timezone))
    return (
        f"{local.strftime('%Y-%m-%d %H:%M')} {statement.deadline_timezone} "
        f"({_when(statement.deadline)})"
    )


def _styles() -> StyleSheet1:
    """reportlab's sample styles in the statement's Unicode face."""
    styles = getSampleStyleSheet()
    for name in ("Title", "Normal", "Heading3"):
        style = styles[name]
        style.fontName = BOLD_FONT if name != "Normal" else BODY_FONT
    return styles


def _story(statement: Statement) -> list[Flowable]:
    styles = _styles()
    status = "OPEN (period not finished)" if statement.is_open else "closed"
    header = [
        ("Operation", f"{statement.operation_name} ({statement.operation_id})"),
        ("Licence", statement.licence),
        (
            "Period",
            f"{statement.period_label}: {statement.period_start.isoformat()} to "
            f"{statement.period_end.isoformat()} (exclusive; whole UTC mining days, as pools "
            f"account), {status}",
        ),
        ("Payment deadline", _deadline(statement)),
        ("As of", _when(statement.as_of)),
        ("Rate and basis", f"{statement.rate} of {statement.basis}"),
    ]
    story: list[Flowable] = [
        Paragraph("Reserve remittance statement", styles["Title"]),
        *(
            Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", styles["Normal"])
            for label, value in header
        ),
        Spacer(1, 4 * mm),
        Paragraph("Summary", styles["Heading3"]),
        _summary_table(statement),
    ]
    notes = [f"Flags: {', '.join(statement.flags) or 'none'}"]
    if statement.missing_days:
        missing = ", ".join(
            f"{day.day.isoformat()} ({day.missing_reason})" for day in statement.missing_days
        )
        notes.append(f"Days without data for the expected figure (counted as 0): {missing}")
    for item in statement.restatements:
        revised = "; ".join(
            f"{r.input}: {_optional_sat(r.old)} -> {_optional_sat(r.new)}" for r in item.inputs
        )
        notes.append(
            f"Restated: {item.period_label} was issued as of {_when(item.issued_as_of)} with "
            f"{item.issued_due_sat:,} sat due; it is now {item.due_sat:,} sat "
            f"({item.delta_sat:+,} sat). Revised inputs: {revised or 'none listed'}"
        )
    if any(line.income != "mining" for line in statement.income):
        kinds = ", ".join(
            f"{_INCOME_WORDS.get(line.income, line.income)} {line.amount_sat:,} sat"
            f"{'' if line.counted else ' (not counted in mined)'}"
            for line in statement.income
        )
        notes.append(f"Pool credits by kind: {kinds}; a credit not counted is marked * per day")
    sampled = [day for day in statement.days if day.pool_hashrate_source not in (None, "pool")]
    if sampled:
        notes.append(
            f"Hash rate averaged from the collector's own samples of the pool (the pool "
            f"publishes no daily figure) on {len(sampled)} of {len(statement.days)} days; "
            "each day's coverage is in the table"
        )
    if statement.unrated_days:
        unrated = ", ".join(day.isoformat() for day in statement.unrated_days)
        notes.append(f"Days before the rate schedule (no rate in force, nothing due): {unrated}")
    if statement.provisional_days:
        provisional = ", ".join(day.isoformat() for day in statement.provisional_days)
        notes.append(f"Expected figure provisional: network figures not final for {provisional}")
    if statement.energy_kwh is None:
        notes.append("Energy in period: no site telemetry stored for this period")
    else:
        efficiency = statement.implied_efficiency_j_per_th
        notes.append(
            f"Energy in period: {statement.energy_kwh} kWh; implied efficiency: "
            f"{'n/a' if efficiency is None else f'{efficiency} J/TH'}"
        )
    story += [Paragraph(escape(note), styles["Normal"]) for note in notes]
    story += [
        Paragraph("Daily mined vs expected (sat)", styles["Heading3"]),
        _chart(statement),
        Paragraph("Per day", styles["Heading3"]),
        _days_table(statement),
        Paragraph("Transfers that settled this period (FIFO)", styles["Heading3"]),
        _transfers_table(statement),
    ]
    return story


def _summary_table(statement: Statement) -> Table:
    rows = [
        ("Mined (pool-reported)", statement.mined_sat),
        ("Expected (from hash-rate share)", statement.expected_sat),
        (f"Basis ({statement.basis})", statement.basis_sat),
        (f"Due at {statement.rate}", statement.due_sat),
        ("Opening balance (earlier periods unpaid)", statement.opening_balance_sat),
        ("Remitted to this period", statement.remitted_sat),
        ("Closing balance", statement.closing_balance_sat),
        ("Shortfall (deadline passed)", statement.shortfall_sat),
        ("Paid ahead (later periods / credit)", statement.paid_ahead_sat),
        ("Account balance (all periods)", statement.account_balance_sat),
    ]
    data = [["", "sat", "BTC"]] + [
        [label, f"{amount:,}", sat_to_btc_text(amount)] for label, amount in rows
    ]
    table = Table(data, colWidths=[90 * mm, 40 * mm, 40 * mm], hAlign="LEFT")
    table.setStyle(_TABLE_STYLE)
    return table


def _days_table(statement: Statement) -> Table:
    data = [["Day", "Pool", "Credited sat", "Expected sat", "Pool hash rate", "Note"]]
    for day in statement.days:
        rate = _hashrate_text(day.pool_hashrate_hs) + _source_text(day)
        for index, pool in enumerate(day.pools or ()):
            kind = "" if pool.income == "mining" else f" ({_INCOME_WORDS.get(pool.income, '')})"
            data.append(
                [
                    day.day.isoformat() if index == 0 else "",
                    pool.pool + kind,
                    f"{pool.amount_sat:,}" + ("" if pool.counted else " *"),
                    "" if index else _optional_sat(day.expected_sat),
                    "" if index else rate,
                    "" if index else str(day.missing_reason or ""),
                ]
            )
        if not day.pools:
            data.append(
                [
                    day.day.isoformat(),
                    "-",
                    "0",
                    _optional_sat(day.expected_sat),
                    rate,
                    str(day.missing_reason or ""),
                ]
            )
    table = Table(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(_TABLE_STYLE)
    table.setStyle(TableStyle([("ALIGN", (1, 1), (1, -1), "LEFT")]))
    return table


_INCOME_WORDS = {
    "mining": "mining",
    "fee_rebate": "fee rebate",
    "referral": "referral income",
    "other": "other credit",
}


def _source_text(day: StatementDay) -> str:
    """Where a day's hash rate came from, when not the pool's own daily figure."""
    if day.pool_hashrate_source in (None, "pool"):
        return ""
    coverage = day.pool_hashrate_coverage
    covered = "" if coverage is None else f", {coverage * 100:.0f} % of the day"
    return f" (samples{covered})"


def _transfers_table(statement: Statement) -> Table:
    data = [["txid:vout", "Block", "Block time", "Conf.", "Applied sat", "Output sat", "Late"]]
    data += [
        [
            f"{transfer.txid}:{transfer.vout}",
            str(transfer.block_height),
            _when(transfer.block_time),
            str(transfer.confirmations),
            f"{transfer.amount_sat:,}",
            f"{transfer.output_amount_sat:,}",
            _late(transfer.late_seconds),
        ]
        for transfer in statement.transfers
    ]
    if not statement.transfers:
        data.append(["none", "", "", "", "0", "", ""])
    table = Table(data, repeatRows=1, hAlign="LEFT")
    table.setStyle(_TABLE_STYLE)
    table.setStyle(TableStyle([("FONT", (0, 1), (0, -1), "Courier", 5.5)]))
    return table


def _late(seconds: int) -> str:
    """'-' when on time, else how late: '3 d 4 h' or '5 h'."""
    if seconds <= 0:
        return "-"
    days, rest = divmod(seconds, 86_400)
    hours = rest // 3600
    return f"{days} d {hours} h" if days else f"{max(hours, 1)} h"


def _optional_sat(amount_sat: int | None) -> str:
    return "n/a" if amount_sat is None else f"{amount_sat:,}"


_HASHRATE_UNITS = (("EH/s", Decimal("1e18")), ("PH/s", Decimal("1e15")), ("TH/s", Decimal("1e12")))


def _hashrate_text(value_hs: Decimal | None) -> str:
    if value_hs is None:
        return "n/a"
    for unit, size in _HASHRATE_UNITS:
        if value_hs >= size:
            return f"{value_hs / size:,.2f} {unit}"
    return f"{value_hs:,.0f} H/s"


def _chart(statement: Statement) -> Drawing:
    drawing = Drawing(180 * mm, 60 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 12 * mm, 8 * mm
    chart.width, chart.height = 150 * mm, 48 * mm
    # Floats here are drawing coordinates, not money.
    mined = [float(day.mined_sat) for day in statement.days] or [0.0]
    expected = [float(day.expected_sat or 0) for day in statement.days] or [0.0]
    chart.data = [mined, expected]
    chart.categoryAxis.categoryNames = [day.day.strftime("%d") for day in statement.days] or [""]
    chart.categoryAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.valueMin = 0
    chart.bars[0].fillColor = colors.HexColor("#1f77b4")
    chart.bars[1].fillColor = colors.HexColor("#ff7f0e")
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 165 * mm, 55 * mm
    legend.fontSize = 6
    legend.colorNamePairs = [
        (colors.HexColor("#1f77b4"), "mined"),
        (colors.HexColor("#ff7f0e"), "expected"),
    ]
    drawing.add(legend)
    return drawing
