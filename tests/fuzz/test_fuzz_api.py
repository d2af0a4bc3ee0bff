"""Any request line, path and header to the running HTTP server gets a deliberate answer.

The server runs on a free loopback port in a thread of its own; requests are written as raw
bytes so nothing on the client side tidies them first. Every answer must be a status below
500 (or 503, the documented "unavailable"), never a traceback, and an API answer of 200 only
ever goes to a token allowed to read that operation.
"""

from __future__ import annotations

import asyncio
import hashlib
import socket
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from urllib.parse import unquote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry

from collector.config.sections import ApiToken, HttpConfig
from collector.errors import StatementUnavailable, UnknownOperation
from collector.http.server import HttpServer, authorise
from tests.support.processes import free_port

TOKENS = {"op-demo": "operator-demo-token", "regulator": "regulator-token"}
API_TOKENS = (
    ApiToken(
        name="demo",
        sha256=hashlib.sha256(TOKENS["op-demo"].encode()).hexdigest(),
        operations=("op-demo",),
    ),
    ApiToken(
        name="regulator",
        sha256=hashlib.sha256(TOKENS["regulator"].encode()).hexdigest(),
        role="regulator",
    ),
)
OPERATIONS = ("op-demo", "op-other")
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


class SteppingClock:
    """Monotonic time moves a minute per reading, so the failed-auth throttle never engages
    and every request reaches the handlers (the throttle has its own tests)."""

    def __init__(self) -> None:
        self._monotonic = 0.0

    def now(self) -> datetime:
        return datetime(2026, 11, 12, tzinfo=UTC)

    def monotonic(self) -> float:
        self._monotonic += 61.0
        return self._monotonic


class FakeReports:
    async def balance(self, operation_id: str) -> Mapping[str, object]:
        if operation_id not in OPERATIONS:
            raise UnknownOperation(operation_id)
        return {"operation": operation_id, "shortfall_sat": 1}

    async def statement(self, operation_id: str, period: str, fmt: str) -> bytes:
        if operation_id not in OPERATIONS:
            raise UnknownOperation(operation_id)
        if period.endswith("-13"):
            raise StatementUnavailable(period)
        return b"{}"

    async def close(self) -> None:
        return None


@pytest.fixture(scope="module")
def port() -> Iterator[int]:
    loop = asyncio.new_event_loop()
    listen_port = free_port()
    server = HttpServer(
        HttpConfig(listen=f"127.0.0.1:{listen_port}"),
        API_TOKENS,
        CollectorRegistry(),
        SteppingClock(),
        reports=FakeReports(),
    )
    thread = threading.Thread(target=loop.run_forever, name="fuzz-api-server", daemon=True)
    thread.start()
    asyncio.run_coroutine_threadsafe(server.start(), loop).result(10)
    yield listen_port
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def exchange(port: int, request: bytes) -> bytes:
    """Send ``request`` and read until the server closes (every request says Connection: close;
    no half-close, which aiohttp takes for a client gone away)."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as connection:
        connection.sendall(request)
        chunks: list[bytes] = []
        while chunk := connection.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def status_of(response: bytes) -> int:
    line = response.split(b"\r\n", 1)[0]
    assert line.startswith(b"HTTP/1."), response[:200]
    return int(line.split()[1])


SEGMENTS = st.sampled_from(
    [
        "op-demo",
        "op-other",
        "op-unknown",
        "..",
        "%2e%2e",
        "%2F",
        "%00",
        "%ff",
        "%",
        "%zz",
        "é",
        "balance",
        "statements",
        "2026-10.json",
        "2026-10.pdf",
        "2026-13.csv",
        "2026-W44.csv",
        "2026-10.exe",
        ".json",
        "",
        "x" * 300,
    ]
) | st.text(st.characters(codec="utf-8", exclude_characters="\r\n "), max_size=12)
PATHS = st.one_of(
    st.lists(SEGMENTS, max_size=3).map(lambda parts: "/api/v1/operations/" + "/".join(parts)),
    st.builds(
        lambda op, tail: f"/api/v1/operations/{op}/{tail}",
        SEGMENTS,
        st.sampled_from(["balance", "statements/2026-10.json", "statements/2026-13.pdf"]),
    ),
    st.sampled_from(["/metrics", "/healthz", "/readyz", "/", "*", "//api", "/api/v1/"]),
    st.text(st.characters(codec="utf-8", exclude_characters="\r\n "), max_size=40),
)
AUTHORIZATION = st.one_of(
    st.none(),
    st.sampled_from([f"Bearer {token}" for token in TOKENS.values()]),
    st.sampled_from(["Bearer", "Bearer ", "bearer regulator-token", "Basic abc", "Bearer \t"]),
    st.text(max_size=30).map(lambda text: f"Bearer {text}"),
    st.binary(max_size=30).map(lambda raw: "Bearer " + raw.decode("utf-8", "surrogateescape")),
)
# Not Content-Length or Transfer-Encoding: a declared body longer than the one sent only makes
# the server wait for it. The request builder writes the true Content-Length.
HEADER_NAMES = st.sampled_from(
    ["Authorization", "Host", "X-Forwarded-For", "Cookie", "Accept", "Range", "Expect"]
) | st.from_regex(r"(?!(?i:content-length|transfer-encoding))[A-Za-z0-9-]{1,20}", fullmatch=True)
HEADER_VALUES = st.sampled_from(["", "-1", "99999999999", "chunked", "gzip", "\x00"]) | st.text(
    st.characters(codec="latin-1", exclude_characters="\r\n"), max_size=40
)


def _request(method: str, path: str, headers: list[tuple[str, str]], body: bytes) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers]
    lines.append(f"Content-Length: {len(body)}")
    head = "\r\n".join(lines) + "\r\n\r\n"
    return head.encode("utf-8", "surrogateescape") + body


def _allowed(authorization: str | None, path: str) -> bool:
    """Whether a 200 on ``path`` would be right for this Authorization header."""
    if authorization is None or not authorization.startswith("Bearer "):
        return False
    token = authorization.removeprefix("Bearer ").strip()
    if token == TOKENS["regulator"]:
        return True
    return token == TOKENS["op-demo"] and unquote(path).startswith("/api/v1/operations/op-demo/")


@FUZZ
@given(
    method=st.sampled_from(["GET", "HEAD", "POST", "OPTIONS", "DELETE", "TRACE", "G\x00T"]),
    path=PATHS,
    authorization=AUTHORIZATION,
    headers=st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=3),
    body=st.binary(max_size=64),
)
def test_any_request_gets_a_deliberate_answer(
    port: int,
    *,
    method: str,
    path: str,
    authorization: str | None,
    headers: list[tuple[str, str]],
    body: bytes,
) -> None:
    all_headers = list(headers)
    if authorization is not None:
        all_headers.append(("Authorization", authorization))
    response = exchange(port, _request(method, path, all_headers, body))
    status = status_of(response)
    assert status < 500 or status == 503, response[:500]
    assert b"Traceback" not in response
    if status == 200 and path.startswith("/api/") and method in ("GET", "HEAD"):
        assert _allowed(authorization, path), (path, authorization)


def test_an_oversized_request_is_refused_not_crashed_on(port: int) -> None:
    body = b"x" * (128 * 1024)
    assert status_of(exchange(port, _request("POST", "/healthz", [], body))) in (405, 413)


@settings(max_examples=300, deadline=None)
@given(header=st.none() | st.text(max_size=40) | st.text(max_size=30).map("Bearer ".__add__))
def test_authorise_answers_a_token_or_none_for_any_header(header: str | None) -> None:
    token = authorise(API_TOKENS, header)
    assert (
        token is None
        or header in {f"Bearer {t}" for t in TOKENS.values()}
        or (header is not None and header.removeprefix("Bearer ").strip() in TOKENS.values())
    )


def test_the_harness_reaches_the_handlers(port: int) -> None:
    path = "/api/v1/operations/op-demo/balance"
    good = _request("GET", path, [("Authorization", f"Bearer {TOKENS['op-demo']}")], b"")
    assert status_of(exchange(port, good)) == 200
    assert status_of(exchange(port, _request("GET", path, [], b""))) == 401


def test_a_token_that_is_not_utf8_is_401_not_500(port: int) -> None:
    # aiohttp hands such bytes over as surrogates, which hashing's UTF-8 encode refused (500).
    request = _request("GET", "/api/v1/operations/op-demo/balance", [], b"").replace(
        b"Connection: close", b"Connection: close\r\nAuthorization: Bearer \xff\xfe"
    )
    assert status_of(exchange(port, request)) == 401
