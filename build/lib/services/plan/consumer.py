"""The KPI consumer: follows the topics of the services whose events measure the plan's activities (the
bindings name them) and records what each event measures in the plan index, deduplicated by event id; offsets are
committed after the measures are stored, so a crash in between replays records that change nothing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence

from services.plan.index import PlanIndex
from shared.envelope import CloudEvent
from shared.topic_feed import follow_topics


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

    def apply(events: Sequence[CloudEvent]) -> None:
        index.apply_events(events)
        if after_batch is not None:
            after_batch()

    await follow_topics(
        apply,
        bootstrap=bootstrap,
        topics=topics,
        group=group,
        stop=stop,
        partitions=partitions,
        name="plan KPI consumer",
    )
