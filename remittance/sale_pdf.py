"""The mandatory sale's section of a statement's PDF, in the statement's language: for each
period shown, a line of what was mined, the share to sell, what the exchanges' statements
evidence and the shortfall; then the operation's shortfall over every period."""

from __future__ import annotations

from datetime import timedelta
from xml.sax.saxutils import escape

from reportlab.lib.styles import StyleSheet1
from reportlab.platypus import Paragraph
from reportlab.platypus.flowables import Flowable

from remittance.i18n import Wording
from remittance.mandatory_sale import PeriodSale
from remittance.sale_statement import SaleSection, percents_text, totals_text


def sale_story(section: SaleSection, words: Wording, styles: StyleSheet1) -> list[Flowable]:
    """The section's flowables: a heading, each period's line, the totals and the rule."""
    _ = words.text
    story: list[Flowable] = [
        Paragraph(
            escape(_("Mandatory sale on AIFC exchanges (share of the mined coins, by period)")),
            styles["Heading3"],
        )
    ]
    story += [
        Paragraph(escape(_period_text(period, words)), styles["Normal"])
        for period in section.periods
    ]
    story.append(
        Paragraph(
            escape(totals_text(words, section.shortfall_sat, section.overdue_sat)),
            styles["Normal"],
        )
    )
    return story


def _period_text(period: PeriodSale, words: Wording) -> str:
    _ = words.text
    return _(
        "{period}: mined {mined} sat; at {percents} to sell {required} sat; sold {sold} sat "
        "({sales}); short {shortfall} sat. Sales count until {deadline}: {status}.",
        period=period.label,
        mined=words.sat(period.mined_sat),
        percents=percents_text(words, period.percents),
        required=words.sat(period.required_sat),
        sold=words.sat(period.sold_sat),
        sales=", ".join(period.sales) or _("none"),
        shortfall=words.sat(period.shortfall_sat),
        deadline=words.instant(period.deadline - timedelta(seconds=1), "UTC"),
        status=_("overdue") if period.overdue else _("not overdue"),
    )
