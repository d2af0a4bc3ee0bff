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
from collector.http.portal import SESSION_SECONDS
from tests.support.certs import TestCA
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
