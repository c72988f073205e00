"""Outgoing calls other services make (a survey's contact attempts): recorded through the internal door once per
source reference, with the purpose, the line used and whether the member picked up."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.calls.main import create_app
from shared.auth import Role
from tests.helpers import assert_problem

REF = "surveys:0b9f6c1e-2d7a-5c1b-9a61-3f1c2a7e8d40:member:140500012:attempt:1"


@pytest.fixture
def client(settings, clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        yield client


@pytest.fixture
def service(token_store) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_store.create('surveys', Role.SERVICE)}"}


def attempt(**overrides):
    body = {
        "source_ref": REF,
        "purpose": "survey",
        "line": "fixed",
        "membership_number": "140500012",
        "placed_by": "z.moradi",
        "at": "2026-11-21T07:30:00Z",
        "reached": False,
    }
    return {**body, **overrides}


def test_a_survey_attempt_becomes_an_outgoing_call_once(client, service):
    r = client.post("/internal/calls", json=attempt(), headers=service)
    assert r.status_code == 201, r.text
    call = r.json()
    assert call["direction"] == "outgoing" and call["purpose"] == "survey" and call["line"] == "fixed"
    assert call["state"] == "not_reached" and call["member_id"] == "140500012" and call["placed_by"] == "z.moradi"
    assert call["source_ref"] == REF
    again = client.post("/internal/calls", json=attempt(reached=True), headers=service)
    assert again.status_code == 200 and again.json() == {"id": call["id"], "existed": True}
    answered = client.post(
        "/internal/calls", json=attempt(source_ref=REF[:-1] + "2", line="mobile", reached=True), headers=service
    )
    assert answered.status_code == 201 and answered.json()["state"] == "completed"
    assert answered.json()["answered_by"] == "z.moradi" and answered.json()["line"] == "mobile"
    assert answered.json()["id"] != call["id"]


def test_a_line_or_purpose_the_chamber_does_not_have_is_refused_and_records_nothing(client, service):
    assert_problem(client.post("/internal/calls", json=attempt(line="satellite"), headers=service), 422)
    assert_problem(client.post("/internal/calls", json=attempt(purpose="sales"), headers=service), 422)
    assert_problem(client.post("/internal/calls", json=attempt(at="2026-11-21T07:30:00"), headers=service), 422)
    assert client.post("/internal/calls", json=attempt(), headers=service).status_code == 201
