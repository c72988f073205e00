"""Follow Kafka topics into a local table: consume, decode each record as a CloudEvent, hand a batch to `apply`
(in a thread: it writes a database), then commit the offsets; a crash in between replays records that `apply`
must find it has applied already. Reconnects with backoff when the broker goes away.

Every service that keeps its own copy of another's events (the calls' member lookup, the surveys' roster, the
plan's KPI measures, a calendar feed, the notifier, the desks' member book) runs this one loop with its own
`apply`; what differs between them is a parameter here, not another copy of the loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Protocol

from aiokafka import AIOKafkaConsumer

from shared.envelope import CloudEvent, MalformedRecord, from_kafka
from shared.relay import ensure_topics
from shared.retry import Backoff, run_with_retry

log = logging.getLogger(__name__)


class Record(Protocol):
    """What the loop reads of a Kafka record (aiokafka's ConsumerRecord has these)."""

    @property
    def topic(self) -> str: ...
    @property
    def partition(self) -> int: ...
    @property
    def offset(self) -> int: ...
    @property
    def headers(self) -> Sequence[tuple[str, bytes]]: ...
    @property
    def value(self) -> bytes | None: ...


# Told of each record that is not a CloudEvent of ours, with the reason; the record is then skipped (its offset is
# committed with the batch), so one unreadable record never stops the feed.
OnSkip = Callable[[Record, str], object]


def decode_records(records: Iterable[Any], name: str, on_skip: OnSkip | None = None) -> list[CloudEvent]:
    """The CloudEvents among `records`, in order; each unreadable one is logged with its reason and given to
    `on_skip` (a dead-letter table or topic, say)."""
    events: list[CloudEvent] = []
    for record in records:
        try:
            events.append(from_kafka(record.headers, record.value))
        except MalformedRecord as exc:
            log.warning(
                "%s: skipped a malformed record %s[%d]@%d: %s", name, record.topic, record.partition, record.offset, exc
            )
            if on_skip is not None:
                on_skip(record, str(exc))
    return events


async def follow_topics(
    apply: Callable[[Sequence[CloudEvent]], Any],
    *,
    bootstrap: str,
    topics: Sequence[str],
    group: str,
    stop: asyncio.Event,
    partitions: int = 3,
    name: str = "topic feed",
    max_records: int = 1000,
    max_poll_interval_ms: int = 30000,
    on_skip: OnSkip | None = None,
) -> None:
    """Consume `topics` into `apply` until `stop` is set.

    The group's committed offsets say where to go on; a group with none starts from the beginning of each topic
    (a new copy is built from the whole history). `apply` gets each batch's events together, in the order read per
    partition; `max_poll_interval_ms` is how long it may take with one batch before the broker gives the
    partitions to another member. Nothing is done when `topics` is empty."""
    if not topics:
        return
    wanted = list(topics)

    async def consume(backoff: Backoff) -> None:
        consumer = AIOKafkaConsumer(
            *wanted,
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A first group join waits for the rebalance timeout: 3 s rather than aiokafka's default.
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            max_poll_interval_ms=max_poll_interval_ms,
            rebalance_timeout_ms=3000,
        )
        try:
            await ensure_topics(bootstrap, wanted, partitions)  # the producing service may not have started yet
            await consumer.start()
            backoff.reset()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=max_records)
                events = decode_records((r for records in batch.values() for r in records), name, on_skip)
                if events:
                    await asyncio.to_thread(apply, events)
                if batch:
                    await consumer.commit()
        finally:
            try:
                await consumer.stop()
            except Exception:  # noqa: BLE001  # stopping a consumer whose broker is gone may fail; nothing to do
                pass

    await run_with_retry(consume, stop, name)
