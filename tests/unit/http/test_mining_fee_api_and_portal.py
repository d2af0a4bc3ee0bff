"""The fee in the live pass's answers: the API's balance carries each quarter's fee and where it
stands, its statements the fee's section, and the portal's operation page a table of the
quarters in the reader's language — all from the one snapshot the pass made."""

from __future__ import annotations

import json
from pathlib import Path

from collector.accounts.service import AccountsService
from collector.clock import FrozenClock
from collector.config.load import load_config
from collector.http.api import AccountsApi
from collector.http.portal_pages import fee_table
from collector.store.database import open_engine
from collector.store.queries import Store
from remittance.i18n import wording
from tests.support import fee_scenario as example
from tests.support.scenario import database_url


async def test_the_balance_statement_and_portal_state_the_overdue_fee(tmp_path: Path) -> None:
    path = example.write_fee_config(tmp_path)
    await example.populate_fee(database_url(path))
    config = load_config(path)
    async with Store(open_engine(config.database), FrozenClock(example.AS_OF)) as store:
        accounts = AccountsService(config, store, FrozenClock(example.AS_OF))
        await accounts.recompute()
        api = AccountsApi(config, store, accounts)
        balance = await api.balance("op-demo")
        statement = json.loads(await api.statement("op-demo", "2026-03", "json"))
        other = await api.balance("op-other")  # no site owing the fee: no mining_fee
        await api.close()
    fee = balance["mining_fee"]
    assert isinstance(fee, dict)
    assert fee["overdue_tiyn"] == 66_850_715
    assert next((q["quarter"], q["due_tiyn"], q["overdue_tiyn"]) for q in fee["quarters"]) == (
        "2026-Q1",
        366_850_715,
        66_850_715,
    )
    assert statement["statement"]["mining_fee"]["overdue_kzt"] == "668507.15"
    assert "mining_fee" not in other
    page = fee_table(wording("ru"), api.fees("op-demo"), "Asia/Almaty")
    assert "Просрочено, KZT" in page
    assert "668\u00a0507,15" in page
    assert "25 мая 2026\u202fг., 23:59 Asia/Almaty" in page  # the end of the 25th
    assert fee_table(wording("en"), None, "UTC") == ""
