"""The complaint stages follow the chamber's calendar as the calls service keeps it: a closure read from the calls
topic moves the deadline in force of every open stage, and a restarted service keeps it."""

from __future__ import annotations

from datetime import date

from fastapi.testclient import TestClient

from services.complaints.main import create_app
from shared.envelope import CloudEvent
from tests.complaints.test_api import register, who  # noqa: F401 - fixture


def closed(day: str, event_id: str = "calendar-1") -> CloudEvent:
    return CloudEvent(
        id=event_id,
        source="crm/calls",
        type="crm.calls.calendar.day_closed.v1",
        time="2026-11-21T08:00:00+00:00",
        subject="7d0c2b8e-0000-4000-8000-000000000000",
        sequence=2,
        position=1,
        data={"day": day, "reason": "pollution", "note": None, "by": "operator", "at": "2026-11-21T08:00:00+00:00"},
    )


def test_a_closure_moves_the_open_stage_deadline_and_survives_a_restart(settings, clock, who) -> None:  # noqa: F811
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        c = register(client, who)
        assert c["due_at"] == "2026-11-22T07:00:00Z"  # acknowledgement: 8 working hours, Sunday 10:30
        feed = client.app.state.calendar_feed
        assert feed.apply([closed("2026-11-22")]) == 1
        assert feed.apply([closed("2026-11-22")]) == 0  # redelivered: nothing twice
        moved = client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()
        assert moved["due_at"] == "2026-11-23T07:00:00Z"  # Sunday closed: Monday 10:30

    settings.__dict__.pop("business_calendar", None)  # a new process builds its calendar afresh
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        again = client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()
        assert again["due_at"] == "2026-11-23T07:00:00Z"


def test_other_events_of_the_calls_topic_are_not_the_feed_s_business(settings, clock) -> None:
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        other = CloudEvent(
            id="x", source="crm/calls", type="crm.calls.call.received.v1", time="", subject="s", sequence=1, position=1
        )
        assert client.app.state.calendar_feed.apply([other]) == 0


def schedule_from(effective_from: str, hours: dict[str, list[str]], event_id: str) -> CloudEvent:
    return CloudEvent(
        id=event_id,
        source="crm/calls",
        type="crm.calls.calendar.schedule_set.v1",
        time="2026-11-21T08:00:00+00:00",
        subject="7d0c2b8e-0000-4000-8000-000000000000",
        sequence=3,
        position=2,
        data={"effective_from": effective_from, "hours": hours, "preset": None, "by": "operator", "at": ""},
    )


def test_a_moved_deadline_is_an_event_with_the_old_and_new_time_and_why(settings, clock, who) -> None:  # noqa: F811
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        c = register(client, who)
        untouched = register(client, who, description="another matter")
        feed = client.app.state.calendar_feed
        clock.advance(hours=1)
        feed.apply([closed("2026-11-22")])
        feed.apply([closed("2026-11-22")])  # redelivered: recorded once

        history = client.get(f"/complaints/{c['id']}/history", headers=who["mr_manager"]).json()
        moves = [e for e in history if e["type"] == "crm.complaints.complaint.deadline_moved.v1"]
        assert len(moves) == 1
        data = moves[0]["data"]
        assert data["stage"] == "acknowledgement"
        assert data["old_due"].startswith("2026-11-22T07:00:00")
        assert data["new_due"].startswith("2026-11-23T07:00:00")
        assert data["reason"] == "calendar change: closed on 2026-11-22 (pollution)"
        assert data["at"].startswith("2026-11-21T08:00:00")  # the injected clock, when the change arrived

        view = client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()
        assert [(m["stage"], m["new_due"]) for m in view["deadline_moves"]] == [
            ("acknowledgement", "2026-11-23T07:00:00Z")
        ]
        form = client.get(f"/complaints/{c['id']}/form", headers=who["mr_manager"]).json()
        assert form["deadline_moves"][0]["reason"].startswith("calendar change: closed on 2026-11-22")
        assert form["deadline_moves"][0]["old_due_local"] != form["deadline_moves"][0]["new_due_local"]
        assert any(s["event"] == "crm.complaints.complaint.deadline_moved.v1" for s in form["steps"])
        other = client.get(f"/complaints/{untouched['id']}", headers=who["mr_manager"]).json()
        assert len(other["deadline_moves"]) == 1  # every open complaint the closure touches


def test_a_change_that_does_not_touch_the_deadline_records_nothing(settings, clock, who) -> None:  # noqa: F811
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        c = register(client, who)
        feed = client.app.state.calendar_feed
        assert feed.apply([closed("2026-12-20", event_id="far")]) == 1  # a day after the deadline
        view = client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()
        assert view["deadline_moves"] == []


def test_new_working_hours_move_the_deadline_with_the_schedule_as_the_reason(settings, clock, who) -> None:  # noqa: F811
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        c = register(client, who)
        short = {d: ["08:00-10:00"] for d in ("saturday", "sunday", "monday", "tuesday", "wednesday")}
        client.app.state.calendar_feed.apply([schedule_from("2026-11-22", short, "hours-1")])
        view = client.get(f"/complaints/{c['id']}", headers=who["mr_manager"]).json()
        [move] = view["deadline_moves"]
        assert move["reason"] == "calendar change: working hours from 2026-11-22"
        assert move["old_due"] == "2026-11-22T07:00:00Z"
        assert move["new_due"] == view["due_at"]
        assert move["new_due"] > move["old_due"]  # two hours a day: later than with the usual hours


def test_told_twice_of_the_same_change_the_desk_records_one_move(settings, clock, who) -> None:  # noqa: F811
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        c = register(client, who)
        desk = client.app.state.desk
        before = desk.calendar.copy()
        desk.calendar.close(date(2026, 11, 22), "mourning")
        change = {"day": "2026-11-22", "reason": "mourning", "note": "national mourning"}
        assert len(desk.move_deadlines(before, "mourning-1", "closure", change)) == 1
        assert desk.move_deadlines(before, "mourning-1", "closure", change) == []
        [move] = desk.view(c["id"])["deadline_moves"]
        assert move["reason"] == "calendar change: closed on 2026-11-22 (mourning): national mourning"
