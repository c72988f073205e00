"""The calls service over HTTP: authentication, roles, problem+json errors, telephony ingestion, the staff's flow,
search and queues, health and metrics."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.calls.domain import call_id_for_pbx
from services.calls.main import create_app
from shared.envelope import CloudEvent
from tests.helpers import assert_problem, settle

TEHRAN = ZoneInfo("Asia/Tehran")
AT = "2026-11-21T07:00:00Z"  # Saturday 10:30 in Tehran, the fake clock's time


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


def nothing_stored(client: TestClient) -> bool:
    return not client.app.state.centre.recorder.max_notification_id()


def webhook(event_id: str, call_id: str, type_: str, at: str = AT, **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "call_id": call_id, "type": type_, "at": at, **fields}


def new_call(client: TestClient, tokens, **body: Any) -> dict[str, Any]:
    response = client.post("/calls", json={"caller": "09131234567", "unit": "trade", **body}, headers=tokens["expert"])
    assert response.status_code == 201, response.text
    return response.json()


def version_of(client: TestClient, tokens, call_id: str) -> int:
    response = client.get(f"/calls/{call_id}", headers=tokens["auditor"])
    assert response.status_code == 200
    return response.json()["version"]


def unanswered_call(client: TestClient, tokens, expert: str = "s.ahmadi") -> str:
    """A call of the trade unit that went through member relations and a failed transfer: registered unanswered."""
    call_id = new_call(client, tokens)["id"]
    mr = tokens["expert"]
    for step, body in [
        ("unit-not-answered", None),
        ("transfer-to-member-relations", None),
        ("subject", {"subject": "تمدید کارت بازرگانی", "contact_name": "علی کریمی"}),
        ("transfer", {"expert": expert}),
        ("unanswered", {}),
    ]:
        response = client.post(f"/calls/{call_id}/{step}", json=body, headers=mr)
        assert response.status_code == 200, (step, response.text)
    return call_id


# --- authentication -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/calls"),
        ("post", "/calls"),
        ("post", "/telephony/events"),
        ("get", "/queues/experts/me"),
        ("get", "/metrics"),
    ],
)
def test_every_endpoint_but_health_needs_a_bearer_token(client: TestClient, method: str, path: str) -> None:
    response = client.request(method, path, json={})
    body = assert_problem(response, 401, "a bearer token is required")
    assert body["title"] == "Not authenticated"
    assert response.headers["www-authenticate"] == "Bearer"
    assert nothing_stored(client)


@pytest.mark.parametrize("header", ["Bearer crm_not-a-real-token", "Basic dXNlcjpwYXNz"])
def test_an_unknown_token_or_another_scheme_is_not_authenticated(client: TestClient, header: str) -> None:
    response = client.get("/calls", headers={"Authorization": header})
    assert_problem(response, 401)
    assert response.headers["www-authenticate"] == "Bearer"


def test_a_revoked_token_no_longer_gets_in(client: TestClient, tokens) -> None:
    assert client.get("/calls", headers=tokens["sg"]).status_code == 200
    # Through the service's own store: another process's revocation reaches it when its 5-second cache expires.
    client.app.state.tokens.revoke("sg")
    assert_problem(client.get("/calls", headers=tokens["sg"]), 401, "unknown or revoked")


def test_health_needs_no_token(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert (body["service"], body["status"], body["store"]) == ("calls", "ok", "sqlite")
    assert body["relay_position"] is None  # the relay is off in these tests


def test_the_openapi_document_is_served(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    spec = response.json()
    assert {"/telephony/events", "/telephony/ami", "/calls", "/calls/{call_id}/callback", "/queues/experts/me"} <= set(
        spec["paths"]
    )
    assert "CallPublic" in spec["components"]["schemas"]


# --- roles --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "method", "path"),
    [
        ("telephony", "post", "/calls"),
        ("telephony", "get", "/calls"),
        ("monitoring", "get", "/calls"),
        ("committee", "get", "/calls"),
        ("auditor", "post", "/calls"),
        ("unit_manager", "post", "/calls"),
        ("expert", "post", "/telephony/events"),
        ("sg", "post", "/telephony/ami"),
        ("expert", "get", "/telephony/rejections"),
        ("auditor", "get", "/queues/experts/me"),
    ],
)
def test_roles_that_have_no_business_there_are_forbidden(
    client: TestClient, tokens, role: str, method: str, path: str
) -> None:
    # An empty body is a valid CallCreate: had the role been let in, a call would now exist.
    body = assert_problem(client.request(method, path, json={}, headers=tokens[role]), 403, "may not do this; allowed:")
    assert body["title"] == "Forbidden"
    assert nothing_stored(client)


def test_telephony_may_not_work_on_a_call(client: TestClient, tokens) -> None:
    call = new_call(client, tokens)
    response = client.post(f"/calls/{call['id']}/unit-not-answered", headers=tokens["telephony"])
    assert_problem(response, 403, "role 'telephony' may not do this")
    assert version_of(client, tokens, call["id"]) == call["version"]


def test_an_expert_sees_only_his_or_her_own_queue(client: TestClient, tokens) -> None:
    assert_problem(client.get("/queues/experts/s.ahmadi", headers=tokens["expert"]), 403, "only his or her own queue")
    assert client.get("/queues/experts/z.rahimi", headers=tokens["expert"]).status_code == 200


def test_a_unit_manager_sees_the_queues_of_his_or_her_units_experts_only(client: TestClient, tokens) -> None:
    assert client.get("/queues/experts/s.ahmadi", headers=tokens["unit_manager"]).status_code == 200
    assert_problem(client.get("/queues/experts/r.sadeghi", headers=tokens["unit_manager"]), 403, "own unit's experts")


def test_a_units_list_is_for_its_own_staff_member_relations_the_sg_and_auditors(client: TestClient, tokens) -> None:
    for role in ("unit_manager", "trade_expert", "expert", "mr_manager", "sg", "auditor"):
        assert client.get("/queues/units/trade", headers=tokens[role]).status_code == 200, role
    assert_problem(
        client.get("/queues/units/trade", headers=tokens["other_manager"]), 403, "only staff of unit 'trade'"
    )
    assert_problem(client.get("/queues/units/customs", headers=tokens["sg"]), 404, "no unit 'customs'")


def test_a_manager_of_another_unit_may_not_record_the_callback(client: TestClient, tokens) -> None:
    call_id = unanswered_call(client, tokens)
    version = version_of(client, tokens, call_id)
    response = client.post(f"/calls/{call_id}/callback", json={"outcome": "resolved"}, headers=tokens["other_manager"])
    assert_problem(response, 403, "only the manager of unit 'trade' records callbacks")
    assert version_of(client, tokens, call_id) == version


def test_an_expert_records_callbacks_only_for_calls_in_his_or_her_own_queue(client: TestClient, tokens) -> None:
    call_id = unanswered_call(client, tokens, expert="k.rezaei")
    version = version_of(client, tokens, call_id)
    response = client.post(f"/calls/{call_id}/callback", json={"outcome": "resolved"}, headers=tokens["trade_expert"])
    assert_problem(response, 403, "only for the calls in his or her own queue")
    assert version_of(client, tokens, call_id) == version


# --- 404 and 422 --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("post", "/unit-not-answered"), ("post", "/callback")])
def test_an_unknown_call_is_not_found(client: TestClient, tokens, method: str, suffix: str) -> None:
    missing = uuid.uuid4()
    body = {"outcome": "resolved"} if suffix == "/callback" else None
    response = client.request(method, f"/calls/{missing}{suffix}", json=body, headers=tokens["mr_manager"])
    assert_problem(response, 404, f"no call with id {missing}")


def test_a_call_id_that_is_not_a_uuid_is_invalid(client: TestClient, tokens) -> None:
    assert_problem(client.get("/calls/42", headers=tokens["sg"]), 422, "path.call_id")


@pytest.mark.parametrize(
    ("body", "where"),
    [
        ({"caller": "09131234567", "unit": "trade", "colour": "red"}, "body.colour"),
        ({"caller": "09131234567", "direction": "sideways"}, "body.direction"),
        ({"caller": "09131234567", "purpose": "gossip", "direction": "outgoing"}, "body.purpose"),
        ({"caller": "0" * 41}, "body.caller"),
    ],
    ids=["extra field", "unknown direction", "unknown purpose", "too long"],
)
def test_a_malformed_call_is_refused_with_the_field_named(client: TestClient, tokens, body, where: str) -> None:
    response = client.post("/calls", json=body, headers=tokens["expert"])
    problem = assert_problem(response, 422, where)
    assert problem["errors"] and problem["errors"][0]["loc"][0] == "body"
    settle(client.app)
    assert client.get("/calls", headers=tokens["sg"]).json() == []


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        ({"caller": "not a number", "unit": "trade"}, "'not a number' is not a phone number"),
        ({"caller": "09131234567", "unit": "customs"}, "unknown unit 'customs'"),
        ({"caller": "09131234567", "direction": "outgoing"}, "an outgoing call records its purpose"),
        ({"caller": "09131234567", "purpose": "survey"}, "only outgoing calls have a purpose"),
    ],
)
def test_a_call_the_procedure_cannot_accept_is_invalid_and_nothing_is_stored(
    client: TestClient, tokens, body, detail: str
) -> None:
    response = client.post("/calls", json=body, headers=tokens["expert"])
    assert_problem(response, 422, detail)
    assert nothing_stored(client)


def test_an_empty_subject_is_invalid_and_changes_nothing(client: TestClient, tokens) -> None:
    call = new_call(client, tokens)
    client.post(f"/calls/{call['id']}/transfer-to-member-relations", headers=tokens["expert"])
    version = version_of(client, tokens, call["id"])
    assert_problem(
        client.post(f"/calls/{call['id']}/subject", json={"subject": ""}, headers=tokens["expert"]), 422, "body.subject"
    )
    assert_problem(
        client.post(f"/calls/{call['id']}/subject", json={"subject": "   "}, headers=tokens["expert"]),
        422,
        "it is empty",
    )
    response = client.post(
        f"/calls/{call['id']}/subject", json={"subject": "x", "contact_phone": "nope"}, headers=tokens["expert"]
    )
    assert_problem(response, 422, "'nope' is not a phone number")
    assert version_of(client, tokens, call["id"]) == version


@pytest.mark.parametrize(
    ("event", "where"),
    [
        ({"event_id": "e1", "type": "queued", "at": AT}, "body.call_id: Field required"),
        (
            {"event_id": "e1", "call_id": "c1", "type": "queued", "at": "2026-11-21T07:00:00"},
            "body.at: Input should have timezone info",
        ),
        ({"event_id": "e1", "call_id": "c1", "type": "exploded", "at": AT}, "body.type: Input should be 'ringing'"),
        ({"event_id": "e1", "call_id": "c1", "type": "queued", "at": AT, "queue": "602", "colour": "red"}, "colour"),
        (
            {"event_id": "e1", "call_id": "c1", "type": "queued", "at": AT, "purpose": "survey"},
            "purpose is only allowed",
        ),
        ({"event_id": "e1", "call_id": "c1", "type": "queued", "at": AT, "wait_seconds": -1}, "wait_seconds"),
    ],
    ids=["missing call_id", "naive time", "unknown type", "extra field", "purpose on incoming", "negative wait"],
)
def test_a_malformed_webhook_event_is_refused_and_nothing_is_applied(
    client: TestClient, tokens, event, where: str
) -> None:
    response = client.post("/telephony/events", json=event, headers=tokens["telephony"])
    assert_problem(response, 422, where)
    assert nothing_stored(client)


def test_a_batch_with_one_malformed_event_is_refused_whole(client: TestClient, tokens) -> None:
    good = webhook("e1", "c1", "queued", queue="602", caller="09131234567")
    bad = webhook("e2", "c1", "answered", at="yesterday", queue="602", extension="211")
    assert_problem(client.post("/telephony/events", json=[good, bad], headers=tokens["telephony"]), 422, "body.1.at")
    assert nothing_stored(client)


def test_more_than_a_thousand_events_in_one_request_are_too_many(client: TestClient, tokens) -> None:
    events = [webhook(f"e{n}", f"c{n}", "queued", queue="602") for n in range(1001)]
    assert_problem(
        client.post("/telephony/events", json=events, headers=tokens["telephony"]), 422, "at most 1000 items"
    )
    assert nothing_stored(client)


def test_a_body_that_is_not_json_is_invalid(client: TestClient, tokens) -> None:
    response = client.post(
        "/telephony/ami",
        content=b'{"Event": "QueueCallerJoin", ',
        headers={**tokens["telephony"], "Content-Type": "application/json"},
    )
    assert_problem(response, 422, "JSON decode error")


def ami(event: str, linkedid: str, **fields: Any) -> dict[str, Any]:
    return {"Event": event, "Linkedid": linkedid, "Uniqueid": linkedid, "Timestamp": "1763708400.000000", **fields}


def test_a_partly_malformed_ami_batch_applies_nothing_and_names_the_bad_event(client: TestClient, tokens) -> None:
    batch = [
        ami("QueueCallerJoin", "1763708400.7", Queue="602", CallerIDNum="09131234567"),
        ami("AgentConnect", "1763708400.7", Interface="PJSIP/211"),  # no Queue
    ]
    response = client.post("/telephony/ami", json=batch, headers=tokens["telephony"])
    body = assert_problem(response, 422, "has no Queue")
    assert body["errors"][0]["loc"] == ["body", 1]
    assert nothing_stored(client)

    batch[1]["Queue"] = "602"  # corrected, the PBX sends it again whole
    response = client.post("/telephony/ami", json=batch, headers=tokens["telephony"])
    assert response.status_code == 200, response.text
    assert (response.json()["applied"], response.json()["rejected"]) == (2, 0)
    call = client.get(f"/calls/{call_id_for_pbx('1763708400.7')}", headers=tokens["sg"]).json()
    assert (call["state"], call["unit"], call["answered_by"]) == ("answered", "trade", "s.ahmadi")


def test_ami_events_that_say_nothing_about_a_call_are_ignored(client: TestClient, tokens) -> None:
    response = client.post(
        "/telephony/ami", json={"Event": "PeerStatus", "Peer": "PJSIP/211"}, headers=tokens["telephony"]
    )
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    batch = [{"Event": "PeerStatus"}, ami("QueueCallerJoin", "1763708400.8", Queue="601", CallerIDNum="09131234567")]
    body = client.post("/telephony/ami", json=batch, headers=tokens["telephony"]).json()
    assert (body["applied"], body["ignored"]) == (1, 1)


# --- 409 ----------------------------------------------------------------------------------------------------------


def test_a_step_the_call_is_not_ready_for_is_a_conflict_that_says_why(client: TestClient, tokens) -> None:
    call = new_call(client, tokens)
    call_id = call["id"]
    client.post(f"/calls/{call_id}/transfer-to-member-relations", headers=tokens["expert"])
    version = version_of(client, tokens, call_id)

    response = client.post(f"/calls/{call_id}/transfer", json={"expert": "s.ahmadi"}, headers=tokens["expert"])
    assert_problem(response, 409, "take down the subject before transferring the call to another expert")
    response = client.post(f"/calls/{call_id}/callback", json={"outcome": "resolved"}, headers=tokens["unit_manager"])
    body = assert_problem(response, 409, "cannot record a callback: the call is with_member_relations")
    assert body["instance"] == f"/calls/{call_id}/callback"
    response = client.post(f"/calls/{call_id}/route", json={"unit": "legal"}, headers=tokens["expert"])
    assert_problem(response, 409, "cannot route the call to a unit")
    assert version_of(client, tokens, call_id) == version


def test_a_telephony_event_that_does_not_fit_the_call_is_a_conflict_kept_among_the_rejections(
    client: TestClient, tokens
) -> None:
    events = [
        webhook("p-1", "1763708400.9", "queued", queue="602", caller="09131234567"),
        webhook("p-2", "1763708400.9", "answered", queue="602", extension="PJSIP/211"),
    ]
    assert client.post("/telephony/events", json=events, headers=tokens["telephony"]).json()["applied"] == 2
    call_id = str(call_id_for_pbx("1763708400.9"))
    version = version_of(client, tokens, call_id)

    late = webhook("p-3", "1763708400.9", "queue_timeout", at="2026-11-21T07:01:00Z", queue="602")
    response = client.post("/telephony/events", json=late, headers=tokens["telephony"])
    body = assert_problem(response, 409, "cannot record that the unit did not answer: the call is answered")
    assert (body["event_id"], body["call_id"]) == ("p-3", call_id)
    assert version_of(client, tokens, call_id) == version

    rejections = client.get("/telephony/rejections", headers=tokens["mr_manager"]).json()
    assert len(rejections) == 1
    [kept] = rejections
    assert (kept["source"], kept["event_id"], kept["call_id"]) == ("webhook", "p-3", "1763708400.9")
    assert kept["reason"] == body["detail"]
    assert kept["payload"]["type"] == "queue_timeout"


def test_webhook_events_are_idempotent_by_event_id(client: TestClient, tokens) -> None:
    events = [
        webhook("d-1", "1763708400.10", "queued", queue="602", caller="09131234567"),
        webhook("d-2", "1763708400.10", "abandoned", at="2026-11-21T07:01:00Z", queue="602"),
    ]
    first = client.post("/telephony/events", json=events, headers=tokens["telephony"]).json()
    version = version_of(client, tokens, str(call_id_for_pbx("1763708400.10")))
    again = client.post("/telephony/events", json=events, headers=tokens["telephony"]).json()
    assert (first["applied"], first["duplicate"]) == (2, 0)
    assert (again["applied"], again["duplicate"]) == (0, 2)
    assert [r["status"] for r in again["results"]] == ["duplicate", "duplicate"]
    assert version_of(client, tokens, str(call_id_for_pbx("1763708400.10"))) == version


def test_a_call_into_an_unmapped_queue_is_kept_and_its_queue_reported_and_counted(client: TestClient, tokens) -> None:
    response = client.post(
        "/telephony/events",
        json=[webhook("u-1", "c-690", "queued", queue="690", caller="09137778899")],
        headers=tokens["telephony"],
    )
    assert (response.json()["held"], response.json()["rejected"]) == (1, 0)
    call = client.get(f"/calls/{call_id_for_pbx('c-690')}", headers=tokens["sg"]).json()
    assert (call["state"], call["unrouted_queue"]) == ("ringing", "690")
    settle(client.app)
    report = client.get("/telephony/unmapped-queues", headers=tokens["mr_manager"]).json()
    assert [(q["queue"], q["calls"]) for q in report] == [("690", 1)]
    metrics = client.get("/metrics", headers=tokens["monitoring"]).text
    assert 'crm_calls_unrouted{queue="690"} 1.0' in metrics


# --- the staff's flow ---------------------------------------------------------------------------------------------


def test_the_whole_procedure_over_http_ends_with_the_unit_manager_calling_back(
    client: TestClient, tokens, clock
) -> None:
    app = client.app
    mr = tokens["expert"]
    call = new_call(client, tokens, caller="۰۹۱۳ ۱۲۳ ۴۵۶۷")
    call_id = call["id"]
    assert (call["state"], call["unit"], call["direction"]) == ("queued", "trade", "incoming")
    assert (call["caller"], call["caller_raw"]) == ("+989131234567", "۰۹۱۳ ۱۲۳ ۴۵۶۷")

    clock.advance(minutes=1)
    assert client.post(f"/calls/{call_id}/unit-not-answered", headers=mr).json()["state"] == "unit_not_answered"
    assert (
        client.post(f"/calls/{call_id}/transfer-to-member-relations", headers=mr).json()["state"]
        == "with_member_relations"
    )
    subject = {"subject": "تمدید کارت بازرگانی", "contact_name": "علی کریمی", "contact_phone": "0912 111 2233"}
    body = client.post(f"/calls/{call_id}/subject", json=subject, headers=mr).json()
    assert (body["subject"], body["contact_phone"], body["member_relations_expert"]) == (
        "تمدید کارت بازرگانی",
        "+989121112233",
        "z.rahimi",
    )
    body = client.post(f"/calls/{call_id}/transfer", json={"expert": "s.ahmadi"}, headers=mr).json()
    assert (body["state"], body["transferred_to"]) == ("transferred", "s.ahmadi")
    clock.advance(minutes=1)
    body = client.post(f"/calls/{call_id}/unanswered", json={}, headers=mr).json()
    assert body["state"] == "unanswered"
    assert (body["unit"], body["assigned_expert"]) == ("trade", "s.ahmadi")
    assert datetime.fromisoformat(body["registered_at"]) == datetime(2026, 11, 21, 10, 32, tzinfo=TEHRAN)
    # Saturday 10:32-16:00, Sunday, Monday: 21h28; Tuesday 08:00 + 2h32.
    assert datetime.fromisoformat(body["callback_due"]) == datetime(2026, 11, 24, 10, 32, tzinfo=TEHRAN)

    settle(app)
    mine = client.get("/queues/experts/me", headers=tokens["trade_expert"]).json()
    assert [c["id"] for c in mine] == [call_id]
    assert client.get("/queues/experts/me", headers=tokens["expert"]).json() == []
    listed = client.get("/queues/units/trade", headers=tokens["unit_manager"]).json()
    assert [(c["id"], c["subject"], c["contact_name"]) for c in listed] == [
        (call_id, "تمدید کارت بازرگانی", "علی کریمی")
    ]

    clock.advance(hours=3)
    manager = tokens["unit_manager"]
    body = client.post(f"/calls/{call_id}/callback", json={"outcome": "not_reached"}, headers=manager).json()
    assert body["state"] == "unanswered"
    settle(app)
    assert [c["id"] for c in client.get("/queues/units/trade", headers=manager).json()] == [call_id]

    body = client.post(
        f"/calls/{call_id}/callback", json={"outcome": "resolved", "note": "کارت تمدید شد"}, headers=manager
    ).json()
    assert body["state"] == "called_back"
    assert [(c["by"], c["outcome"]) for c in body["callbacks"]] == [("f.alavi", "not_reached"), ("f.alavi", "resolved")]
    settle(app)
    assert client.get("/queues/units/trade", headers=manager).json() == []
    assert client.get("/queues/experts/me", headers=tokens["trade_expert"]).json() == []


def test_the_assigned_expert_may_record_his_or_her_own_callback(client: TestClient, tokens) -> None:
    call_id = unanswered_call(client, tokens, expert="s.ahmadi")
    response = client.post(f"/calls/{call_id}/callback", json={"outcome": "follow_up"}, headers=tokens["trade_expert"])
    assert response.status_code == 200
    assert response.json()["state"] == "unanswered"  # followed up: still owed a final outcome
    response = client.post(
        f"/calls/{call_id}/callback",
        json={"outcome": "referred", "referred_to": "legal"},
        headers=tokens["trade_expert"],
    )
    assert response.json()["state"] == "called_back"
    assert response.json()["callbacks"][-1]["referred_to"] == "legal"


def test_a_referral_to_a_unit_the_chamber_does_not_have_is_invalid(client: TestClient, tokens) -> None:
    call_id = unanswered_call(client, tokens, expert="s.ahmadi")
    response = client.post(
        f"/calls/{call_id}/callback",
        json={"outcome": "referred", "referred_to": "nowhere"},
        headers=tokens["trade_expert"],
    )
    assert_problem(response, 422, "unknown unit 'nowhere'")


def test_an_outgoing_call_records_who_placed_it(client: TestClient, tokens) -> None:
    body = {"direction": "outgoing", "caller": "09131234567", "purpose": "complaint_follow_up"}
    response = client.post("/calls", json=body, headers=tokens["mr_manager"])
    assert response.status_code == 201
    call = response.json()
    assert (call["direction"], call["purpose"], call["placed_by"], call["unit"]) == (
        "outgoing",
        "complaint_follow_up",
        "m.karimi",
        None,
    )


# --- search -------------------------------------------------------------------------------------------------------


@pytest.fixture
def three_calls(client: TestClient, tokens, clock) -> dict[str, str]:
    """A trade call left unanswered, a membership call and a call of another day from another number."""
    ids = {"trade": unanswered_call(client, tokens)}
    ids["membership"] = new_call(client, tokens, unit="membership", caller="+98 913 123 4567")["id"]
    clock.advance(days=1)
    ids["sunday"] = new_call(client, tokens, unit="trade", caller="03136645000")["id"]
    settle(client.app)
    return ids


@pytest.mark.parametrize(
    "number", ["09131234567", "+989131234567", "0098 913 123 4567", "۰۹۱۳۱۲۳۴۵۶۷", "(0913) 123-4567"]
)
def test_calls_are_found_by_number_in_any_notation(client: TestClient, tokens, three_calls, number: str) -> None:
    found = client.get("/calls", params={"number": number}, headers=tokens["sg"]).json()
    assert {c["id"] for c in found} == {three_calls["trade"], three_calls["membership"]}


def test_searching_by_something_that_is_not_a_number_is_invalid(client: TestClient, tokens) -> None:
    assert_problem(
        client.get("/calls", params={"number": "abc"}, headers=tokens["sg"]), 422, "'abc' is not a phone number"
    )


def test_calls_are_found_by_unit_state_and_day(client: TestClient, tokens, three_calls) -> None:
    def search(**params: str) -> set[str]:
        response = client.get("/calls", params=params, headers=tokens["auditor"])
        assert response.status_code == 200, response.text
        return {c["id"] for c in response.json()}

    assert search(unit="trade") == {three_calls["trade"], three_calls["sunday"]}
    assert search(state="unanswered") == {three_calls["trade"]}
    assert search(state="queued") == {three_calls["membership"], three_calls["sunday"]}
    assert search(day="2026-11-21") == {three_calls["trade"], three_calls["membership"]}
    assert search(day="2026-11-22") == {three_calls["sunday"]}
    assert search(unit="trade", day="2026-11-22") == {three_calls["sunday"]}
    assert search(expert="s.ahmadi") == {three_calls["trade"]}
    assert search(unit="legal") == set()
    assert_problem(client.get("/calls", params={"state": "lost"}, headers=tokens["auditor"]), 422, "query.state")


def test_search_results_come_newest_first_and_page(client: TestClient, tokens, three_calls) -> None:
    first = client.get("/calls", params={"limit": 1}, headers=tokens["sg"]).json()
    rest = client.get("/calls", params={"limit": 5, "offset": 1}, headers=tokens["sg"]).json()
    assert [c["id"] for c in first] == [three_calls["sunday"]]
    assert len(rest) == 2


def test_calls_are_found_by_member(client: TestClient, tokens) -> None:
    client.app.state.centre.member_lookup = {"+989131234567": "M-1001"}.get
    call_id = new_call(client, tokens)["id"]
    new_call(client, tokens, caller="09121112233")
    settle(client.app)
    found = client.get("/calls", params={"member_id": "M-1001"}, headers=tokens["sg"]).json()
    assert [(c["id"], c["member_id"]) for c in found] == [(call_id, "M-1001")]


# --- metrics ------------------------------------------------------------------------------------------------------


def health_count(text: str) -> float:
    prefix = 'crm_http_requests_total{method="GET",route="/health",service="calls",status="200"} '
    lines = [line for line in text.splitlines() if line.startswith(prefix)]
    return float(lines[0][len(prefix) :]) if lines else 0.0


def test_metrics_need_a_monitoring_admin_or_auditor_token_and_count_requests_by_route(
    client: TestClient, tokens
) -> None:
    assert_problem(client.get("/metrics"), 401)
    assert_problem(client.get("/metrics", headers=tokens["expert"]), 403)
    before = health_count(client.get("/metrics", headers=tokens["monitoring"]).text)
    client.get("/health")
    response = client.get("/metrics", headers=tokens["admin"])
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert health_count(response.text) == before + 1
    assert client.get("/metrics", headers=tokens["auditor"]).status_code == 200


def test_metrics_label_routes_by_template_never_by_call_id(client: TestClient, tokens) -> None:
    call_id = new_call(client, tokens)["id"]
    client.get(f"/calls/{call_id}", headers=tokens["sg"])
    text = client.get("/metrics", headers=tokens["monitoring"]).text
    assert 'route="/calls/{call_id}"' in text
    assert call_id not in text
    assert "+989131234567" not in text


def test_a_call_member_relations_answered_waits_in_the_answering_experts_queue_after_the_line_went_down(
    client: TestClient, tokens
) -> None:
    events = [
        webhook("mr-1", "mr", "queued", queue="602", caller="09131234567"),
        webhook("mr-2", "mr", "queue_timeout", at="2026-11-21T07:01:00Z", queue="602"),
        webhook("mr-3", "mr", "queued", at="2026-11-21T07:01:01Z", queue="700"),
        webhook("mr-4", "mr", "answered", at="2026-11-21T07:01:10Z", queue="700", extension="301"),
        webhook("mr-5", "mr", "completed", at="2026-11-21T07:05:00Z", queue="700", extension="301"),
    ]
    assert client.post("/telephony/events", json=events, headers=tokens["telephony"]).json()["applied"] == 5
    settle(client.app)
    mine = client.get("/queues/experts/me", headers=tokens["expert"]).json()
    assert [(c["pbx_call_id"], c["state"], c["follow_up_due"]) for c in mine] == [
        ("mr", "with_member_relations", "2026-11-21T09:05:00Z")
    ]


def test_a_completion_timestamped_before_the_call_was_queued_is_refused_once_however_often_it_is_resent(
    client: TestClient, tokens
) -> None:
    queued = webhook("o-1", "1763708400.7", "queued", at="2026-11-21T07:00:00Z", queue="602", caller="09131234567")
    assert client.post("/telephony/events", json=queued, headers=tokens["telephony"]).json()["status"] == "applied"
    early = webhook("o-2", "1763708400.7", "completed", at="2026-11-21T06:59:00Z", queue="602")
    for _ in range(2):
        assert_problem(client.post("/telephony/events", json=early, headers=tokens["telephony"]), 409, "out of order")
    call = client.get(f"/calls/{call_id_for_pbx('1763708400.7')}", headers=tokens["sg"]).json()
    assert (call["state"], call["ended_at"]) == ("queued", None)
    rejections = client.get("/telephony/rejections", headers=tokens["mr_manager"]).json()
    assert [r["event_id"] for r in rejections] == ["o-2"]


def test_a_batch_sent_out_of_order_is_applied_in_the_order_of_the_pbx_timestamps(client: TestClient, tokens) -> None:
    events = [
        webhook("s-3", "1763708400.8", "completed", at="2026-11-21T07:03:00Z", queue="602", extension="211"),
        webhook("s-1", "1763708400.8", "queued", at="2026-11-21T07:00:00Z", queue="602", caller="09131234567"),
        webhook("s-2", "1763708400.8", "answered", at="2026-11-21T07:00:20Z", queue="602", extension="211"),
    ]
    body = client.post("/telephony/events", json=events, headers=tokens["telephony"]).json()
    assert [(r["event_id"], r["status"]) for r in body["results"]] == [
        ("s-3", "applied"),
        ("s-1", "applied"),
        ("s-2", "applied"),
    ]
    call = client.get(f"/calls/{call_id_for_pbx('1763708400.8')}", headers=tokens["sg"]).json()
    assert (call["state"], call["answered_by"], call["ended_at"]) == ("completed", "s.ahmadi", "2026-11-21T07:03:00Z")


# --- paging, the chamber's calendar, the member's name ------------------------------------------------------------


def test_every_list_of_the_calls_service_pages_with_a_total(client: TestClient, tokens, three_calls) -> None:
    response = client.get("/calls", params={"limit": 1, "offset": 1}, headers=tokens["sg"])
    assert (len(response.json()), response.headers["X-Total-Count"]) == (1, "3")
    queue = client.get("/queues/units/trade", params={"limit": 1}, headers=tokens["sg"])
    assert (len(queue.json()), queue.headers["X-Total-Count"]) == (1, "1")
    assert client.get("/queues/units/trade", params={"offset": 1}, headers=tokens["sg"]).json() == []
    for path in ("/queues/experts/s.ahmadi", "/telephony/rejections", "/telephony/unmapped-queues"):
        response = client.get(path, params={"limit": 10, "offset": 0}, headers=tokens["admin"])
        assert response.status_code == 200, (path, response.text)
        assert int(response.headers["X-Total-Count"]) == len(response.json()), path
    assert_problem(client.get("/calls", params={"limit": 0}, headers=tokens["sg"]), 422, "query.limit")


def test_calls_are_found_by_a_solar_hijri_day_as_well_as_an_iso_one(client: TestClient, tokens, three_calls) -> None:
    def search(day: str) -> set[str]:
        response = client.get("/calls", params={"day": day}, headers=tokens["auditor"])
        assert response.status_code == 200, response.text
        return {c["id"] for c in response.json()}

    assert search("1405/08/30") == search("2026-11-21") == {three_calls["trade"], three_calls["membership"]}
    assert search("1405/09/01") == {three_calls["sunday"]}
    assert_problem(client.get("/calls", params={"day": "1405/13/01"}, headers=tokens["sg"]), 422, "Solar Hijri")


def test_the_personal_queue_shows_local_time_the_working_time_left_and_the_members_name(
    client: TestClient, tokens, clock
) -> None:
    client.app.state.members.apply(
        [
            CloudEvent(
                id="m-1",
                source="crm/members",
                type="crm.members.member.registered.v1",
                time=AT,
                subject="6f1c1a1e-0000-4000-8000-000000000001",
                sequence=1,
                position=1,
                data={
                    "membership_number": "11-2233",
                    "name": "شرکت فولاد سپاهان",
                    "status": "active",
                    "contacts": [{"phones": [{"e164": "+989131234567"}]}],
                },
            )
        ]
    )
    client.app.state.centre.member_lookup = client.app.state.members.member_of
    unanswered_call(client, tokens)
    settle(client.app)
    clock.advance(hours=1)
    [item] = client.get("/queues/experts/me", headers=tokens["trade_expert"]).json()
    assert (item["member_id"], item["member_name"]) == ("11-2233", "شرکت فولاد سپاهان")
    assert item["received_at_local"] == "1405/08/30 10:30"
    assert item["due_local"] == "1405/09/03 10:30"  # 24 working hours: Saturday, Sunday, Monday, to Tuesday 10:30
    assert item["working_seconds_left"] == 23 * 3600


# --- one load per command -------------------------------------------------------------------------------------------


def test_a_callback_loads_the_call_once_for_its_access_rule_and_its_command(client: TestClient, tokens) -> None:
    call_id = unanswered_call(client, tokens)
    centre = client.app.state.centre
    loads: list[str] = []
    load = centre.get_call

    def counted(cid):
        loads.append(str(cid))
        return load(cid)

    centre.get_call = counted
    try:
        response = client.post(
            f"/calls/{call_id}/callback",
            json={"outcome": "not_reached", "note": "no answer"},
            headers=tokens["unit_manager"],
        )
    finally:
        del centre.get_call
    assert response.status_code == 200, response.text
    assert loads == [call_id]
    assert response.json()["callbacks"][-1]["outcome"] == "not_reached"
    assert response.json()["version"] == version_of(client, tokens, call_id)


def test_a_save_between_the_access_check_and_the_command_is_still_a_conflict(client: TestClient, tokens) -> None:
    call_id = unanswered_call(client, tokens)
    centre = client.app.state.centre
    load = centre.get_call

    def load_then_someone_else_saves(cid):
        call = load(cid)
        # Another request records its callback after this one passed its access rule with the call it loaded.
        centre.record_callback(cid, by="f.alavi", outcome="not_reached", note="the other request", loaded=load(cid))
        return call

    centre.get_call = load_then_someone_else_saves
    try:
        response = client.post(
            f"/calls/{call_id}/callback", json={"outcome": "resolved"}, headers=tokens["unit_manager"]
        )
    finally:
        del centre.get_call
    assert_problem(response, 409, "the call changed meanwhile")
    stored = client.get(f"/calls/{call_id}", headers=tokens["auditor"]).json()
    assert [c["note"] for c in stored["callbacks"]] == ["the other request"]


def member_registered(n: int, number: str, name: str, phone: str) -> CloudEvent:
    """The member database's event of an active member `number` with one phone, as the members topic brings it."""
    return CloudEvent(
        id=f"m-{n}",
        source="crm/members",
        type="crm.members.member.registered.v1",
        time=AT,
        subject=f"6f1c1a1e-0000-4000-8000-{n:012d}",
        sequence=1,
        position=n,
        data={
            "membership_number": number,
            "name": name,
            "status": "active",
            "contacts": [{"phones": [{"e164": phone}]}],
        },
    )


def test_the_webhook_looks_its_callers_up_in_the_member_database_once_per_stored_round(
    client: TestClient, tokens
) -> None:
    def registered(n: int, phone: str) -> CloudEvent:
        return member_registered(n, f"11-000{n}", f"member {n}", phone)

    members = client.app.state.members
    members.apply([registered(1, "+989131234567")])
    centre = client.app.state.centre
    asked: list[list[str]] = []

    def many(numbers):
        asked.append(list(numbers))
        return members.members_of(numbers)

    def one_by_one(number):
        raise AssertionError(f"{number} looked up inside the group commit")

    centre.member_lookup, centre.member_lookup_many = one_by_one, many
    events = [
        webhook("w-1", "1763708400.21", "queued", queue="602", caller="09131234567"),
        webhook("w-2", "1763708400.22", "queued", queue="602", caller="09137654321"),
        webhook("w-3", "1763708400.21", "abandoned", at="2026-11-21T07:00:30Z", queue="602", caller="09131234567"),
    ]
    response = client.post("/telephony/events", json=events, headers=tokens["telephony"])
    assert response.status_code == 200, response.text
    assert asked == [["+989131234567", "+989137654321"]]  # one query for the round, each number once

    def member_of_call(pbx: str) -> str | None:
        return client.get(f"/calls/{call_id_for_pbx(pbx)}", headers=tokens["sg"]).json()["member_id"]

    assert (member_of_call("1763708400.21"), member_of_call("1763708400.22")) == ("11-0001", None)
    # Nothing kept after the request: the second number, registered since, is found for its next call.
    members.apply([registered(2, "+989137654321")])
    new = webhook("w-4", "1763708400.23", "queued", at="2026-11-21T07:01:00Z", queue="602", caller="09137654321")
    assert client.post("/telephony/events", json=[new], headers=tokens["telephony"]).status_code == 200
    assert member_of_call("1763708400.23") == "11-0002"


def test_metrics_count_refusals_with_their_status_too(client: TestClient, tokens) -> None:
    not_found = 'crm_http_requests_total{method="GET",route="/calls/{call_id}",service="calls",status="404"}'
    # Refused before any route matched: counted, under no route's name.
    too_large = 'crm_http_requests_total{method="POST",route="unmatched",service="calls",status="413"}'

    def counted() -> dict[str, float]:
        lines = client.get("/metrics", headers=tokens["monitoring"]).text.splitlines()
        found = {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in lines if line.startswith("crm_")}
        return {series: found.get(series, 0.0) for series in (not_found, too_large)}

    before = counted()
    assert client.get(f"/calls/{uuid.uuid4()}", headers=tokens["sg"]).status_code == 404
    too_big = client.post(
        "/telephony/events",
        content=b"[" + b" " * (2 * 1024 * 1024) + b"]",
        headers={**tokens["telephony"], "Content-Type": "application/json"},
    )
    assert too_big.status_code == 413
    after = counted()
    assert after[not_found] - before[not_found] == 1
    assert after[too_large] - before[too_large] == 1
