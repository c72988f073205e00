"""The actions service on real stores: PostgreSQL event store and index, and its events on the real broker."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest

from services.actions.index import Filters
from services.actions.main import build_index, build_register
from shared.auth import Principal, Role
from shared.relay import Relay
from tests.integration.conftest import pg_settings, read_topic

pytestmark = pytest.mark.integration
SG = Principal("sg", Role.SG)


def run_loop(register, clock) -> tuple:
    """One action round the whole loop (failing its first check), one overdue, one cancelled."""
    looped, _ = register.open_action(
        source_kind="complaint",
        source_ref="complaint:CMP-1:CA-1",
        title="Answer at lunch",
        unit="trade",
        owner="s.ahmadi",
        by="complaints",
    )
    late, _ = register.open_action(
        source_kind="non_answer",
        source_ref="non_answer:legal:2026-11-21",
        title="Legal answers its line",
        unit="legal",
        by="complaints",
    )
    cancelled, _ = register.open_action(source_kind="risk", source_ref="risk:R-3", title="Back-up power", unit="trade")
    register.assign_action(late, owner="d.kazemi", due_working_days=2, by="sg")
    register.note_progress(looped, "rota agreed", by="s.ahmadi")
    register.complete_action(looped, "second expert at lunch", by="s.ahmadi")
    register.reopen_action(looped, "still unanswered on Thursdays", by="f.alavi")
    register.complete_action(looped, "Thursday rota too", by="s.ahmadi")
    register.cancel_action(cancelled, "covered by the building's works", by="sg")
    clock.advance(days=40)
    recorded = register.record_deadlines()
    assert sorted(kind for _, kind in recorded) == ["effectiveness_check_due", "overdue"]
    assert register.record_deadlines() == []
    register.confirm_effective(looped, "no missed calls since", by="f.alavi")
    return looped, late, cancelled


@pytest.mark.postgres
def test_the_loop_and_its_deadlines_on_postgresql(settings, clock, pg_schema):
    pg = pg_settings(settings, pg_schema)
    register = build_register(pg, clock)
    try:
        index = build_index(pg, register)
        looped, late, cancelled = run_loop(register, clock)
        index.catch_up()
        now = clock()
        overdue, total = index.search(SG, Filters(overdue=True), now)
        assert total == 1 and overdue[0]["id"] == str(late) and overdue[0]["overdue"] is True
        assert index.search(SG, Filters(state="closed"), now)[0][0]["id"] == str(looped)
        assert index.active_ids() == [late]
        counts = index.metric_counts(now)
        assert counts["overdue_by_unit"] == {"legal": 1} and counts["effectiveness_failed"] == 1
        manager = Principal("f.alavi", Role.UNIT_MANAGER, "trade")
        assert {a["id"] for a in index.search(manager, Filters(), now)[0]} == {str(looped), str(cancelled)}
        head = register.recorder.max_notification_id()
        assert index.rebuild() == head
    finally:
        register.close()


def test_action_events_reach_kafka_as_versioned_cloudevents(settings, clock, broker, topic_prefix):
    s = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    register = build_register(s, clock)
    try:
        looped, _, _ = run_loop(register, clock)
        head = register.recorder.max_notification_id()
        relay = Relay(register, broker, s.topic_of("actions"), partitions=s.kafka_partitions)

        async def go() -> None:
            stop = asyncio.Event()
            task = asyncio.create_task(relay.run(stop))
            for _ in range(600):
                if relay.published_position >= head:
                    break
                if task.done():
                    task.result()
                await asyncio.sleep(0.05)
            stop.set()
            await task

        asyncio.run(go())
    finally:
        register.close()
    records = read_topic(broker, f"{topic_prefix}.actions.events.v1")
    assert len(records) == head
    types = [r["headers"]["ce_type"] for r in records]
    prefix = "crm.actions.corrective_action."
    for name in (
        "opened",
        "assigned",
        "progress_noted",
        "done",
        "found_not_effective",
        "confirmed_effective",
        "cancelled",
        "became_overdue",
        "effectiveness_check_due",
    ):
        assert f"{prefix}{name}.v1" in types, name
    assert all(r["headers"]["ce_source"] == "/crm/actions" for r in records)
    # Per-aggregate order: the record key is the action's id, so one action's events stay in one partition, in order.
    mine = [r for r in records if r["headers"]["ce_subject"] == str(looped)]
    assert [int(r["headers"]["ce_sequence"]) for r in mine] == list(range(1, len(mine) + 1))
    failed = next(json.loads(r["value"]) for r in mine if r["headers"]["ce_type"].endswith("found_not_effective.v1"))
    assert failed["reason"] == "still unanswered on Thursdays" and failed["by"] == "f.alavi" and failed["round"] == 2
    overdue = next(json.loads(r["value"]) for r in records if r["headers"]["ce_type"].endswith("became_overdue.v1"))
    assert overdue["unit"] == "legal" and overdue["owner"] == "d.kazemi"
    assert overdue["due_at"] < (clock() - timedelta(days=30)).isoformat()
