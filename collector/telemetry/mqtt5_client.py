"""The MQTT 5 transport: the ``mqtt5`` codec (Rust, sans-I/O) under a thin asyncio protocol.

    Mqtt5Client     one broker session; the MqttClient interface (client.py) and the asyncio
                    Protocol that owns the socket (plain or TLS)

The codec only turns bytes into packets and packets into bytes; everything a client owns is
here: CONNECT with ``clean_start`` off and a session expiry (a persistent session), SUBSCRIBE
and its SUBACK, PINGREQ every half keep-alive (no answer by the next ping: the connection is
dead and closed), QoS 1 publishing with the broker's receive maximum, and acknowledgement after
commit: the handler returns ``None`` (PUBACK now) or the service's next-flush future, shared by
many messages, whose PUBACKs leave in one write once it completes (as :class:`GmqttClient`).
It never reconnects on its own: the service builds a new client after its back-off.

Read budget: asyncio hands the protocol up to 256 KiB a callback; at most
``READ_BUDGET_BYTES`` of packets are handled per turn of the event loop, and reading pauses
until the next turn handles the rest, so a ``/metrics`` scrape or an API request (and each of
its database round trips) waits at most one budget's work during a flood.

Its shapes, as the pinned 0.8 returns them (its stubs say ``IntEnum``; they are not): the
reason codes and ``QoS`` are singletons with ``int()``, ``.name`` and ``==`` an int, but no
``<``/``>=`` against an int and no hash, so they are compared by ``is`` or through ``int()``.
The codec raises ``IndexError`` ("Not enough bytes") for a partial packet and
``ValueError`` for a malformed one, and panics (``pyo3_runtime.PanicException``, a
``BaseException``) on a topic that is not UTF-8: such a PUBLISH is handed to the handler with
its topic as ``bytes`` (the service counts it as ``bad_topic``); any other malformed packet
ends the connection with one log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from typing import cast

import mqtt5
from mqtt5 import (
    ConnAckPacket,
    ConnAckReasonCode,
    ConnectPacket,
    DisconnectPacket,
    PingReqPacket,
    PingRespPacket,
    PubAckPacket,
    PublishPacket,
    QoS,
    SubAckPacket,
    SubscribePacket,
    TopicFilter,
)

from collector.telemetry.acks import AckBatcher
from collector.telemetry.client import MessageHandler, MqttError, MqttMessage, MqttSettings, puback

log = logging.getLogger(__name__)

READ_BUDGET_BYTES = 16 * 1024
"""Packet bytes handled per turn of the event loop (~90 site readings, about a millisecond)."""

_PINGREQ = PingReqPacket().write()
_DISCONNECT = DisconnectPacket().write()
_PUBLISH = 3


def _is_codec_panic(error: BaseException) -> bool:
    # pyo3 raises its PanicException (a BaseException) from a Rust panic; the module that
    # defines it is not importable, so it is known by name.
    return type(error).__name__ == "PanicException"


def _fixed_header(buffer: memoryview | bytes, offset: int) -> tuple[int, int] | None:
    """(fixed header length, remaining length) of the packet at ``offset``, or ``None``
    while the header is incomplete. Raises ``ValueError`` for a length over 4 bytes."""
    multiplier = 1
    remaining = 0
    position = offset + 1
    for _ in range(4):
        if position >= len(buffer):
            return None
        byte = buffer[position]
        position += 1
        remaining += (byte & 0x7F) * multiplier
        if not byte & 0x80:
            return position - offset, remaining
        multiplier *= 128
    raise ValueError("remaining length longer than 4 bytes")


def frame_length(buffer: memoryview | bytes, offset: int = 0) -> int | None:
    """The whole length of the packet at ``offset`` (fixed header included), or ``None``
    while its fixed header is incomplete. Raises ``ValueError`` for a bad length."""
    header = _fixed_header(buffer, offset)
    return None if header is None else header[0] + header[1]


def undecodable_publish(frame: bytes) -> tuple[bytes, int | None, bool] | None:
    """A whole PUBLISH frame whose topic is not UTF-8: (topic bytes, packet id or ``None``,
    retain); ``None`` when the frame is something else or too short to say."""
    if not frame or frame[0] >> 4 != _PUBLISH:
        return None
    try:
        fixed = _fixed_header(frame, 0)
    except ValueError:
        return None
    if fixed is None:
        return None
    start = fixed[0]
    if len(frame) < start + 2:
        return None
    topic_end = start + 2 + int.from_bytes(frame[start : start + 2], "big")
    if len(frame) < topic_end:
        return None
    topic = frame[start + 2 : topic_end]
    try:
        topic.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return None
    packet_id: int | None = None
    if (frame[0] >> 1) & 0x03:
        if len(frame) < topic_end + 2:
            return None
        packet_id = int.from_bytes(frame[topic_end : topic_end + 2], "big")
    return topic, packet_id, bool(frame[0] & 0x01)


class Mqtt5Client(asyncio.Protocol):
    """One MQTT 5 session with the broker. Build a new one to reconnect.

    ``handler`` receives every message and says when to acknowledge it (see
    :data:`~collector.telemetry.client.MessageHandler`); without one the client only publishes.
    """

    def __init__(self, settings: MqttSettings, handler: MessageHandler | None = None) -> None:
        if settings.protocol != "5":
            raise ValueError("Mqtt5Client speaks MQTT 5 only; use GmqttClient for 3.1.1")
        self._settings = settings
        self._handler = handler
        self._transport: asyncio.Transport | None = None
        self._buffer = bytearray()
        self._paused = False
        self._lost = asyncio.Event()
        self._lost.set()  # until connected
        self._closed: asyncio.Future[None] | None = None
        self._connack: asyncio.Future[ConnAckPacket] | None = None
        self._subacks: dict[int, asyncio.Future[SubAckPacket]] = {}
        self._next_id = 0
        self._receive_max = 65535
        self._unacked: dict[int, bytes] = {}  # QoS 1 messages published, sent or not
        self._queued: deque[int] = deque()  # those not sent: the broker's receive maximum
        self._drained = asyncio.Event()
        self._drained.set()
        self._ping: asyncio.TimerHandle | None = None
        self._ping_interval_s = 0.0
        self._ping_unanswered = False
        self._heard = False
        self._acks = AckBatcher(self._write_acks)

    # -- the interface ----------------------------------------------------------------------

    async def connect(self) -> None:
        settings = self._settings
        loop = asyncio.get_running_loop()
        self._closed = loop.create_future()
        self._connack = loop.create_future()
        where = f"{settings.host}:{settings.port}"
        try:
            async with asyncio.timeout(settings.connect_timeout_s):
                await loop.create_connection(
                    lambda: self,
                    settings.host,
                    settings.port,
                    ssl=settings.tls,
                    server_hostname=settings.host if settings.tls else None,
                )
                self._write(
                    ConnectPacket(
                        settings.client_id,
                        username=settings.username,
                        password=(
                            settings.password.encode() if settings.password is not None else None
                        ),
                        clean_start=not settings.persistent,
                        keep_alive=settings.keepalive_s,
                        session_expiry_interval=(
                            settings.session_expiry_s if settings.persistent else 0
                        ),
                        receive_max=65535,
                        topic_alias_max=0,
                    ).write()
                )
                connack = await self._connack
        except TimeoutError as err:
            self._abort()
            raise MqttError(f"broker {where} did not answer in time") from err
        except OSError as err:  # ssl.SSLError and certificate errors among them
            self._abort()
            raise MqttError(f"cannot reach broker {where}: {err}") from err
        except MqttError:
            self._abort()
            raise
        if int(connack.reason_code) != int(ConnAckReasonCode.SUCCESS):
            self._abort()
            raise MqttError(f"broker refused the connection: {connack.reason_code.name}")
        self._receive_max = connack.receive_max or 65535
        keep_alive = (
            connack.server_keep_alive
            if connack.server_keep_alive is not None
            else settings.keepalive_s
        )
        if keep_alive > 0:
            self._ping_interval_s = keep_alive / 2
            self._ping = loop.call_later(self._ping_interval_s, self._keep_alive)
        self._lost.clear()
        log.debug("mqtt5 session present=%s", connack.session_present)

    async def subscribe(self, topics: Sequence[str], qos: int) -> None:
        if not topics:
            return
        if self._lost.is_set():
            raise MqttError("not connected")
        packet_id = self._take_id()
        future: asyncio.Future[SubAckPacket] = asyncio.get_running_loop().create_future()
        self._subacks[packet_id] = future
        self._write(
            SubscribePacket(
                packet_id, [TopicFilter(topic, max_qos=QoS(qos)) for topic in topics]
            ).write()
        )
        try:
            async with asyncio.timeout(self._settings.connect_timeout_s):
                suback = await future
        except TimeoutError as err:
            raise MqttError("broker did not acknowledge the subscription in time") from err
        finally:
            self._subacks.pop(packet_id, None)
        refused = [
            topic
            for topic, code in zip(topics, suback.reason_codes, strict=False)
            if int(code) >= 0x80
        ]
        if refused or len(suback.reason_codes) < len(topics):
            raise MqttError(f"broker refused subscriptions: {', '.join(refused[:5])}")

    def publish(self, topic: str, payload: bytes, qos: int, *, retain: bool = False) -> None:
        if self._lost.is_set():
            raise MqttError("not connected")
        if qos == 0:
            self._write(PublishPacket(topic, payload, retain=retain).write())
            return
        packet_id = self._take_id()
        packet = PublishPacket(
            topic, payload, qos=QoS.AT_LEAST_ONCE, retain=retain, packet_id=packet_id
        ).write()
        self._drained.clear()
        self._unacked[packet_id] = packet
        if len(self._unacked) - len(self._queued) <= self._receive_max:
            self._write(packet)
        else:
            self._queued.append(packet_id)

    async def drain(self) -> None:
        while not self._drained.is_set():
            if self._lost.is_set():
                raise MqttError("connection lost with messages unacknowledged")
            waiters = [
                asyncio.ensure_future(self._drained.wait()),
                asyncio.ensure_future(self._lost.wait()),
            ]
            try:
                await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for waiter in waiters:
                    waiter.cancel()

    async def disconnect(self) -> None:
        if self._lost.is_set():
            self._abort()
            return
        self._lost.set()
        self._stop_pinging()
        transport = self._transport
        if transport is not None:
            # A normal DISCONNECT keeps the session (its expiry is the one CONNECT set);
            # close() sends what is buffered (the last PUBACKs) before it.
            transport.write(_DISCONNECT)
            transport.close()
        if self._closed is not None and not self._closed.done():
            try:
                async with asyncio.timeout(self._settings.connect_timeout_s):
                    await asyncio.shield(self._closed)
            except TimeoutError:
                self._abort()

    async def disconnected(self) -> None:
        await self._lost.wait()

    @property
    def connected(self) -> bool:
        return not self._lost.is_set()

    # -- asyncio protocol -------------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # A stream transport (asyncio's or uvloop's, which is no subclass of asyncio.Transport).
        self._transport = cast(asyncio.Transport, transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self._transport = None
        self._lost.set()
        self._stop_pinging()
        error = MqttError(f"connection closed: {exc}" if exc else "connection closed")
        if self._connack is not None and not self._connack.done():
            self._connack.set_exception(error)
        for future in self._subacks.values():
            if not future.done():
                future.set_exception(error)
        if self._closed is not None and not self._closed.done():
            self._closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        self._heard = True
        self._buffer += data
        if not self._paused:
            self._handle_buffer()

    def eof_received(self) -> bool | None:
        return None  # close

    # -- reading ----------------------------------------------------------------------------

    def _handle_buffer(self) -> None:
        """Handle the complete packets buffered, up to the read budget; then, with more left,
        pause reading and go on at the event loop's next turn."""
        buffer = self._buffer
        end = len(buffer)
        offset = 0
        more = False
        view = memoryview(buffer)
        try:
            while offset < end and self._transport is not None:
                if offset >= READ_BUDGET_BYTES:
                    more = True
                    break
                try:
                    packet, size = mqtt5.read(view[offset:])
                except IndexError:  # a partial packet, or one whose fields overrun its length
                    size = self._malformed_or_partial(view, offset, end)
                    if size == 0:
                        break
                except ValueError as err:
                    size = self._malformed(view, offset, end, err)
                except BaseException as err:
                    if not _is_codec_panic(err):
                        raise
                    size = self._malformed(view, offset, end, err)
                else:
                    try:
                        self._dispatch(packet)
                    except Exception as err:  # a handler's bug: that message stays unacknowledged
                        log.error("mqtt5 message handler failed error=%r", err)
                if size < 0:
                    offset = end
                    break
                offset += size
        finally:
            view.release()
        del buffer[:offset]
        if more and self._transport is not None:
            if not self._paused:
                self._paused = True
                self._transport.pause_reading()
            asyncio.get_running_loop().call_soon(self._next_turn)
        elif self._paused:
            self._paused = False
            if self._transport is not None:
                self._transport.resume_reading()

    def _next_turn(self) -> None:
        if self._transport is None:
            return
        self._handle_buffer()

    def _malformed_or_partial(self, view: memoryview, offset: int, end: int) -> int:
        try:
            length = frame_length(view, offset)
        except ValueError as err:
            return self._malformed(view, offset, end, err)
        if length is None or offset + length > end:
            return 0  # wait for the rest
        return self._malformed(view, offset, end, IndexError("fields overrun the packet"))

    def _malformed(self, view: memoryview, offset: int, end: int, error: BaseException) -> int:
        """Hand on a PUBLISH whose topic is not UTF-8; close on anything else malformed.
        The bytes it consumed, or -1 when the connection is being closed."""
        try:
            length = frame_length(view, offset)
        except ValueError:
            length = None
        if length is not None and offset + length <= end:
            odd = undecodable_publish(bytes(view[offset : offset + length]))
            if odd is not None:
                topic, packet_id, retain = odd
                self._deliver(topic, b"", retain, packet_id)
                return length
        log.warning(
            "mqtt5 malformed packet from broker, closing type=%d error=%s",
            view[offset] >> 4,
            str(error)[:200],
        )
        self._abort()
        return -1

    def _dispatch(self, packet: mqtt5.Packet) -> None:
        if type(packet) is PublishPacket:
            if packet.qos is QoS.AT_MOST_ONCE:
                if self._handler is not None:
                    self._handler(MqttMessage(packet.topic, packet.payload, packet.retain))
            elif packet.qos is QoS.AT_LEAST_ONCE and packet.packet_id is not None:
                self._deliver(packet.topic, packet.payload, packet.retain, packet.packet_id)
            else:  # QoS 2: never subscribed at it
                self._protocol_error(f"PUBLISH at QoS {int(packet.qos)}")
        elif type(packet) is PubAckPacket:
            self._on_puback(packet)
        elif type(packet) is PingRespPacket:
            self._ping_unanswered = False
        elif type(packet) is SubAckPacket:
            future = self._subacks.get(packet.packet_id)
            if future is not None and not future.done():
                future.set_result(packet)
        elif type(packet) is ConnAckPacket:
            if self._connack is not None and not self._connack.done():
                self._connack.set_result(packet)
            else:
                self._protocol_error("a second CONNACK")
        elif type(packet) is DisconnectPacket:
            log.warning(
                "mqtt5 broker disconnected us reason=%s detail=%r",
                packet.reason_code.name,
                (packet.reason_str or "")[:200],
            )
            self._abort()
        else:
            self._protocol_error(f"unexpected {type(packet).__name__}")

    def _protocol_error(self, what: str) -> None:
        log.warning("mqtt5 protocol error from broker, closing: %s", what)
        self._abort()

    def _deliver(self, topic: str | bytes, payload: bytes, retain: bool, mid: int | None) -> None:
        """A message to the handler; a QoS 1 one (``mid``) acknowledged when it says."""
        if self._handler is None:
            if mid is not None:
                self._write_acks([mid])
            return
        ack = self._handler(MqttMessage(topic, payload, retain))
        if mid is not None:
            self._acks.add(mid, ack)

    def _write_acks(self, mids: list[int]) -> None:
        if self._lost.is_set() or self._transport is None:
            return  # the broker redelivers to the next session
        self._transport.write(b"".join(map(puback, mids)))

    # -- publishing and keep-alive ----------------------------------------------------------

    def _on_puback(self, packet: PubAckPacket) -> None:
        if self._unacked.pop(packet.packet_id, None) is None:
            return
        if int(packet.reason_code) >= 0x80:
            log.warning(
                "mqtt5 broker refused a message reason=%s packet_id=%d",
                packet.reason_code.name,
                packet.packet_id,
            )
        while self._queued and len(self._unacked) - len(self._queued) < self._receive_max:
            self._write(self._unacked[self._queued.popleft()])
        if not self._unacked:
            self._drained.set()

    def _take_id(self) -> int:
        for _ in range(65535):
            self._next_id = self._next_id % 65535 + 1
            if self._next_id not in self._unacked and self._next_id not in self._subacks:
                return self._next_id
        raise MqttError("no packet id free: 65,535 messages unacknowledged")

    def _keep_alive(self) -> None:
        if self._transport is None:
            return
        if self._ping_unanswered and not self._heard:
            log.warning(
                "mqtt5 broker silent for a keep-alive (%.0f s), closing", 2 * self._ping_interval_s
            )
            self._abort()
            return
        self._heard = False
        self._ping_unanswered = True
        self._write(_PINGREQ)
        self._ping = asyncio.get_running_loop().call_later(self._ping_interval_s, self._keep_alive)

    def _stop_pinging(self) -> None:
        if self._ping is not None:
            self._ping.cancel()
            self._ping = None

    def _write(self, data: bytes) -> None:
        if self._transport is None:
            raise MqttError("not connected")
        self._transport.write(data)

    def _abort(self) -> None:
        self._lost.set()
        self._stop_pinging()
        transport, self._transport = self._transport, None
        if transport is not None:
            transport.abort()
