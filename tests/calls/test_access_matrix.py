"""Every role against every endpoint of the calls service, on a call of the membership unit that member relations
registered unanswered for n.jafari: who gets through (not 401/403) and who is refused."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.calls.main import create_app
from tests.access_matrix import DOC_ROUTES, EVERYONE, check_row, every_role, fill, routes_of, row

AT = "2026-11-21T07:00:00Z"
STAFF_OF_MEMBERSHIP = {"expert", "other_manager", "mr_manager", "sg", "admin"}  # member relations, its unit, the SG
READERS_OF_MEMBERSHIP = STAFF_OF_MEMBERSHIP | {"auditor"}
MEMBER_RELATIONS = {"expert", "mr_manager", "admin"}

MATRIX = {
    ("GET", "/health"): row(EVERYONE),
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("GET", "/audit/events"): row({"auditor", "admin"}),
    ("POST", "/telephony/events"): row(
        {"telephony", "admin"}, json={"event_id": "m-1", "call_id": "pbx-m-1", "type": "ringing", "at": AT}
    ),
    ("POST", "/telephony/ami"): row({"telephony", "admin"}, json={"Event": "Newchannel"}),
    ("GET", "/telephony/rejections"): row({"admin", "auditor", "mr_manager"}),
    ("GET", "/telephony/unmapped-queues"): row({"admin", "auditor", "mr_manager"}),
    ("POST", "/calls"): row(MEMBER_RELATIONS, json={"caller": "09131234567"}),
    ("GET", "/calendar"): row(
        {"expert", "trade_expert", "unit_manager", "other_manager", "mr_manager", "sg", "auditor", "admin"}
    ),
    ("POST", "/calendar/closures"): row({"admin"}, json={"day": "2026-12-02", "reason": "pollution"}),
    ("POST", "/calendar/schedules"): row({"admin"}, json={"effective_from": "2027-06-06", "preset": "ir-summer"}),
    ("GET", "/calls"): row(READERS_OF_MEMBERSHIP, params={"unit": "membership"}),
    ("GET", "/calls/{call_id}"): row(READERS_OF_MEMBERSHIP),
    ("POST", "/calls/{call_id}/route"): row(STAFF_OF_MEMBERSHIP, json={"unit": "membership"}),
    ("POST", "/calls/{call_id}/answer"): row(STAFF_OF_MEMBERSHIP, json={"expert": "n.jafari"}),
    ("POST", "/calls/{call_id}/unit-not-answered"): row(STAFF_OF_MEMBERSHIP),
    ("POST", "/calls/{call_id}/transfer-to-member-relations"): row(STAFF_OF_MEMBERSHIP),
    ("POST", "/calls/{call_id}/subject"): row(MEMBER_RELATIONS, json={"subject": "کارت بازرگانی"}),
    ("POST", "/calls/{call_id}/transfer"): row(MEMBER_RELATIONS, json={"expert": "n.jafari"}),
    ("POST", "/calls/{call_id}/unanswered"): row(MEMBER_RELATIONS, json={}),
    ("POST", "/calls/{call_id}/callback"): row({"other_manager", "mr_manager"}, json={"outcome": "not_reached"}),
    ("POST", "/calls/{call_id}/resolve"): row(MEMBER_RELATIONS, json={"note": "answered by member relations"}),
    ("GET", "/queues/experts/me"): row({"expert", "trade_expert", "unit_manager", "other_manager", "mr_manager"}),
    ("GET", "/queues/experts/{expert}"): row({"other_manager", "mr_manager", "sg", "auditor", "admin"}),
    ("GET", "/queues/units/{unit}"): row(READERS_OF_MEMBERSHIP),
    ("POST", "/internal/calls"): row({"service", "admin"}, json={}),
    ("POST", "/callers/erasure"): row({"admin"}, json={"number": "09121112233", "reason": "request"}),
    **{route: row(EVERYONE) for route in DOC_ROUTES},
}


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def membership_call(client: TestClient, tokens) -> str:
    mr = tokens["expert"]
    response = client.post("/calls", json={"caller": "09131234567", "unit": "membership"}, headers=mr)
    assert response.status_code == 201, response.text
    call_id = response.json()["id"]
    for step, body in [
        ("unit-not-answered", None),
        ("transfer-to-member-relations", None),
        ("subject", {"subject": "تمدید کارت بازرگانی"}),
        ("transfer", {"expert": "n.jafari"}),
        ("unanswered", {}),
    ]:
        response = client.post(f"/calls/{call_id}/{step}", json=body, headers=mr)
        assert response.status_code == 200, (step, response.text)
    return call_id


def test_every_endpoint_of_the_app_has_a_row_in_the_table(app: FastAPI) -> None:
    assert routes_of(app) == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_role_is_allowed_or_forbidden_as_the_table_says(
    client, tokens, token_store, membership_call, method, path
) -> None:
    values = {"call_id": membership_call, "expert": "n.jafari", "unit": "membership"}
    check_row(client, every_role(tokens, token_store), method, fill(path, values), MATRIX[(method, path)])
