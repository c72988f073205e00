"""Who may do what to which call: the pure rules of services/calls/access.py, and over HTTP the gaps an adversarial
probe found (member-relations steps taken by any unit's expert, searches and calls of other units, answers recorded
in another person's name)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.calls import access
from services.calls.main import create_app
from shared.auth import Principal, Role
from tests.helpers import assert_problem

MR_EXPERT = Principal("z.rahimi", Role.EXPERT, "member_relations")
TRADE_EXPERT = Principal("s.ahmadi", Role.EXPERT, "trade")
TRADE_MANAGER = Principal("f.alavi", Role.UNIT_MANAGER, "trade")
MEMBERSHIP_MANAGER = Principal("h.tehrani", Role.UNIT_MANAGER, "membership")
MR_MANAGER = Principal("m.karimi", Role.MR_MANAGER, "member_relations")
SG = Principal("sg", Role.SG)
AUDITOR = Principal("auditor", Role.AUDITOR)
TELEPHONY = Principal("pbx", Role.TELEPHONY)
MEMBERSHIP_CALL = {"unit": "membership", "assigned_expert": "n.jafari", "answered_by": None, "transferred_to": None}


@pytest.fixture
def org(settings):
    return settings.organisation


# -- the rules -----------------------------------------------------------------------------------------------------
def test_member_relations_steps_belong_to_member_relations_staff_and_the_mr_manager(org) -> None:
    assert access.may_take_member_relations_step(MR_EXPERT, org)
    assert access.may_take_member_relations_step(MR_MANAGER, org)
    assert not access.may_take_member_relations_step(TRADE_EXPERT, org)
    assert not access.may_take_member_relations_step(TRADE_MANAGER, org)
    assert not access.may_take_member_relations_step(SG, org)


def test_a_call_is_read_by_its_units_staff_and_by_those_who_see_all(org) -> None:
    for principal in (MR_EXPERT, MR_MANAGER, SG, AUDITOR, MEMBERSHIP_MANAGER):
        assert access.may_read_call(principal, org, MEMBERSHIP_CALL), principal
    for principal in (TRADE_EXPERT, TRADE_MANAGER, TELEPHONY):
        assert not access.may_read_call(principal, org, MEMBERSHIP_CALL), principal
    assert access.may_read_call(TRADE_EXPERT, org, {**MEMBERSHIP_CALL, "answered_by": "s.ahmadi"})


def test_work_on_a_call_is_for_its_units_staff_member_relations_and_the_sg(org) -> None:
    for principal in (MR_EXPERT, MR_MANAGER, SG, MEMBERSHIP_MANAGER):
        assert access.may_work_on_call(principal, org, MEMBERSHIP_CALL), principal
    for principal in (TRADE_EXPERT, TRADE_MANAGER, AUDITOR, TELEPHONY):
        assert not access.may_work_on_call(principal, org, MEMBERSHIP_CALL), principal
    assert not access.may_work_on_call(TRADE_EXPERT, org, {**MEMBERSHIP_CALL, "unit": None})


def test_an_expert_records_only_his_or_her_own_answer(org) -> None:
    assert access.may_record_answer_by(TRADE_EXPERT, org, "s.ahmadi")
    assert not access.may_record_answer_by(TRADE_EXPERT, org, "n.jafari")
    assert access.may_record_answer_by(TRADE_MANAGER, org, "k.rezaei")
    assert not access.may_record_answer_by(TRADE_MANAGER, org, "n.jafari")
    assert access.may_record_answer_by(MR_EXPERT, org, "n.jafari")


def test_a_callback_is_recorded_by_the_units_manager_or_the_expert_holding_the_call() -> None:
    assert access.may_record_callback(MEMBERSHIP_MANAGER, MEMBERSHIP_CALL)
    assert access.may_record_callback(Principal("n.jafari", Role.EXPERT, "membership"), MEMBERSHIP_CALL)
    assert access.may_record_callback(MR_MANAGER, MEMBERSHIP_CALL)
    assert not access.may_record_callback(TRADE_MANAGER, MEMBERSHIP_CALL)
    assert not access.may_record_callback(Principal("r.sadeghi", Role.EXPERT, "membership"), MEMBERSHIP_CALL)
    assert not access.may_record_callback(SG, MEMBERSHIP_CALL)


def test_a_search_is_narrowed_to_the_callers_unit_and_person(org) -> None:
    assert access.search_scope(TRADE_EXPERT, org, None, None) == access.SearchScope("trade", None)
    assert access.search_scope(TRADE_EXPERT, org, "trade", "s.ahmadi") == access.SearchScope("trade", "s.ahmadi")
    assert access.search_scope(TRADE_EXPERT, org, "membership", None) is None
    assert access.search_scope(TRADE_EXPERT, org, None, "n.jafari") is None
    assert access.search_scope(TRADE_EXPERT, org, None, "k.rezaei") is None
    assert access.search_scope(TRADE_MANAGER, org, None, "k.rezaei") == access.SearchScope("trade", "k.rezaei")
    assert access.search_scope(TRADE_MANAGER, org, None, "n.jafari") is None
    assert access.search_scope(MR_EXPERT, org, "membership", "n.jafari") == access.SearchScope("membership", "n.jafari")
    assert access.search_scope(AUDITOR, org, None, None) == access.SearchScope(None, None)
    assert access.search_scope(TELEPHONY, org, None, None) is None


def test_queues_are_personal_and_unit_lists_for_the_units_staff(org) -> None:
    assert access.may_see_expert_queue(TRADE_EXPERT, org, "s.ahmadi")
    assert not access.may_see_expert_queue(MR_EXPERT, org, "s.ahmadi")
    assert access.may_see_expert_queue(TRADE_MANAGER, org, "s.ahmadi")
    assert not access.may_see_expert_queue(TRADE_MANAGER, org, "n.jafari")
    assert access.may_see_expert_queue(MR_MANAGER, org, "n.jafari")
    assert access.may_see_unit_queue(TRADE_EXPERT, org, "trade")
    assert not access.may_see_unit_queue(TRADE_EXPERT, org, "membership")
    assert access.may_see_unit_queue(MR_EXPERT, org, "membership")
    assert not access.may_see_unit_queue(TELEPHONY, org, "trade")


# -- the probe's findings over HTTP ---------------------------------------------------------------------------------
@pytest.fixture
def client(settings, clock) -> Iterator[TestClient]:
    with TestClient(create_app(settings, clock=clock, relay=False)) as client:
        yield client


def settle(client: TestClient) -> None:
    client.app.state.index.follower.catch_up()


def a_call(client: TestClient, tokens, unit: str) -> str:
    response = client.post("/calls", json={"caller": "09131234567", "unit": unit}, headers=tokens["expert"])
    assert response.status_code == 201, response.text
    return response.json()["id"]


def with_member_relations(client: TestClient, tokens, call_id: str) -> None:
    for step in ("unit-not-answered", "transfer-to-member-relations"):
        assert client.post(f"/calls/{call_id}/{step}", headers=tokens["expert"]).status_code == 200


def unanswered_for(client: TestClient, tokens, unit: str, expert: str) -> str:
    call_id = a_call(client, tokens, unit)
    with_member_relations(client, tokens, call_id)
    mr = tokens["expert"]
    assert client.post(f"/calls/{call_id}/subject", json={"subject": "کارت"}, headers=mr).status_code == 200
    assert client.post(f"/calls/{call_id}/transfer", json={"expert": expert}, headers=mr).status_code == 200
    assert client.post(f"/calls/{call_id}/unanswered", json={}, headers=mr).status_code == 200
    return call_id


def test_an_expert_of_another_unit_takes_no_member_relations_step(client, tokens) -> None:
    call_id = a_call(client, tokens, "trade")  # even on a call of the expert's own unit
    with_member_relations(client, tokens, call_id)
    for step, body in [
        ("subject", {"subject": "کارت"}),
        ("transfer", {"expert": "k.rezaei"}),
        ("unanswered", {}),
        ("resolve", {"note": "answered"}),
    ]:
        response = client.post(f"/calls/{call_id}/{step}", json=body, headers=tokens["trade_expert"])
        assert_problem(response, 403, "member relations")
    assert client.get(f"/calls/{call_id}", headers=tokens["auditor"]).json()["state"] == "with_member_relations"


def test_an_expert_of_another_unit_registers_no_call_by_hand(client, tokens) -> None:
    response = client.post("/calls", json={"caller": "09131234567", "unit": "trade"}, headers=tokens["trade_expert"])
    assert_problem(response, 403, "member relations")
    assert not client.app.state.centre.recorder.max_notification_id()


def test_an_expert_of_another_unit_does_not_act_on_the_units_call(client, tokens) -> None:
    call_id = a_call(client, tokens, "membership")
    for step in ("unit-not-answered", "transfer-to-member-relations"):
        assert_problem(client.post(f"/calls/{call_id}/{step}", headers=tokens["trade_expert"]), 403)
    assert_problem(client.get(f"/calls/{call_id}", headers=tokens["trade_expert"]), 403)
    assert client.get(f"/calls/{call_id}", headers=tokens["other_manager"]).status_code == 200


def test_nobody_records_that_another_person_answered(client, tokens) -> None:
    call_id = a_call(client, tokens, "trade")
    response = client.post(f"/calls/{call_id}/answer", json={"expert": "n.jafari"}, headers=tokens["trade_expert"])
    assert_problem(response, 403, "his or her own answer")
    response = client.post(f"/calls/{call_id}/answer", json={"expert": "s.ahmadi"}, headers=tokens["trade_expert"])
    assert response.status_code == 200, response.text
    assert response.json()["answered_by"] == "s.ahmadi"


def test_the_search_does_not_show_another_units_calls(client, tokens) -> None:
    unanswered_for(client, tokens, "membership", "n.jafari")
    trade = unanswered_for(client, tokens, "trade", "s.ahmadi")
    settle(client)
    expert = tokens["trade_expert"]
    response = client.get("/calls", params={"unit": "membership", "state": "unanswered"}, headers=expert)
    assert_problem(response, 403)
    assert_problem(client.get("/calls", params={"expert": "n.jafari"}, headers=expert), 403)
    assert [c["id"] for c in client.get("/calls", headers=expert).json()] == [trade]
    assert [c["id"] for c in client.get("/calls", headers=tokens["unit_manager"]).json()] == [trade]
    assert len(client.get("/calls", headers=tokens["auditor"]).json()) == 2
