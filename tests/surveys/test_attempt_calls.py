"""Every contact attempt by phone is an outgoing call the call centre knows: the surveys' outbox posts each attempt
(unanswered, declined, the call that brought the answers) to the calls service's internal door, with the purpose
survey and the line used, once each, and again after the calls service was down."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.calls.main import create_app as create_calls
from shared.auth import Role
from shared.outbox import NotDelivered


@pytest.fixture
def running(client, headers, project) -> str:
    client.post(
        f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2", "12-3"]}, headers=headers["unit_manager"]
    )
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    assert client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]).status_code == 200
    return project


@pytest.fixture
def calls(settings, clock) -> Iterator[TestClient]:
    """The calls service itself, its internal door reached over HTTP by the surveys' outbox."""
    with TestClient(create_calls(settings, clock=clock, relay=False)) as calls:
        yield calls


@pytest.fixture
def door(app, calls, token_store) -> list[dict]:
    """The surveys' outbox posting to the calls service; the requests it made, in order."""
    service = {"Authorization": f"Bearer {token_store.create('surveys', Role.SERVICE)}"}
    made: list[dict] = []

    def place(request: dict) -> str:
        made.append(request)
        r = calls.post("/internal/calls", json=request, headers=service)
        assert r.status_code in (200, 201), r.text
        return r.json()["id"]

    app.state.attempt_calls.place_call = place
    return made


def test_each_attempt_by_phone_becomes_one_outgoing_call_with_its_line(app, client, clock, headers, running, door):
    url = f"/surveys/{running}/contacts"
    client.post(f"{url}/12-1/attempts", json={"line": "fixed", "outcome": "no_answer"}, headers=headers["expert"])
    clock.advance(days=2)  # the next working day's attempt
    client.post(f"{url}/12-1/response", json={"line": "fixed", "answers": {"overall": 4}}, headers=headers["expert"])
    client.post(f"{url}/12-2/attempts", json={"line": "fixed", "outcome": "declined"}, headers=headers["expert"])
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    link = client.post(f"/surveys/{running}/links", headers=headers["mr_manager"]).json()
    token = next(x["url"] for x in link if x["membership_number"] == "12-3").rsplit("/s/", 1)[1]
    assert client.post(f"/s/{token}", content="overall=5", headers=form).status_code == 200  # online: no call
    assert app.state.attempt_calls.catch_up() >= 1
    refs = [r["source_ref"] for r in door]
    assert refs == [
        f"surveys:{running}:member:12-1:attempt:1",
        f"surveys:{running}:member:12-1:attempt:2",
        f"surveys:{running}:member:12-2:attempt:1",
    ]
    assert [(r["line"], r["reached"], r["purpose"]) for r in door] == [
        ("fixed", False, "survey"),
        ("fixed", True, "survey"),
        ("fixed", True, "survey"),
    ]
    assert {r["placed_by"] for r in door} == {"z.rahimi"}  # the expert who called
    # The call centre knows them: outgoing survey calls, not reached or completed.
    first = app.state.attempt_calls.call_of(refs[0])
    second = app.state.attempt_calls.call_of(refs[1])
    assert first and second and first != second
    # Nothing is sent twice: a second catch-up posts nothing.
    app.state.attempt_calls.catch_up()
    assert len(door) == 3


def test_the_calls_record_the_attempts_as_the_call_centre_sees_them(app, client, headers, running, door, calls):
    client.post(
        f"/surveys/{running}/contacts/12-1/attempts",
        json={"line": "fixed", "outcome": "busy"},
        headers=headers["expert"],
    )
    app.state.attempt_calls.catch_up()
    call_id = app.state.attempt_calls.call_of(f"surveys:{running}:member:12-1:attempt:1")
    call = calls.get(f"/calls/{call_id}", headers=headers["mr_manager"]).json()
    assert call["direction"] == "outgoing" and call["purpose"] == "survey" and call["line"] == "fixed"
    assert call["state"] == "not_reached" and call["member_id"] == "12-1"


def test_an_attempt_not_delivered_is_sent_again_and_recorded_once(app, client, headers, running, door):
    place = app.state.attempt_calls.place_call
    tries = []

    def flaky(request: dict) -> str:
        tries.append(request["source_ref"])
        if len(tries) == 1:
            raise NotDelivered("calls service unreachable")
        return place(request)

    app.state.attempt_calls.place_call = flaky
    client.post(
        f"/surveys/{running}/contacts/12-2/attempts",
        json={"line": "fixed", "outcome": "no_answer"},
        headers=headers["expert"],
    )
    with pytest.raises(NotDelivered):
        app.state.attempt_calls.catch_up()
    app.state.attempt_calls.catch_up()
    assert tries == [f"surveys:{running}:member:12-2:attempt:1"] * 2 and len(door) == 1
    assert app.state.attempt_calls.call_of(tries[0]) is not None
