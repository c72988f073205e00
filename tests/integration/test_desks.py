"""The desks service on real stores: a desk through its steps on PostgreSQL, its events on the real broker, and
its outbox opening a corrective action through the actions service's real internal door."""

from __future__ import annotations

import asyncio
import json

import pytest
from fastapi.testclient import TestClient

import services.actions.main as actions_main
from services.desks.main import build_office
from services.desks.outbox import Outbox
from shared.auth import Role, TokenStore
from shared.db import create_engine
from shared.relay import Relay
from tests.desks.helpers import STARTS_AT, announced, register
from tests.integration.conftest import pg_settings, read_topic

pytestmark = pytest.mark.integration


def run_desk(office, clock):
    """A desk through to its follow-ups: one decision carried out, one not."""
    desk = announced(office)
    ali, bahar = register(office, desk, "Ali"), register(office, desk, "Bahar")
    clock.now = STARTS_AT
    for number in (ali, bahar):
        office.record_attendance(desk, number, attended=True, by="l.moradi")
        office.record_decision(desk, number, decision="release on guarantee", by="l.moradi")
    office.review_minutes(desk, by="p.nouri")
    office.send_minutes(desk, to="customs DG office", by="l.moradi")
    clock.advance(days=2)
    office.record_follow_up(desk, ali, carried_out=True, result="released", by="l.moradi")
    office.record_follow_up(desk, bahar, carried_out=False, result="still held", by="l.moradi")
    return desk, bahar


@pytest.mark.postgres
def test_a_desk_on_postgresql_opens_its_corrective_action_through_the_real_door(settings, clock, pg_schema):
    pg = pg_settings(settings, pg_schema)
    office = build_office(pg, clock)
    actions_app = actions_main.create_app(settings, clock=clock, relay=False)
    token = TokenStore(settings.auth_db_url, cache_seconds=0).create("desks", Role.SERVICE)
    try:
        desk, bahar = run_desk(office, clock)
        with TestClient(actions_app) as actions:

            def open_action(request: dict) -> str:
                response = actions.post("/internal/actions", json=request, headers={"Authorization": f"Bearer {token}"})
                assert response.status_code in (200, 201), response.text
                return response.json()["id"]

            outbox = Outbox(office, create_engine(pg.local_db_url("desks_outbox")), open_action, open_action, clock)
            outbox.follower.catch_up()
            outbox.follower.reset()
            outbox.follower.catch_up()
            action_id = outbox.opened_for(f"desk:{desk}:{bahar}")
            action = actions_app.state.register.record(action_id)
        assert action["source_kind"] == "desk" and action["unit"] == "member_services"
        assert "still held" in action["description"]
        assert office.record(desk)["forms"][1]["follow_up"]["carried_out"] is False
    finally:
        office.close()


def test_desk_events_reach_kafka_as_versioned_cloudevents(settings, clock, broker, topic_prefix):
    s = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    office = build_office(s, clock)
    try:
        desk, _ = run_desk(office, clock)
        clock.advance(days=10)
        head = office.recorder.max_notification_id()
        relay = Relay(office, broker, s.topic_of("desks"), partitions=s.kafka_partitions)

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
        office.close()
    records = read_topic(broker, f"{topic_prefix}.desks.events.v1")
    assert len(records) == head
    assert all(r["headers"]["ce_subject"] == str(desk) for r in records)
    assert [int(r["headers"]["ce_sequence"]) for r in records] == list(range(1, head + 1))
    types = [r["headers"]["ce_type"] for r in records]
    assert types[0] == "crm.desks.desk.planned.v1" and "crm.desks.desk.follow_up_recorded.v1" in types
    follow_up = [json.loads(r["value"]) for r in records if r["headers"]["ce_type"].endswith("follow_up_recorded.v1")]
    assert [f["carried_out"] for f in follow_up] == [True, False]
    assert follow_up[1]["action_source_ref"] == f"desk:{desk}:2" and follow_up[1]["agency"] == "customs"
