"""Who may do what to which complaint: the pure rules of services/complaints/access.py, and the internal door that
handed a confidential complaint to whoever re-sent its source reference."""

from __future__ import annotations

import uuid

from services.complaints import access
from shared.auth import CONFIDENTIAL_READERS, Principal, Role
from tests.complaints.test_api import app, automatic, complaint_body, who  # noqa: F401 - fixtures
from tests.helpers import settle

MR = "member_relations"
MR_EXPERT = Principal("z.rahimi", Role.EXPERT, MR)
TRADE_EXPERT = Principal("s.ahmadi", Role.EXPERT, "trade")
TRADE_MANAGER = Principal("f.alavi", Role.UNIT_MANAGER, "trade")
MR_MANAGER = Principal("m.karimi", Role.MR_MANAGER, MR)
SG = Principal("sg", Role.SG)
AUDITOR = Principal("auditor", Role.AUDITOR)
ADMIN = Principal("operator", Role.ADMIN)
COMMITTEE = Principal("committee-1", Role.COMMITTEE)
OPEN = {"confidential": False, "registered_by": "a.moradi", "handler": None, "committee_members": []}
CONFIDENTIAL = {**OPEN, "confidential": True}


def test_the_roles_that_see_every_complaint_are_those_shared_with_the_reports() -> None:
    assert access.SEE_ALL == CONFIDENTIAL_READERS == {Role.MR_MANAGER, Role.SG, Role.AUDITOR}


def test_a_confidential_complaint_is_seen_only_by_those_entitled_and_those_involved() -> None:
    for principal in (MR_MANAGER, SG, AUDITOR):
        assert access.may_see(principal, CONFIDENTIAL, MR)
    for principal in (MR_EXPERT, ADMIN, TRADE_EXPERT, TRADE_MANAGER, COMMITTEE):
        assert not access.may_see(principal, CONFIDENTIAL, MR), principal
    assert access.may_see(TRADE_MANAGER, {**CONFIDENTIAL, "handler": {"kind": "unit", "name": "Trade"}}, MR)
    assert access.may_see(COMMITTEE, {**CONFIDENTIAL, "committee_members": ["Committee-1"]}, MR)
    assert access.may_see(MR_EXPERT, {**CONFIDENTIAL, "registered_by": "z.rahimi"}, MR)


def test_an_open_complaint_is_seen_by_member_relations_and_operators_too() -> None:
    assert access.may_see(MR_EXPERT, OPEN, MR)
    assert access.may_see(ADMIN, OPEN, MR)
    assert not access.may_see(TRADE_EXPERT, OPEN, MR)
    assert not access.may_see(COMMITTEE, OPEN, MR)


def test_member_relations_registers_and_acknowledges_not_a_units_expert() -> None:
    assert access.speaks_for_member_relations(MR_EXPERT, MR)
    assert access.speaks_for_member_relations(MR_MANAGER, MR)
    assert not access.speaks_for_member_relations(TRADE_EXPERT, MR)
    assert not access.speaks_for_member_relations(SG, MR)


def test_only_the_assigned_handler_files_the_investigation() -> None:
    assert access.may_file_investigation(TRADE_EXPERT, "person", "S.Ahmadi ")
    assert not access.may_file_investigation(TRADE_MANAGER, "person", "s.ahmadi")
    assert access.may_file_investigation(TRADE_MANAGER, "unit", "trade")
    assert not access.may_file_investigation(TRADE_EXPERT, "unit", "trade")  # for a unit, its manager
    assert not access.may_file_investigation(SG, None, None)


def test_the_committee_decision_is_recorded_by_the_sg_or_a_member_of_that_committee() -> None:
    assert access.may_record_committee_decision(SG, [])
    assert access.may_record_committee_decision(COMMITTEE, ["m.karimi", "committee-1"])
    assert not access.may_record_committee_decision(Principal("committee-2", Role.COMMITTEE), ["committee-1"])
    assert access.may_record_committee_decision(MR_MANAGER, [])  # who arranged the meeting
    assert access.may_record_committee_decision(Principal("assistant.x", Role.EXPERT), ["assistant.x"])


def test_a_corrective_action_is_marked_done_by_its_owner_or_those_who_oversee_it() -> None:
    assert access.may_complete_action(TRADE_MANAGER, "trade", committee_member=False)
    assert access.may_complete_action(TRADE_EXPERT, "s.ahmadi", committee_member=False)
    assert access.may_complete_action(COMMITTEE, "trade", committee_member=True)
    assert access.may_complete_action(MR_MANAGER, "trade", committee_member=False)
    assert not access.may_complete_action(TRADE_EXPERT, "trade", committee_member=False)
    assert not access.may_complete_action(AUDITOR, "trade", committee_member=False)


def test_resending_a_source_reference_tells_only_the_id_never_a_confidential_content(client, who) -> None:  # noqa: F811
    secret = automatic(source_ref="desks:problem:77", description="the agency's deputy asked for a bribe")
    first = client.post("/internal/complaints", json={**secret, "confidential": True}, headers=who["surveys"])
    assert first.status_code == 201, first.text
    again = client.post("/internal/complaints", json=automatic(source_ref="desks:problem:77"), headers=who["admin"])
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "existed": True}
    assert "bribe" not in again.text
    assert client.get(f"/complaints/{first.json()['id']}", headers=who["admin"]).status_code == 404


def test_the_index_hides_exactly_the_complaints_the_rule_hides(client, who, app) -> None:  # noqa: F811
    """The search applies access.may_see in SQL; both must agree for every principal, or counts and exports leak."""

    def post(path: str, by: str, body: dict | None = None) -> dict:
        response = client.post(path, json=body, headers=who[by])
        assert response.status_code in (200, 201), (path, response.text)
        return response.json()

    open_one = post("/complaints", "expert", complaint_body())["id"]
    secret = post("/complaints", "mr_expert2", complaint_body(confidential=True))["id"]
    handled = post("/complaints", "expert", complaint_body(confidential=True))["id"]
    for path, by, body in [
        ("acknowledge", "expert", {"method": "phone"}),
        ("review-complete", "mr_manager", None),
        ("refer", "mr_manager", None),
        ("assign", "sg", {"handler_kind": "unit", "handler": "trade"}),
    ]:
        post(f"/complaints/{handled}/{path}", by, body)
    settle(app)
    desk, index = app.state.desk, app.state.index
    principals = [
        MR_EXPERT,
        Principal("a.moradi", Role.EXPERT, MR),
        TRADE_EXPERT,
        TRADE_MANAGER,
        Principal("h.tehrani", Role.UNIT_MANAGER, "membership"),
        MR_MANAGER,
        SG,
        AUDITOR,
        ADMIN,
        COMMITTEE,
    ]
    for principal in principals:
        by_rule = {
            cid
            for cid in (open_one, secret, handled)
            if access.may_see(principal, desk.summary(desk.get_complaint(uuid.UUID(cid))), MR)
        }
        by_index = {v["id"] for v in index.search(principal)}
        assert by_index == by_rule, principal
        assert index.count(principal) == len(by_rule)
