"""Follow Kafka topics into a local table: consume, decode each record as a CloudEvent, hand a batch to `apply`
(in a thread: it writes a database), then commit the offsets; a crash in between replays records that `apply`
must find it has applied already. Reconnects with backoff when the broker goes away."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from typing import Any

from aiokafka import AIOKafkaConsumer

from shared.envelope import CloudEvent, MalformedRecord, from_kafka
from shared.relay import ensure_topics
from shared.retry import Backoff, run_with_retry

log = logging.getLogger(__name__)


async def follow_topics(
    apply: Callable[[Sequence[CloudEvent]], Any],
    *,
    bootstrap: str,
    topics: list[str],
    group: str,
    stop: asyncio.Event,
    partitions: int = 3,
    name: str = "topic feed",
) -> None:
    """Consume `topics` into `apply` until `stop` is set."""

    async def consume(backoff: Backoff) -> None:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A first group join waits for the rebalance timeout: 3 s rather than aiokafka's default.
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            max_poll_interval_ms=30000,
            rebalance_timeout_ms=3000,
        )
        try:
            await ensure_topics(bootstrap, topics, partitions)  # the producing service may not have started yet
            await consumer.start()
            backoff.reset()
            while not stop.is_set():
                batch = await consumer.getmany(timeout_ms=500, max_records=1000)
                events = []
                for records in batch.values():
                    for record in records:
                        try:
                            events.append(from_kafka(record.headers, record.value))
                        except MalformedRecord as exc:
                            log.warning("%s: skipped a malformed record at offset %d: %s", name, record.offset, exc)
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
