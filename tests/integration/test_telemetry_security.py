"""The production Mosquitto config: TLS, passwords, an ACL that stops a site posing as another."""

# ruff: noqa: ASYNC110 - polling the service is how these tests watch progress

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from collector.backoff import Backoff
from collector.clock import FrozenClock
from collector.config.sections import DatabaseConfig
from collector.store.database import open_engine, upgrade
from collector.store.queries import Store
from collector.telemetry.client import GmqttClient, MqttError, MqttMessage, MqttSettings
from collector.telemetry.service import TelemetryService
from tests.integration.mosquitto import Mosquitto
from tests.support.telemetry import START, make_config

pytestmark = pytest.mark.integration

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "mosquitto"
PASSWORDS = {
    "reservewatch-collector": "collector-pw",
    "grid-operator": "grid-pw",
    "north-1": "north-1-pw",
    "north-2": "north-2-pw",
    "acl-probe": "probe-pw",
}
SERVICE_ACCOUNTS = ("reservewatch-collector", "grid-operator")
PROBE = "user acl-probe\ntopic read reservewatch/#\n"
"""A test-only account that reads every topic: what reaches it is what the broker delivered.
A ``user`` block of its own changes no other account's rights."""


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def write_certificates(directory: Path) -> None:
    """A test CA and a server certificate for 127.0.0.1 signed by it."""
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("reservewatch test CA"))
        .issuer_name(_name("reservewatch test CA"))
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    server_key = ec.generate_private_key(ec.SECP256R1())
    server_cert = (
        x509.CertificateBuilder()
        .subject_name(_name("127.0.0.1"))
        .issuer_name(ca_cert.subject)
        .public_key(server_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    pem = serialization.Encoding.PEM
    (directory / "ca.crt").write_bytes(ca_cert.public_bytes(pem))
    (directory / "server.crt").write_bytes(server_cert.public_bytes(pem))
    (directory / "server.key").write_bytes(
        server_key.private_bytes(
            pem, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )


@pytest.fixture
def secure_broker(tmp_path: Path) -> Iterator[Mosquitto]:
    etc = tmp_path / "etc"
    etc.mkdir()
    write_certificates(etc)
    passwd = etc / "passwd"
    for user, password in PASSWORDS.items():
        create = ["-c"] if not passwd.exists() else []
        subprocess.run(["mosquitto_passwd", *create, "-b", str(passwd), user, password], check=True)
    (etc / "acl").write_text((DEPLOY / "acl").read_text() + "\n" + PROBE)
    workdir = tmp_path / "broker"
    workdir.mkdir()
    broker = Mosquitto(workdir)
    production = (DEPLOY / "reservewatch.conf").read_text()
    production = production.replace("/etc/mosquitto/reservewatch/", f"{etc}/")
    production = production.replace("/var/lib/mosquitto/", f"{workdir}/")
    production = production.replace("listener 8883 0.0.0.0", f"listener {broker.port} 127.0.0.1")
    broker.full_config = production
    broker.start()
    yield broker
    broker.stop()


def tls_settings(broker: Mosquitto, user: str | None, client_id: str) -> MqttSettings:
    config = make_config(broker.port)
    context = MqttSettings.from_config(
        config.mqtt.model_copy(
            update={"url": f"mqtts://127.0.0.1:{broker.port}", "ca_file": broker_ca(broker)}
        )
    ).tls
    return MqttSettings(
        host="127.0.0.1",
        port=broker.port,
        client_id=client_id,
        persistent=False,
        username=user,
        password=PASSWORDS.get(user or ""),
        tls=context,
    )


def broker_ca(broker: Mosquitto) -> Path:
    return broker.workdir.parent / "etc" / "ca.crt"


def reading_at(seconds: int) -> bytes:
    ts = (START + timedelta(seconds=seconds)).isoformat().replace("+00:00", "Z")
    return orjson.dumps({"ts": ts, "power_w": 1_000_000})


async def test_sites_publish_only_as_themselves_and_anonymous_clients_are_refused(
    secure_broker: Mosquitto, tmp_path: Path
) -> None:
    password_file = tmp_path / "mqtt-password"
    password_file.write_text(PASSWORDS["reservewatch-collector"] + "\n")
    config = make_config(
        secure_broker.port,
        url=f"mqtts://127.0.0.1:{secure_broker.port}",
        username="reservewatch-collector",
        password_file=str(password_file),
        ca_file=str(broker_ca(secure_broker)),
    )
    engine = open_engine(DatabaseConfig(url=f"sqlite+aiosqlite:///{tmp_path}/t.db"))
    await upgrade(engine)
    store = Store(engine)
    service = TelemetryService(
        config,
        store,
        FrozenClock(START + timedelta(minutes=10)),
        flush_interval_s=0.05,
        backoff=Backoff(base_s=0.05, cap_s=0.5),
    )
    task = asyncio.create_task(service.run())
    try:
        async with asyncio.timeout(10):
            while not service.ready:
                await asyncio.sleep(0.01)

        with pytest.raises(MqttError, match="refused"):
            await GmqttClient(tls_settings(secure_broker, None, "anon")).connect()
        with pytest.raises(MqttError):
            plain = MqttSettings(
                host="127.0.0.1", port=secure_broker.port, client_id="plain", connect_timeout_s=1
            )
            await GmqttClient(plain).connect()

        site = GmqttClient(tls_settings(secure_broker, "north-1", "north-1-gw"))
        await site.connect()
        site.publish("reservewatch/sites/north-2/telemetry", reading_at(1), qos=1)  # forged
        site.publish("reservewatch/sites/north-1/telemetry", reading_at(2), qos=1)
        await site.drain()
        await site.disconnect()
        async with asyncio.timeout(10):
            while service.message_counts()["north-1"] < 1:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # time for the forged reading, were it let through
        assert service.message_counts()["north-2"] == 0
        assert service.site_snapshot().keys() == {"north-1"}
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await store.close()


async def test_service_accounts_publish_no_site_telemetry_not_even_under_their_own_names(
    secure_broker: Mosquitto,
) -> None:
    """The ACL's ``pattern`` lines grant every user its own site topics; the service accounts
    deny themselves theirs first, so nothing they publish there is delivered."""
    delivered: list[str] = []

    def record(message: MqttMessage) -> None:
        delivered.append(str(message.topic))

    probe = GmqttClient(tls_settings(secure_broker, "acl-probe", "probe"), record)
    await probe.connect()
    await probe.subscribe(["reservewatch/#"], qos=1)
    try:
        for account in SERVICE_ACCOUNTS:
            client = GmqttClient(tls_settings(secure_broker, account, f"{account}-test"))
            await client.connect()
            for channel in ("telemetry", "miners/m-1", "miners"):
                client.publish(f"reservewatch/sites/{account}/{channel}", reading_at(1), qos=1)
            await client.drain()
            await client.disconnect()
        site = GmqttClient(tls_settings(secure_broker, "north-1", "north-1-gw"))
        await site.connect()
        site.publish("reservewatch/sites/north-1/telemetry", reading_at(2), qos=1)
        await site.drain()
        await site.disconnect()
        async with asyncio.timeout(10):
            while "reservewatch/sites/north-1/telemetry" not in delivered:
                await asyncio.sleep(0.02)
        await asyncio.sleep(0.2)  # time for the service accounts' messages, were they let through
        assert delivered == ["reservewatch/sites/north-1/telemetry"]
    finally:
        await probe.disconnect()
