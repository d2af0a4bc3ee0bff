"""The operators' portal in a real browser: sign in, read the balance, download a statement
and verify it, be refused another operation; the regulator sees every operation. On SQLite
and PostgreSQL.

Set RESERVEWATCH_SCREENSHOTS=docs to write the README's screenshots into docs/img/.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from remittance.i18n import wording
from remittance.signing import load_public_key, verify
from tests.support.portal import KAZAKH_NAME, PortalServer, portal_server
from tests.support.scenario import TOKENS

pytestmark = [pytest.mark.integration, pytest.mark.browser]

DOCS = Path(__file__).resolve().parents[2] / "docs" / "img"


@pytest.fixture
async def portal(tmp_path: Path, database_url: str) -> AsyncIterator[PortalServer]:
    async with portal_server(tmp_path, database_url) as server:
        yield server


async def sign_in(page: Any, portal: PortalServer, token: str) -> None:
    await page.goto(f"{portal.url}/portal/login")
    await page.fill("#token", token)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{portal.url}/portal/")


def read_bytes(path: Path) -> bytes:
    return path.read_bytes()


def keep_screenshot(path: Path) -> None:
    if os.environ.get("RESERVEWATCH_SCREENSHOTS") == "docs":
        shutil.copy(path, DOCS / path.name)


async def test_an_operator_signs_in_reads_its_balance_and_verifies_a_statement(
    portal: PortalServer, browser_context: Any, tmp_path: Path
) -> None:
    page = await browser_context.new_page()
    await page.goto(f"{portal.url}/portal/login")
    assert await page.get_attribute("html", "lang") == "kk"
    await page.screenshot(path=str(tmp_path / "portal-login.png"))
    await sign_in(page, portal, TOKENS["op-demo"])

    assert KAZAKH_NAME in await page.inner_text("main")
    await page.click(f"text={KAZAKH_NAME}")
    await page.wait_for_url(f"{portal.url}/portal/op/op-demo")
    kazakh = wording("kk")
    assert await page.inner_text("#balance") == f"{kazakh.btc(100_001)} BTC"
    assert await page.inner_text("#shortfall") == f"{kazakh.btc(100_001)} BTC"
    assert "Қалдық" in await page.inner_text("main")  # "Balance", in Kazakh
    assert await page.inner_text("#address") == portal.config.operations[0].reserve_addresses[0]
    uri = await page.inner_text("#uri")
    assert uri.startswith(f"bitcoin:{portal.config.operations[0].reserve_addresses[0]}?")
    assert "amount=0.00100001&label=" in uri
    assert await page.locator("#qr svg").count() == 1
    await page.screenshot(path=str(tmp_path / "portal-operation.png"), full_page=True)
    keep_screenshot(tmp_path / "portal-operation.png")

    shown = await page.inner_text('code.sha256[data-period="2026-10"]')
    public_key = load_public_key(portal.public_key.read_bytes())
    for fmt in ("pdf", "json", "csv"):
        async with page.expect_download() as download_info:
            await page.click(f'a[href="/portal/op/op-demo/statements/2026-10.{fmt}"]')
        download = await download_info.value
        assert download.suggested_filename == f"op-demo-2026-10.{fmt}"
        document = read_bytes(await download.path())
        verified = verify(document, public_key)
        assert (verified.kind, verified.statement_sha256) == (fmt, shown)

    response = await page.goto(f"{portal.url}/portal/op/op-other")
    assert response is not None and response.status == 403
    assert "рұқсатыңыз жоқ" in await page.inner_text("main")  # "you may not read", in Kazakh


async def test_the_session_cookie_is_httponly_strict_and_expires(
    portal: PortalServer, browser_context: Any
) -> None:
    page = await browser_context.new_page()
    await sign_in(page, portal, TOKENS["op-demo"])
    (cookie,) = [c for c in await browser_context.cookies() if c["name"].endswith("session")]
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # no TLS configured here; Secure whenever TLS is on
    assert cookie["expires"] > 0  # a persistent cookie with an end, not a browser session's
    assert await page.evaluate("document.cookie") == ""  # scripts cannot read it

    await page.click("form[action='/portal/logout'] button")
    await page.wait_for_url(f"{portal.url}/portal/login")
    await page.goto(f"{portal.url}/portal/")
    assert page.url == f"{portal.url}/portal/login"


async def test_the_regulator_sees_every_operation(
    portal: PortalServer, browser_context: Any, tmp_path: Path
) -> None:
    page = await browser_context.new_page()
    await sign_in(page, portal, TOKENS["regulator"])
    listed = await page.inner_text("main")
    assert KAZAKH_NAME in listed and "Other Mining JSC" in listed
    await page.screenshot(path=str(tmp_path / "portal-operations.png"))
    keep_screenshot(tmp_path / "portal-operations.png")
    response = await page.goto(f"{portal.url}/portal/op/op-other")
    assert response is not None and response.status == 200
    assert "Остаток" in await page.inner_text("main")  # op-other's page is in Russian


async def test_on_a_phone_the_pages_fit_and_the_language_is_chosen_by_a_link(
    portal: PortalServer, phone_context: Any, tmp_path: Path
) -> None:
    """No viewport meta: a phone laid the page out 634 px wide. The language was the
    operation's, with no choice (issue 30, item 9)."""
    page = await phone_context.new_page()
    await sign_in(page, portal, TOKENS["op-demo"])
    await page.goto(f"{portal.url}/portal/op/op-demo")
    assert await page.get_attribute("html", "lang") == "kk"  # the operation's language
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.click('nav.lang a[hreflang="ru"]')
    await page.wait_for_url(f"{portal.url}/portal/op/op-demo")
    assert await page.get_attribute("html", "lang") == "ru"
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390
    await page.screenshot(path=str(tmp_path / "portal-phone.png"), full_page=True)
    await page.goto(f"{portal.url}/portal/")  # remembered on the next page
    assert await page.get_attribute("html", "lang") == "ru"
    assert await page.evaluate("document.documentElement.scrollWidth") <= 390


async def test_the_operation_page_shows_the_mandatory_sale_in_each_language(
    tmp_path: Path, database_url: str, browser_context: Any
) -> None:
    """October's share to sell on an AIFC exchange (docs/reference/mandatory-sale.md): 1,750,004
    sat, 1,500,000 sold, 250,004 short, under the fee's and the pools' tables, in Kazakh,
    Russian and English (screenshots portal-sale-{kk,ru,en}.png, looked at, not compared)."""
    async with portal_server(tmp_path, database_url, mandatory_sale=True) as portal:
        page = await browser_context.new_page()
        await sign_in(page, portal, TOKENS["op-demo"])
        await page.goto(f"{portal.url}/portal/op/op-demo")
        for language, to_sell in (("kk", "Сатуға тиіс"), ("ru", "К продаже"), ("en", "To sell")):
            if language != "kk":
                await page.click(f'nav.lang a[hreflang="{language}"]')
                await page.wait_for_url(f"{portal.url}/portal/op/op-demo")
            assert await page.get_attribute("html", "lang") == language
            words = wording(language)  # type: ignore[arg-type]
            table = await page.inner_text("#mandatory-sale")
            assert to_sell in table
            for figure in (1_750_004, 1_500_000, 250_004):
                assert words.sat(figure) in table, (language, figure)
            assert "EX-1, EX-2" in table
            await page.locator("#mandatory-sale").scroll_into_view_if_needed()
            shot = tmp_path / f"portal-sale-{language}.png"
            await page.screenshot(path=str(shot), full_page=True)
