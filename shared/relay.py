"""The relay: follows a service's notification log in order and publishes every event to Kafka.

No dual writes: HTTP handlers only append to the event store; this is the one path from the store to Kafka.

Resuming without gap or duplicate: the topic itself says what has been published. On start (and after any
failed send) the relay reads the last record of every partition and its `ce_position`; an event is sent only if
its position is above the last position of the partition it belongs to. Partitions are chosen by the relay with
Kafka's default partitioner (murmur2 of the key), so "the partition an event belongs to" is known before sending,
and each partition receives its events in log order (one request in flight per partition).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import struct
import time
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from eventsourcing.persistence import Notification
from prometheus_client import Counter, Gauge

from shared.contracts import UndeclaredEvent
from shared.envelope import SPECVERSION, CloudEvent, dumps
from shared.eventstore import CrmApplication
from shared.notification_log import Row, notification_reader
from shared.privacy import SEALED
from shared.retry import Backoff, run_with_retry
from shared.transcoding import fast_decoder

log = logging.getLogger(__name__)

RELAY_PUBLISHED = Counter("crm_relay_published", "Events published to Kafka by the relay", ["service"])
# Set by the one process that relays a store: its figure, not a sum, when the API runs in several (shared/processes.py).
RELAY_LAG_EVENTS = Gauge(
    "crm_relay_lag_events", "Events stored but not yet published", ["service"], multiprocess_mode="livemax"
)
RELAY_LAG_SECONDS = Gauge(
    "crm_relay_lag_seconds",
    "Age of the oldest stored event not yet published",
    ["service"],
    multiprocess_mode="livemax",
)
RELAY_POSITION = Gauge(
    "crm_relay_position", "Last notification-log position published", ["service"], multiprocess_mode="livemax"
)

EVENT_ID_NAMESPACE = uuid.UUID("6f1c1f50-4a53-4f7a-9d0e-2c4f5b7d1e11")
_NAMESPACE_SHA1 = hashlib.sha1(EVENT_ID_NAMESPACE.bytes, usedforsecurity=False)


def event_id(name: str) -> str:
    """`str(uuid.uuid5(EVENT_ID_NAMESPACE, name))`, without building a UUID object (once per event published): the
    SHA-1's first 32 hex digits with the version digit set to 5 and the variant's two top bits to 10."""
    sha = _NAMESPACE_SHA1.copy()
    sha.update(name.encode())
    h = sha.hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


# A hex digit with its two top bits set to 10 (RFC 4122's variant)
_VARIANT = {f"{n:x}": f"{(n & 0x3) | 0x8:x}" for n in range(16)}


def partition_for(key: bytes, partitions: int) -> int:
    """Kafka's default partitioner (the Java client's), so every producer agrees on where a key lives."""
    return (_murmur2(key) & 0x7FFFFFFF) % partitions


def _murmur2(data: bytes) -> int:
    """aiokafka's murmur2 (the Java client's), the same numbers (tests/shared/test_relay_ids.py) in half the time:
    the four-byte words read by struct at once, not byte by byte. Once per new key (an aggregate) the relay sees."""
    length = len(data)
    m = 0x5BD1E995
    h = 0x9747B28C ^ length
    whole = length & ~3
    for (k,) in struct.iter_unpack("<I", data[:whole]):
        k = (k * m) & 0xFFFFFFFF
        k = ((k ^ (k >> 24)) * m) & 0xFFFFFFFF
        h = ((h * m) & 0xFFFFFFFF) ^ k
    extra = length & 3
    if extra >= 3:
        h ^= data[whole + 2] << 16
    if extra >= 2:
        h ^= data[whole + 1] << 8
    if extra >= 1:
        h = ((h ^ data[whole]) * m) & 0xFFFFFFFF
    h = ((h ^ (h >> 13)) * m) & 0xFFFFFFFF
    return h ^ (h >> 15)


_SEALED_KEY = f'"{SEALED}"'.encode()
_SPECVERSION_HEADER = ("ce_specversion", SPECVERSION.encode())
_CONTENT_TYPE_HEADER = ("content-type", b"application/json")
# position, key, value, headers, time (the CloudEvent's text) of a record the relay sends
Record = tuple[int, bytes, bytes, list[tuple[str, bytes]], str]


def _utc_text(timestamp: Any) -> str:
    """The event's time in UTC as `isoformat` writes it. Given as the stored text (shared/transcoding.py): that
    text itself when eventsourcing wrote it from a time in UTC (`isoformat`, to the second or the microsecond),
    which is what parsing it and writing it again would give; else parsed and written in UTC."""
    if type(timestamp) is str:
        if len(timestamp) in _UTC_ISO_LENGTHS and timestamp.endswith("+00:00"):
            return timestamp
        timestamp = datetime.fromisoformat(timestamp)
    if not isinstance(timestamp, datetime):
        return datetime.now(UTC).isoformat()
    return (timestamp if timestamp.tzinfo is UTC else timestamp.astimezone(UTC)).isoformat()


_UTC_ISO_LENGTHS = (len("2026-11-29T17:00:00+00:00"), len("2026-11-29T17:00:00.000001+00:00"))


class EnvelopeMapper:
    """Turns stored notifications into CloudEvents, typed by the service's contract (an undeclared event raises
    UndeclaredEvent: publishing it under a guessed type would hand consumers a type nobody agreed on)."""

    def __init__(self, app: CrmApplication):
        self.app = app
        self.service = app.service
        self.source = f"/crm/{app.service}"
        self.contract = app.contract
        self._decode = fast_decoder(app.mapper.transcoder, time_as_text="timestamp")
        self._source_header = ("ce_source", self.source.encode())
        self._type_headers: dict[str, tuple[str, bytes]] = {}

    def many(self, notifications: Sequence[Notification]) -> list[CloudEvent]:
        """The envelopes of a batch of notifications. The key store checks once, before the first, for erasures
        made by other processes (per key looked up, that check had cost as much as the rest of the lookup); an
        erasure made meanwhile holds from the next batch on, and one made in this process at once."""
        sealer = self.app.sealer
        if sealer is None:
            return [self(n) for n in notifications]
        with sealer.reading():
            return [self(n) for n in notifications]

    def __call__(self, n: Notification) -> CloudEvent:
        subject = str(n.originator_id)
        ce_type, time, data = self._parts(subject, n.topic, n.state)
        return CloudEvent(
            id=event_id(f"{self.service}:{subject}:{n.originator_version}"),
            source=self.source,
            type=ce_type,
            time=time,
            subject=subject,
            sequence=n.originator_version,
            position=n.id,
            data=data,
        )

    def records(self, rows: Sequence[Row]) -> list[Record]:
        """What the relay sends for each row: (position, key, value, headers, time), the very bytes of the
        CloudEvent's `key()`, `value()` and `headers()` (tests/contracts/test_producers.py), written from the fields
        without making the CloudEvent, per batch as `many` (the frozen dataclass's constructor and the headers'
        constant parts had been about 8 % of the relay's CPU)."""
        sealer = self.app.sealer
        if sealer is None:
            return [self._record(*row) for row in rows]
        with sealer.reading():
            return [self._record(*row) for row in rows]

    def _record(self, position: int, subject: str, version: int, topic: str, state: bytes) -> Record:
        ce_type, time, data = self._parts(subject, topic, state)
        type_header = self._type_headers.get(ce_type)
        if type_header is None:
            type_header = self._type_headers[ce_type] = ("ce_type", ce_type.encode())
        key = subject.encode()
        headers = [
            _SPECVERSION_HEADER,
            ("ce_id", event_id(f"{self.service}:{subject}:{version}").encode()),
            self._source_header,
            type_header,
            ("ce_time", time.encode()),
            ("ce_subject", key),
            ("ce_sequence", str(version).encode()),
            ("ce_position", str(position).encode()),
            _CONTENT_TYPE_HEADER,
        ]
        return position, key, dumps(data), headers, time

    def _parts(self, subject: str, topic: str, state: bytes) -> tuple[str, str, dict[str, Any]]:
        """The wire type, time and data of a stored event."""
        mapper = self.app.mapper
        if mapper.cipher:
            state = mapper.cipher.decrypt(state)
        if mapper.compressor:
            state = mapper.compressor.decompress(state)
        data = self._decode(state)
        timestamp = data.pop("timestamp", None)
        data.pop("originator_id", None)
        data.pop("originator_version", None)
        data.pop("originator_topic", None)  # a Python name: not part of any contract
        ce_type = self.contract.wire_type(topic)
        # Consumers get personal data opened, or [erased] once the key is gone. Most events hold none: a sealed
        # value's key is in the stored JSON as it is (the transcoder escapes no ASCII; a `\\u` escape could).
        if self.app.sealer is not None and (_SEALED_KEY in state or b"\\u" in state):
            self.app.sealer.open_state(subject, data)
        return ce_type, _utc_text(timestamp), data


async def ensure_topics(bootstrap: str, topics: Sequence[str], partitions: int) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        wanted = [NewTopic(t, num_partitions=partitions, replication_factor=1) for t in topics if t not in existing]
        if wanted:
            try:
                await admin.create_topics(wanted)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def last_positions(bootstrap: str, topic: str) -> dict[int, int]:
    """The highest `ce_position` in each partition of the topic (0 for an empty partition).

    Reads forward from just before the reported end offset until nothing more comes: some Kafka-protocol brokers
    report the base offset of the last batch as the end offset, so the last record may lie further on.
    """
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic)
        if not partitions:
            await consumer._client.force_metadata_update()  # noqa: SLF001 - a fresh client may not know the topic yet
            partitions = consumer.partitions_for_topic(topic) or set()
        tps = [TopicPartition(topic, p) for p in sorted(partitions)]
        if not tps:
            return {}
        consumer.assign(tps)
        ends = await consumer.end_offsets(tps)
        result = {tp.partition: 0 for tp in tps}
        active = []
        for tp in tps:
            if ends[tp] > 0:
                consumer.seek(tp, ends[tp] - 1)
                active.append(tp)
            else:
                consumer.pause(tp)
        while active:
            batch = await consumer.getmany(*active, timeout_ms=300, max_records=10_000)
            if not batch:
                break
            for tp, records in batch.items():
                for record in records:
                    for name, value in record.headers or ():
                        if name == "ce_position":
                            result[tp.partition] = max(result[tp.partition], int(value))
        return result
    finally:
        await consumer.stop()


async def positions_present(bootstrap: str, topic: str) -> set[int]:
    """Every `ce_position` the topic holds (read only after the broker lost records, when the topic is short)."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, enable_auto_commit=False, group_id=None)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()  # noqa: SLF001
        tps = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        if not tps:
            return set()
        consumer.assign(tps)
        await consumer.seek_to_beginning(*tps)
        present: set[int] = set()
        while batch := await consumer.getmany(timeout_ms=300, max_records=10_000):
            for records in batch.values():
                for record in records:
                    present.update(int(v) for k, v in record.headers or () if k == "ce_position")
        return present
    finally:
        await consumer.stop()


class TopicLostRecords(Exception):
    """The topic's end offset went back: the broker lost records (the embedded broker keeps them in memory only)."""


class Relay:
    def __init__(
        self,
        app: CrmApplication,
        bootstrap: str,
        topic: str,
        *,
        batch_size: int = 2000,
        poll_interval: float = 0.5,
        partitions: int = 3,
    ):
        self.app = app
        self.bootstrap = bootstrap
        self.topic = topic
        self.batch_size = batch_size
        self.poll_interval = poll_interval
        self.partitions = partitions
        self.to_envelope = EnvelopeMapper(app)
        self._read = notification_reader(app.recorder)
        self.published_position = 0  # every event at or below this position is in the topic
        self._partition_positions: dict[int, int] = {}
        # End offsets seen per partition: they only grow, unless the broker restarted and lost what it held.
        self._ends_seen: dict[int, int] = {}
        self._lost = False
        self._present: set[int] = set()
        self._partitions: dict[bytes, int] = {}  # partition_for per key, for the topic's partition count
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self.ready = asyncio.Event()
        app.on_recorded(self._on_recorded)

    def _on_recorded(self) -> None:
        # Called from whatever thread saved the events: wake the relay's loop at once rather than at the next poll.
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            try:
                loop.call_soon_threadsafe(wake.set)
            except RuntimeError:  # the relay's loop has closed since: nobody to wake
                pass

    async def run(self, stop: asyncio.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._wake = wake = asyncio.Event()
        labels = self.app.service

        async def publish(backoff: Backoff) -> None:
            producer = watcher = None
            try:
                await ensure_topics(self.bootstrap, [self.topic], self.partitions)
                self._partition_positions = await last_positions(self.bootstrap, self.topic)
                n_partitions = len(self._partition_positions) or self.partitions
                self._partitions.clear()
                if self._lost:
                    # What the topic holds now is no prefix of the log: publish everything it lacks, once. This
                    # holds until the relay has caught up again, through any failure on the way.
                    self._present = await positions_present(self.bootstrap, self.topic)
                    self._partition_positions = dict.fromkeys(self._partition_positions, 0)
                    self._ends_seen = {}
                    log.warning("relay %s: the topic lost records; publishing them again", self.app.service)
                self.published_position = min(self._partition_positions.values(), default=0)
                watcher = AIOKafkaConsumer(bootstrap_servers=self.bootstrap, enable_auto_commit=False, group_id=None)
                producer = AIOKafkaProducer(
                    bootstrap_servers=self.bootstrap,
                    acks="all",
                    linger_ms=2,
                    max_batch_size=1 << 20,
                    max_request_size=8 << 20,
                )
                await producer.start()
                await watcher.start()
                self.ready.set()
                backoff.reset()
                while not stop.is_set():
                    # Before every batch: a batch sent to a broker that came back empty would land ahead of the
                    # events it lost, out of log order.
                    await self._check_topic_kept(watcher, n_partitions)
                    sent = await self._publish_batch(producer, n_partitions, labels)
                    if sent < self.batch_size:
                        if self._lost:
                            self._lost, self._present = False, set()  # the topic holds the whole log again
                        wake.clear()
                        wait = asyncio.ensure_future(wake.wait())
                        stopper = asyncio.ensure_future(stop.wait())
                        await asyncio.wait(
                            {wait, stopper}, timeout=self.poll_interval, return_when=asyncio.FIRST_COMPLETED
                        )
                        wait.cancel()
                        stopper.cancel()
            finally:
                if producer is not None:
                    await producer.stop()
                if watcher is not None:
                    await watcher.stop()

        # Broker away or the store briefly locked: re-read the topic, then go on. An undeclared event stops
        # publishing (nothing after it may overtake it) until a release declares it: that needs a person, not
        # patience, so it is logged as an error.
        await run_with_retry(publish, stop, f"relay {self.app.service}", needs_a_person=(UndeclaredEvent,))
        self._loop = None

    def _partition_of(self, key: bytes, n_partitions: int) -> int:
        """partition_for, remembered per key (murmur2 is pure Python, and an aggregate's events come together)."""
        found = self._partitions.get(key)
        if found is None:
            if len(self._partitions) >= 100_000:
                self._partitions.clear()
            found = self._partitions[key] = partition_for(key, n_partitions)
        return found

    async def _check_topic_kept(self, watcher: AIOKafkaConsumer, n_partitions: int) -> None:
        """Raise TopicLostRecords if an end offset went back since the last look (one small request per batch or poll).

        A restarted embedded broker comes back empty; the producer reconnects and nothing fails, so without this
        the events published before the restart would be missing from the topic for good."""
        ends = await watcher.end_offsets([TopicPartition(self.topic, p) for p in range(n_partitions)])
        for tp, end in ends.items():
            if end < self._ends_seen.get(tp.partition, 0):
                self._lost = True
                raise TopicLostRecords(
                    f"partition {tp.partition} went back from {self._ends_seen[tp.partition]} to {end}"
                )
            self._ends_seen[tp.partition] = end

    def _read_records(self, after: int) -> tuple[Sequence[Row], list[Record]]:
        rows = self._read(after, self.batch_size)
        return rows, self.to_envelope.records(rows) if rows else []

    async def _publish_batch(self, producer: AIOKafkaProducer, n_partitions: int, labels: str) -> int:
        # Read and made into envelopes in a thread: made in the event loop, a batch of 2,000 events held the
        # service's requests for tens of milliseconds (the relay shares the loop with the service's API).
        rows, records = await asyncio.to_thread(self._read_records, self.published_position)
        if not rows:
            RELAY_LAG_EVENTS.labels(labels).set(0)
            RELAY_LAG_SECONDS.labels(labels).set(0)
            return 0
        oldest = datetime.fromisoformat(records[0][4])
        RELAY_LAG_SECONDS.labels(labels).set(max(0.0, (datetime.now(UTC) - oldest).total_seconds()))
        # One record batch per partition (a new one when it is full), each handed to the producer whole: per
        # record, `send` cost as much as making the envelope. A partition's batches go in log order.
        futures = []
        batches: dict[int, Any] = {}
        sent = 0
        done = self._partition_positions
        present = self._present
        for position, key, value, headers, _ in records:
            partition = self._partition_of(key, n_partitions)
            if position <= done.get(partition, 0) or position in present:
                continue  # already in the topic from before a crash
            batch = batches.get(partition)
            if batch is None or batch.append(timestamp=None, key=key, value=value, headers=headers) is None:
                if batch is not None:
                    futures.append(await producer.send_batch(batch, self.topic, partition=partition))
                batch = batches[partition] = producer.create_batch()
                batch.append(timestamp=None, key=key, value=value, headers=headers)  # an empty batch takes any
            sent += 1
        for partition, batch in batches.items():
            futures.append(await producer.send_batch(batch, self.topic, partition=partition))
        if futures:
            await asyncio.gather(*futures)
        last = rows[-1][0]
        for p in self._partition_positions:
            self._partition_positions[p] = max(self._partition_positions[p], last)
        self.published_position = last
        RELAY_PUBLISHED.labels(labels).inc(sent)
        RELAY_POSITION.labels(labels).set(last)
        if len(rows) < self.batch_size:
            # A short batch read everything there was: no lag to measure, and no query (a thread hop and a read
            # transaction) per wake-up, which is per save when events come one at a time.
            RELAY_LAG_EVENTS.labels(labels).set(0)
            RELAY_LAG_SECONDS.labels(labels).set(0)
            return len(rows)
        head = await asyncio.to_thread(self.app.recorder.max_notification_id)
        RELAY_LAG_EVENTS.labels(labels).set(max(0, (head or 0) - last))
        if (head or 0) <= last:
            RELAY_LAG_SECONDS.labels(labels).set(0)
        return len(rows)


async def run_relay_until(relay: Relay, stop: asyncio.Event) -> None:
    started = time.monotonic()
    await relay.run(stop)
    log.info(
        "relay %s stopped after %.0fs at position %d",
        relay.app.service,
        time.monotonic() - started,
        relay.published_position,
    )
