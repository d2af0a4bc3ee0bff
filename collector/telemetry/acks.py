"""PUBACKs after commit, for either MQTT transport: a QoS 1 message is acknowledged once the
rollups holding its readings are committed (the future its handler returned is done), the
acknowledgements of one commit written together; a failed commit acknowledges nothing, so the
broker redelivers."""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable

log = logging.getLogger(__name__)


class AckBatcher:
    """Collects message ids per commit and writes their PUBACKs with ``write`` when it lands."""

    def __init__(self, write: Callable[[list[int]], None]) -> None:
        self._write = write
        self._future: asyncio.Future[None] | None = None
        self._mids: list[int] = []

    def add(self, mid: int, ack: asyncio.Future[None] | None) -> None:
        """Acknowledge ``mid`` at once (``ack`` None: nothing to commit) or once ``ack`` is
        done."""
        if ack is None:
            self._write([mid])
            return
        if ack is not self._future:
            self._future = ack
            self._mids = []
            ack.add_done_callback(functools.partial(self._due, self._mids))
        self._mids.append(mid)

    def _due(self, mids: list[int], future: asyncio.Future[None]) -> None:
        if future is self._future:
            self._future = None
        if future.cancelled():
            return
        error = future.exception()
        if error is not None:
            log.warning("messages left unacknowledged for redelivery error=%s", error)
            return
        self._write(mids)
