"""The shapes the pinned ``mqtt5`` codec really returns, which mqtt5_client.py relies on.

Its stubs say the reason codes and QoS are ``IntEnum``; in 0.8 they are not (no ordering
against an int, no hash). A partial packet is ``IndexError``, a malformed one ``ValueError``,
and a topic that is not UTF-8 a Rust panic. If an upgrade changes any of this, these fail first.
"""

from __future__ import annotations

from importlib.metadata import version

import mqtt5
import pytest

from collector.telemetry.client import puback
from collector.telemetry.mqtt5_client import frame_length, undecodable_publish


def bad_topic_publish(qos: int, packet_id: int = 7, retain: bool = False) -> bytes:
    topic = b"reservewatch/sites/\xff/telemetry"
    body = len(topic).to_bytes(2, "big") + topic
    if qos:
        body += packet_id.to_bytes(2, "big")
    body += b"\x00{}"  # no properties, a payload
    return bytes([0x30 | qos << 1 | retain, len(body)]) + body


def test_the_pinned_version() -> None:
    assert version("mqtt5").startswith("0.8.")


def test_reason_codes_and_qos_are_singletons_compared_by_identity_or_int() -> None:
    suback, _ = mqtt5.read(
        mqtt5.SubAckPacket(
            1, [mqtt5.SubAckReasonCode.GRANTED_QOS_AT_LEAST_ONCE, mqtt5.SubAckReasonCode(135)]
        ).write()
    )
    assert type(suback) is mqtt5.SubAckPacket
    granted, refused = suback.reason_codes
    assert granted is mqtt5.SubAckReasonCode.GRANTED_QOS_AT_LEAST_ONCE
    assert refused is mqtt5.SubAckReasonCode.NOT_AUTHORIZED
    assert int(refused) == 135 and refused == 135 and refused.name == "NOT_AUTHORIZED"
    with pytest.raises(TypeError):
        assert refused >= 0x80  # why the client compares int(code)
    with pytest.raises(TypeError):
        hash(refused)
    publish, _ = mqtt5.read(
        mqtt5.PublishPacket("a/b", b"{}", qos=mqtt5.QoS(1), packet_id=9, retain=True).write()
    )
    assert type(publish) is mqtt5.PublishPacket
    assert publish.qos is mqtt5.QoS.AT_LEAST_ONCE
    assert (publish.topic, publish.payload, publish.packet_id, publish.retain) == (
        "a/b",
        b"{}",
        9,
        True,
    )
    assert type(publish.topic) is str and type(publish.payload) is bytes


def test_connack_defaults_the_client_reads() -> None:
    connack, _ = mqtt5.read(mqtt5.ConnAckPacket(session_present=True).write())
    assert type(connack) is mqtt5.ConnAckPacket
    assert connack.reason_code is mqtt5.ConnAckReasonCode.SUCCESS
    assert connack.session_present is True
    assert connack.server_keep_alive is None
    assert connack.receive_max == 65535


def test_our_short_puback_is_a_success_puback_to_the_codec() -> None:
    packet, size = mqtt5.read(puback(513))
    assert type(packet) is mqtt5.PubAckPacket
    assert (packet.packet_id, size) == (513, 4)
    assert packet.reason_code is mqtt5.PubAckReasonCode.SUCCESS


def test_read_takes_a_memoryview_and_says_how_much_it_used() -> None:
    one = mqtt5.PingRespPacket().write()
    buffer = bytearray(one + mqtt5.PubAckPacket(3).write() + b"\x30")
    view = memoryview(buffer)
    packet, size = mqtt5.read(view)
    assert type(packet) is mqtt5.PingRespPacket and size == len(one)
    packet, size2 = mqtt5.read(view[size:])
    assert type(packet) is mqtt5.PubAckPacket
    with pytest.raises(IndexError, match="Not enough bytes"):
        mqtt5.read(view[size + size2 :])
    view.release()


@pytest.mark.parametrize(
    "data",
    [b"\x00\x00", b"\x30\xff\xff\xff\xff\xff", b"\x32\x03\x00\x01a", b"\xf0\x00"],
)
def test_malformed_packets_are_value_errors(data: bytes) -> None:
    with pytest.raises(ValueError):
        mqtt5.read(data)


# The codec reports the UnicodeDecodeError behind its panic through sys.unraisablehook.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_a_topic_that_is_not_utf8_panics_and_we_read_it_ourselves() -> None:
    frame = bad_topic_publish(1, packet_id=300, retain=True)
    with pytest.raises(BaseException) as caught:
        mqtt5.read(frame)
    assert type(caught.value).__name__ == "PanicException"
    assert not isinstance(caught.value, Exception)  # so `except Exception` would not catch it
    assert undecodable_publish(frame) == (b"reservewatch/sites/\xff/telemetry", 300, True)
    assert undecodable_publish(bad_topic_publish(0)) == (
        b"reservewatch/sites/\xff/telemetry",
        None,
        False,
    )
    good = mqtt5.PublishPacket("a", b"x").write()
    assert undecodable_publish(good) is None
    assert undecodable_publish(mqtt5.PingRespPacket().write()) is None
    assert undecodable_publish(frame[:5]) is None


def test_frame_length() -> None:
    big = mqtt5.PublishPacket("t", b"x" * 100_000).write()
    assert frame_length(big) == len(big)
    assert frame_length(big[:2]) is None
    assert frame_length(b"\xd0\x00") == 2
    assert frame_length(b"\x00\x01\xd0\x00", 2) == 2
    with pytest.raises(ValueError, match="4 bytes"):
        frame_length(b"\x30\xff\xff\xff\xff\x01")
