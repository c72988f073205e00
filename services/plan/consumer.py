"""The KPI consumer: follows the topics of the services whose events measure the plan's activities (the
bindings name them) and records what each event measures in the plan index, deduplicated by event id; offsets are
committed after the measures are stored, so a crash in between replays records that change nothing."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from aiokafka import AIOKafkaConsumer

from services.plan.index import PlanIndex
from shared.envelope import MalformedRecord, from_kafka
from shared.relay import ensure_topics
from shared.retry import Backoff, run_with_retry

log = logging.getLogger(__name__)


async def follow_kpi_events(
    index: PlanIndex,
    bootstrap: str,
    topics: list[str],
    group: str,
    stop: asyncio.Event,
    partitions: int = 3,
    after_batch: Callable[[], object] | None = None,
) -> None:
    """Consume `topics` into the index until stopped; reconnects when the broker goes away. `after_batch` runs
    after each batch is stored (the risk signals' watch), before the offsets are committed."""
    if not topics:
        return

    async def consume(backoff: Backoff) -> None:
        consumer = AIOKafkaConsumer(
            *topics,
            bootstrap_servers=bootstrap,
            group_id=group,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            # A group's first join waits for the rebalance timeout: these made it 3 s on the embedded broker.
            session_timeout_ms=6000,
            heartbeat_interval_ms=1000,
            max_poll_interval_ms=30000,
            rebalance_timeout_ms=3000,
        )
        try:
            await ensure_topics(bootstrap, topics, partitions)  # a measured service may not have started yet
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
                            log.warning("KPI consumer: skipped a malformed record at offset %d: %s", record.offset, exc)
                if events:
                    await asyncio.to_thread(index.apply_events, events)
                    if after_batch is not None:
                        await asyncio.to_thread(after_batch)
                if batch:
                    await consumer.commit()
        finally:
            try:
                await consumer.stop()
            except Exception:  # noqa: BLE001 - closing a consumer whose broker is gone
                pass

    await run_with_retry(consume, stop, "plan KPI consumer")
