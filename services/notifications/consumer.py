"""The notifier's view of the other services: their topics, consumed in a group, each batch handed to the notifier
(which keeps contacts and requests messages) before its offsets are committed. A batch replayed after a crash asks
for the same messages again, which the store refuses: at-least-once reading, exactly-once messages."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable, Sequence

from aiokafka import AIOKafkaConsumer

from shared.envelope import CloudEvent, MalformedRecord, from_kafka
from shared.relay import ensure_topics
from shared.retry import Backoff, run_with_retry

log = logging.getLogger(__name__)

# The services whose events ask for messages or tell where people are (services/registry.py names the same).
SOURCES = ("members", "calls", "complaints", "desks", "reporting")


async def follow_topics(
    take: Callable[[Iterable[CloudEvent]], int],
    bootstrap: str,
    topics: Sequence[str],
    group: str,
    stop: asyncio.Event,
    partitions: int = 3,
) -> None:
    """Consume `topics` into `take` until stopped; reconnects when the broker goes away."""

    async def consume(backoff: Backoff) -> None:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            max_poll_interval_ms=60000,
            rebalance_timeout_ms=3000,
        )
        try:
            await ensure_topics(bootstrap, list(topics), partitions)  # a source may not have started yet
            await consumer.start()
            backoff.reset()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=500)
                events = []
                for records in batch.values():
                    for record in records:
                        try:
                            events.append(from_kafka(record.headers, record.value))
                        except MalformedRecord as exc:
                            log.warning("notifications: skipped a malformed record at %d: %s", record.offset, exc)
                if events:
                    # Members before the rest of the batch: a member registered and served in one batch is known.
                    events.sort(key=lambda e: not e.type.startswith("crm.members."))
                    await asyncio.to_thread(take, events)
                if batch:
                    await consumer.commit()
        finally:
            try:
                await consumer.stop()
            except Exception:  # noqa: BLE001 - already gone with the broker
                pass

    await run_with_retry(consume, stop, "notifications consumer")
