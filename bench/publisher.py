"""A fast MQTT 3.1.1 publisher of realistic per-machine telemetry, run as its own process.

Packets are built before the clock starts, then written to a plain socket in large chunks;
at QoS 1 a thread reads the broker's PUBACKs (packet ids cycle through 1–65,535, each one long
acknowledged before it comes round again). ``mosquitto_pub -l`` is not used: at QoS 1 it lost
most of a 100,000-message burst.

    python -m bench.publisher --port 1883 --sites 100 --miners 1000 --qos 1 [--batch 100]

Prints one JSON line: ``{"start": t0, "end": t1, "messages": n, "readings": r, "acks": a}``
(``time.time()`` seconds; ``end`` is when the last byte, or at QoS 1 the last PUBACK, was
handled).
"""

from __future__ import annotations

import argparse
import json
import random
import socket
import threading
import time
from datetime import UTC, datetime

from bench.common import PREFIX, site_ids


def _remaining_length(length: int) -> bytes:
    encoded = bytearray()
    while True:
        digit, length = length % 128, length // 128
        encoded.append(digit | (0x80 if length else 0))
        if not length:
            return bytes(encoded)


def _publish_packet(topic: bytes, payload: bytes, qos: int, packet_id: int) -> bytes:
    variable = len(topic).to_bytes(2, "big") + topic
    if qos:
        variable += packet_id.to_bytes(2, "big")
    body = variable + payload
    return bytes((0x30 | (qos << 1),)) + _remaining_length(len(body)) + body


def _connect_packet(client_id: str) -> bytes:
    name = client_id.encode()
    # protocol "MQTT", level 4, clean session, keep-alive 0 (no pings needed)
    variable = b"\x00\x04MQTT\x04\x02\x00\x00"
    body = variable + len(name).to_bytes(2, "big") + name
    return b"\x10" + _remaining_length(len(body)) + body


def miner_reading(rng: random.Random, ts: str) -> bytes:
    """About 130 bytes, as a machine's controller would send (extra fields are ignored)."""
    power_w = 3400 + rng.random() * 300
    return (
        b'{"ts":"%s","hashrate_hs":%.4e,"power_w":%.1f,"status":"online",'
        b'"chip_temp_c":%.1f,"fan_rpm":%d,"model":"S21"}'
        % (ts.encode(), power_w / 17.5 * 1e12, power_w, 60 + rng.random() * 15, 5000)
    )


def site_reading(rng: random.Random, ts_s: int, energy_wh: int) -> bytes:
    """A site gateway's reading (``{prefix}/sites/{site}/telemetry``), about 140 bytes."""
    power_w = 48_000_000 + rng.random() * 1_000_000
    return b'{"ts":%d,"power_w":%.1f,"energy_wh":%d,"hashrate_hs":%.4e,"miners_online":%d,' % (
        ts_s,
        power_w,
        energy_wh,
        power_w / 17.5 * 1e12,
        9_800,
    ) + b'"miners_total":10000,"inlet_temp_c":%.1f}' % (-5 + rng.random() * 3)


def build_site_packets(*, sites: int, readings_per_site: int, qos: int) -> list[bytes]:
    """Single-site readings, one a second per site (the newest a second ago), in rounds."""
    rng = random.Random(1)
    first_s = int(time.time()) - readings_per_site - 1
    packets: list[bytes] = []
    packet_id = 0
    energy = dict.fromkeys(site_ids(sites), 1_000_000)
    for second in range(readings_per_site):
        for site_id in energy:
            energy[site_id] += 13_400  # ~48 MW for one second, in Wh
            topic = f"{PREFIX}/sites/{site_id}/telemetry".encode()
            packet_id = packet_id % 65535 + 1
            payload = site_reading(rng, first_s + second, energy[site_id])
            packets.append(_publish_packet(topic, payload, qos, packet_id))
    return [b"".join(packets[i : i + 500]) for i in range(0, len(packets), 500)]


def build_packets(
    *, sites: int, miners: int, rounds: int, qos: int, batch: int, seed: int = 1
) -> tuple[list[bytes], int, int]:
    """The whole stream as chunks of packets; also the counts of messages and readings."""
    rng = random.Random(seed)
    now = int(time.time())
    ids = site_ids(sites)
    chunks: list[bytes] = []
    chunk: list[bytes] = []
    messages = readings = 0
    packet_id = 0
    for round_index in range(rounds):
        ts = datetime.fromtimestamp(now - 60 * (rounds - round_index), UTC)
        ts_text = ts.strftime("%Y-%m-%dT%H:%M:%SZ")
        for site_id in ids:
            site_topic = f"{PREFIX}/sites/{site_id}/miners"
            if batch > 1:
                bulk = site_topic.encode()
                for first in range(0, miners, batch):
                    body = b",".join(
                        miner_reading(rng, ts_text)[:-1] + b',"miner_id":"m-%06d"}' % number
                        for number in range(first, min(first + batch, miners))
                    )
                    packet_id = packet_id % 65535 + 1
                    chunk.append(_publish_packet(bulk, b"[" + body + b"]", qos, packet_id))
                    messages += 1
                    readings += min(batch, miners - first)
            else:
                for number in range(miners):
                    topic = f"{site_topic}/m-{number:06d}".encode()
                    packet_id = packet_id % 65535 + 1
                    chunk.append(
                        _publish_packet(topic, miner_reading(rng, ts_text), qos, packet_id)
                    )
                    messages += 1
                    readings += 1
            if len(chunk) >= 500:
                chunks.append(b"".join(chunk))
                chunk = []
    if chunk:
        chunks.append(b"".join(chunk))
    return chunks, messages, readings


def _read_acks(sock: socket.socket, expected: int, result: dict[str, float]) -> None:
    received = 0
    needed = 4 * expected
    while received < needed:
        data = sock.recv(1 << 20)
        if not data:
            break
        received += len(data)
    result["acks"] = received // 4
    result["end"] = time.time()


def publish(
    port: int, chunks: list[bytes], messages: int, qos: int, rate: float = 0.0
) -> dict[str, float]:
    """Send every chunk; ``rate`` > 0 paces the stream to about that many messages a second."""
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sock.sendall(_connect_packet(f"bench-pub-{time.time_ns()}"))
    connack = sock.recv(4)
    if len(connack) != 4 or connack[3] != 0:
        raise ConnectionError(f"broker refused the publisher: {connack!r}")
    result: dict[str, float] = {"acks": 0.0}
    reader = None
    if qos:
        reader = threading.Thread(target=_read_acks, args=(sock, messages, result), daemon=True)
        reader.start()
    result["start"] = time.time()
    sent = 0
    for chunk in chunks:
        sock.sendall(chunk)
        if rate > 0:
            sent += chunk.count(b'"ts":')  # readings in this chunk
            ahead_s = result["start"] + sent / rate - time.time()
            if ahead_s > 0:
                time.sleep(ahead_s)
    if reader is not None:
        reader.join()
    else:
        result["end"] = time.time()
    sock.sendall(b"\xe0\x00")  # DISCONNECT
    sock.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--sites", type=int, default=100)
    parser.add_argument("--miners", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--qos", type=int, choices=(0, 1), default=0)
    parser.add_argument("--batch", type=int, default=1)
    parser.add_argument("--rate", type=float, default=0.0, help="readings a second (0: flat out)")
    parser.add_argument(
        "--shape", choices=("miners", "site"), default="miners", help="per-machine or per-site"
    )
    args = parser.parse_args()
    if args.shape == "site":  # --miners readings per site, each site's one a second
        chunks = build_site_packets(sites=args.sites, readings_per_site=args.miners, qos=args.qos)
        messages = readings = args.sites * args.miners
    else:
        chunks, messages, readings = build_packets(
            sites=args.sites,
            miners=args.miners,
            rounds=args.rounds,
            qos=args.qos,
            batch=args.batch,
        )
    print(json.dumps({"ready": True, "messages": messages, "readings": readings}), flush=True)
    result = publish(args.port, chunks, messages, args.qos, args.rate)
    print(json.dumps({**result, "messages": messages, "readings": readings}), flush=True)


if __name__ == "__main__":
    main()
