"""The small MQTT interface the collector needs, and its gmqtt implementation.

    MqttClient (protocol)     connect · subscribe · publish · drain · disconnect · disconnected
    ├── Mqtt5Client           MQTT 5 on the ``mqtt5`` codec (mqtt5_client.py): the collector's
    └── GmqttClient           one broker session over gmqtt, for 3.1.1 (the demo's amqtt) and
                              the simulator's publishers; neither reconnects on its own
    MqttSettings              where and how to connect, built from ``config.mqtt``

A message is handed to the synchronous ``handler``, which processes it at once and returns
either ``None`` (acknowledge now) or a future that completes once what the message changed is
persisted; the PUBACK goes out only then, so a reading is never acknowledged before it has been
persisted. Many messages share one future (the service's next flush), and their PUBACKs leave
in one write when it completes. No task and no future is made per message: at QoS 0 gmqtt calls
the handler directly; at QoS 1 :class:`GmqttClient` takes over gmqtt's QoS 1 dispatch (gmqtt
would otherwise wrap every message in a task to learn when to acknowledge it). Sessions are
persistent (fixed client id, ``clean_start=False``, a session expiry) so the broker queues
readings while the collector is away.

gmqtt's own reconnect loop uses a fixed delay; :class:`GmqttClient` switches it off and the
service reconnects with a fresh client and a :class:`Backoff` instead.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import ssl
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

import gmqtt
from gmqtt.mqtt.constants import MQTTv50, MQTTv311

from collector.config.base import resolve_secret
from collector.config.sections import MqttConfig
from collector.errors import ReservewatchError
from collector.telemetry.acks import AckBatcher

log = logging.getLogger(__name__)


class MqttError(ReservewatchError):
    """The broker could not be reached, refused us, or did not answer in time."""


class MqttMessage(NamedTuple):
    """An inbound message. ``topic`` is ``bytes`` when the broker sent invalid UTF-8.
    (A named tuple: one is made per message, at a third of a frozen dataclass's cost.)"""

    topic: str | bytes
    payload: bytes
    retain: bool


MessageHandler = Callable[[MqttMessage], asyncio.Future[None] | None]
"""Processes one message at once; returns ``None`` to acknowledge it now, or a future (shared by
many messages) to acknowledge it when that future completes. A cancelled future, or one that
failed, acknowledges nothing: the broker redelivers to the next session."""


def puback(mid: int) -> bytes:
    """A PUBACK for packet ``mid`` (MQTT 3.1.1 and 5 alike)."""
    # PUBACK: fixed header 0x40, remaining length 2, packet id. MQTT 5 lets the reason code
    # (0, success) and properties be omitted when the remaining length is 2 (§3.4.2.1).
    return b"\x40\x02" + mid.to_bytes(2, "big")


@dataclass(frozen=True, slots=True)
class MqttSettings:
    """Everything needed to open a session. Build from config with :meth:`from_config`."""

    host: str
    port: int
    client_id: str
    protocol: str = "5"
    persistent: bool = True
    session_expiry_s: int = 7 * 24 * 3600
    username: str | None = None
    password: str | None = None
    tls: ssl.SSLContext | None = None
    keepalive_s: int = 30
    connect_timeout_s: float = 10.0

    @classmethod
    def from_config(cls, mqtt: MqttConfig, client_id: str | None = None) -> MqttSettings:
        """Settings from ``config.mqtt``; resolves the password and builds the TLS context."""
        secret = resolve_secret(mqtt.password_env, mqtt.password_file, "mqtt.password")
        tls: ssl.SSLContext | None = None
        if mqtt.tls:
            tls = ssl.create_default_context(cafile=str(mqtt.ca_file) if mqtt.ca_file else None)
            if mqtt.cert_file:
                tls.load_cert_chain(
                    str(mqtt.cert_file), str(mqtt.key_file) if mqtt.key_file else None
                )
        return cls(
            host=mqtt.host,
            port=mqtt.port,
            client_id=client_id or mqtt.client_id,
            protocol=mqtt.protocol,
            session_expiry_s=mqtt.session_expiry_s,
            username=mqtt.username,
            password=secret.get_secret_value() if secret else None,
            tls=tls,
        )


class MqttClient(Protocol):
    async def connect(self) -> None:
        """Open the session; raise :class:`MqttError` when refused or unreachable."""
        ...

    async def subscribe(self, topics: Sequence[str], qos: int) -> None:
        """Subscribe and wait for the broker's SUBACK."""
        ...

    def publish(self, topic: str, payload: bytes, qos: int, *, retain: bool = False) -> None:
        """Queue a message; QoS 1 messages are kept and resent until acknowledged."""
        ...

    async def drain(self) -> None:
        """Wait until every QoS 1 message published so far has been acknowledged."""
        ...

    async def disconnect(self) -> None:
        """Close the session cleanly (the broker keeps a persistent session)."""
        ...

    async def disconnected(self) -> None:
        """Return when the connection is lost (or closed)."""
        ...


class _NoAutoReconnect(gmqtt.Client):  # type: ignore[misc]  # gmqtt ships no type hints
    """gmqtt's client without its fixed-delay reconnect: our supervisor reconnects."""

    async def reconnect(self, delay: bool = False) -> None:
        return

    async def _create_connection(self, *args: Any, **kwargs: Any) -> Any:
        connection = await super()._create_connection(*args, **kwargs)
        protocol = connection._protocol  # gmqtt has no hook for its read loop
        protocol.read = functools.partial(_read_fairly, protocol.read)
        return connection


_READ_CHUNK_BYTES = 8 * 1024


async def _read_fairly(read: Callable[[int], Awaitable[bytes]], n: int = -1) -> bytes:
    """gmqtt's read, at most 8 KiB, after letting the event loop run all else that is ready.

    gmqtt's read loop takes up to 64 KiB from the socket buffer and handles every packet in it
    before reading again; when the buffer already holds more (a flood), ``StreamReader.read``
    returns at once and the loop never lets another task in — a ``/metrics`` scrape or an API
    request waited until the flood paused, and every database round trip of a request (its
    result comes back through the loop) waited a whole chunk again. One yield per 8 KiB
    (~60 readings, about a millisecond) lets them in between chunks, at a cost too small to
    measure; gmqtt keeps a partial packet for the next read.
    """
    await asyncio.sleep(0)
    return await read(min(n, _READ_CHUNK_BYTES) if n > 0 else _READ_CHUNK_BYTES)


class GmqttClient:
    """One session with the broker through gmqtt. Build a new one to reconnect.

    ``handler`` receives every message and says when to acknowledge it (see
    :data:`MessageHandler`). When ``handler`` is ``None`` the client only publishes.
    """

    def __init__(self, settings: MqttSettings, handler: MessageHandler | None = None) -> None:
        self._settings = settings
        self._handler = handler
        properties: dict[str, Any] = {}
        if settings.protocol == "5":
            properties["session_expiry_interval"] = (
                settings.session_expiry_s if settings.persistent else 0
            )
            properties["receive_maximum"] = 65535
        self._client = _NoAutoReconnect(
            settings.client_id,
            clean_session=not settings.persistent,
            optimistic_acknowledgement=False,
            **properties,
        )
        if settings.username is not None:
            self._client.set_auth_credentials(settings.username, settings.password)
        self._client.on_message = self._on_message
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        # gmqtt runs a coroutine handler as one task per message and acknowledges when it
        # ends; a synchronous handler it never acknowledges. We dispatch QoS 1 ourselves.
        self._client._package_handler._handle_qos_1_publish_packet = self._on_qos1_message
        self._lost = asyncio.Event()
        self._subacks: dict[int, asyncio.Future[tuple[int, ...]]] = {}
        self._acks = AckBatcher(self._write_acks)

    def _on_message(
        self,
        _client: Any,
        topic: str | bytes,
        payload: bytes,
        _qos: int,
        properties: dict[str, Any],
    ) -> None:
        # QoS 0 (nothing to acknowledge).
        if self._handler is not None:
            self._handler(MqttMessage(topic, payload, bool(properties.get("retain"))))

    def _on_qos1_message(
        self, mid: int, payload: bytes, topic: str | bytes, properties: dict[str, Any]
    ) -> None:
        if self._handler is None:
            self._write_acks([mid])
            return
        self._acks.add(
            mid, self._handler(MqttMessage(topic, payload, bool(properties.get("retain"))))
        )

    def _write_acks(self, mids: list[int]) -> None:
        connection = self._client._connection
        if self._lost.is_set() or connection is None:
            return  # the broker redelivers to the next session
        connection._protocol.write_data(b"".join(map(puback, mids)))

    def _on_disconnect(self, _client: Any, _packet: Any, _exc: Any = None) -> None:
        self._lost.set()

    def _on_subscribe(self, _client: Any, mid: int, qos: Sequence[int], _properties: Any) -> None:
        future = self._subacks.pop(mid, None)
        if future is not None and not future.done():
            future.set_result(tuple(qos))

    async def connect(self) -> None:
        version = MQTTv50 if self._settings.protocol == "5" else MQTTv311
        try:
            async with asyncio.timeout(self._settings.connect_timeout_s):
                await self._client.connect(
                    self._settings.host,
                    self._settings.port,
                    ssl=self._settings.tls or False,
                    keepalive=self._settings.keepalive_s,
                    version=version,
                )
        except TimeoutError as err:
            await self._abandon()
            raise MqttError(
                f"broker {self._settings.host}:{self._settings.port} did not answer in time"
            ) from err
        except gmqtt.MQTTConnectError as err:
            await self._abandon()
            raise MqttError(f"broker refused the connection: {err}") from err
        except (OSError, ssl.SSLError) as err:
            await self._abandon()
            raise MqttError(
                f"cannot reach broker {self._settings.host}:{self._settings.port}: {err}"
            ) from err
        self._lost.clear()

    async def _abandon(self) -> None:
        self._lost.set()
        if self._client._connection is not None:
            await self._client.disconnect()

    async def subscribe(self, topics: Sequence[str], qos: int) -> None:
        if not topics:
            return
        subscriptions = [gmqtt.Subscription(topic, qos=qos) for topic in topics]
        mid = self._client.subscribe(subscriptions)
        future: asyncio.Future[tuple[int, ...]] = asyncio.get_running_loop().create_future()
        self._subacks[mid] = future
        try:
            async with asyncio.timeout(self._settings.connect_timeout_s):
                granted = await future
        except TimeoutError as err:
            raise MqttError("broker did not acknowledge the subscription in time") from err
        refused = [topic for topic, code in zip(topics, granted, strict=False) if code >= 0x80]
        if refused:
            raise MqttError(f"broker refused subscriptions: {', '.join(refused[:5])}")

    def publish(self, topic: str, payload: bytes, qos: int, *, retain: bool = False) -> None:
        self._client.publish(topic, payload, qos=qos, retain=retain)

    async def drain(self) -> None:
        # gmqtt keeps unacknowledged QoS 1 messages in its storage until PUBACK.
        await self._client._persistent_storage.wait_empty()

    async def disconnect(self) -> None:
        if not self._lost.is_set():
            self._lost.set()
            await self._client.disconnect()

    async def disconnected(self) -> None:
        await self._lost.wait()

    @property
    def connected(self) -> bool:
        return not self._lost.is_set() and bool(self._client.is_connected)
