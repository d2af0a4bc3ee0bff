"""The telemetry service: MQTT in, site state and rollups out, metrics on the side.

``TelemetryService(config, store, clock).run()`` restores site states from the store, connects
(reconnecting with capped, jittered back-off), subscribes, and processes messages until
cancelled. Each accepted reading updates :class:`~collector.telemetry.sites.SiteBook` at once;
its message is acknowledged only after the next batch flush (every ``flush_interval_s`` or
``flush_max_readings``) has committed the rollups and site states in one transaction. On
cancel it flushes, lets the acknowledgements go out, and disconnects.
"""

from __future__ import annotations

import asyncio
import functools
import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from types import MappingProxyType

from collector.backoff import Backoff
from collector.clock import Clock
from collector.config.model import Config
from collector.errors import StoreError
from collector.store.queries import Store
from collector.store.records import CurtailmentRecord
from collector.telemetry.client import (
    GmqttClient,
    MessageHandler,
    MqttClient,
    MqttError,
    MqttMessage,
    MqttSettings,
)
from collector.telemetry.miners import MinerFleet
from collector.telemetry.mqtt5_client import Mqtt5Client
from collector.telemetry.payloads import (
    DEFAULT_MAX_HASHRATE_HS,
    REJECT_REASONS,
    CurtailmentOrder,
    Limits,
    MinerReading,
    Rejected,
    SiteReading,
    parse_curtailment_payload,
    parse_miner_payload,
    parse_site_payload,
    valid_miner_id,
)
from collector.telemetry.sites import SiteBook, SiteSnapshot, shard_of

log = logging.getLogger(__name__)

LIMITS_REFRESH_S = 0.1
"""How stale the receiving clock's ``now`` may be when a reading's timestamp is checked."""

ClientFactory = Callable[[MqttSettings, MessageHandler], MqttClient]
"""Builds a client for one session; tests pass one that connects elsewhere or fails on cue."""


def default_client(settings: MqttSettings, handler: MessageHandler) -> MqttClient:
    """MQTT 5 on the ``mqtt5`` codec (:class:`Mqtt5Client`); 3.1.1 (the demo's amqtt) on gmqtt."""
    if settings.protocol == "5":
        return Mqtt5Client(settings, handler)
    return GmqttClient(settings, handler)


class _RejectLog:
    """One structured log line per reason at most every ``interval_s``, with a suppressed count."""

    def __init__(self, clock: Clock, interval_s: float = 10.0) -> None:
        self._clock = clock
        self._interval_s = interval_s
        self._last: dict[str, float] = {}
        self._suppressed: dict[str, int] = {}

    def __call__(self, rejected: Rejected, topic: str) -> None:
        now = self._clock.monotonic()
        last = self._last.get(rejected.reason)
        if last is not None and now - last < self._interval_s:
            self._suppressed[rejected.reason] = self._suppressed.get(rejected.reason, 0) + 1
            return
        self._last[rejected.reason] = now
        log.warning(
            "telemetry rejected reason=%s topic=%s detail=%r suppressed=%d",
            rejected.reason,
            topic[:200],
            rejected.detail[:200],
            self._suppressed.pop(rejected.reason, 0),
        )


class TelemetryService:
    """Site telemetry over MQTT. See the module docstring for the life cycle."""

    def __init__(
        self,
        config: Config,
        store: Store,
        clock: Clock,
        *,
        client_factory: ClientFactory | None = None,
        flush_interval_s: float = 0.5,
        flush_max_readings: int = 20_000,
        backoff: Backoff | None = None,
        miner_sweep_s: float = 5.0,
    ) -> None:
        self._config = config
        self._mqtt = config.mqtt
        self._store = store
        self._clock = clock
        self._client_factory = client_factory or default_client
        self._flush_interval_s = flush_interval_s
        self._flush_max_readings = flush_max_readings
        self._backoff = backoff or Backoff()
        shard = self._mqtt.shard
        all_sites = [site.id for op in config.operations for site in op.sites]
        owned = [s for s in all_sites if shard_of(s, shard.count) == shard.index] if shard else None
        self._book = SiteBook(config, owned=owned)
        self._regions = {site.region for op in config.operations for site in op.sites}
        self._prefix = self._mqtt.topic_prefix.rstrip("/")
        self._client_id = (
            f"{self._mqtt.client_id}-{shard.index}of{shard.count}"
            if shard
            else self._mqtt.client_id
        )
        self._messages: dict[str, int] = dict.fromkeys(self._book.site_ids, 0)
        self._rejected: dict[str, int] = dict.fromkeys(REJECT_REASONS, 0)
        self._reject_log = _RejectLog(clock)
        self._max_hashrate_hs = DEFAULT_MAX_HASHRATE_HS
        self._connected = False
        self._ready = False
        self._store_ok = True
        self._closing = False
        self._closed = asyncio.Event()
        self._flush_now = asyncio.Event()
        self._batch: asyncio.Future[None] | None = None
        self._closed_ack: asyncio.Future[None] | None = None
        self._client: MqttClient | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._topic_head = self._prefix + "/"
        self._topic_head_length = len(self._topic_head)
        self._miners = MinerFleet(offline_after_s=self._mqtt.miner_offline_after_s)
        self._miner_readings = 0
        self._cached_limits: Limits | None = None
        self._limits_expiry = 0.0
        self._miner_sweep_s = miner_sweep_s
        self._next_sweep = 0.0

    # -- public views ---------------------------------------------------------------------

    @property
    def ready(self) -> bool:
        """True once state is restored and the first subscription is acknowledged."""
        return self._ready and self._connected

    @property
    def book(self) -> SiteBook:
        return self._book

    @property
    def miners(self) -> MinerFleet:
        """Every machine's latest reading (sites that publish per machine)."""
        return self._miners

    def topics(self) -> list[str]:
        """The topics this replica subscribes to (only its own sites' when sharded)."""
        if self._mqtt.shard is None:
            heads = [f"{self._prefix}/sites/+"]
        else:
            heads = [f"{self._prefix}/sites/{site_id}" for site_id in self._book.site_ids]
        sites = [
            f"{head}/{channel}" for head in heads for channel in ("telemetry", "miners", "miners/+")
        ]
        return [*sites, f"{self._prefix}/grid/+/curtailment"]

    def site_snapshot(self) -> dict[str, SiteSnapshot]:
        """Latest power, hash rate, energy and ``last_ts`` per site that has reported."""
        return self._book.snapshot()

    def set_network_hashrate(self, hashrate_hs: float) -> None:
        """The network's hash rate: no site may report more (until known: 2e21 H/s)."""
        if hashrate_hs > 0:
            self._max_hashrate_hs = hashrate_hs
            self._cached_limits = None

    def rejected_counts(self) -> dict[str, int]:
        return dict(self._rejected)

    def message_counts(self) -> dict[str, int]:
        return dict(self._messages)

    def now(self) -> datetime:
        """The service's clock's instant (what its figures are as of)."""
        return self._clock.now()

    @property
    def messages(self) -> Mapping[str, int]:
        """Readings accepted per site so far (a live, read-only view)."""
        return MappingProxyType(self._messages)

    @property
    def rejected(self) -> Mapping[str, int]:
        """Messages and readings refused so far, by reason (a live, read-only view)."""
        return MappingProxyType(self._rejected)

    @property
    def connected(self) -> bool:
        """Whether the MQTT connection is up."""
        return self._connected

    # -- message path ---------------------------------------------------------------------

    def _reject(self, rejected: Rejected, topic: str) -> None:
        self._rejected[rejected.reason] = self._rejected.get(rejected.reason, 0) + 1
        self._reject_log(rejected, topic)

    def _limits(self) -> Limits:
        # Rebuilt at most every LIMITS_REFRESH_S: reading the wall clock and building the
        # limits per message cost a tenth of the hot path; the time windows are minutes wide.
        monotonic = self._clock.monotonic()
        if monotonic >= self._limits_expiry or self._cached_limits is None:
            self._cached_limits = Limits(
                now=self._clock.now(),
                max_payload_bytes=self._mqtt.max_payload_bytes,
                max_future_s=self._mqtt.max_future_s,
                max_age_s=self._mqtt.max_age_s,
                max_hashrate_hs=self._max_hashrate_hs,
            )
            self._limits_expiry = monotonic + LIMITS_REFRESH_S
        return self._cached_limits

    async def handle(self, message: MqttMessage) -> None:
        """Process one message; return once what it changed is persisted (then it is acked)."""
        ack = self.receive(message)
        if ack is not None:
            await asyncio.shield(ack)

    def receive(self, message: MqttMessage) -> asyncio.Future[None] | None:
        """Process one message now; ``None`` or a future to acknowledge it by (see client).

        The hot path: no task and no future per message. Accepted readings share the future
        of the next flush; rejected messages are acknowledged at once (a redelivery would be
        rejected again).
        """
        if self._closing:
            # Not processed: never acknowledged, so the broker redelivers it next session.
            return self._closed_future()
        topic = message.topic
        if type(topic) is not str:
            self._reject(Rejected("bad_topic", "topic is not UTF-8"), repr(topic))
            return None
        if not topic.startswith(self._topic_head):
            self._reject(Rejected("bad_topic", "topic outside our prefix"), topic)
            return None
        parts = topic[self._topic_head_length :].split("/")
        kind = parts[0]
        if kind == "sites" and len(parts) >= 3:
            site_id = parts[1]
            if site_id not in self._book:
                self._reject(
                    Rejected("unknown_site", f"site {site_id[:64]!r} is not configured"), topic
                )
                return None
            channel = parts[2]
            if len(parts) == 3 and channel == "telemetry":
                accepted = self._handle_readings(site_id, message.payload, topic)
            elif len(parts) == 4 and channel == "miners":
                accepted = self._handle_miner_readings(site_id, parts[3], message.payload, topic)
            elif len(parts) == 3 and channel == "miners":
                accepted = self._handle_miner_readings(site_id, None, message.payload, topic)
            else:
                self._reject(Rejected("bad_topic", "not a telemetry or curtailment topic"), topic)
                return None
            if not accepted:
                return None
            self._messages[site_id] += accepted
            if self._book.pending_readings + self._miner_readings >= self._flush_max_readings:
                self._flush_now.set()
            batch = self._batch
            if batch is None:
                batch = self._batch = asyncio.get_running_loop().create_future()
            return batch
        if kind == "grid" and len(parts) == 3 and parts[2] == "curtailment":
            task = asyncio.get_running_loop().create_task(
                self._handle_curtailment(parts[1], message.payload, topic),
                name="telemetry-curtailment",
            )
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return task
        self._reject(Rejected("bad_topic", "not a telemetry or curtailment topic"), topic)
        return None

    def _closed_future(self) -> asyncio.Future[None]:
        if self._closed_ack is None:
            self._closed_ack = asyncio.get_running_loop().create_future()
            if self._closed.is_set():
                self._closed_ack.set_result(None)
        return self._closed_ack

    def _handle_readings(self, site_id: str, payload: bytes, topic: str) -> int:
        """Apply a site-level message's readings; the number accepted."""
        limits = self._limits()
        try:
            batch = parse_site_payload(payload, limits)
        except Rejected as whole:
            self._reject(whole, topic)
            return 0
        for one in batch.rejects:
            self._reject(one, topic)
        accepted = 0
        now_s = limits.now_s
        for reading in (
            sorted(batch.readings, key=_by_ts) if len(batch.readings) > 1 else batch.readings
        ):
            try:
                self._book.apply(site_id, reading, now_s)
            except Rejected as rejected:
                self._reject(rejected, topic)
                continue
            accepted += 1
        return accepted

    def _handle_miner_readings(
        self, site_id: str, miner_id: str | None, payload: bytes, topic: str
    ) -> int:
        """Apply a per-machine message's readings to the fleet; the number accepted."""
        if (
            miner_id is not None
            and not self._miners.knows(site_id, miner_id)
            and not valid_miner_id(miner_id)
        ):
            self._reject(Rejected("bad_miner_id", "machine id in the topic is invalid"), topic)
            return 0
        limits = self._limits()
        try:
            readings, rejects = parse_miner_payload(payload, limits, miner_id)
        except Rejected as whole:
            self._reject(whole, topic)
            return 0
        for one in rejects:
            self._reject(one, topic)
        if len(readings) > 1:
            readings = sorted(readings, key=_by_ts)
        accepted = 0
        apply = self._miners.apply
        now_s = limits.now_s
        for reading in readings:
            try:
                apply(site_id, reading, now_s)
            except Rejected as rejected:
                self._reject(rejected, topic)
                continue
            accepted += 1
        self._miner_readings += accepted
        return accepted

    def fold_miners(self) -> None:
        """Fold machine readings into their sites' readings (the flush does this first).

        Sites with new machine readings are folded every time; every site with machines is
        refolded at least every ``miner_sweep_s`` so that silent machines go offline.
        """
        now_s = self._clock.now().timestamp()
        monotonic = self._clock.monotonic()
        if monotonic >= self._next_sweep:
            self._next_sweep = monotonic + self._miner_sweep_s
            sites: Iterable[str] = list(self._miners.site_ids)
            self._miners.take_changed()
        else:
            sites = self._miners.take_changed()
        for site_id in sites:
            sums = self._miners.site_sums(site_id, now_s)
            if sums is not None:
                self._book.apply_miner_sums(site_id, sums)
        self._miner_readings = 0

    async def _handle_curtailment(self, region: str, payload: bytes, topic: str) -> None:
        if region not in self._regions:
            self._reject(Rejected("unknown_region", f"region {region[:64]!r} has no sites"), topic)
            return
        try:
            order = parse_curtailment_payload(payload, self._limits())
        except Rejected as rejected:
            self._reject(rejected, topic)
            return
        now = self._clock.now()
        previous = self._book.orders().get(region)
        self._book.set_order(region, order)
        if order is not None:
            record = CurtailmentRecord(region, order.ts, order.max_power_w, order.until, None)
        elif previous is not None:
            record = CurtailmentRecord(
                region, previous.ts, previous.max_power_w, previous.until, now
            )
        else:
            return
        try:
            await self._store.record_curtailment(record)
        except StoreError as err:
            # The order stays retained at the broker and applied in memory; only history is late.
            log.warning("curtailment not recorded region=%s error=%s", region, err)

    # -- flushing -------------------------------------------------------------------------

    async def flush(self) -> bool:
        """Write what accumulated; True on success. Waiting handlers are released on success."""
        self.fold_miners()
        pending = self._book.take_pending()
        waiting, self._batch = self._batch, None
        if pending:
            write = asyncio.ensure_future(
                self._store.flush_telemetry(pending.deltas, pending.states)
            )
            try:
                # Shielded: a cancel mid-commit must not leave us unsure whether it was written.
                await asyncio.shield(write)
            except asyncio.CancelledError:
                try:
                    await write
                except StoreError:
                    self._book.requeue(pending)
                    self._batch = waiting
                else:
                    if waiting is not None:
                        _release(waiting)
                raise
            except StoreError as err:
                self._book.requeue(pending)
                if self._store_ok:
                    log.error("telemetry flush failed, will retry error=%s", err)
                self._store_ok = False
                if waiting is not None:
                    # Those readings now ride on the next batch.
                    if self._batch is None:
                        self._batch = asyncio.get_running_loop().create_future()
                    self._batch.add_done_callback(functools.partial(_release_after, waiting))
                return False
            if not self._store_ok:
                log.info("telemetry flush recovered")
            self._store_ok = True
        if waiting is not None:
            _release(waiting)
        return True

    async def _flush_loop(self) -> None:
        store_backoff = Backoff(base_s=self._flush_interval_s, cap_s=30.0)
        while True:
            try:
                async with asyncio.timeout(self._flush_interval_s):
                    await self._flush_now.wait()
            except TimeoutError:
                pass
            self._flush_now.clear()
            if await self.flush():
                store_backoff.reset()
            else:
                await asyncio.sleep(store_backoff.next_delay_s())

    # -- connection -----------------------------------------------------------------------

    async def _session(self) -> None:
        settings = MqttSettings.from_config(self._mqtt, self._client_id)
        client = self._client_factory(settings, self.receive)
        self._client = client
        await client.connect()
        try:
            await client.subscribe(self.topics(), self._mqtt.qos)
        except MqttError:
            await client.disconnect()
            raise
        self._connected = True
        self._ready = True
        self._backoff.reset()
        log.info(
            "mqtt connected host=%s port=%s client_id=%s",
            settings.host,
            settings.port,
            self._client_id,
        )
        await client.disconnected()
        self._connected = False
        log.warning("mqtt connection lost host=%s port=%s", settings.host, settings.port)

    async def _connection_loop(self) -> None:
        while True:
            try:
                await self._session()
            except MqttError as err:
                self._connected = False
                log.warning("mqtt connect failed error=%s", err)
            await asyncio.sleep(self._backoff.next_delay_s())

    async def restore(self) -> None:
        """Load site states and active curtailment orders from the store (run() does this)."""
        self._book.restore(await self._store.site_states())
        now = self._clock.now()
        latest: dict[str, CurtailmentRecord] = {}
        for record in await self._store.curtailments():
            latest[record.region] = record
        for region, record in latest.items():
            if (
                record.lifted_at is None
                and record.max_power_w is not None
                and (record.until is None or record.until > now)
            ):
                self._book.set_order(
                    region, CurtailmentOrder(record.issued_at, record.max_power_w, record.until)
                )

    async def run(self) -> None:
        """Run until cancelled; on cancel flush, send the acks, and disconnect."""
        await self.restore()
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._flush_loop(), name="telemetry-flush")
                group.create_task(self._connection_loop(), name="telemetry-mqtt")
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        self._closing = True
        await self.flush()
        # Let the released handlers return and their PUBACKs be written.
        for _ in range(3):
            await asyncio.sleep(0)
        if self._client is not None:
            await self._client.disconnect()
        self._connected = False
        self._closed.set()
        if self._closed_ack is not None:
            _release(self._closed_ack)
        # Curtailment orders still being stored: cancelled, and awaited, so none outlives the
        # service (and its store) unnoticed.
        pending = list(self._tasks)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


def _by_ts(reading: MinerReading | SiteReading) -> float:
    return reading.ts_s


def _release_after(future: asyncio.Future[None], _done: asyncio.Future[None]) -> None:
    _release(future)


def _release(future: asyncio.Future[None]) -> None:
    if not future.done():
        future.set_result(None)
