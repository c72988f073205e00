"""The complaint stages follow the chamber's calendar as the calls service keeps it: a closure read from the calls
topic moves the deadline in force of every open stage, and a restarted service keeps it."""

from __future__ import annotations

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
