"""Specialised sessions: from the member selection to decisions done, the SG's approval before the president's,
minutes with both lists, complaints for problems about the chamber's services, overdue decisions as breaches."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.desks.test_api import post
from tests.helpers import assert_problem

STARTS = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)  # Wednesday 2 December, 10:00 in Tehran
PLAN = {
    "trade_group": "textile exporters",
    "starts_at": "2026-12-02T10:00:00+03:30",
    "place": "Hall 1",
    "topics": ["export refunds"],
}
SELECTION = {
    "selection_id": "sel-42",
    "criteria": {"activity": ["textile"], "partner_countries": ["IQ"]},
    "invitees": [
        {"member_id": "M-1", "name": "Ali", "company": "Ali Textiles"},
        {"member_id": "M-2", "name": "Bahar"},
        {"member_id": "M-3", "name": "Cyrus"},
        {"member_id": "M-4", "name": "Dara"},
    ],
}


def ratified(client, headers) -> str:
    session = post(client, headers, "expert", "/sessions", PLAN, 201)["id"]
    post(client, headers, "expert", f"/sessions/{session}/invitees", SELECTION)
    post(client, headers, "sg", f"/sessions/{session}/approve")
    post(client, headers, "president", f"/sessions/{session}/ratify", {"note": "ratified"})
    post(client, headers, "expert", f"/sessions/{session}/invitations", {})
    return session


def test_a_session_goes_from_selection_to_decisions_done(client, headers, clock, app, complaints_door):
    session = ratified(client, headers)
    clock.now = STARTS
    held = post(client, headers, "expert", f"/sessions/{session}/attendance", {"attended": ["M-1", "M-3", "M-4"]})
    assert held["stage"] == "held" and held["attendance_rate"] == 0.75
    about_us = {
        "text": "certificates of origin take two weeks",
        "about_chamber_service": True,
        "unit": "trade",
        "member_id": "M-1",
    }
    problem = post(client, headers, "expert", f"/sessions/{session}/problems", about_us, 201)
    post(
        client,
        headers,
        "expert",
        f"/sessions/{session}/problems",
        {"text": "refund delays at customs", "about_chamber_service": False},
        201,
    )
    decision = post(
        client,
        headers,
        "mr_manager",
        f"/sessions/{session}/decisions",
        {"text": "ask customs", "owner": "s.ahmadi", "due_on": "2026-12-16"},
        201,
    )
    assert decision["number"] == "1" and decision["overdue"] is False
    minutes = post(client, headers, "expert", f"/sessions/{session}/minutes", {"summary": "two problems, one decision"})
    assert minutes["minutes"]["form"] == "SE-FR-02-01-01"
    assert minutes["minutes"]["invitees"] == ["M-1", "M-2", "M-3", "M-4"] and minutes["minutes"]["attended"] == [
        "M-1",
        "M-3",
        "M-4",
    ]
    assert minutes["selection"]["selection_id"] == "sel-42" and minutes["selection"]["criteria"][
        "partner_countries"
    ] == ["IQ"]
    assert_problem(
        client.post(f"/sessions/{session}/decisions/1/done", json={"note": "x"}, headers=headers["unit_manager"]),
        403,
        "s.ahmadi",
    )
    done = post(client, headers, "trade_expert", f"/sessions/{session}/decisions/1/done", {"note": "letter sent"})
    assert done["decisions_done"] == 1 and done["decisions"][0]["done"]["on_time"] is True
    app.state.outbox.follower.catch_up()
    app.state.outbox.follower.reset()
    app.state.outbox.follower.catch_up()
    ref = f"session:{session}:problem:{problem['number']}"
    assert list(complaints_door.opened) == [ref]  # one complaint, for the problem about the chamber only
    request = complaints_door.opened[ref]
    assert request["source"] == "sessions" and request["unit"] == "trade" and request["member_number"] == "M-1"
    assert app.state.outbox.opened_for(ref) is not None


def test_the_president_ratifies_only_what_the_sg_approved_and_invitations_wait_for_both(client, headers):
    session = post(client, headers, "expert", "/sessions", PLAN, 201)["id"]
    assert_problem(client.post(f"/sessions/{session}/approve", headers=headers["sg"]), 409, "planned")
    post(client, headers, "expert", f"/sessions/{session}/invitees", SELECTION)
    assert_problem(client.post(f"/sessions/{session}/ratify", headers=headers["president"]), 409)
    post(client, headers, "sg", f"/sessions/{session}/approve")
    assert_problem(client.post(f"/sessions/{session}/invitations", json={}, headers=headers["expert"]), 409)
    assert_problem(client.post(f"/sessions/{session}/invitees", json=SELECTION, headers=headers["expert"]), 409)
    post(client, headers, "president", f"/sessions/{session}/ratify")
    post(client, headers, "expert", f"/sessions/{session}/invitations", {"on": "2026-11-22"})


def test_bad_selections_and_strangers_in_the_attendance_are_refused(client, headers, clock):
    session = post(client, headers, "expert", "/sessions", PLAN, 201)["id"]
    twice = {**SELECTION, "invitees": SELECTION["invitees"] + [SELECTION["invitees"][0]]}
    assert_problem(client.post(f"/sessions/{session}/invitees", json=twice, headers=headers["expert"]), 422, "twice")
    odd = {**SELECTION, "criteria": {"zodiac": ["leo"]}}
    assert_problem(client.post(f"/sessions/{session}/invitees", json=odd, headers=headers["expert"]), 422, "zodiac")
    post(client, headers, "expert", f"/sessions/{session}/invitees", SELECTION)
    post(client, headers, "sg", f"/sessions/{session}/approve")
    post(client, headers, "president", f"/sessions/{session}/ratify")
    post(client, headers, "expert", f"/sessions/{session}/invitations", {})
    assert_problem(
        client.post(f"/sessions/{session}/attendance", json={"attended": ["M-1"]}, headers=headers["expert"]),
        409,
        "started",
    )
    clock.now = STARTS
    assert_problem(
        client.post(f"/sessions/{session}/attendance", json={"attended": ["M-9"]}, headers=headers["expert"]),
        422,
        "M-9",
    )
    assert client.get(f"/sessions/{session}", headers=headers["auditor"]).json()["stage"] == "invited"


def test_an_undone_decision_past_its_date_is_a_breach_recorded_once(client, headers, clock):
    session = ratified(client, headers)
    clock.now = STARTS
    post(client, headers, "expert", f"/sessions/{session}/attendance", {"attended": ["M-1"]})
    post(
        client,
        headers,
        "expert",
        f"/sessions/{session}/decisions",
        {"text": "t", "owner": "s.ahmadi", "due_on": "2026-12-05"},
        201,
    )
    assert_problem(
        client.post(
            f"/sessions/{session}/decisions",
            json={"text": "t", "owner": "o", "due_on": "2026-12-04"},
            headers=headers["expert"],
        ),
        422,
        "not a working day",
    )
    clock.now = datetime(2026, 12, 5, 12, 30, tzinfo=UTC)  # the end of the due day: not late yet
    assert post(client, headers, "service", "/internal/desks/deadline-check") == {"recorded": []}
    clock.advance(minutes=1)
    assert post(client, headers, "service", "/internal/desks/deadline-check") == {
        "recorded": [{"session_id": session, "decision": "1"}]
    }
    assert post(client, headers, "service", "/internal/desks/deadline-check") == {"recorded": []}
    record = client.get(f"/sessions/{session}", headers=headers["sg"]).json()
    assert record["decisions"][0]["overdue"] is True
    clock.advance(days=1)
    late = post(client, headers, "trade_expert", f"/sessions/{session}/decisions/1/done", {"note": "done late"})
    assert late["decisions"][0]["done"]["on_time"] is False and late["decisions"][0]["overdue"] is False
    history = client.get(f"/sessions/{session}/history", headers=headers["auditor"]).json()
    assert [h["type"] for h in history].count("crm.desks.session.decision_overdue.v1") == 1
