"""A statement as a signed PDF that reads like a bank statement.

Layout: a header (operation, licence, period, deadline, as of), a summary table, flags and
missing days, a bar chart of daily mined vs expected satoshis (reportlab.graphics), the
per-day table, the transfers that settled this period, energy, and on every page a footer with
the statement's SHA-256, the Ed25519 signature and the key id. How the signature covers the
file is explained in `remittance.signing`. A4 pages; every label, flag, note and date in the
statement's language (:mod:`remittance.i18n`: Kazakh, Russian or English), amounts with that
language's separators, text in DejaVu Sans (Unicode); the footer stays ASCII.
"""

from __future__ import annotations

import io
from collections.abc import Container
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from reportlab.graphics.charts.barcharts import VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, StyleSheet1, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from remittance.fee_pdf import fee_story
from remittance.i18n import Wording, wording
from remittance.journal import journal_notes
from remittance.money import SAT_PER_BTC
from remittance.pool_report_pdf import section_story
from remittance.sale_pdf import sale_story
from remittance.signing import (
    PDF_DIGEST_LABEL,
    PDF_KEY_LABEL,
    PDF_SIGNATURE_LABEL,
    PDF_SIGNATURE_PLACEHOLDER,
    key_id,
    sign_pdf_placeholders,
)
from remittance.statement import Statement, StatementDay
from remittance.statement_json import statement_sha256

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
        ("ALIGN", (1, 0), (-1, -1), "RIGHT"),  # numbers and their headers right-aligned
        ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.HexColor("#f2f2f2")]),
        ("TOPPADDING", (0, 0), (-1, -1), 1),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1),
    ]
)


def _document(statement: Statement, buffer: io.BytesIO, words: Wording) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=15 * mm,
        rightMargin=15 * mm,
        topMargin=15 * mm,
        bottomMargin=22 * mm,
        title=f"{words.text('Reserve remittance statement')} {statement.operation_id} "
        f"{statement.period_label}",
        author="reservewatch",
        subject=f"statement sha256 {statement_sha256(statement)}",
        invariant=1,  # no creation date or random document id: same statement, same bytes
        pageCompression=0,  # the signature placeholder must be findable in the raw bytes
    )


def draw_signature_footer(canvas: Canvas, digest_line: str, footer_key_id: str, page: str) -> None:
    """A signed document's footer: its digest, the signature placeholder (``signing`` writes
    the signature into it) with the key id, and the page number."""
    canvas.saveState()
    canvas.setFont("Helvetica", 6.5)
    canvas.drawString(15 * mm, 14 * mm, digest_line)
    canvas.drawString(
        15 * mm,
        10 * mm,
        f"{PDF_SIGNATURE_LABEL}{PDF_SIGNATURE_PLACEHOLDER}  {PDF_KEY_LABEL}{footer_key_id}",
    )
    canvas.setFont(BODY_FONT, 6.5)
    canvas.drawRightString(195 * mm, 6 * mm, page)
    canvas.restoreState()


def render_signed_pdf(
    statement: Statement, private_key: Ed25519PrivateKey, language: str = "en"
) -> bytes:
    """The statement as a PDF in `language` (en, kk, ru), signed with `private_key`;
    `signing.verify` checks it."""
    words = wording(language)
    buffer = io.BytesIO()
    document = _document(statement, buffer, words)
    footer_key_id = key_id(private_key.public_key())
    digest = statement_sha256(statement)

    def draw_footer(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        draw_signature_footer(
            canvas,
            f"{PDF_DIGEST_LABEL}{digest}",
            footer_key_id,
            words.text("page {page}", page=doc.page),
        )

    document.build(_story(statement, words), onFirstPage=draw_footer, onLaterPages=draw_footer)
    return sign_pdf_placeholders(buffer.getvalue(), private_key)


PROJECTION_MARK = "PROJECTION - figures as of a future instant; not a statement, not signed"


def render_projection_pdf(statement: Statement, language: str = "en") -> bytes:
    """A statement as of a future instant, as a PDF marked as a projection on every page,
    and never signed: what would be owed if nothing else arrived."""
    words = wording(language)
    buffer = io.BytesIO()
    document = _document(statement, buffer, words)

    def draw_mark(canvas: Canvas, doc: SimpleDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(BOLD_FONT, 9)
        canvas.setFillColor(colors.HexColor("#b00020"))
        canvas.drawString(15 * mm, 287 * mm, words.text(PROJECTION_MARK))
        canvas.drawString(15 * mm, 12 * mm, words.text(PROJECTION_MARK))
        canvas.setFont(BODY_FONT, 6.5)
        canvas.setFillColor(colors.black)
        canvas.drawRightString(195 * mm, 6 * mm, words.text("page {page}", page=doc.page))
        canvas.restoreState()

    document.build(_story(statement, words), onFirstPage=draw_mark, onLaterPages=draw_mark)
    return buffer.getvalue()


def _styles() -> StyleSheet1:
    """reportlab's sample styles in the statement's Unicode face."""
    styles = getSampleStyleSheet()
    for name in ("Title", "Normal", "Heading3"):
        style = styles[name]
        style.fontName = BOLD_FONT if name != "Normal" else BODY_FONT
    return styles


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    """Marks an English msgid for the catalogues (Babel extracts it); translated when shown."""
    return message


IDENTIFIER_WORDS = {
    # flags
    "reported_below_expected": N_("reported earnings below the expected figure"),
    "expected_incomplete": N_("expected figure incomplete (days without data)"),
    "expected_missing_days_reported": N_(
        "the basis counts the reported earnings on days without an expected figure"
    ),
    "expected_provisional": N_("expected figure provisional (network figures not final)"),
    "no_rate_in_force": N_("no rate in force on some days"),
    "rate_changed": N_("the rate changed during the period"),
    "clawback": N_("a pool took back earlier credits"),
    "clawback_carried": N_("an earlier period's clawback was taken off this due"),
    "shortfall": N_("shortfall: the deadline has passed with an amount unpaid"),
    "paid_late": N_("paid late: a transfer arrived after the deadline"),
    "terms_from_file": N_(
        "terms as the configuration file gave them at issue: none were recorded by this instant"
    ),
    # kinds of pool credit
    "mining": N_("mining"),
    "fee_rebate": N_("fee rebate"),
    "referral": N_("referral income"),
    "other": N_("other credit"),
    # why a day adds nothing to the expected figure
    "no_network_data": N_("no network data"),
    "no_pool_hashrate": N_("no pool hash rate"),
    "low_hashrate_coverage": N_("too few hash-rate samples"),
    "network_hashrate_zero": N_("network hash rate zero"),
    "invalid_hashrate": N_("invalid hash rate"),
    "pool_publishes_no_history": N_("the pool publishes no past hash rate"),
}
"""The statement's identifiers (flags, income kinds, missing-day reasons) as a reader says
them."""


def in_words(identifier: str | None, words: Wording) -> str:
    """An identifier as a reader would say it: ``reported_below_expected`` → "reported
    earnings below the expected figure"; one not listed is shown with spaces; None is ''."""
    if identifier is None:
        return ""
    message = IDENTIFIER_WORDS.get(identifier)
    return words.text(message) if message else identifier.replace("_", " ")


def basis_words(statement: Statement, words: Wording) -> str:
    """The rate and what it is a share of: "15 % of reported earnings"."""
    _ = words.text
    rate = words.percent(statement.rate)
    phrases = {
        "reported": _("{rate} of reported earnings", rate=rate),
        "expected": _("{rate} of expected earnings (from the hash-rate share)", rate=rate),
        "greater": _("{rate} of reported or expected earnings, whichever is greater", rate=rate),
    }
    return phrases[str(statement.basis)]


def _deadline(statement: Statement, words: Wording) -> str:
    """The deadline in the regulator's zone, and in UTC beside it when that zone is another."""
    local = words.instant(statement.deadline, statement.deadline_timezone)
    if statement.deadline_timezone == "UTC":
        return local
    return f"{local} ({words.instant(statement.deadline, 'UTC')})"


def _story(statement: Statement, words: Wording) -> list[Flowable]:
    _ = words.text
    styles = _styles()
    status = _("open (period not finished)") if statement.is_open else _("closed")
    last_day = statement.period_end - timedelta(days=1)
    header = [
        (_("Operation"), f"{statement.operation_name} ({statement.operation_id})"),
        (_("Licence"), statement.licence),
        (
            _("Period"),
            _(
                "{label}: {first} to {last} (whole UTC mining days, as pools account), {status}",
                label=statement.period_label,
                first=words.day(statement.period_start),
                last=words.day(last_day),
                status=status,
            ),
        ),
        (_("Payment deadline"), _deadline(statement, words)),
        (_("As of"), words.instant(statement.as_of, statement.deadline_timezone)),
        (_("Rate"), basis_words(statement, words)),
        (
            _("Overdue"),
            _late(statement.overdue_seconds, words) if statement.overdue_seconds else _("no"),
        ),
    ]
    story: list[Flowable] = [
        Paragraph(escape(_("Reserve remittance statement")), styles["Title"]),
        *(
            Paragraph(f"<b>{escape(label)}:</b> {escape(value)}", styles["Normal"])
            for label, value in header
        ),
        Spacer(1, 4 * mm),
        Paragraph(escape(_("Summary")), styles["Heading3"]),
        _summary_table(statement, words),
    ]
    story += [Paragraph(escape(note), styles["Normal"]) for note in _notes(statement, words)]
    story += [
        Paragraph(escape(_("Daily mined vs expected (BTC)")), styles["Heading3"]),
        _chart(statement, words),
        Paragraph(escape(_("Per day")), styles["Heading3"]),
        _days_table(statement, words),
        Paragraph(escape(_("Transfers that settled this period (FIFO)")), styles["Heading3"]),
        _transfers_table(statement, words),
    ]
    if statement.mining_fee is not None:
        story += fee_story(statement.mining_fee, words, styles)
    if statement.pool_reports:
        story += section_story(statement.pool_reports, words, styles)
    if statement.mandatory_sale is not None:
        story += sale_story(statement.mandatory_sale, words, styles)
    return story


def _notes(statement: Statement, words: Wording) -> list[str]:
    _ = words.text
    flags = "; ".join(in_words(flag, words) for flag in statement.flags) or _("none")
    notes = [_("Flags: {flags}", flags=flags)]
    if statement.missing_days:
        missing = ", ".join(
            f"{day.day.isoformat()} ({in_words(day.missing_reason, words)})"
            for day in statement.missing_days
        )
        notes.append(_("Days without data for the expected figure (counted as 0): {days}",
                       days=missing))  # fmt: skip
    for item in statement.restatements:
        revised = "; ".join(
            f"{r.input}: {_optional_sat(r.old, words)} → {_optional_sat(r.new, words)}"
            for r in item.inputs
        )
        notes.append(
            _(
                "Restated: {period} was issued as of {issued} with {issued_due} sat due; it is "
                "now {due} sat ({delta} sat). Revised inputs: {inputs}",
                period=item.period_label,
                issued=words.instant(item.issued_as_of, statement.deadline_timezone),
                issued_due=words.sat(item.issued_due_sat),
                due=words.sat(item.due_sat),
                delta=("+" if item.delta_sat > 0 else "") + words.sat(item.delta_sat),
                inputs=revised or _("none listed"),
            )
        )
    for tranche in statement.assessed_later:
        notes.append(
            _(
                "Assessed after the deadline: {amount} sat, first known {assessed}, is due by "
                "{deadline} (its assessment + the period's due days), not by the period's "
                "deadline",
                amount=words.sat(tranche.amount_sat),
                assessed=words.instant(tranche.assessed_at, statement.deadline_timezone),
                deadline=words.instant(tranche.deadline, statement.deadline_timezone),
            )
        )
    if any(line.income != "mining" for line in statement.income):
        uncounted = " (" + _("not counted in mined") + ")"
        kinds = ", ".join(
            f"{in_words(line.income, words)} {words.sat(line.amount_sat)} sat"
            + ("" if line.counted else uncounted)
            for line in statement.income
        )
        notes.append(_("Pool credits by kind: {kinds}; a credit not counted is marked * per day",
                       kinds=kinds))  # fmt: skip
    sampled = [day for day in statement.days if day.pool_hashrate_source not in (None, "pool")]
    if sampled:
        notes.append(
            _(
                "Hash rate averaged from the collector's own samples of the pool (the pool "
                "publishes no daily figure) on {sampled} of {days} days; each day's coverage "
                "is in the table",
                sampled=len(sampled),
                days=len(statement.days),
            )
        )
    if statement.unrated_days:
        unrated = ", ".join(day.isoformat() for day in statement.unrated_days)
        notes.append(_("Days before the rate schedule (no rate in force, nothing due): {days}",
                       days=unrated))  # fmt: skip
    if statement.provisional_days:
        provisional = ", ".join(day.isoformat() for day in statement.provisional_days)
        notes.append(_("Expected figure provisional: network figures not final for {days}",
                       days=provisional))  # fmt: skip
    notes.extend(journal_notes(statement.journal, words, statement.deadline_timezone))
    if statement.energy_kwh is None:
        notes.append(_("Energy in period: no site telemetry stored for this period"))
    else:
        efficiency = statement.implied_efficiency_j_per_th
        notes.append(
            _(
                "Energy in period: {energy} kWh; implied efficiency: {efficiency}",
                energy=words.number(statement.energy_kwh),
                efficiency=_("n/a") if efficiency is None else f"{words.decimal(efficiency)} J/TH",
            )
        )
    return notes


def _summary_table(statement: Statement, words: Wording) -> Table:
    _ = words.text
    rows = [
        (_("Mined (pool-reported)"), statement.mined_sat),
        (_("Expected (from hash-rate share)"), statement.expected_sat),
        (_("Basis of the obligation"), statement.basis_sat),
        (_("Due ({rate})", rate=words.percent(statement.rate)), statement.due_sat),
        *(
            [(_("Written off (regulator's journal)"), statement.written_off_sat)]
            if statement.written_off_sat
            else []
        ),
        (_("Opening balance (earlier periods unpaid)"), statement.opening_balance_sat),
        (_("Remitted to this period"), statement.remitted_sat),
        (_("Closing balance"), statement.closing_balance_sat),
        (_("Shortfall (deadline passed)"), statement.shortfall_sat),
        (_("Paid ahead (later periods / credit)"), statement.paid_ahead_sat),
        (_("Account balance (all periods)"), statement.account_balance_sat),
    ]
    data = [["", "sat", "BTC"]] + [
        [label, words.sat(amount), words.btc(amount)] for label, amount in rows
    ]
    table = Table(data, colWidths=[96 * mm, 40 * mm, 40 * mm], hAlign="LEFT")  # _TABLE_WIDTH
    table.setStyle(_TABLE_STYLE)
    return table


def _days_table(statement: Statement, words: Wording) -> Table:
    _ = words.text
    data: list[list[str | Paragraph]] = [
        _header_row([_("Day"), _("Pool"), _("Credited, sat"), _("Expected, sat"),
                     _("Pool hash rate"), _("Note")], numbers=range(2, 4))
    ]  # fmt: skip
    for day in statement.days:
        rate = _cell(_hashrate_text(day.pool_hashrate_hs, words) + _source_text(day, words))
        note = _cell(in_words(day.missing_reason, words))
        for index, pool in enumerate(day.pools or ()):
            kind = "" if pool.income == "mining" else f" ({in_words(pool.income, words)})"
            data.append(
                [
                    day.day.isoformat() if index == 0 else "",
                    _cell(pool.pool + kind),
                    words.sat(pool.amount_sat) + ("" if pool.counted else " *"),
                    "" if index else _optional_sat(day.expected_sat, words),
                    "" if index else rate,
                    "" if index else note,
                ]
            )
        if not day.pools:
            data.append(
                [
                    day.day.isoformat(),
                    "-",
                    "0",
                    _optional_sat(day.expected_sat, words),
                    rate,
                    note,
                ]
            )
    table = Table(data, colWidths=_column_widths(20, 28, 24, 24, 36), repeatRows=1, hAlign="LEFT")
    table.setStyle(_TABLE_STYLE)
    table.setStyle(_NARROW_CELLS)
    table.setStyle(TableStyle([("ALIGN", (0, 0), (1, -1), "LEFT"), ("ALIGN", (5, 0), (5, -1),
                                "LEFT")]))  # fmt: skip
    return table


_CELL = ParagraphStyle("cell", fontName=BODY_FONT, fontSize=8, leading=9.5)
_HEADER_CELL = ParagraphStyle("header-cell", parent=_CELL, fontName=BOLD_FONT)
_NUMBER_HEADER_CELL = ParagraphStyle("number-header-cell", parent=_HEADER_CELL, alignment=TA_RIGHT)
_TXID_CELL = ParagraphStyle("txid", parent=_CELL, fontName="Courier", fontSize=5.5, leading=6.5)
"""Table cells that wrap inside their column (a table's columns have set widths, so that
the widest table, the transfers', ends inside the A4 page in every language): text in the
body face, headers in bold (right-aligned over numbers), a txid in Courier on two lines."""


_TABLE_WIDTH = 176 * mm
"""The widest a table can be: A4 less the 15 mm margins and the frame's 6 pt either side."""
_NARROW_CELLS = TableStyle(
    [
        ("LEFTPADDING", (0, 0), (-1, -1), 4),
        ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("VALIGN", (0, 1), (-1, -1), "MIDDLE"),
    ]
)
"""The per-day and transfers tables: 4 pt either side of a cell (their widest words fit their
columns in kk, ru and en), headers on their bottom line, a row's cells centred on its
tallest (a txid's two lines, a time wrapped)."""


def _column_widths(*millimetres: int) -> list[float]:
    """Columns of these widths (mm), and a last one taking the rest of :data:`_TABLE_WIDTH`."""
    widths = [width * mm for width in millimetres]
    return [*widths, _TABLE_WIDTH - sum(widths)]


def _cell(text: str, style: ParagraphStyle = _CELL) -> Paragraph:
    """``text`` as a cell that wraps at spaces (a word longer than its column is split)."""
    return Paragraph(escape(text), style)


def _header_row(labels: list[str], numbers: Container[int]) -> list[str | Paragraph]:
    """A table's header: each label wraps inside its column; the ``numbers`` columns' labels
    end at the right, over their numbers."""
    return [
        _cell(label, _NUMBER_HEADER_CELL if index in numbers else _HEADER_CELL)
        for index, label in enumerate(labels)
    ]


def _txid_cell(txid: str, vout: int) -> Paragraph:
    """``txid:vout`` whole, on two lines (a 64-hex txid in one line is wider than a column
    can be): the first half, then the second half and the output's index."""
    half = (len(txid) + 1) // 2
    return Paragraph(f"{escape(txid[:half])}<br/>{escape(txid[half:])}:{vout}", _TXID_CELL)


def _source_text(day: StatementDay, words: Wording) -> str:
    """Where a day's hash rate came from, when not the pool's own daily figure."""
    if day.pool_hashrate_source in (None, "pool"):
        return ""
    coverage = day.pool_hashrate_coverage
    if coverage is None:
        return " (" + words.text("samples") + ")"
    share = words.percent(coverage)
    return " (" + words.text("samples, {share} of the day", share=share) + ")"


def _transfers_table(statement: Statement, words: Wording) -> Table:
    _ = words.text
    data: list[list[str | Paragraph]] = [
        _header_row(["txid:vout", _("Block"), _("Block time"), _("Conf."), _("Applied, sat"),
                     _("Output, sat"), _("Late")], numbers=(1, 3, 4, 5))
    ]  # fmt: skip
    data += [
        [
            _txid_cell(transfer.txid, transfer.vout),
            str(transfer.block_height),
            _cell(f"{transfer.block_time:%Y-%m-%d %H:%M} UTC"),
            str(transfer.confirmations),
            words.sat(transfer.amount_sat),
            words.sat(transfer.output_amount_sat),
            _cell(_late(transfer.late_seconds, words)),
        ]
        for transfer in statement.transfers
    ]
    if not statement.transfers:
        data.append([_("none"), "", "", "", "0", "", ""])
    widths = _column_widths(46, 15, 22, 14, 26, 26)
    table = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(_TABLE_STYLE)
    table.setStyle(_NARROW_CELLS)
    table.setStyle(TableStyle([("ALIGN", (0, 0), (0, -1), "LEFT"),
                               ("LEFTPADDING", (0, 0), (0, -1), 3),
                               ("RIGHTPADDING", (0, 0), (0, -1), 3)]))  # fmt: skip
    return table


def _late(seconds: int, words: Wording) -> str:
    """'-' when on time, else how late: '3 d 4 h' or '5 h' (in the statement's language)."""
    if seconds <= 0:
        return "-"
    days, rest = divmod(seconds, 86_400)
    hours = rest // 3600
    if days:
        return words.text("{days} d {hours} h", days=days, hours=hours)
    return words.text("{hours} h", hours=max(hours, 1))


def _optional_sat(amount_sat: int | str | None, words: Wording) -> str:
    if isinstance(amount_sat, str):
        return amount_sat  # a revised term, as written in the configuration
    return words.text("n/a") if amount_sat is None else words.sat(amount_sat)


_HASHRATE_UNITS = (("EH/s", Decimal("1e18")), ("PH/s", Decimal("1e15")), ("TH/s", Decimal("1e12")))


def _hashrate_text(value_hs: Decimal | None, words: Wording) -> str:
    if value_hs is None:
        return words.text("n/a")
    for unit, size in _HASHRATE_UNITS:
        if value_hs >= size:
            return f"{words.decimal(value_hs / size)} {unit}"
    return f"{words.decimal(value_hs, 0)} H/s"


def _chart(statement: Statement, words: Wording) -> Drawing:
    drawing = Drawing(180 * mm, 60 * mm)
    chart = VerticalBarChart()
    chart.x, chart.y = 20 * mm, 8 * mm
    chart.width, chart.height = 140 * mm, 48 * mm
    # Floats here are drawing coordinates (sat), not money; the ticks are written in BTC.
    mined = [float(day.mined_sat) for day in statement.days] or [0.0]
    expected = [float(day.expected_sat or 0) for day in statement.days] or [0.0]
    chart.data = [mined, expected]
    chart.categoryAxis.categoryNames = [day.day.strftime("%d") for day in statement.days] or [""]
    chart.categoryAxis.labels.fontSize = 6
    chart.categoryAxis.labels.fontName = BODY_FONT
    chart.valueAxis.labels.fontSize = 6
    chart.valueAxis.labels.fontName = BODY_FONT
    chart.valueAxis.valueMin = 0
    chart.valueAxis.labelTextFormat = lambda value_sat: words.btc_axis(
        Decimal(round(value_sat)) / SAT_PER_BTC
    )
    chart.bars[0].fillColor = colors.HexColor("#1f77b4")
    chart.bars[1].fillColor = colors.HexColor("#ff7f0e")
    drawing.add(chart)
    legend = Legend()
    legend.x, legend.y = 163 * mm, 55 * mm
    legend.fontSize = 6
    legend.fontName = BODY_FONT
    legend.colorNamePairs = [
        (colors.HexColor("#1f77b4"), words.text("mined")),
        (colors.HexColor("#ff7f0e"), words.text("expected")),
    ]
    drawing.add(legend)
    return drawing
