"""The notifier's view of the other services: their topics, consumed in a group, each batch handed to the notifier
(which keeps contacts and requests messages) before its offsets are committed. A batch replayed after a crash asks
for the same messages again, which the store refuses: at-least-once reading, exactly-once messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence

from shared import topic_feed
from shared.envelope import CloudEvent

# The services whose events ask for messages or tell where people are (services/registry.py names the same).
SOURCES = ("members", "calls", "complaints", "surveys", "desks", "reporting", "console")


async def follow_topics(
    take: Callable[[Iterable[CloudEvent]], int],
    bootstrap: str,
    topics: Sequence[str],
    group: str,
    stop: asyncio.Event,
    partitions: int = 3,
) -> None:
    """Consume `topics` into `take` until stopped; reconnects when the broker goes away."""

    def members_first(events: Sequence[CloudEvent]) -> int:
        # Members before the rest of the batch: a member registered and served in one batch is known.
        return take(sorted(events, key=lambda e: not e.type.startswith("crm.members.")))

    await topic_feed.follow_topics(
        members_first,
        bootstrap=bootstrap,
        topics=topics,
        group=group,
        stop=stop,
        partitions=partitions,
        name="notifications consumer",
        max_records=500,
        max_poll_interval_ms=60000,  # a batch of messages to request may take longer than another feed's
    )
