"""The pools' reports reconciled, as a section of the statement's PDF (the section's
figures, words and findings are :mod:`remittance.pool_report_statement`'s)."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Spacer, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from remittance.i18n import Wording
from remittance.pool_report_statement import finding_text, findings_list
from remittance.pool_reports import Reconciliation

_CELL = ParagraphStyle("pool-report-cell", fontName="DejaVuSans", fontSize=7, leading=8.5)


def section_story(
    months: Sequence[Reconciliation], words: Wording, styles: StyleSheet1
) -> list[Flowable]:
    """A heading, a table of the months, and a line per finding."""
    _ = words.text
    story: list[Flowable] = [
        Paragraph(escape(_("Pools' reports to the tax authority, reconciled")), styles["Heading3"])
    ]
    data = [[_("Pool"), _("Month"), _("Report, sat"), _("Pool's API, sat"), _("Chain, sat")]]
    for m in months:
        chain = m.readings.chain_sat
        data.append(
            [m.pool, f"{m.month:%Y-%m}", words.sat(m.readings.report_sat),
             words.sat(m.readings.api_sat),
             _("not observable") if chain is None else words.sat(chain)]
        )  # fmt: skip
    cells = [[Paragraph(escape(text), _CELL) for text in row] for row in data]
    table = Table(cells, colWidths=[w * mm for w in (30, 20, 40, 40, 40)], hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
            ]
        )
    )
    story += [table, Spacer(1, 2 * mm)]
    story += [
        Paragraph(escape(finding_text(f, words)), styles["Normal"]) for f in findings_list(months)
    ]
    return story
