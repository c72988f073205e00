"""The desks service over HTTP: a desk through its six steps, the outbox to the actions service, problem+json."""

from __future__ import annotations

from datetime import timedelta

from tests.desks.helpers import ROUTES, STARTS_AT
from tests.helpers import assert_problem

PLAN = {
    "agency": "customs",
    "starts_at": "2026-11-25T09:00:00+03:30",
    "place": "Chamber hall 2",
    "format": "in_person",
    "capacity": 2,
    "equipment": ["projector"],
}


def post(client, headers, who: str, path: str, body=None, status: int = 200):
    response = client.post(path, json=body, headers=headers[who])
    assert response.status_code == status, response.text
    return response.json()


def announced(client, headers) -> str:
    desk = post(client, headers, "ms_expert", "/desks", PLAN, 201)["id"]
    post(client, headers, "ms_expert", f"/desks/{desk}/coordinations", {"liaison": "Mr Rezaei", "note": "hall 2"})
    post(client, headers, "ms_manager", f"/desks/{desk}/approve", {"note": "approved"})
    for route in ROUTES:
        post(client, headers, "ms_expert", f"/desks/{desk}/announcements", {"route": route, "on": "2026-11-21"})
    return desk


def registration(name: str) -> dict:
    return {"member_name": name, "company": f"{name} Co.", "channel": "phone", "problem": "goods held at customs"}


def test_a_desk_goes_through_its_six_steps_and_an_unfulfilled_decision_opens_one_action(
    client, headers, clock, app, door
):
    desk = announced(client, headers)
    first = post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Ali"), 201)
    assert first["state"] == "scheduled" and first["slot_start"] == "2026-11-25T05:30:00Z"
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Bahar"), 201)
    third = post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Cyrus"), 201)
    assert third == {"desk_id": desk, "number": "3", "state": "waiting", "slot_start": None}
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/2/guide", {"where": "the tax desk"})
    post(client, headers, "ms_expert", f"/desks/{desk}/catering", {"items": ["tea for 10"]})
    clock.now = STARTS_AT - timedelta(days=1)
    reminders = client.get(f"/desks/{desk}/reminders", headers=headers["ms_expert"]).json()
    assert [r["form"] for r in reminders] == ["1", "3"]  # Cyrus moved up into Bahar's slot
    for number in ("1", "3"):
        post(client, headers, "ms_expert", f"/desks/{desk}/registrations/{number}/reminder", {"reached": True})
    clock.now = STARTS_AT
    for number in ("1", "3"):
        post(client, headers, "ms_expert", f"/desks/{desk}/registrations/{number}/attendance", {"attended": True})
        post(client, headers, "ms_expert", f"/desks/{desk}/registrations/{number}/decision", {"decision": "release"})
    post(client, headers, "ms_manager", f"/desks/{desk}/minutes/review")
    post(client, headers, "ms_expert", f"/desks/{desk}/minutes/send", {"to": "customs DG office"})
    post(client, headers, "ms_expert", f"/desks/{desk}/minutes/archive")
    clock.advance(days=2)
    post(
        client,
        headers,
        "ms_expert",
        f"/desks/{desk}/registrations/1/follow-up",
        {"carried_out": True, "result": "released"},
    )
    post(
        client,
        headers,
        "ms_expert",
        f"/desks/{desk}/registrations/3/follow-up",
        {"carried_out": False, "result": "held"},
    )
    closed = post(client, headers, "ms_expert", f"/desks/{desk}/checklist", {"note": "done"})
    assert closed["stage"] == "closed" and closed["checklist"]["items"]["every_registrant_reminded"] is True
    app.state.outbox.follower.catch_up()
    app.state.outbox.follower.reset()  # delivered again from the start: still one action
    app.state.outbox.follower.catch_up()
    assert list(door.opened) == [f"desk:{desk}:3"]
    assert door.opened[f"desk:{desk}:3"]["source_kind"] == "desk"
    assert app.state.outbox.opened_for(f"desk:{desk}:3") is not None
    history = client.get(f"/desks/{desk}/history", headers=headers["auditor"]).json()
    assert (
        history[0]["type"] == "crm.desks.desk.planned.v1"
        and history[-1]["type"] == "crm.desks.desk.checklist_completed.v1"
    )


def test_an_action_request_waits_while_the_actions_service_is_down(client, headers, clock, app, door):
    desk = announced(client, headers)
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Ali"), 201)
    clock.now = STARTS_AT
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/1/attendance", {"attended": True})
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/1/decision", {"decision": "release"})
    post(client, headers, "ms_manager", f"/desks/{desk}/minutes/review")
    post(client, headers, "ms_expert", f"/desks/{desk}/minutes/send", {"to": "customs DG office"})
    door.down = True
    post(
        client,
        headers,
        "ms_expert",
        f"/desks/{desk}/registrations/1/follow-up",
        {"carried_out": False, "result": "held"},
    )
    assert app.state.outbox.follower.step() is False and door.opened == {}
    door.down = False
    app.state.outbox.follower.catch_up()
    assert list(door.opened) == [f"desk:{desk}:1"]


def test_missed_follow_ups_are_recorded_through_the_internal_door_once(client, headers, clock):
    desk = announced(client, headers)
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Ali"), 201)
    clock.now = STARTS_AT
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/1/attendance", {"attended": True})
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/1/decision", {"decision": "release"})
    clock.advance(days=10)
    first = post(client, headers, "service", "/internal/desks/deadline-check")
    assert first == {"recorded": [{"desk_id": desk, "form": "1"}]}
    assert post(client, headers, "service", "/internal/desks/deadline-check") == {"recorded": []}


def test_bad_input_is_refused_as_problem_json_and_changes_nothing(client, headers):
    assert_problem(
        client.post("/desks", json={**PLAN, "agency": "police"}, headers=headers["ms_expert"]), 422, "police"
    )
    assert_problem(client.post("/desks", json={**PLAN, "capacity": 0}, headers=headers["ms_expert"]), 422)
    desk = post(client, headers, "ms_expert", "/desks", PLAN, 201)["id"]
    assert_problem(client.post("/desks", json=PLAN, headers=headers["ms_expert"]), 409, "planned already")
    assert_problem(
        client.post(f"/desks/{desk}/registrations", json=registration("Ali"), headers=headers["ms_expert"]), 409
    )
    assert_problem(client.post(f"/desks/{desk}/approve", headers=headers["ms_manager"]), 409, "coordination")
    assert_problem(client.get("/desks/6f1c0c39-6d43-4d3e-8f0b-9a7f8f0e2a11", headers=headers["sg"]), 404)
    assert_problem(client.post(f"/desks/{desk}/registrations/x/cancel", headers=headers["ms_expert"]), 422)
    assert client.get(f"/desks/{desk}", headers=headers["sg"]).json()["version"] == 1
    listing = client.get("/desks", params={"agency": "customs"}, headers=headers["president"])
    assert listing.headers["X-Total-Count"] == "1" and listing.json()[0]["stage"] == "planning"
