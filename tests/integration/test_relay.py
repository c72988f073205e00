"""The relay from real event stores (SQLite, PostgreSQL) into the real embedded broker."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest

from services.calls.main import build_centre
from services.calls.telephony import TelephonyEvent
from shared.relay import Relay, partition_for
from tests.integration.conftest import crm, crm_env, pg_settings, read_topic, wait_until

pytestmark = pytest.mark.integration


def fill_store(centre, calls: int) -> int:
    """Abandoned calls: three events each (received, routed, unanswered registered + caller hung up)."""
    start = datetime(2026, 11, 21, 6, 0, tzinfo=UTC)
    for i in range(calls):
        at = start + timedelta(seconds=i)
        centre.ingest(
            TelephonyEvent("webhook", f"e{i}-q", f"call-{i}", "queued", at, caller="09131234567", queue="602")
        )
        centre.ingest(
            TelephonyEvent("webhook", f"e{i}-a", f"call-{i}", "abandoned", at + timedelta(seconds=30), queue="602")
        )
    return centre.recorder.max_notification_id()


def run_relay_until_caught_up(centre, settings, timeout: float = 60.0) -> Relay:
    relay = Relay(centre, settings.kafka_bootstrap, settings.topic_of("calls"), partitions=settings.kafka_partitions)
    head = centre.recorder.max_notification_id()

    async def go():
        stop = asyncio.Event()
        task = asyncio.create_task(relay.run(stop))
        deadline = asyncio.get_running_loop().time() + timeout
        while relay.published_position < head:
            if task.done():
                task.result()
            assert asyncio.get_running_loop().time() < deadline, "relay did not catch up"
            await asyncio.sleep(0.05)
        stop.set()
        await task

    asyncio.run(go())
    return relay


def assert_complete_and_ordered(
    records: list[dict], head: int, partitions: int, stored: list[int] | None = None
) -> None:
    """Every stored position once, each partition in log order. `stored` lists the positions the store holds when
    they need not run 1..head without a hole: on PostgreSQL a writer killed inside its transaction burns an id."""
    positions = [int(r["headers"]["ce_position"]) for r in records]
    duplicates = [p for p, n in Counter(positions).items() if n > 1]
    assert not duplicates, f"duplicated positions in the topic: {duplicates[:10]}"
    expected = stored if stored is not None else list(range(1, head + 1))
    assert sorted(positions) == expected, "a position is missing from the topic"
    by_partition: dict[int, list[int]] = {}
    for r in sorted(records, key=lambda r: (r["partition"], r["offset"])):
        by_partition.setdefault(r["partition"], []).append(int(r["headers"]["ce_position"]))
        assert r["partition"] == partition_for(r["key"], partitions), "an event is not in its key's partition"
    for partition, seq in by_partition.items():
        assert seq == sorted(seq), f"partition {partition} is out of log order"


def test_relay_publishes_every_call_event_as_a_cloudevent_in_order(settings, broker, topic_prefix):
    settings = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    centre = build_centre(settings)
    head = fill_store(centre, 50)
    run_relay_until_caught_up(centre, settings)
    records = read_topic(broker, settings.topic_of("calls"))
    assert len(records) == head
    assert_complete_and_ordered(records, head, settings.kafka_partitions)
    first = min(records, key=lambda r: int(r["headers"]["ce_position"]))
    assert first["headers"]["ce_type"] == "crm.calls.call.received.v1"
    assert first["headers"]["ce_source"] == "/crm/calls"
    assert first["headers"]["ce_sequence"] == "1"
    assert first["headers"]["ce_subject"] == first["key"].decode()
    assert b'"caller":"+989131234567"' in first["value"]


def test_a_restarted_relay_publishes_nothing_twice(settings, broker, topic_prefix):
    settings = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    centre = build_centre(settings)
    fill_store(centre, 20)
    run_relay_until_caught_up(centre, settings)
    centre.ingest(
        TelephonyEvent(
            "webhook",
            "late-q",
            "late",
            "queued",
            datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
            caller="0311234567",
            queue="601",
        )
    )
    head = centre.recorder.max_notification_id()
    run_relay_until_caught_up(centre, settings)
    assert_complete_and_ordered(read_topic(broker, settings.topic_of("calls")), head, settings.kafka_partitions)


def test_relay_killed_mid_stream_resumes_with_no_gap_and_no_duplicate(settings, broker, topic_prefix):
    settings = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    centre = build_centre(settings)
    head = fill_store(centre, 4000)
    centre.close()
    # Small batches so that the relay is surely mid-stream when it is killed.
    env = crm_env(settings, CRM_RELAY_BATCH_SIZE="40")
    proc = crm("relay", "calls", env=env)
    try:
        wait_until(
            lambda: len(read_topic(broker, settings.topic_of("calls"), idle_ms=200)) > 500,
            timeout=60,
            what="a first part published",
        )
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    partial = len(read_topic(broker, settings.topic_of("calls")))
    assert 0 < partial < head, f"the relay was to be killed mid-stream ({partial} of {head} published)"
    proc = crm("relay", "calls", env=env)
    try:
        wait_until(
            lambda: len(read_topic(broker, settings.topic_of("calls"), idle_ms=300)) >= head,
            timeout=120,
            what="the rest published",
        )
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=15)
    assert_complete_and_ordered(read_topic(broker, settings.topic_of("calls")), head, settings.kafka_partitions)


@pytest.mark.postgres
def test_relay_follows_a_postgresql_event_store(settings, broker, topic_prefix, pg_schema):
    settings = pg_settings(settings, pg_schema).model_copy(
        update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix}
    )
    centre = build_centre(settings)
    head = fill_store(centre, 100)
    reloaded = build_centre(settings)
    assert reloaded.recorder.max_notification_id() == head
    run_relay_until_caught_up(centre, settings)
    assert_complete_and_ordered(read_topic(broker, settings.topic_of("calls")), head, settings.kafka_partitions)
