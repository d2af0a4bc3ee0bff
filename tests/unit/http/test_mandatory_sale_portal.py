"""The mandatory sale on the operator's portal: the operation page's table of periods, newest
first, in the reader's language — mined, the percents in force, the share to sell, what the
exchanges' statements evidence, the shortfall (marked once overdue), the deadline and the
sales' references — from the live pass's snapshot; nothing for an operation whose terms set
no mandatory sale, and a plain refusal when its terms were refused."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from collector.accounts.mandatory_sale import OperationSales
from collector.accounts.service import AccountsService
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.http.api import AccountsApi
from collector.http.portal_pages import sale_table
from collector.store.database import open_engine
from collector.store.queries import Store
from remittance.i18n import wording
from tests.support import sale_scenario
from tests.support.portal import portal_config
from tests.support.scenario import AS_OF, populate

ZONE = "Asia/Almaty"  # the regulator's, where the operator reads the page
PAST_THE_DEADLINE = datetime(2026, 11, 20, tzinfo=UTC)  # October's sales counted until 15 Nov


async def _sales(tmp_path: Path, as_of: datetime) -> tuple[OperationSales | None, ...]:
    url = f"sqlite+aiosqlite:///{tmp_path}/reservewatch.db"
    config = load_config(portal_config(tmp_path, url, mandatory_sale=True))
    await populate(url)
    await sale_scenario.store_sales(url)
    async with Store(open_engine(config.database), FrozenClock(as_of)) as store:
        accounts = AccountsService(config, store, FrozenClock(as_of))
        await accounts.recompute()
        api = AccountsApi(config, store, accounts)
        found = api.sales("op-demo"), api.sales("op-other")
        await api.close()
    return found


async def test_the_page_shows_octobers_share_sold_and_shortfall_in_each_language(
    tmp_path: Path,
) -> None:
    sales, other = await _sales(tmp_path, AS_OF)
    assert other is None and sale_table(wording("en"), other, ZONE) == ""
    english = sale_table(wording("en"), sales, ZONE)
    assert '<table id="mandatory-sale">' in english
    october = english[english.index("<td>2026-10</td>") :].split("</tr>")[0]
    assert [cell.split(">")[-1] for cell in october.split("</td>")[:-1]] == [
        "2026-10", "3,000,005", "50\u00a0% / 75\u00a0%", "1,750,004", "1,500,000", "250,004",
        "November 15, 2026, 04:59 Asia/Almaty", "EX-1, EX-2",
    ]  # fmt: skip
    assert 'class="n due"' not in english  # not past its deadline on 12 November
    assert "Short over every period: 250,004 sat, of which past the deadline 0 sat" in english
    kazakh = sale_table(wording("kk"), sales, ZONE)
    assert "АХҚО биржаларында міндетті сату" in kazakh and "Жетіспейді, sat" in kazakh
    assert "250\u00a0004" in kazakh
    russian = sale_table(wording("ru"), sales, ZONE)
    assert "К продаже, sat" in russian and "1\u00a0750\u00a0004" in russian


async def test_a_shortfall_past_its_deadline_is_marked(tmp_path: Path) -> None:
    sales, _ = await _sales(tmp_path, PAST_THE_DEADLINE)
    page = sale_table(wording("ru"), sales, ZONE)
    assert '<td class="n due">250\u00a0004</td>' in page
    assert "из них после срока 250\u00a0004 сат" in page


def test_refused_terms_are_said_not_shown_as_figures() -> None:
    refused = OperationSales("op-demo", (), (), refused="invalid_terms")
    page = sale_table(wording("kk"), refused, ZONE)
    assert "есептелмеді" in page and "invalid_terms" in page and "<table" not in page
