"""The digital-mining fee's section of a statement's PDF, in the statement's language: for each
quarter shown, a line of its fee and where it stands, and a table of its parts (site, days,
kWh and where they were metered, the price, the rate and why, the exact fee)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.styles import ParagraphStyle, StyleSheet1
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, Table, TableStyle
from reportlab.platypus.flowables import Flowable

from remittance.fee_statement import FeeQuarterLine, FeeSection
from remittance.i18n import Wording
from remittance.mining_fee import TIYN_PER_KZT, WH_PER_KWH

_CELL = ParagraphStyle("fee-cell", fontName="DejaVuSans", fontSize=7, leading=8.5)


def N_(message: str) -> str:  # noqa: N802 - gettext's name for "mark, translate later"
    return message


WHY = {
    "band": N_("band of the price paid"),
    "own_generation": N_("own generation"),
    "own_renewable": N_("own renewable generation"),
    "no_meter": N_("no meter"),
    "telemetry": N_("telemetry"),
    "grid_meter": N_("grid operator's meter"),
    "telemetry+grid_meter": N_("telemetry and the grid operator's meter"),
    "quota_estimate": N_("no meter: power quota × hours"),
    "invoices": N_("from invoices"),  # a price's source (the configured one goes unsaid)
}


def _kzt(amount_tiyn: int | Decimal, words: Wording) -> str:
    return words.decimal(Decimal(amount_tiyn) / TIYN_PER_KZT, 2)


def fee_story(section: FeeSection, words: Wording, styles: StyleSheet1) -> list[Flowable]:
    """The section's flowables: a heading, then each quarter's line and parts."""
    _ = words.text
    story: list[Flowable] = [
        Paragraph(escape(_("Digital-mining fee (tenge per kWh, by quarter)")), styles["Heading3"])
    ]
    for quarter in section.quarters:
        story.append(
            Paragraph(escape(_quarter_text(quarter, words, section.time_zone)), styles["Normal"])
        )
        story.append(_parts_table(quarter, words))
    story.append(
        Paragraph(
            escape(
                _(
                    "Fee overdue over every quarter: {overdue} KZT; paid beyond every fee: "
                    "{credit} KZT. A quarter's fee is the exact sum of its parts, rounded half "
                    "up to a whole tiyn once.",
                    overdue=_kzt(section.overdue_tiyn, words),
                    credit=_kzt(section.credit_tiyn, words),
                )
            ),
            styles["Normal"],
        )
    )
    return story


def _quarter_text(quarter: FeeQuarterLine, words: Wording, zone: str) -> str:
    _ = words.text
    text = _(
        "{quarter} ({status}): fee {due} KZT on {energy} kWh; paid {paid} KZT (of which late "
        "{late}); unpaid {shortfall} KZT, overdue {overdue} KZT. Declaration due by {declare}, "
        "payment by {pay}.",
        quarter=quarter.quarter,
        status=_("ended") if quarter.ended else _("not ended: as metered so far"),
        due=_kzt(quarter.due_tiyn, words),
        energy=words.number(quarter.energy_kwh),
        paid=_kzt(quarter.paid_tiyn, words),
        late=_kzt(quarter.paid_late_tiyn, words),
        shortfall=_kzt(quarter.shortfall_tiyn, words),
        overdue=_kzt(quarter.overdue_tiyn, words),
        declare=words.instant(quarter.declaration_deadline - timedelta(seconds=1), zone),
        pay=words.instant(quarter.payment_deadline - timedelta(seconds=1), zone),
    )
    if quarter.missing_sites:
        text += " " + _(
            "No price configured, left out: {sites}.", sites=", ".join(quarter.missing_sites)
        )
    return text


def _parts_table(quarter: FeeQuarterLine, words: Wording) -> Table:
    _ = words.text
    data: list[list[str | Paragraph]] = [
        [_("Site"), _("Days"), "kWh", _("Metered by"), _("Price, KZT/kWh"),
         _("Rate, KZT/kWh"), _("Why"), _("Fee, KZT")]
    ]  # fmt: skip
    for part in quarter.parts:
        price = part.price_tiyn_per_kwh
        fee = Decimal(part.fee_millitiyn.numerator) / part.fee_millitiyn.denominator / WH_PER_KWH
        data.append(
            [
                part.site_id,
                f"{part.start.isoformat()} – {(part.end - timedelta(days=1)).isoformat()}",
                words.number(part.energy_kwh),
                _(WHY.get(part.energy_source, part.energy_source)),
                "" if price is None else _price_text(price, part.price_source, words),
                words.decimal(Decimal(part.rate_tiyn) / TIYN_PER_KZT, 2),
                _(WHY.get(part.reason, part.reason)),
                words.decimal(fee / TIYN_PER_KZT, 5),
            ]
        )
    if not quarter.parts:
        data.append([_("none"), "", "0", "", "", "", "", "0"])
    cells = [[Paragraph(escape(text), _CELL) for text in row] for row in data]
    widths = [w * mm for w in (16, 24, 20, 22, 17, 17, 28, 26)]  # 170 mm: the page's width
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 3),
                ("RIGHTPADDING", (0, 0), (-1, -1), 3),
            ]
        )
    )
    return table


def _price_text(price_tiyn: Decimal, source: str, words: Wording) -> str:
    """The average price per kWh in tenge (invoices' to a hundredth of a tiyn, as computed),
    and "from invoices" where they gave it."""
    price = words.decimal(price_tiyn / TIYN_PER_KZT, 4 if source == "invoices" else 2)
    return f"{price} {words.text(WHY[source])}" if source == "invoices" else price
