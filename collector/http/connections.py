"""The HTTP server's guard against slow and numerous clients, in front of aiohttp's protocol.

aiohttp bounds idle keep-alive connections (``keepalive_timeout``) and header sizes, but not
how long a client may take to send a request's headers: a client dripping a partial request
line held its connection forever (4,000 such held 4,000 descriptors). This protocol wrapper
adds, per connection:

- **a header deadline**: a request's header block (up to the blank line) must arrive within
  ``header_timeout_s`` of the connection opening, or of the first byte of a later request on a
  kept-alive connection; otherwise the connection is closed (the server tells the guard when a
  request's body has been read, :meth:`ConnectionGuard.body_read`, so body bytes arriving after
  the headers do not count as a new request's);
- **a send deadline**: a client that stops reading its answers (the server's writes stay
  paused, its buffer over the high-water mark) for ``send_timeout_s`` is closed — else one
  that pipelines requests and never reads held its connection for ever;
- **a cap on open connections**: beyond ``max_connections``, a new connection is closed at once.

A request's body has its own deadline where it is read (:mod:`collector.http.server`). Every client
fault (these and the others the server refuses) goes to :class:`ClientFaults`: counted by
reason, logged as one warning line per reason at most once a minute, never with a traceback
or any of the request's text.

The TLS handshake is bounded by the event loop (``ssl_handshake_timeout``, set to the same
deadline by :class:`collector.http.server.HttpServer`). A production reverse proxy should add
its own per-address limits (deploy/README.md).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, Final, Literal, cast

log = logging.getLogger(__name__)

_HEADERS_END = b"\r\n\r\n"

Fault = Literal[
    "over_capacity",
    "header_timeout",
    "malformed",
    "too_large",
    "body_timeout",
    "hung_up",
    "send_timeout",
]
FAULTS: Final[tuple[Fault, ...]] = (
    "over_capacity",  # a connection past max_connections, closed on arrival
    "header_timeout",  # a request's headers not complete within the header deadline
    "malformed",  # a request aiohttp's parser refused (400)
    "too_large",  # a body over max_request_bytes (413)
    "body_timeout",  # a body not complete within the body deadline (408)
    "hung_up",  # the client closed the connection before its body was complete
    "send_timeout",  # the client read none of its answer within the send deadline
)


class ClientFaults:
    """Clients' faults, counted by reason and logged quietly: one warning line naming the
    reason (and how many more came since the last line), at most one per reason every
    ``interval_s`` of ``clock``, never a traceback, never the request's text (a header may hold
    a bearer token)."""

    def __init__(self, clock: Callable[[], float], interval_s: float = 60.0) -> None:
        self._clock = clock
        self._interval_s = interval_s
        self.counts: dict[Fault, int] = dict.fromkeys(FAULTS, 0)
        self._last: dict[Fault, float] = {}
        self._suppressed: dict[Fault, int] = {}

    def record(self, reason: Fault) -> None:
        """Counts a fault and logs it (quietly, as above)."""
        self.counts[reason] += 1
        now = self._clock()
        last = self._last.get(reason)
        if last is not None and now - last < self._interval_s:
            self._suppressed[reason] = self._suppressed.get(reason, 0) + 1
            return
        self._last[reason] = now
        more = self._suppressed.pop(reason, 0)
        log.warning(
            "client refused",
            extra={"reason": reason, **({"more_since_last": more} if more else {})},
        )


class ConnectionGuard:
    """A protocol factory wrapping another (aiohttp's ``web.Server``)."""

    def __init__(
        self,
        factory: Callable[[], asyncio.Protocol],
        *,
        header_timeout_s: float,
        send_timeout_s: float,
        max_connections: int,
        faults: ClientFaults,
    ) -> None:
        self._factory = factory
        self.faults = faults
        self.header_timeout_s = header_timeout_s
        self.send_timeout_s = send_timeout_s
        self.max_connections = max_connections
        self.open = 0
        self._by_transport: dict[asyncio.BaseTransport, _Guarded] = {}
        self.refused = 0  # connections closed on arrival (over the cap)
        self.timed_out = 0  # connections closed for slow headers

    def __call__(self) -> asyncio.Protocol:
        return _Guarded(self, self._factory())

    def body_read(self, transport: asyncio.BaseTransport | None) -> None:
        """The current request on ``transport`` has all arrived, body included: the header
        deadline is off until the next request's first byte."""
        guarded = self._by_transport.get(transport) if transport is not None else None
        if guarded is not None:
            guarded.request_complete()


class _Guarded(asyncio.Protocol):
    """Delegates everything to aiohttp's protocol; watches the bytes for header deadlines and
    the paused writes for the send deadline."""

    def __init__(self, guard: ConnectionGuard, inner: asyncio.Protocol) -> None:
        self._guard = guard
        self._inner = inner
        self._transport: asyncio.Transport | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._stalled: asyncio.TimerHandle | None = None  # armed while writing is paused
        self._tail = b""  # the last bytes seen, to find a header end split across reads
        self._counted = False

    # -- asyncio.Protocol -----------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream server's transport (uvloop's is not an asyncio.Transport subclass, but has
        # the same methods).
        self._transport = cast(asyncio.Transport, transport)
        if self._guard.open >= self._guard.max_connections:
            self._guard.refused += 1
            self._guard.faults.record("over_capacity")
            self._transport.abort()
            return
        self._guard.open += 1
        self._guard._by_transport[transport] = self
        self._counted = True
        self._inner.connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        if self._timer is None:
            self._arm()  # the first byte of a new request on a kept-alive connection
        seen = self._tail + data
        if _HEADERS_END in seen:
            self._disarm()
            after = seen.rsplit(_HEADERS_END, 1)[1]
            self._tail = b""
            if after:  # more bytes after the blank line: a pipelined request or a body
                self._tail = after[-3:]
        else:
            self._tail = seen[-3:]
        self._inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self._inner.eof_received()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        self._unstall()
        if self._counted:
            self._guard.open -= 1
            if self._transport is not None:
                self._guard._by_transport.pop(self._transport, None)
            self._counted = False
            self._inner.connection_lost(exc)

    def pause_writing(self) -> None:
        if self._stalled is None:
            loop = asyncio.get_running_loop()
            self._stalled = loop.call_later(self._guard.send_timeout_s, self._stall_expired)
        self._inner.pause_writing()

    def resume_writing(self) -> None:
        self._unstall()
        self._inner.resume_writing()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    # -- the header deadline --------------------------------------------------------------

    def request_complete(self) -> None:
        self._disarm()
        self._tail = b""

    def _arm(self) -> None:
        loop = asyncio.get_running_loop()
        self._timer = loop.call_later(self._guard.header_timeout_s, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _unstall(self) -> None:
        if self._stalled is not None:
            self._stalled.cancel()
            self._stalled = None

    def _stall_expired(self) -> None:
        self._stalled = None
        self._guard.faults.record("send_timeout")
        if self._transport is not None and not self._transport.is_closing():
            self._transport.abort()

    def _expire(self) -> None:
        self._timer = None
        self._guard.timed_out += 1
        self._guard.faults.record("header_timeout")
        if self._transport is not None and not self._transport.is_closing():
            self._transport.abort()
