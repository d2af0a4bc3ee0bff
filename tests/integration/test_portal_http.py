"""The portal's sessions and forms over plain HTTP: CSRF on every form, sessions that end."""

from __future__ import annotations

import asyncio
import re
import ssl
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from collector.config.sections import TlsServerConfig
from collector.http.portal import LOGIN_FORM_SECONDS, SESSION_SECONDS, SESSIONS_PER_TOKEN
from tests.support.certs import TestCA
from tests.support.poppler import pdf_words
from tests.support.portal import PortalServer, portal_server
from tests.support.scenario import TOKENS

pytestmark = pytest.mark.integration


@pytest.fixture
async def portal(tmp_path: Path) -> AsyncIterator[PortalServer]:
    async with portal_server(tmp_path, f"sqlite+aiosqlite:///{tmp_path}/portal.db") as server:
        yield server


def _csrf(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None
    return found.group(1)


async def _sign_in(session: aiohttp.ClientSession, portal: PortalServer, token: str) -> str:
    async with session.get(f"{portal.url}/portal/login") as response:
        csrf = _csrf(await response.text())
    form = {"token": token, "csrf": csrf}
    async with session.post(f"{portal.url}/portal/login", data=form) as response:
        assert response.status == 200 and response.url.path == "/portal/"
        return _csrf(await response.text())


async def test_a_login_without_the_forms_csrf_token_is_refused(portal: PortalServer) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        form = {"token": TOKENS["op-demo"], "csrf": "forged"}
        async with session.post(f"{portal.url}/portal/login", data=form) as response:
            assert response.status == 403
            assert "reservewatch_session" not in response.cookies


async def test_a_wrong_token_is_401_and_signs_nobody_in(portal: PortalServer) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{portal.url}/portal/login") as response:
            csrf = _csrf(await response.text())
        form = {"token": "guess", "csrf": csrf}
        async with session.post(f"{portal.url}/portal/login", data=form) as response:
            assert response.status == 401
        async with session.get(f"{portal.url}/portal/", allow_redirects=False) as response:
            assert response.status == 303


async def test_logout_needs_the_sessions_csrf_token(portal: PortalServer) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        csrf = await _sign_in(session, portal, TOKENS["op-demo"])
        async with session.post(f"{portal.url}/portal/logout", data={"csrf": "x"}) as response:
            assert response.status == 403
        async with session.get(f"{portal.url}/portal/op/op-demo") as response:
            assert response.status == 200  # still signed in
        async with session.post(f"{portal.url}/portal/logout", data={"csrf": csrf}) as response:
            assert response.url.path == "/portal/login"


async def test_a_session_ends_after_its_time_on_the_servers_clock(portal: PortalServer) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await _sign_in(session, portal, TOKENS["op-demo"])
        portal.clock.advance(SESSION_SECONDS - 1)
        async with session.get(f"{portal.url}/portal/", allow_redirects=False) as response:
            assert response.status == 200
        portal.clock.advance(1)
        async with session.get(f"{portal.url}/portal/", allow_redirects=False) as response:
            assert response.status == 303
            assert response.headers["Location"] == "/portal/login"


async def test_pages_allow_no_script_and_the_cookie_is_strict(portal: PortalServer) -> None:
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{portal.url}/portal/login") as response:
            csrf = _csrf(await response.text())
            policy = response.headers["Content-Security-Policy"]
        assert "script-src" not in policy and policy.startswith("default-src 'none'")
        form = {"token": TOKENS["op-demo"], "csrf": csrf}
        async with session.post(
            f"{portal.url}/portal/login", data=form, allow_redirects=False
        ) as response:
            cookie = response.headers.getall("Set-Cookie")
        (session_cookie,) = [c for c in cookie if c.startswith("reservewatch_session=")]
        assert "HttpOnly" in session_cookie
        assert "SameSite=Strict" in session_cookie
        assert f"Max-Age={SESSION_SECONDS}" in session_cookie
        assert "Path=/portal" in session_cookie


async def test_over_tls_the_session_cookie_is_secure(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    issued = ca.issue("127.0.0.1")
    tls = TlsServerConfig(cert_file=issued.cert_file, key_file=issued.key_file)
    database = f"sqlite+aiosqlite:///{tmp_path}/portal.db"
    context = ssl.create_default_context(cafile=str(ca.ca_file))
    async with (
        portal_server(tmp_path, database, tls=tls) as portal,
        aiohttp.ClientSession(
            cookie_jar=aiohttp.CookieJar(unsafe=True),
            connector=aiohttp.TCPConnector(ssl=context),
        ) as session,
    ):
        async with session.get(f"{portal.url}/portal/login") as response:
            csrf = _csrf(await response.text())
            assert "Secure" in response.headers["Set-Cookie"]  # the login form's CSRF cookie
        form = {"token": TOKENS["op-demo"], "csrf": csrf}
        async with session.post(
            f"{portal.url}/portal/login", data=form, allow_redirects=False
        ) as response:
            cookies = response.headers.getall("Set-Cookie")
    (session_cookie,) = [c for c in cookies if c.startswith("reservewatch_session=")]
    assert "Secure" in session_cookie and "HttpOnly" in session_cookie


async def test_sign_ins_whose_body_never_comes_are_closed_and_the_portal_still_answers(
    tmp_path: Path,
) -> None:
    """A sign-in form's headers, and no body: answered 408 and closed at the body deadline,
    while the portal keeps serving (it used to wait for the form for ever)."""
    database = f"sqlite+aiosqlite:///{tmp_path}/portal.db"
    async with portal_server(tmp_path, database, body_timeout_s=1.0) as portal:
        port = portal.config.http.port
        held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(50)]
        for _, writer in held:
            writer.write(
                b"POST /portal/login HTTP/1.1\r\nHost: x\r\n"
                b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 200\r\n\r\n"
            )
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{portal.url}/portal/login") as response,
        ):
            assert response.status == 200  # while they hang
        answers = await asyncio.gather(*(asyncio.wait_for(reader.read(), 8) for reader, _ in held))
        for (_, writer), answer in zip(held, answers, strict=True):
            writer.close()
            assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
        assert portal.http.faults.counts["body_timeout"] == len(held)


# Issue 30, item 4: the sign-in throttle, sessions, the login form's CSRF pair, 403 vs 404


async def _login_form(session: aiohttp.ClientSession, portal: PortalServer) -> str:
    async with session.get(f"{portal.url}/portal/login") as response:
        return _csrf(await response.text())


async def _try_sign_in(
    session: aiohttp.ClientSession,
    portal: PortalServer,
    token: str,
    headers: dict[str, str] | None = None,
) -> int:
    form = {"token": token, "csrf": await _login_form(session, portal)}
    async with session.post(
        f"{portal.url}/portal/login", data=form, headers=headers, allow_redirects=False
    ) as response:
        return response.status


async def test_a_valid_token_signs_in_after_ten_wrong_ones_from_its_address(
    portal: PortalServer,
) -> None:
    """The throttle checked "blocked" before the token: 10 guesses from an address locked the
    operator sharing it out for a minute. Guesses stay throttled; a valid token never is."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        assert [await _try_sign_in(session, portal, f"guess-{n}") for n in range(10)] == [401] * 10
        assert await _try_sign_in(session, portal, "guess-11") == 429
        assert await _try_sign_in(session, portal, TOKENS["op-demo"]) == 303
        async with session.get(f"{portal.url}/portal/op/op-demo") as response:
            assert response.status == 200


async def test_behind_a_trusted_proxy_each_client_is_throttled_on_its_own(
    tmp_path: Path,
) -> None:
    """Behind the reverse proxy the docs recommend every client had the proxy's address, so
    one guesser throttled all. With ``http.trusted_proxies`` the client X-Forwarded-For names
    is counted; a client cannot pick its own name (the proxy appends the real one, the walk
    starts from the right), and from a peer not trusted the header is ignored."""
    database = f"sqlite+aiosqlite:///{tmp_path}/portal.db"
    async with (
        portal_server(tmp_path, database, trusted_proxies=("127.0.0.1",)) as portal,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        guesser = {"X-Forwarded-For": "198.51.100.7"}
        spoofing = {"X-Forwarded-For": "192.0.2.1, 198.51.100.7"}  # claims another name first
        other = {"X-Forwarded-For": "203.0.113.9"}
        for n in range(10):
            assert await _try_sign_in(session, portal, f"guess-{n}", guesser) == 401
        assert await _try_sign_in(session, portal, "again", guesser) == 429
        assert await _try_sign_in(session, portal, "again", spoofing) == 429
        assert await _try_sign_in(session, portal, "a typo", other) == 401  # not throttled
    async with (
        portal_server(tmp_path, database) as portal,  # no proxy trusted: the header is noise
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        for n in range(10):
            headers = {"X-Forwarded-For": f"192.0.2.{n}"}
            assert await _try_sign_in(session, portal, f"guess-{n}", headers) == 401
        assert await _try_sign_in(session, portal, "again", other) == 429


async def test_signing_in_again_and_again_ends_only_ones_own_oldest_sessions(
    portal: PortalServer,
) -> None:
    """The oldest session was evicted whoever owned it: one operator signing in 10,000 times
    signed everyone else out. Now a token keeps SESSIONS_PER_TOKEN; its own oldest ends."""
    jar = aiohttp.CookieJar(unsafe=True)
    async with aiohttp.ClientSession(cookie_jar=jar) as regulator:
        await _sign_in(regulator, portal, TOKENS["regulator"])
        first = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        async with first:
            await _sign_in(first, portal, TOKENS["op-demo"])
            async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as spam:
                for _ in range(SESSIONS_PER_TOKEN + 5):
                    spam.cookie_jar.clear()
                    assert await _try_sign_in(spam, portal, TOKENS["op-demo"]) == 303
                async with spam.get(f"{portal.url}/portal/", allow_redirects=False) as response:
                    assert response.status == 200  # the latest session holds
            async with first.get(f"{portal.url}/portal/", allow_redirects=False) as response:
                assert response.status == 303  # op-demo's oldest session ended
        async with regulator.get(f"{portal.url}/portal/", allow_redirects=False) as response:
            assert response.status == 200  # nobody else's did


async def test_a_login_forms_csrf_pair_signs_in_once(portal: PortalServer) -> None:
    """The double-submitted pair stayed valid after a sign-in (and for ever, whoever held
    it): now it is signed by the server, ends after an hour and is used up by a sign-in."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        csrf = await _login_form(session, portal)
        form = {"token": TOKENS["op-demo"], "csrf": csrf}
        cookie = {"reservewatch_login_csrf": csrf}
        async with session.post(
            f"{portal.url}/portal/login", data=form, allow_redirects=False
        ) as response:
            assert response.status == 303
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as replay:
        replay.cookie_jar.update_cookies(cookie, response.url.with_path("/portal/login"))
        async with replay.post(
            f"{portal.url}/portal/login", data=form, allow_redirects=False
        ) as response:
            assert response.status == 403
            assert "reservewatch_session" not in response.cookies
        made_up = "4102444800.x." + "0" * 64  # well formed, not signed here
        replay.cookie_jar.update_cookies({"reservewatch_login_csrf": made_up}, response.url)
        async with replay.post(
            f"{portal.url}/portal/login",
            data={"token": TOKENS["op-demo"], "csrf": made_up},
            allow_redirects=False,
        ) as response:
            assert response.status == 403
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as late:
        csrf = await _login_form(late, portal)
        portal.clock.advance(LOGIN_FORM_SECONDS)
        async with late.post(
            f"{portal.url}/portal/login",
            data={"token": TOKENS["op-demo"], "csrf": csrf},
            allow_redirects=False,
        ) as response:
            assert response.status == 403


async def test_an_operator_cannot_tell_which_other_operation_ids_exist(
    portal: PortalServer,
) -> None:
    """Another operation's page was 403 and an unknown id's 404: an operator could list the
    ids in use. Now both are the same 403 page; the regulator (who reads all) gets 404."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await _sign_in(session, portal, TOKENS["op-demo"])
        answers = []
        for path in (
            "/portal/op/op-other",
            "/portal/op/op-nobody",
            "/portal/op/op-other/statements/2026-10.pdf",
            "/portal/op/op-nobody/statements/2026-10.pdf",
        ):
            async with session.get(f"{portal.url}{path}") as response:
                answers.append((response.status, await response.text()))
        assert answers[0] == answers[1] == answers[2] == answers[3]
        assert answers[0][0] == 403
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        await _sign_in(session, portal, TOKENS["regulator"])
        async with session.get(f"{portal.url}/portal/op/op-nobody") as response:
            assert response.status == 404


# Issue 30, item 9: language, the viewport, the regulator's list, the regulator's zone


async def test_the_language_chosen_on_a_page_is_remembered_and_the_pdf_follows(
    portal: PortalServer, tmp_path: Path
) -> None:
    """Pages followed the operation's configured language (op-demo's: Kazakh) with no choice:
    ``?lang=`` sets a cookie, every page (and a PDF downloaded from it) is then in that
    language, the BIP-21 label too; each page offers the three."""
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(f"{portal.url}/portal/login") as response:
            page = await response.text()
            assert '<html lang="en">' in page  # the operations' differ; the browser says none
            for code in ("kk", "ru", "en"):
                assert f'href="?lang={code}"' in page
        async with session.get(
            f"{portal.url}/portal/login?lang=ru", allow_redirects=False
        ) as response:
            assert response.status == 303 and response.headers["Location"] == "/portal/login"
            cookie = response.headers["Set-Cookie"]
            assert cookie.startswith("reservewatch_lang=ru;") and "Path=/portal" in cookie
        await _sign_in(session, portal, TOKENS["op-demo"])
        async with session.get(f"{portal.url}/portal/op/op-demo") as response:
            page = await response.text()
        assert '<html lang="ru">' in page and "Как оплатить" in page
        assert "label=%D0%BE%D1%82%D1%87%D0%B8%D1%81%D0%BB%D0%B5%D0%BD%D0%B8%D0%B5" in page
        async with session.get(f"{portal.url}/portal/op/op-demo/statements/2026-10.pdf") as r:
            pdf = await r.read()
        assert "Выписка по отчислениям в резерв" in pdf_words(pdf, tmp_path)[0]
        async with session.get(f"{portal.url}/portal/?lang=en") as response:
            assert '<html lang="en">' in await response.text()
        async with session.get(f"{portal.url}/portal/op/op-demo?lang=xx") as response:
            assert '<html lang="en">' in await response.text()  # unknown: the choice stays


async def test_every_page_fits_a_phones_width_and_the_list_shows_whats_owed(
    tmp_path: Path,
) -> None:
    """No viewport meta (a phone laid the page out 634 px wide); the regulator's list had no
    shortfall or overdue column; deadlines were shown in UTC to people in UTC+5."""
    database = f"sqlite+aiosqlite:///{tmp_path}/portal.db"
    async with (
        portal_server(tmp_path, database, language="en", time_zone="Asia/Almaty") as portal,
        aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as session,
    ):
        viewport = '<meta name="viewport" content="width=device-width, initial-scale=1">'
        async with session.get(f"{portal.url}/portal/login") as response:
            assert viewport in await response.text()
        await _sign_in(session, portal, TOKENS["regulator"])
        async with session.get(f"{portal.url}/portal/?lang=en") as response:
            listing = await response.text()
        assert viewport in listing
        assert "Shortfall, BTC" in listing and ">Overdue<" in listing
        demo = listing.split('data-operation="op-demo"')[1].split("</tr>")[0]
        assert '<td class="n due">0.00100001</td>' in demo  # the shortfall, in red
        assert ">1 d 0 h<" in demo
        async with session.get(f"{portal.url}/portal/op/op-demo") as response:
            page = await response.text()
        assert viewport in page
        assert "November 11, 2026, 05:00 Asia/Almaty" in page  # 00:00 UTC, in the zone
        assert " UTC<" not in page
