"""The surveys service on real stores and the real broker: its roster learns the active members and a selection
from the members topic, a periodic round asks them, and the survey's events reach Kafka as versioned CloudEvents;
its event store and index on PostgreSQL."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import date

import pytest

from services.members.main import build_directory
from services.members.main import build_index as build_member_index
from services.surveys.calllist import CallList
from services.surveys.main import build_index, build_office
from services.surveys.members import MemberRoster
from shared.auth import Principal, Role
from shared.db import create_engine
from shared.relay import Relay
from shared.topic_feed import follow_topics
from tests.integration.conftest import pg_settings, read_topic
from tests.surveys.conftest import BOARD, QUESTIONS
from tests.surveys.test_domain import Roster

pytestmark = pytest.mark.integration


async def _publish(app, bootstrap: str, topic: str, partitions: int) -> None:
    head = app.recorder.max_notification_id()
    relay = Relay(app, bootstrap, topic, partitions=partitions)
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


def test_a_round_asks_the_members_the_members_topic_reports_active(settings, clock, broker, topic_prefix):
    s = settings.model_copy(update={"kafka_bootstrap": broker, "topic_prefix": topic_prefix})
    directory = build_directory(s, clock)
    member_index = build_member_index(s, directory)
    office = build_office(s, clock)
    roster = MemberRoster(create_engine(s.local_db_url("surveys_index")))
    office.roster = roster
    try:
        for number in ("1405001", "1405002", "1405003"):
            directory.register_member(number, {"kind": "company", "name": f"Co {number}", "trade_group": "carpets"})
        directory.suspend_member("1405003", "fees unpaid")
        member_index.catch_up()
        selection = directory.take_selection("card holders", {"trade_group": "carpets"})

        async def go() -> None:
            await _publish(directory, broker, s.topic_of("members"), s.kafka_partitions)
            stop = asyncio.Event()
            task = asyncio.create_task(
                follow_topics(
                    roster.apply,
                    bootstrap=broker,
                    topics=[s.topic_of("members")],
                    group=f"{topic_prefix}-surveys",
                    stop=stop,
                )
            )
            for _ in range(300):
                if len(roster.active_numbers()) == 2 and roster.selection(str(selection)) is not None:
                    break
                await asyncio.sleep(0.05)
            stop.set()
            await task

        asyncio.run(go())
        assert roster.active_numbers() == ["1405001", "1405002"]
        assert roster.selection(str(selection)) == ["1405001", "1405002"]

        qid = office.create_questionnaire(code="periodic", title="Periodic", questions=QUESTIONS, by="m.karimi")
        sid = office.plan_round(period="2026-H2", questionnaire=qid, by="president")
        office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15), by="president")
        office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
        assert office.start_survey(sid, by="m.karimi") == 2
        asyncio.run(_publish(office, broker, s.topic_of("surveys"), s.kafka_partitions))
    finally:
        office.close()
        directory.close()
    records = read_topic(broker, f"{topic_prefix}.surveys.events.v1")
    types = [r["headers"]["ce_type"] for r in records]
    assert types.count("crm.surveys.survey.started.v1") == 1 and "crm.surveys.questionnaire.created.v1" in types
    started = next(json.loads(r["value"]) for r in records if r["headers"]["ce_type"].endswith("started.v1"))
    assert started["members"] == ["1405001", "1405002"] and started["questionnaire_version"] == 1
    assert all(r["headers"]["ce_source"] == "/crm/surveys" for r in records)


@pytest.mark.postgres
def test_surveys_and_their_index_on_postgresql(settings, clock, pg_schema):
    pg = pg_settings(settings, pg_schema)
    office = build_office(pg, clock)
    try:
        index = build_index(pg, office)
        qid = office.create_questionnaire(code="card-desk", title="Card desk", questions=QUESTIONS)
        sid = office.request_project_survey(subject="Card renewal", unit="trade", questionnaire=qid, by="f.alavi")
        office.approve_survey(sid, by="sg")
        office.delegate_survey(sid, "membership", by="sg")
        manager = Principal("h.tehrani", Role.UNIT_MANAGER, "membership")
        items, total = index.search(manager, see_all=False, kind=None, stage=None, limit=10, offset=0)
        assert total == 1 and items[0]["id"] == str(sid) and items[0]["runner"] == "membership"
        assert index.rebuild() == office.recorder.max_notification_id()

        # The call list on PostgreSQL: claims compared as aware instants, the gap to the next working day.
        office.supply_members(sid, numbers=["12-1", "12-2"])
        office.approve_members(sid)
        office.start_survey(sid)
        calls = CallList(index.engine, clock, 15, index.catch_up)
        first = calls.claim_next(str(sid), "z.rahimi")
        second = calls.claim_next(str(sid), "n.jafari")
        assert first and second and first["membership_number"] != second["membership_number"]
        assert calls.claim_next(str(sid), "m.karimi") is None
        office.record_attempt(sid, first["membership_number"], line="fixed", outcome="busy")
        clock.advance(minutes=16)
        again = calls.claim_next(str(sid), "m.karimi")
        assert again is not None and again["membership_number"] == second["membership_number"]
    finally:
        office.close()


def test_survey_complaints_open_in_the_complaints_service_once(settings, clock, token_store):
    """The outbox's complaints as the complaints service's internal door takes them: a member's, a question's,
    each once however often they are delivered."""
    from fastapi.testclient import TestClient

    from services.complaints.main import create_app as complaints_app
    from services.surveys.complaints import SurveyComplaints, delivered

    service = {"Authorization": f"Bearer {token_store.create('surveys', Role.SERVICE)}"}
    office = build_office(settings, clock)
    office.config = office.config.model_copy(update={"min_responses": 1})
    try:
        qid = office.create_questionnaire(code="p", title="Periodic", questions=QUESTIONS)
        sid = office.plan_round(period="2026-H2", questionnaire=qid)
        office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15))
        office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
        office.roster = Roster(["1405001"])
        office.start_survey(sid)
        office.record_response(
            sid, "1405001", answers={"overall": 1}, line="fixed", dissatisfaction="the card took three weeks"
        )
        assert office.evaluate_thresholds(sid)
        with TestClient(complaints_app(settings, clock=clock, relay=False)) as complaints:
            opened = []

            def open_complaint(complaint: dict) -> str:
                r = complaints.post("/internal/complaints", json=complaint, headers=service)
                assert r.status_code in (200, 201), r.text
                opened.append(r.status_code)
                return str(r.json()["id"])

            outbox = SurveyComplaints(
                office, create_engine(settings.local_db_url("surveys_index")), open_complaint, clock
            )
            outbox.catch_up()
            outbox.follower.reset()  # delivered again from the start: the door answers with the same complaints
            with outbox.engine.begin() as conn:
                conn.execute(delivered.delete())
            outbox.catch_up()
        # The member's complaint, the question's and the overall score's; then the same three found again.
        assert opened == [201, 201, 201, 200, 200, 200]
        member_ref = f"surveys:{sid}:member:1405001:dissatisfied"
        assert outbox.complaint_of(member_ref) is not None
    finally:
        office.close()


def test_survey_attempts_become_calls_once_and_answers_keep_the_view_on_postgresql(
    settings, clock, pg_schema, token_store
):
    """On PostgreSQL: answers read the survey's version only, a step taken by another replica is seen at once, and
    the attempts reach the calls service's door as outgoing calls, each once however often delivered."""
    from fastapi.testclient import TestClient

    from services.calls.main import create_app as calls_app
    from services.surveys.attempt_calls import SurveyCalls, delivered
    from shared.problems import DomainError

    pg = pg_settings(settings, pg_schema)
    service = {"Authorization": f"Bearer {token_store.create('surveys', Role.SERVICE)}"}
    office, replica = build_office(pg, clock), build_office(pg, clock)
    try:
        office.roster = Roster([f"1405{n:03d}" for n in range(50)])
        qid = office.create_questionnaire(code="p", title="Periodic", questions=QUESTIONS)
        sid = office.plan_round(period="2026-H2", questionnaire=qid)
        office.set_timing(sid, starts_on=date(2026, 11, 21), ends_on=date(2027, 1, 15))
        office.record_meeting(sid, purpose="questions", held_on=date(2026, 11, 18), attendees=BOARD, minutes="set")
        office.start_survey(sid)
        office.record_attempt(sid, "1405000", line="fixed", outcome="no_answer")
        office.record_response(sid, "1405001", answers={"overall": 4}, line="fixed")
        assert office.survey_view(sid).version == office.survey_view(sid).version  # kept between answers
        assert office.latest_version(sid) == office.get_survey(sid).version  # the version column alone
        assert office.latest_version(uuid.uuid4()) is None
        replica.close_survey(sid)
        with pytest.raises(DomainError, match="closed"):
            office.record_response(sid, "1405002", answers={"overall": 4}, line="fixed")
        with TestClient(calls_app(pg, clock=clock, relay=False)) as calls:
            placed = []

            def place(request: dict) -> str:
                r = calls.post("/internal/calls", json=request, headers=service)
                assert r.status_code in (200, 201), r.text
                placed.append((r.status_code, request["reached"]))
                return str(r.json()["id"])

            outbox = SurveyCalls(office, create_engine(pg.local_db_url("surveys_index")), place, clock)
            outbox.catch_up()
            outbox.follower.reset()  # delivered again from the start: the door answers with the same calls
            with outbox.engine.begin() as conn:
                conn.execute(delivered.delete())
            outbox.catch_up()
        assert placed == [(201, False), (201, True), (200, False), (200, True)]
    finally:
        office.close()
        replica.close()
