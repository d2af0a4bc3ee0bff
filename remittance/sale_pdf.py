"""The mandatory sale's section of a statement's PDF, in the statement's language: for each
period shown, a line of what was mined, the share to sell, what the exchanges' statements
evidence and the shortfall; then the operation's shortfall over every period."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from xml.sax.saxutils import escape

from reportlab.lib.styles import StyleSheet1
from reportlab.platypus import Paragraph
from reportlab.platypus.flowables import Flowable

from remittance.i18n import Wording
from remittance.mandatory_sale import PeriodSale
from remittance.sale_statement import SaleSection


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


def totals_text(words: Wording, shortfall_sat: int, overdue_sat: int) -> str:
    """The operation's shortfall over every period and the rule, in ``words``' language (the
    statement's PDF and the portal's page say it alike)."""
    return words.text(
        "Short over every period: {shortfall} sat, of which past the deadline {overdue} sat. "
        "A period's share is each day's mined satoshis times that day's percent, summed and "
        "rounded half up to a whole satoshi once; the percents and the deadline are the "
        "operation's terms (unconfirmed in law).",
        shortfall=words.sat(shortfall_sat),
        overdue=words.sat(overdue_sat),
    )


def percents_text(words: Wording, percents: tuple[Decimal, ...]) -> str:
    """A period's percents in force, in order: ``50 % / 75 %``."""
    return " / ".join(words.percent(p / Decimal(100)) for p in percents)


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
