"""The HTTP server cuts off slow and numerous clients (real sockets on loopback).

A client that never finishes its request line or headers is closed after the header
deadline; an idle kept-alive connection after the keep-alive timeout; past the connection cap
a new connection is closed on arrival — while a well-behaved client is served throughout.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from collector.clock import SystemClock
from collector.config import HttpConfig, TlsServerConfig
from collector.http import HttpServer
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
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
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
    with caplog.at_level(logging.DEBUG, logger="aiohttp"):
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
    records = [r for r in caplog.records if r.name.startswith("aiohttp")]
    assert records, "the refusal is logged"
    for record in records:
        assert secret not in record.getMessage()
        assert record.exc_info is None
        assert record.levelno <= logging.WARNING
    assert len(records) == 1  # rate-limited: one line a minute


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
