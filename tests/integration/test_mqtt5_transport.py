"""The MQTT 5 transport (mqtt5 codec + our asyncio protocol) against real Mosquitto, and against
a scripted broker on loopback for what Mosquitto never sends (a topic that is not UTF-8, a
malformed packet, a packet split across reads)."""

# ruff: noqa: ASYNC110 - polling the store and the service is how these tests watch progress

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from datetime import timedelta
from pathlib import Path

import mqtt5
import pytest

from collector.clock import FrozenClock
from collector.config.sections import MqttConfig
from collector.store.queries import Store
from collector.telemetry import mqtt5_client
from collector.telemetry.client import GmqttClient, MessageHandler, MqttError, MqttSettings
from collector.telemetry.mqtt5_client import Mqtt5Client
from collector.telemetry.service import TelemetryService, default_client
from tests.integration.mosquitto import Mosquitto, free_port
from tests.support.certs import TestCA
from tests.support.telemetry import (
    START,
    Running,
    make_config,
    new_service,
    publisher,
    reading,
    stored_samples,
)

pytestmark = pytest.mark.integration

TELEMETRY = "reservewatch/sites/north-1/telemetry"


async def test_protocol_5_runs_on_the_mqtt5_codec_and_3_1_1_on_gmqtt(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    clients: list[object] = []

    def factory(settings: MqttSettings, handler: MessageHandler) -> object:
        client = default_client(settings, handler)
        clients.append(client)
        return client

    for protocol, kind in (("5", Mqtt5Client), ("3.1.1", GmqttClient)):
        clients.clear()

        service = TelemetryService(
            make_config(broker.port, protocol=protocol, client_id=f"rw-{protocol}"),
            sqlite_store,
            FrozenClock(START + timedelta(minutes=10)),
            flush_interval_s=0.1,
            client_factory=factory,  # type: ignore[arg-type]
        )
        running = await Running.start(service)
        pub = await publisher(broker.port)
        pub.publish(TELEMETRY, reading(1 if protocol == "5" else 2), qos=1)
        await pub.drain()
        await pub.disconnect()
        async with asyncio.timeout(10):
            while service.message_counts()["north-1"] < 1:
                await asyncio.sleep(0.02)
        await running.stop()
        assert [type(client) for client in clients] == [kind]
    async with asyncio.timeout(10):
        while (await stored_samples(sqlite_store)).get("north-1") != 2:
            await asyncio.sleep(0.05)


async def test_keep_alive_pings_hold_an_idle_session_and_a_silent_broker_is_noticed(
    broker: Mosquitto,
) -> None:
    settings = MqttSettings(
        host="127.0.0.1", port=broker.port, client_id="idle", persistent=False, keepalive_s=1
    )
    client = Mqtt5Client(settings, lambda _message: None)
    await client.connect()
    await client.subscribe(["reservewatch/#"], 1)
    await asyncio.sleep(3.5)  # Mosquitto drops a client silent for 1.5 keep-alives
    assert client.connected
    assert broker.pid is not None
    os.kill(broker.pid, signal.SIGSTOP)
    try:
        started = asyncio.get_running_loop().time()
        async with asyncio.timeout(5):
            await client.disconnected()
        # A ping every half keep-alive; the next finds the last unanswered: ≤ 1 s + a tick.
        assert asyncio.get_running_loop().time() - started < 2.0
    finally:
        os.kill(broker.pid, signal.SIGCONT)
    await client.disconnect()


async def test_a_flood_is_handled_a_read_budget_per_event_loop_turn(
    broker: Mosquitto, sqlite_store: Store
) -> None:
    """20,000 readings queued for the persistent session arrive at once on reconnect; no turn
    of the event loop handles more than the budget's worth, so a scrape gets its turns."""
    clock = FrozenClock(START + timedelta(hours=15))  # the last reading is 5,000 × 10 s on
    config = make_config(broker.port, client_id="rw-flood")
    running = await Running.start(new_service(config, sqlite_store, clock))
    await running.stop()  # the session stays at the broker and queues what follows
    pub = await publisher(broker.port)
    total = 20_000
    for index in range(total // 4):
        for site_id in ("north-1", "north-2", "south-1", "south-2"):
            pub.publish(f"reservewatch/sites/{site_id}/telemetry", reading(index), qos=1)
    await pub.drain()
    await pub.disconnect()

    turns = 0
    per_turn: dict[int, int] = {}
    stop = asyncio.Event()

    async def ticker() -> None:
        nonlocal turns
        while not stop.is_set():
            turns += 1
            await asyncio.sleep(0)

    service = new_service(config, sqlite_store, clock)

    def counting(settings: MqttSettings, handler: MessageHandler) -> Mqtt5Client:
        def handle(message: mqtt5_client.MqttMessage) -> asyncio.Future[None] | None:
            per_turn[turns] = per_turn.get(turns, 0) + 1
            return handler(message)

        return Mqtt5Client(settings, handle)

    service._client_factory = counting
    tick = asyncio.create_task(ticker())
    running = Running(service)
    try:
        async with asyncio.timeout(60):
            while sum(service.message_counts().values()) < total:
                await asyncio.sleep(0.05)
    finally:
        stop.set()
        await tick
        await running.stop()
    frame = len(mqtt5.PublishPacket(TELEMETRY, reading(0), qos=mqtt5.QoS(1), packet_id=1).write())
    most = max(per_turn.values())
    assert mqtt5_client.READ_BUDGET_BYTES <= 64 * 1024  # a millisecond or a few of work
    assert sum(per_turn.values()) == total
    assert most <= mqtt5_client.READ_BUDGET_BYTES // frame + 1, (most, len(per_turn))
    print(f"flood: {total} readings in {len(per_turn)} turns, at most {most} a turn")
    assert len(per_turn) >= total // (mqtt5_client.READ_BUDGET_BYTES // frame + 1)
    assert await stored_samples(sqlite_store) == dict.fromkeys(
        ("north-1", "north-2", "south-1", "south-2"), total // 4
    )


def test_publish_subscribe_and_ack_on_uvloop_as_the_collector_runs(broker: Mosquitto) -> None:
    """uvloop's transports are no asyncio.Transport subclasses; the collector runs on it."""
    import uvloop

    async def scenario() -> list[tuple[str | bytes, bytes, bool]]:
        got: list[tuple[str | bytes, bytes, bool]] = []
        done = asyncio.get_running_loop().create_future()

        def handle(message: mqtt5_client.MqttMessage) -> asyncio.Future[None] | None:
            got.append((message.topic, message.payload, message.retain))
            if len(got) == 500:
                done.set_result(None)
            return done if len(got) % 2 else None  # half acknowledged at once, half later

        base = {"host": "127.0.0.1", "port": broker.port}
        subscriber = Mqtt5Client(MqttSettings(**base, client_id="uv-sub"), handle)
        await subscriber.connect()
        await subscriber.subscribe(["t/#"], 1)
        sender = Mqtt5Client(MqttSettings(**base, client_id="uv-pub", persistent=False))
        await sender.connect()
        for index in range(500):
            sender.publish(f"t/{index}", str(index).encode(), 1)
        await sender.drain()  # every PUBACK from the broker
        await sender.disconnect()
        async with asyncio.timeout(10):
            await done
        await asyncio.sleep(0.1)
        await subscriber.disconnect()
        # Everything acknowledged: a new session with the same id gets nothing again.
        again = Mqtt5Client(MqttSettings(**base, client_id="uv-sub"), handle)
        await again.connect()
        await asyncio.sleep(0.5)
        await again.disconnect()
        return got

    got = uvloop.run(scenario())
    assert len(got) == 500
    assert [payload for _topic, payload, _retain in got] == [
        str(index).encode() for index in range(500)
    ]


async def test_tls_with_a_client_certificate(tmp_path: Path) -> None:
    ca = TestCA(tmp_path)
    server = ca.issue("127.0.0.1")
    client = ca.issue("reservewatch-collector", server=False)
    workdir = tmp_path / "broker"
    workdir.mkdir()
    port = free_port()
    broker = Mosquitto(
        workdir,
        port=port,
        listener_config=(
            f"listener {port} 127.0.0.1\n"
            f"cafile {ca.ca_file}\ncertfile {server.cert_file}\nkeyfile {server.key_file}\n"
            "require_certificate true\n"
        ),
    )
    broker.start()
    try:
        url = f"mqtts://127.0.0.1:{port}"
        with_cert = MqttSettings.from_config(
            MqttConfig(
                url=url,
                ca_file=ca.ca_file,
                cert_file=client.cert_file,
                key_file=client.key_file,
            )
        )
        session = Mqtt5Client(with_cert, lambda _message: None)
        await session.connect()
        await session.subscribe(["reservewatch/#"], 1)
        await session.disconnect()
        without = MqttSettings.from_config(MqttConfig(url=url, ca_file=ca.ca_file))
        with pytest.raises(MqttError):
            await Mqtt5Client(without, None).connect()
        (tmp_path / "other").mkdir()
        stranger_ca = TestCA(tmp_path / "other")
        with pytest.raises(MqttError, match="cannot reach"):
            await Mqtt5Client(
                MqttSettings.from_config(MqttConfig(url=url, ca_file=stranger_ca.ca_file)), None
            ).connect()
    finally:
        broker.stop()


class ScriptedBroker:
    """A loopback server that speaks MQTT 5 by a script, through the codec."""

    def __init__(self) -> None:
        self.connections: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.Queue()
        )
        self.server: asyncio.Server | None = None
        self.port = 0

    async def start(self) -> None:
        async def accept(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await self.connections.put((reader, writer))

        self.server = await asyncio.start_server(accept, "127.0.0.1", 0)
        self.port = self.server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self.server is not None:
            self.server.close()
            await self.server.wait_closed()


async def read_packet(reader: asyncio.StreamReader, buffer: bytearray) -> mqtt5.Packet:
    while True:
        with contextlib.suppress(IndexError):
            packet, size = mqtt5.read(bytes(buffer))
            del buffer[:size]
            return packet
        chunk = await reader.read(65536)
        if not chunk:
            raise EOFError
        buffer += chunk


async def accept_session(
    broker: ScriptedBroker,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, bytearray, mqtt5.ConnectPacket]:
    async with asyncio.timeout(10):
        reader, writer = await broker.connections.get()
    buffer = bytearray()
    connect = await read_packet(reader, buffer)
    assert type(connect) is mqtt5.ConnectPacket
    writer.write(mqtt5.ConnAckPacket().write())
    subscribe = await read_packet(reader, buffer)
    assert type(subscribe) is mqtt5.SubscribePacket
    assert [f.max_qos for f in subscribe.topic_filters] == [mqtt5.QoS.AT_LEAST_ONCE] * len(
        subscribe.topic_filters
    )
    writer.write(
        mqtt5.SubAckPacket(
            subscribe.packet_id,
            [mqtt5.SubAckReasonCode.GRANTED_QOS_AT_LEAST_ONCE] * len(subscribe.topic_filters),
        ).write()
    )
    await writer.drain()
    return reader, writer, buffer, connect


# The codec reports the UnicodeDecodeError behind its panic through sys.unraisablehook.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
async def test_a_misbehaving_broker_neither_crashes_the_collector_nor_gets_early_acks(
    sqlite_store: Store, caplog: pytest.LogCaptureFixture
) -> None:
    broker = ScriptedBroker()
    await broker.start()
    config = make_config(broker.port, session_expiry_s=3600)
    service = new_service(config, sqlite_store, FrozenClock(START + timedelta(minutes=10)))
    running = Running(service)
    try:
        reader, writer, buffer, connect = await accept_session(broker)
        assert (connect.client_id, connect.clean_start) == ("rw-test", False)
        assert connect.session_expiry_interval == 3600
        assert connect.keep_alive == 30
        assert connect.topic_alias_max == 0
        await running.wait_ready()

        # A reading split mid-packet across two reads: acknowledged only once committed.
        frame = mqtt5.PublishPacket(
            TELEMETRY, reading(1), qos=mqtt5.QoS.AT_LEAST_ONCE, packet_id=41
        ).write()
        writer.write(frame[:7])
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.write(frame[7:])
        await writer.drain()
        async with asyncio.timeout(5):
            ack = await read_packet(reader, buffer)
        assert type(ack) is mqtt5.PubAckPacket and ack.packet_id == 41
        assert (await stored_samples(sqlite_store)).get("north-1") == 1  # committed before the ack

        # A topic that is not UTF-8 (the codec panics on it): counted, acknowledged, no crash.
        topic = b"reservewatch/sites/\xff/telemetry"
        body = len(topic).to_bytes(2, "big") + topic + (42).to_bytes(2, "big") + b"\x00{}"
        writer.write(bytes([0x32, len(body)]) + body)
        await writer.drain()
        async with asyncio.timeout(5):
            ack = await read_packet(reader, buffer)
        assert type(ack) is mqtt5.PubAckPacket and ack.packet_id == 42
        assert service.rejected_counts()["bad_topic"] == 1

        # A malformed packet: one log line, the connection closed, and a new session.
        writer.write(b"\x00\x00")
        await writer.drain()
        async with asyncio.timeout(5):
            with pytest.raises(EOFError):
                await read_packet(reader, buffer)
        writer.close()
        _reader, writer, _buffer, _connect = await accept_session(broker)
        async with asyncio.timeout(5):
            while not service.ready:
                await asyncio.sleep(0.01)
        await running.stop()
        writer.close()
        malformed = [r for r in caplog.records if "malformed" in r.getMessage()]
        assert len(malformed) == 1 and "\n" not in malformed[0].getMessage()
    finally:
        await running.stop()
        await broker.close()
