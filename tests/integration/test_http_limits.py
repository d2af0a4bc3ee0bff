"""The HTTP server cuts off slow and numerous clients (real sockets on loopback).

A client that never finishes its request line or headers is closed after the header
deadline, one that never finishes its body after the body deadline; an idle kept-alive
connection after the keep-alive timeout; past the connection cap a new connection is closed on
arrival — while a well-behaved client is served throughout.
"""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import ssl
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from collector.clock import SystemClock
from collector.config.sections import HttpConfig, TlsServerConfig
from collector.http.server import HttpServer
from collector.metrics import build_registry
from tests.support.certs import TestCA
from tests.support.processes import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
async def server() -> AsyncIterator[HttpServer]:
    config = HttpConfig(
        listen=f"127.0.0.1:{free_port()}",
        header_timeout_s=1.0,
        keepalive_timeout_s=1.5,
        max_connections=20,
    )
    http = HttpServer(config, (), CollectorRegistry(), SystemClock())
    await http.start()
    yield http
    await http.stop()


@asynccontextmanager
async def _serving(config: HttpConfig) -> AsyncIterator[HttpServer]:
    """The server with its own metrics registered, as the collector runs it."""
    registry, metrics = build_registry([])
    http = HttpServer(config, (), registry, SystemClock())
    metrics.add(http)
    await http.start()
    try:
        yield http
    finally:
        await http.stop()


async def _closed_within(reader: asyncio.StreamReader, seconds: float) -> float | None:
    """Seconds until the server closed the connection, or None if still open then."""
    started = time.monotonic()
    try:
        while True:
            data = await asyncio.wait_for(reader.read(1024), seconds)
            if not data:
                return time.monotonic() - started
    except TimeoutError:
        return None
    except ConnectionResetError:
        return time.monotonic() - started


async def _get(port: int) -> bytes:
    return await _get_path(port, "/healthz")


async def _get_path(port: int, path: str) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    answer = await reader.read()
    writer.close()
    return answer


async def test_a_partial_request_line_is_cut_off_after_the_header_deadline(
    server: HttpServer,
) -> None:
    port = server._config.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /heal")  # and nothing more
    await writer.drain()
    closed = await _closed_within(reader, 5)
    assert closed is not None and closed < 3
    writer.close()


async def test_headers_dripped_slowly_are_cut_off(server: HttpServer) -> None:
    port = server._config.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\n")
    for _ in range(6):  # a header line every 0.4 s: never the blank line
        writer.write(b"X-Slow: 1\r\n")
        await writer.drain()
        await asyncio.sleep(0.4)
        if reader.at_eof():
            break
    assert await _closed_within(reader, 3) is not None
    assert server.guard is not None and server.guard.timed_out >= 1
    writer.close()


async def test_an_idle_kept_alive_connection_is_closed(server: HttpServer) -> None:
    port = server._config.port
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200")
    await reader.readexactly(3)  # "ok\n"
    closed = await _closed_within(reader, 5)
    assert closed is not None and closed < 4
    writer.close()


async def test_connections_past_the_cap_are_closed_and_a_good_client_is_still_served(
    server: HttpServer,
) -> None:
    port = server._config.port
    held = [await asyncio.open_connection("127.0.0.1", port) for _ in range(20)]
    await asyncio.sleep(0.1)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    assert await _closed_within(reader, 2) is not None  # over the cap: closed on arrival
    writer.close()
    assert server.guard is not None and server.guard.refused >= 1
    for _, held_writer in held:
        held_writer.close()
    # The slow ones are cut off by the deadline; a good client gets its answer meanwhile.
    await asyncio.sleep(1.5)
    assert (await _get(port)).startswith(b"HTTP/1.1 200")
    assert server.guard.open <= 1


async def test_behind_tls_a_silent_handshake_is_cut_off_and_https_still_answers(
    tmp_path: Path,
) -> None:
    ca = TestCA(tmp_path)
    issued = ca.issue("127.0.0.1")
    config = HttpConfig(
        listen=f"127.0.0.1:{free_port()}",
        tls=TlsServerConfig(cert_file=issued.cert_file, key_file=issued.key_file),
        header_timeout_s=1.0,
    )
    http = HttpServer(config, (), CollectorRegistry(), SystemClock())
    await http.start()
    try:
        reader, writer = await asyncio.open_connection("127.0.0.1", config.port)  # no hello
        closed = await _closed_within(reader, 5)
        assert closed is not None and closed < 3
        writer.close()
        context = ssl.create_default_context(cafile=str(ca.ca_file))
        context.check_hostname = False
        reader, writer = await asyncio.open_connection("127.0.0.1", config.port, ssl=context)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        assert (await reader.read()).startswith(b"HTTP/1.1 200")
        writer.close()
        reader, writer = await asyncio.open_connection("127.0.0.1", config.port, ssl=context)
        writer.write(b"GET /heal")  # a partial request inside TLS
        await writer.drain()
        closed = await _closed_within(reader, 5)
        assert closed is not None and closed < 3
        writer.close()
    finally:
        await http.stop()


async def test_a_malformed_request_is_logged_once_without_its_headers_or_a_traceback(
    server: HttpServer, caplog: pytest.LogCaptureFixture
) -> None:
    secret = "s3cr3t-token-value"
    with caplog.at_level(logging.DEBUG):
        for header in (f"Bearer {secret}\x00", f"Bearer {secret}" + "x" * 9000):
            for _ in range(3):
                reader, writer = await asyncio.open_connection("127.0.0.1", server._config.port)
                writer.write(
                    f"GET /healthz HTTP/1.1\r\nHost: x\r\nAuthorization: {header}\r\n\r\n".encode()
                )
                await writer.drain()
                answer = await reader.read()
                assert answer.split(b" ")[1] == b"400", answer[:40]
                writer.close()
    records = [
        r for r in caplog.records if r.name.startswith("aiohttp") or r.levelno >= logging.WARNING
    ]
    assert records, "the refusal is logged"
    for record in records:
        assert secret not in record.getMessage()
        assert record.exc_info is None
        assert record.levelno <= logging.WARNING
    assert len(records) == 1  # rate-limited: one line a minute
    assert server.faults.counts["malformed"] == 6  # every one counted


def test_the_guard_works_on_uvloop_as_the_collector_runs() -> None:
    """The collector runs on uvloop (whose transports are not asyncio.Transport subclasses)."""
    import uvloop

    async def scenario() -> tuple[bytes, float | None]:
        config = HttpConfig(listen=f"127.0.0.1:{free_port()}", header_timeout_s=1.0)
        http = HttpServer(config, (), CollectorRegistry(), SystemClock())
        await http.start()
        try:
            answer = await _get(config.port)
            reader, writer = await asyncio.open_connection("127.0.0.1", config.port)
            writer.write(b"GET /heal")
            await writer.drain()
            closed = await _closed_within(reader, 5)
            writer.close()
            return answer, closed
        finally:
            await http.stop()

    answer, closed = uvloop.run(scenario())
    assert answer.startswith(b"HTTP/1.1 200")
    assert closed is not None and closed < 3


_BODYLESS_POST = b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n"


_RECEIVED: dict[int, bytearray] = {}  # per reader: what it received so far


async def _answer_then_closed(reader: asyncio.StreamReader, seconds: float) -> bytes | None:
    """What the server sent until it closed the connection, or None if still open then.

    Reads a chunk at a time and keeps what came: ``reader.read()`` cancelled by a timeout
    would lose an answer that arrived before the close (a loaded machine closes late)."""
    received = _RECEIVED.setdefault(id(reader), bytearray())
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while (left := deadline - loop.time()) > 0:
        try:
            chunk = await asyncio.wait_for(reader.read(65536), left)
        except TimeoutError:
            return None
        if not chunk:
            return bytes(_RECEIVED.pop(id(reader)))
        received += chunk
    return None


async def test_posts_whose_body_never_comes_are_closed_and_healthz_answers_throughout() -> None:
    clients = 200
    config = HttpConfig(
        listen=f"127.0.0.1:{free_port()}",
        header_timeout_s=1.0,
        body_timeout_s=1.0,
        max_connections=clients + 5,
    )
    async with _serving(config) as http:
        for _ in range(2):  # the cap is free again after the first round
            held = [await asyncio.open_connection("127.0.0.1", config.port) for _ in range(clients)]
            for _, writer in held:
                writer.write(_BODYLESS_POST)  # complete headers, and no body: ever
            await asyncio.gather(*(writer.drain() for _, writer in held))
            assert (await _get(config.port)).startswith(b"HTTP/1.1 200")  # while they hang
            answers = await asyncio.gather(*(_answer_then_closed(r, 8) for r, _ in held))
            for (_, writer), answer in zip(held, answers, strict=True):
                writer.close()
                assert answer is not None, "still open past the body deadline"
                assert answer.startswith(b"HTTP/1.1 408"), answer[:40]
            assert (await _get(config.port)).startswith(b"HTTP/1.1 200")
        exposition = (await _get_path(config.port, "/metrics")).decode()
        assert http.faults.counts["body_timeout"] == 2 * clients
        assert f'reservewatch_http_rejected_total{{reason="body_timeout"}} {2 * clients}.0' in (
            exposition
        )
        assert http.guard is not None and http.guard.refused == 0


async def test_a_body_dripped_slowly_is_cut_off_at_the_body_deadline() -> None:
    config = HttpConfig(listen=f"127.0.0.1:{free_port()}", body_timeout_s=1.0)
    async with _serving(config) as http:
        reader, writer = await asyncio.open_connection("127.0.0.1", config.port)
        writer.write(_BODYLESS_POST)
        answer = None
        for _ in range(30):  # a byte every 0.2 s: 100 would take 20 s
            writer.write(b"x")
            await writer.drain()
            answer = await _answer_then_closed(reader, 0.2)
            if answer is not None:
                break
        writer.close()
        assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
        assert http.faults.counts["body_timeout"] == 1


async def test_behind_tls_a_post_whose_body_never_comes_is_closed(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    issued = ca.issue("127.0.0.1")
    config = HttpConfig(
        listen=f"127.0.0.1:{free_port()}",
        tls=TlsServerConfig(cert_file=issued.cert_file, key_file=issued.key_file),
        body_timeout_s=1.0,
    )
    context = ssl.create_default_context(cafile=str(ca.ca_file))
    context.check_hostname = False
    async with _serving(config) as http:
        held = [
            await asyncio.open_connection("127.0.0.1", config.port, ssl=context) for _ in range(20)
        ]
        for _, writer in held:
            writer.write(_BODYLESS_POST)
        answers = await asyncio.gather(*(_answer_then_closed(r, 8) for r, _ in held))
        for (_, writer), answer in zip(held, answers, strict=True):
            writer.close()
            assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
        assert http.faults.counts["body_timeout"] == len(held)


async def test_a_client_hanging_up_mid_body_is_one_warning_line_and_counted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    config = HttpConfig(listen=f"127.0.0.1:{free_port()}")
    async with _serving(config) as http:
        with caplog.at_level(logging.DEBUG):
            for _ in range(5):
                _, writer = await asyncio.open_connection("127.0.0.1", config.port)
                writer.write(_BODYLESS_POST + b"half a body")
                await writer.drain()
                await asyncio.sleep(0.1)  # the server is reading the body
                writer.transport.abort()
            for _ in range(50):  # until the server has seen all five go
                if http.faults.counts["hung_up"] == 5:
                    break
                await asyncio.sleep(0.05)
            assert (await _get(config.port)).startswith(b"HTTP/1.1 200")
    assert http.faults.counts["hung_up"] == 5
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1, [r.getMessage() for r in warnings]  # one line a minute
    assert getattr(warnings[0], "reason", None) == "hung_up"
    assert warnings[0].exc_info is None
    assert "Traceback" not in caplog.text


_SECURITY = ("X-Content-Type-Options", "X-Frame-Options", "Content-Security-Policy")


def _head_and_body(answer: bytes) -> tuple[dict[str, str], bytes]:
    head, _, body = answer.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")[1:]
    return {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines)}, body


async def test_a_refused_header_is_not_quoted_back_and_the_answer_is_hardened(
    server: HttpServer,
) -> None:
    """aiohttp's own 400 quoted the offending header line (a bearer token in it) in plain text,
    with none of the security headers."""
    token = "rw_live_9f8e7d6c5b4a39281706f5e4d3c2b1a0"
    for bad in (f"Bearer {token}\x01", f"Bearer {token}" + "x" * 9000):
        reader, writer = await asyncio.open_connection("127.0.0.1", server._config.port)
        writer.write(f"GET /api/v1/x HTTP/1.1\r\nHost: x\r\nAuthorization: {bad}\r\n\r\n".encode())
        await writer.drain()
        answer = await reader.read()
        writer.close()
        assert answer.split(b" ")[1] == b"400", answer[:40]
        assert token.encode() not in answer and b"Authorization" not in answer
        headers, body = _head_and_body(answer)
        assert json.loads(body) == {"error": "bad request"}
        assert headers["content-type"].startswith("application/json")
        for name in _SECURITY:
            assert name.lower() in headers, name
        assert headers["server"] == "reservewatch"
    assert server.faults.counts["malformed"] == 2


async def test_unknown_routes_and_methods_are_json_with_the_security_headers(
    server: HttpServer,
) -> None:
    port = server._config.port
    for request, status in (
        (b"GET /nowhere HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 404),
        (b"DELETE /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 405),
        (b"GET /api/v1/operations/x/balance HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 401),
    ):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(request)
        await writer.drain()
        answer = await reader.read()
        writer.close()
        assert answer.split(b" ")[1] == str(status).encode(), answer[:40]
        headers, body = _head_and_body(answer)
        assert headers["content-type"].startswith("application/json"), headers
        assert "error" in json.loads(body)
        for name in _SECURITY:
            assert name.lower() in headers, (status, name)
        assert headers["server"] == "reservewatch"


async def test_the_server_header_names_no_versions(server: HttpServer) -> None:
    headers, body = _head_and_body(await _get(server._config.port))
    assert body == b"ok\n"
    assert headers["server"] == "reservewatch"


async def _never_reading(port: int, context: ssl.SSLContext | None) -> asyncio.StreamWriter:
    """A client that pipelines requests and reads none of the answers (a small receive
    buffer: the server's writes stall sooner)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    sock.setblocking(False)
    _, writer = await asyncio.open_connection(
        sock=sock, ssl=context, server_hostname="127.0.0.1" if context else None
    )
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" * 20_000)
    return writer


@pytest.mark.parametrize("tls", [False, True], ids=["plain", "tls"])
async def test_a_client_that_never_reads_its_answers_is_closed(tls: bool, tmp_path: Path) -> None:
    context: ssl.SSLContext | None = None
    tls_config: TlsServerConfig | None = None
    if tls:
        ca = TestCA(tmp_path)
        issued = ca.issue("127.0.0.1")
        tls_config = TlsServerConfig(cert_file=issued.cert_file, key_file=issued.key_file)
        context = ssl.create_default_context(cafile=str(ca.ca_file))
    config = HttpConfig(listen=f"127.0.0.1:{free_port()}", tls=tls_config, send_timeout_s=1.0)
    async with _serving(config) as http:
        writer = await _never_reading(config.port, context)
        for _ in range(100):  # until the server gives up on it
            if http.faults.counts["send_timeout"] == 1:
                break
            await asyncio.sleep(0.1)
        assert http.faults.counts["send_timeout"] == 1
        assert http.guard is not None and http.guard.open == 0
        writer.transport.abort()


async def test_a_body_sent_after_its_headers_does_not_start_a_header_deadline() -> None:
    """The body's bytes, arriving after the headers (as browsers send a form), used to count
    as a new request's first bytes: the kept-alive connection was cut at the header deadline,
    counted as a slow client."""
    config = HttpConfig(
        listen=f"127.0.0.1:{free_port()}", header_timeout_s=1.0, keepalive_timeout_s=10.0
    )
    async with _serving(config) as http:
        reader, writer = await asyncio.open_connection("127.0.0.1", config.port)
        writer.write(b"POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\n")
        await writer.drain()
        await asyncio.sleep(0.2)
        writer.write(b"abc")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 405")
        await reader.readexactly(int(_head_and_body(head)[0]["content-length"]))
        await asyncio.sleep(1.5)  # past the header deadline, within the keep-alive
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        await writer.drain()
        assert (await reader.read()).startswith(b"HTTP/1.1 200")
        writer.close()
        assert http.faults.counts["header_timeout"] == 0
