"""The complaints service over HTTP: each role allowed and refused at each step, confidentiality (404 for those who
may not know, in search, counts and exports too), the public website form and its abuse protection, the idempotent
internal door, documents, the complaint form ME-FR-01-01-01."""

from __future__ import annotations

import base64
import re
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.complaints.application import ComplaintSettings
from services.complaints.main import create_app
from shared.auth import Role
from tests.helpers import PROBLEM, assert_problem, settle

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + b"\x00" * 20
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64
CONFIG = ComplaintSettings(
    committee_fixed_members=("m.karimi", "sg", "committee-1"),
    committee_sg=("sg",),
    committee_assistant=None,
    public_rate_limit=3,
    public_rate_window_seconds=600,
    public_max_text=500,
    public_max_attachments=2,
    public_max_attachment_bytes=2048,
    public_max_body_bytes=16 * 1024,
    document_max_bytes=4096,
    trust_forwarded_for=True,
    public_tracking_rate_limit=5,
)


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False, config=CONFIG)


@pytest.fixture
def who(tokens, token_store) -> dict[str, dict[str, str]]:
    """The conftest's tokens, and the people this procedure needs besides."""
    more = {
        "handler": ("p.mohammadi", Role.EXPERT, "international"),
        "legal_manager": ("d.kazemi", Role.UNIT_MANAGER, "legal"),
        "mr_expert2": ("a.moradi", Role.EXPERT, "member_relations"),
        "other_committee": ("committee-2", Role.COMMITTEE, None),
        "surveys": ("surveys-service", Role.SERVICE, None),
    }
    extra = {k: {"Authorization": f"Bearer {token_store.create(n, r, u)}"} for k, (n, r, u) in more.items()}
    return {**tokens, **extra}


def stored_events(client: TestClient) -> int:
    return client.app.state.desk.recorder.max_notification_id() or 0


def complaint_body(**fields: Any) -> dict[str, Any]:
    return {
        "channel": "in_person",
        "kind": "complaint",
        "description": "کارت بازرگانی پس از دو ماه هنوز صادر نشده است",
        "occurred_at": "2026-11-18T10:00:00",
        "member_number": "۱۰۰۱",
        "complainant_name": "علی رضایی",
        "phone": "0913 123 4567",
        "unit": "membership",
        "stakeholders": {"units": ["membership"], "persons": ["r.sadeghi"], "participants": ["a.moradi"]},
        **fields,
    }


def register(client: TestClient, who, by: str = "expert", **fields: Any) -> dict[str, Any]:
    response = client.post("/complaints", json=complaint_body(**fields), headers=who[by])
    assert response.status_code == 201, response.text
    return response.json()


def step(
    client: TestClient, who, cid: str, path: str, by: str, body: dict[str, Any] | None = None, status: int = 200
) -> dict[str, Any]:
    response = client.post(f"/complaints/{cid}/{path}", json=body, headers=who[by])
    assert response.status_code == status, (path, response.text)
    return response.json()


STEPS: dict[str, tuple[str, str, dict[str, Any] | None]] = {
    "acknowledged": ("acknowledge", "expert", {"method": "phone"}),
    "reviewed": ("review-complete", "mr_manager", None),
    "referred": ("refer", "mr_manager", {"note": "please assign"}),
    "assigned": ("assign", "sg", {"handler_kind": "person", "handler": "p.mohammadi"}),
    "investigated": (
        "investigation",
        "handler",
        {
            "circumstances": "waited for a signature",
            "root_causes": "no deputy",
            "consequences": "no exports",
            "actions_taken": "card issued",
        },
    ),
    "accepted": ("decision", "sg", {"decision": "accepted"}),
    "committee": ("committee", "sg", {"subject": "card delays", "variable_members": ["y.mousavi"]}),
    "decided": (
        "committee/decision",
        "committee",
        {
            "attendees": ["m.karimi", "sg", "committee-1", "h.tehrani"],
            "decision": "settled",
            "reasoning": "card issued, delay fee waived",
            "minutes": "the unit manager explained the missing deputy; the committee settled",
            "corrective_actions": [
                {"description": "name a deputy signatory", "owner": "h.tehrani", "due": "2026-12-20"}
            ],
        },
    ),
    "notified": ("notify", "mr_manager", {"method": "phone", "message": "your card is issued and the fee waived"}),
    "closed": ("close", "mr_manager", None),
}


def advance(client: TestClient, who, cid: str, to: str) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for state, (path, by, body) in STEPS.items():
        out = step(client, who, cid, path, by, body)
        assert out["state"] == state, out
        if state == to:
            return out
    raise AssertionError(f"no step leads to {to}")


# --- authentication and roles -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/complaints"),
        ("post", "/complaints"),
        ("get", f"/complaints/{uuid.uuid4()}"),
        ("get", f"/complaints/{uuid.uuid4()}/form"),
        ("post", f"/complaints/{uuid.uuid4()}/assign"),
        ("post", f"/complaints/{uuid.uuid4()}/documents"),
        ("get", "/complaints/export"),
        ("get", "/complaints/waiting-on-me"),
        ("post", "/internal/complaints"),
    ],
)
def test_every_staff_endpoint_needs_a_bearer_token(client: TestClient, method: str, path: str) -> None:
    assert_problem(client.request(method, path, json={}), 401, "a bearer token is required")
    assert stored_events(client) == 0


@pytest.mark.parametrize("role", ["unit_manager", "sg", "auditor", "committee", "admin", "telephony", "monitoring"])
def test_only_member_relations_registers_a_complaint(client: TestClient, who, role: str) -> None:
    assert_problem(client.post("/complaints", json=complaint_body(), headers=who[role]), 403, "may not do this")
    assert stored_events(client) == 0


def test_an_expert_registers_a_complaint_taken_in_person(client: TestClient, who) -> None:
    c = register(client, who)
    assert c["state"] == "received" and c["channel"] == "in_person" and c["form"] == "ME-FR-01-01-01"
    assert c["registered_by"] == "z.rahimi"
    assert c["member_number"] == "1001"
    assert c["complainant"] == {
        "name": "علی رضایی",
        "phone": "+989131234567",
        "phone_raw": "0913 123 4567",
        "email": None,
    }
    assert c["occurred_at"] == "2026-11-18T06:30:00Z"  # local time of the chamber, stored in UTC
    assert c["stage"] == "acknowledgement" and c["due_at"] == "2026-11-22T07:00:00Z" and c["overdue"] is False
    assert c["waiting_on"] == {"role": "member_relations", "person": "z.rahimi", "unit": None}


def test_a_phone_complaint_is_linked_to_its_call(client: TestClient, who) -> None:
    call = str(uuid.uuid4())
    assert register(client, who, channel="phone", call_id=call)["call_id"] == call
    assert_problem(
        client.post("/complaints", json=complaint_body(channel="phone"), headers=who["expert"]),
        422,
        "linked to its call",
    )


@pytest.mark.parametrize(
    ("fields", "detail"),
    [
        ({"channel": "website"}, "channel"),
        ({"unit": "bakery"}, "unknown unit concerned 'bakery'"),
        ({"stakeholders": {"units": ["bakery"]}}, "unknown unit complained about"),
        ({"phone": "12"}, "not a phone number"),
        ({"email": "not-an-address"}, "not an e-mail address"),
        ({"description": ""}, "description"),
        ({"kind": "praise"}, "kind"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_a_registration_with_bad_input_is_422_and_stores_nothing(
    client: TestClient, who, fields: dict[str, Any], detail: str
) -> None:
    assert_problem(client.post("/complaints", json=complaint_body(**fields), headers=who["expert"]), 422, detail)
    assert stored_events(client) == 0


def test_an_unknown_complaint_is_404(client: TestClient, who) -> None:
    assert_problem(client.get(f"/complaints/{uuid.uuid4()}", headers=who["sg"]), 404, "no complaint")


def test_the_whole_procedure_over_http_each_step_by_its_role(client: TestClient, who, clock) -> None:
    cid = register(client, who)["id"]
    step(client, who, cid, "information", "mr_manager", {"email": "info@farsh.example", "note": "called back"})
    advance(client, who, cid, "investigated")
    c = advance_from(client, who, cid, "accepted", "closed")
    assert c["outcome"] == "settled" and c["committee"]["attendees"] == ["m.karimi", "sg", "committee-1", "h.tehrani"]
    assert c["committee"]["variable_members"] == ["y.mousavi", "h.tehrani"]  # the manager of the unit concerned joins
    c = step(client, who, cid, "satisfaction", "mr_manager", {"score": 2, "comment": "took too long"})
    assert c["satisfaction"]["satisfied"] is False
    c = step(client, who, cid, "reopen", "mr_manager", {"reason": "the member is not satisfied"})
    assert (c["state"], c["round"], c["stage"]) == ("acknowledged", 2, "review")


def advance_from(client: TestClient, who, cid: str, start: str, to: str) -> dict[str, Any]:
    states = list(STEPS)
    out: dict[str, Any] = {}
    for state in states[states.index(start) : states.index(to) + 1]:
        path, by, body = STEPS[state]
        out = step(client, who, cid, path, by, body)
        assert out["state"] == state, out
    return out


@pytest.mark.parametrize(
    ("at", "path", "body", "refused_roles"),
    [
        (
            "received",
            "acknowledge",
            {"method": "phone"},
            ["trade_expert", "unit_manager", "sg", "auditor", "committee", "admin"],
        ),
        ("acknowledged", "information", {"service": "cards"}, ["expert", "sg", "auditor", "unit_manager", "admin"]),
        ("acknowledged", "review-complete", None, ["expert", "sg", "auditor", "admin"]),
        ("reviewed", "refer", None, ["expert", "sg", "auditor", "admin"]),
        (
            "referred",
            "assign",
            {"handler_kind": "person", "handler": "p.mohammadi"},
            ["mr_manager", "expert", "auditor", "committee", "admin"],
        ),
        (
            "investigated",
            "decision",
            {"decision": "accepted"},
            ["mr_manager", "handler", "auditor", "committee", "admin"],
        ),
        ("accepted", "committee", {"subject": "x"}, ["auditor", "committee", "admin"]),
        ("accepted", "committee/not-needed", None, ["mr_manager", "auditor", "committee", "admin"]),
        (
            "decided",
            "notify",
            {"method": "phone", "message": "done"},
            ["sg", "expert", "auditor", "committee", "admin"],
        ),
        ("notified", "close", None, ["sg", "expert", "auditor", "admin"]),
        ("notified", "satisfaction", {"score": 5}, ["sg", "expert", "auditor", "admin"]),
        (
            "received",
            "confidentiality",
            {"confidential": True, "reason": "x"},
            ["expert", "auditor", "admin", "committee"],
        ),
        ("received", "stakeholders", {"units": ["trade"]}, ["expert", "auditor", "admin", "committee"]),
    ],
)
def test_each_step_is_refused_to_the_roles_that_do_not_take_it(
    client: TestClient, who, at: str, path: str, body, refused_roles: list[str]
) -> None:
    cid = register(client, who)["id"]
    if at != "received":
        advance(client, who, cid, at)
    before = stored_events(client)
    for role in refused_roles:
        response = client.post(f"/complaints/{cid}/{path}", json=body, headers=who[role])
        assert response.status_code in (403, 404), (role, response.text)
        assert response.headers["content-type"] == PROBLEM
    assert stored_events(client) == before


def test_a_step_out_of_order_is_409_with_the_reason(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    assert_problem(
        client.post(f"/complaints/{cid}/review-complete", headers=who["mr_manager"]),
        409,
        "acknowledge the complaint to the member first",
    )
    assert_problem(
        client.post(f"/complaints/{cid}/close", headers=who["mr_manager"]), 409, "has not been told the result"
    )


def test_an_expert_of_another_unit_neither_registers_nor_acknowledges(client: TestClient, who) -> None:
    assert_problem(
        client.post("/complaints", json=complaint_body(), headers=who["trade_expert"]),
        403,
        "member-relations experts register",
    )
    cid = register(client, who)["id"]
    # s.ahmadi may not know of it yet: 404; once he handles it he knows it, but acknowledging is member relations' job.
    assert_problem(
        client.post(f"/complaints/{cid}/acknowledge", json={"method": "x"}, headers=who["trade_expert"]), 404
    )
    advance(client, who, cid, "referred")
    step(client, who, cid, "assign", "sg", {"handler_kind": "person", "handler": "s.ahmadi"})
    assert_problem(
        client.post(f"/complaints/{cid}/acknowledge", json={"method": "x"}, headers=who["trade_expert"]),
        403,
        "member relations acknowledges",
    )


# --- the conflict-of-interest rule over HTTP ----------------------------------------------------------------------


def test_the_sg_assigning_a_stakeholder_is_refused_with_the_reasons_and_the_attempt_is_on_the_form(
    client: TestClient, who
) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "referred")
    response = client.post(
        f"/complaints/{cid}/assign", json={"handler_kind": "person", "handler": "h.tehrani"}, headers=who["sg"]
    )
    assert_problem(
        response,
        409,
        "h.tehrani may not handle this complaint (conflict of interest): h.tehrani belongs to membership, a unit complained about",
    )
    response = client.post(
        f"/complaints/{cid}/assign", json={"handler_kind": "unit", "handler": "membership"}, headers=who["sg"]
    )
    assert_problem(response, 409, "unit membership is a unit complained about")
    c = step(client, who, cid, "assign", "sg", {"handler_kind": "person", "handler": "p.mohammadi"})
    assert c["handler"]["eligibility"].startswith("person p.mohammadi is eligible: not the complainant")
    form = client.get(f"/complaints/{cid}/form", headers=who["auditor"]).json()
    refusals = [s for s in form["steps"] if s["event"] == "crm.complaints.complaint.assignment_refused.v1"]
    assert [(s["by"], s["details"]["handler"]) for s in refusals] == [("sg", "h.tehrani"), ("sg", "membership")]
    assert refusals[0]["title"] == "Assignment refused (conflict of interest)"


def test_a_complaint_about_a_unit_is_never_handled_by_that_unit_or_its_manager(client: TestClient, who) -> None:
    cid = register(client, who, stakeholders=None)["id"]
    step(client, who, cid, "acknowledge", "expert", {"method": "phone"})
    assert_problem(
        client.post(f"/complaints/{cid}/review-complete", headers=who["mr_manager"]),
        409,
        "the stakeholders (or a declaration that there are none)",
    )
    assert_problem(
        client.post(f"/complaints/{cid}/stakeholders", json={}, headers=who["mr_manager"]), 422, "declare that"
    )
    c = step(client, who, cid, "stakeholders", "mr_manager", {"none": True})
    assert c["stakeholders"]["recorded"] and c["stakeholders"]["none_declared"]
    step(client, who, cid, "review-complete", "mr_manager")
    step(client, who, cid, "refer", "mr_manager", {})
    for body, reason in (
        ({"handler_kind": "unit", "handler": "membership"}, "unit membership is the unit the complaint is about"),
        ({"handler_kind": "person", "handler": "h.tehrani"}, "belongs to membership, the unit the complaint is about"),
    ):
        assert_problem(client.post(f"/complaints/{cid}/assign", json=body, headers=who["sg"]), 409, reason)
    history = client.get(f"/complaints/{cid}/history", headers=who["auditor"]).json()
    refusals = [e["data"] for e in history if e["type"] == "crm.complaints.complaint.assignment_refused.v1"]
    assert [r["handler"] for r in refusals] == ["membership", "h.tehrani"]
    assert all(r["reasons"] for r in refusals)


def test_the_member_relations_manager_arranges_the_meeting_and_the_sg_representative_follows_it_up(
    client: TestClient, app, who, token_store
) -> None:
    deputy = {"Authorization": f"Bearer {token_store.create('deputy.sg', Role.COMMITTEE, None)}"}
    cid = register(client, who)["id"]
    advance(client, who, cid, "investigated")
    c = step(client, who, cid, "decision", "sg", {"decision": "accepted", "follow_up_by": "deputy.sg"})
    assert c["follow_up_by"] == "deputy.sg"
    assert c["waiting_on"] == {"role": "sg", "person": "deputy.sg", "unit": None}
    settle(app)
    assert [x["id"] for x in client.get("/complaints/waiting-on-me", headers=deputy).json()] == [cid]
    c = step(client, who, cid, "committee", "mr_manager", {"subject": "card delays"})
    committee = c["committee"]
    assert committee["convened_by"] == "m.karimi"
    assert committee["members"] == ["m.karimi", "sg", "committee-1", "h.tehrani"]  # with the unit's manager
    assert committee["quorum"] == 0.5 and committee["sg_members"] == ["sg"]
    body = {
        "attendees": ["m.karimi", "committee-1", "h.tehrani"],
        "decision": "accepted",
        "reasoning": "the unit was late",
        "minutes": "the unit manager explained the missing deputy",
    }
    assert_problem(
        client.post(f"/complaints/{cid}/committee/decision", json=body, headers=who["mr_manager"]),
        409,
        "neither the SG nor a representative",
    )
    c = step(
        client, who, cid, "committee/decision", "mr_manager", {**body, "attendees": ["m.karimi", "sg", "h.tehrani"]}
    )
    assert c["committee"]["minutes"] == "the unit manager explained the missing deputy"
    assert c["state"] == "decided"


def test_an_assignment_to_an_unknown_unit_is_invalid(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "referred")
    assert_problem(
        client.post(f"/complaints/{cid}/assign", json={"handler_kind": "unit", "handler": "bakery"}, headers=who["sg"]),
        422,
        "unknown handling unit",
    )


# --- the handler, the committee, the auditor ----------------------------------------------------------------------


def test_the_handler_sees_only_what_is_assigned_to_him(client: TestClient, app, who) -> None:
    mine = register(client, who)["id"]
    other = register(client, who)["id"]
    advance(client, who, mine, "assigned")
    settle(app)
    listed = client.get("/complaints", headers=who["handler"])
    assert [c["id"] for c in listed.json()] == [mine] and listed.headers["x-total-count"] == "1"
    assert client.get(f"/complaints/{mine}", headers=who["handler"]).status_code == 200
    assert_problem(client.get(f"/complaints/{other}", headers=who["handler"]), 404)
    assert_problem(client.get(f"/complaints/{other}/form", headers=who["handler"]), 404)
    assert [c["id"] for c in client.get("/complaints/waiting-on-me", headers=who["handler"]).json()] == [mine]


def test_only_the_handler_files_the_investigation(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "assigned")
    body = STEPS["investigated"][2]
    # The member-relations expert sees the complaint but is not its handler.
    assert_problem(
        client.post(f"/complaints/{cid}/investigation", json=body, headers=who["expert"]),
        403,
        "only the assigned handler",
    )
    # A unit manager who may not know it exists is told nothing.
    assert_problem(client.post(f"/complaints/{cid}/investigation", json=body, headers=who["unit_manager"]), 404)
    assert step(client, who, cid, "investigation", "handler", body)["investigation"]["by"] == "p.mohammadi"


def test_a_handling_unit_is_seen_by_its_staff_and_reported_by_its_manager(client: TestClient, app, who) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "referred")
    step(client, who, cid, "assign", "sg", {"handler_kind": "unit", "handler": "legal"})
    settle(app)
    assert [c["id"] for c in client.get("/complaints/waiting-on-me", headers=who["legal_manager"]).json()] == [cid]
    c = step(client, who, cid, "investigation", "legal_manager", STEPS["investigated"][2])
    assert c["state"] == "investigated" and c["investigation"]["by"] == "d.kazemi"


def test_committee_members_see_the_complaints_of_their_meetings_only(client: TestClient, app, who) -> None:
    cid = register(client, who)["id"]
    other = register(client, who)["id"]
    assert_problem(client.get(f"/complaints/{cid}", headers=who["committee"]), 404)
    advance(client, who, cid, "committee")
    settle(app)
    assert client.get(f"/complaints/{cid}", headers=who["committee"]).status_code == 200
    assert [c["id"] for c in client.get("/complaints", headers=who["committee"]).json()] == [cid]
    assert [c["id"] for c in client.get("/complaints/waiting-on-me", headers=who["committee"]).json()] == [cid]
    assert_problem(client.get(f"/complaints/{other}", headers=who["committee"]), 404)
    assert_problem(client.get(f"/complaints/{cid}", headers=who["other_committee"]), 404)
    assert client.get("/complaints", headers=who["other_committee"]).json() == []


def test_a_committee_member_records_the_decision_and_an_outsider_cannot(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "committee")
    body = STEPS["decided"][2]
    assert_problem(client.post(f"/complaints/{cid}/committee/decision", json=body, headers=who["other_committee"]), 404)
    bad = {**body, "attendees": ["m.karimi", "k.rezaei"]}
    assert_problem(
        client.post(f"/complaints/{cid}/committee/decision", json=bad, headers=who["committee"]),
        409,
        "not members of this committee: k.rezaei",
    )
    c = step(client, who, cid, "committee/decision", "committee", body)
    assert c["corrective_actions"][0]["id"] == "CA-1" and c["corrective_actions"][0]["status"] == "open"


def test_a_corrective_action_is_marked_done_by_its_owner_or_those_responsible(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "decided")
    assert_problem(
        client.post(f"/complaints/{cid}/corrective-actions/CA-1/done", json={}, headers=who["expert"]),
        403,
        "CA-1 is h.tehrani's",
    )
    assert_problem(client.post(f"/complaints/{cid}/corrective-actions/CA-1/done", json={}, headers=who["auditor"]), 403)
    c = step(client, who, cid, "corrective-actions/CA-1/done", "sg", {"note": "deputy named"})
    assert c["corrective_actions"][0]["status"] == "done" and c["corrective_actions"][0]["done_by"] == "sg"
    assert_problem(
        client.post(f"/complaints/{cid}/corrective-actions/CA-1/done", json={}, headers=who["sg"]), 409, "already done"
    )


def test_the_auditor_reads_everything_and_changes_nothing(client: TestClient, app, who) -> None:
    open_one = register(client, who)["id"]
    secret = register(client, who, confidential=True)["id"]
    settle(app)
    assert {c["id"] for c in client.get("/complaints", headers=who["auditor"]).json()} == {open_one, secret}
    assert client.get(f"/complaints/{secret}/form", headers=who["auditor"]).status_code == 200
    history = client.get(f"/complaints/{secret}/history", headers=who["auditor"]).json()
    assert history[0]["type"] == "crm.complaints.complaint.received.v1"
    before = stored_events(client)
    for path, body in [
        ("acknowledge", {"method": "x"}),
        ("information", {}),
        ("assign", {"handler_kind": "unit", "handler": "legal"}),
        ("close", None),
        ("confidentiality", {"confidential": False, "reason": "x"}),
    ]:
        assert_problem(client.post(f"/complaints/{secret}/{path}", json=body, headers=who["auditor"]), 403)
    assert_problem(
        client.post(
            f"/complaints/{secret}/documents",
            content=PDF,
            headers={**who["auditor"], "Content-Type": "application/pdf"},
        ),
        403,
    )
    assert_problem(client.post("/complaints", json=complaint_body(), headers=who["auditor"]), 403)
    assert stored_events(client) == before


# --- confidentiality ----------------------------------------------------------------------------------------------


def test_a_confidential_complaint_is_hidden_from_every_other_role_even_in_search_counts_and_exports(
    client: TestClient, app, who
) -> None:
    open_one = register(client, who, by="mr_manager")["id"]
    secret = register(client, who, by="mr_manager", confidential=True)["id"]
    settle(app)
    for role in ("mr_manager", "sg", "auditor"):
        assert client.get(f"/complaints/{secret}", headers=who[role]).status_code == 200, role
        assert client.get("/complaints", headers=who[role]).headers["x-total-count"] == "2", role
    for role in ("expert", "admin"):  # they see the others
        listed = client.get("/complaints", headers=who[role])
        assert [c["id"] for c in listed.json()] == [open_one] and listed.headers["x-total-count"] == "1", role
        assert_problem(client.get(f"/complaints/{secret}", headers=who[role]), 404)
        assert_problem(client.get(f"/complaints/{secret}/form", headers=who[role]), 404)
        export = client.get("/complaints/export", headers=who[role])
        assert export.status_code == 200 and export.headers["content-type"].startswith("text/csv")
        lines = export.text.strip().splitlines()
        assert len(lines) == 2 and "no" in lines[1]
        assert client.get("/complaints", params={"confidential": True}, headers=who[role]).json() == []
    for role in ("trade_expert", "unit_manager", "committee"):  # they see neither
        assert client.get("/complaints", headers=who[role]).json() == []
        assert_problem(client.get(f"/complaints/{secret}", headers=who[role]), 404)
        assert_problem(client.get(f"/complaints/{open_one}", headers=who[role]), 404)


def test_the_expert_who_registered_a_confidential_complaint_still_sees_it_and_other_experts_do_not(
    client: TestClient, app, who
) -> None:
    secret = register(client, who, confidential=True)["id"]
    settle(app)
    assert client.get(f"/complaints/{secret}", headers=who["expert"]).status_code == 200
    assert [c["id"] for c in client.get("/complaints", headers=who["expert"]).json()] == [secret]
    assert_problem(client.get(f"/complaints/{secret}", headers=who["mr_expert2"]), 404)
    assert client.get("/complaints", headers=who["mr_expert2"]).json() == []


def test_marking_a_complaint_confidential_later_hides_it_from_search(client: TestClient, app, who) -> None:
    cid = register(client, who, by="mr_manager")["id"]
    settle(app)
    assert len(client.get("/complaints", headers=who["mr_expert2"]).json()) == 1
    c = step(
        client, who, cid, "confidentiality", "mr_manager", {"confidential": True, "reason": "concerns a board member"}
    )
    assert c["confidential"] is True
    settle(app)
    assert client.get("/complaints", headers=who["mr_expert2"]).json() == []
    assert_problem(
        client.post(f"/complaints/{cid}/acknowledge", json={"method": "phone"}, headers=who["mr_expert2"]), 404
    )


def test_a_confidential_complaint_is_seen_by_its_handler(client: TestClient, app, who) -> None:
    cid = register(client, who, confidential=True)["id"]  # registered, and so acknowledged, by z.rahimi
    advance(client, who, cid, "assigned")
    settle(app)
    assert [c["id"] for c in client.get("/complaints", headers=who["handler"]).json()] == [cid]


# --- search, form, queues -----------------------------------------------------------------------------------------


def test_search_filters_by_state_kind_channel_unit_member_and_reference(client: TestClient, app, who) -> None:
    a = register(client, who)
    b = register(client, who, kind="suggestion", unit="trade", stakeholders={"units": []}, member_number="2002")
    step(client, who, a["id"], "acknowledge", "expert", {"method": "phone"})
    settle(app)

    def ids(**params: Any) -> list[str]:
        return [c["id"] for c in client.get("/complaints", params=params, headers=who["mr_manager"]).json()]

    assert ids(state="acknowledged") == [a["id"]]
    assert ids(kind="suggestion") == [b["id"]]
    assert ids(unit="trade") == [b["id"]]
    assert ids(unit="membership") == [a["id"]]
    assert ids(member_number="2002") == [b["id"]]
    assert ids(reference=b["reference"].lower()) == [b["id"]]
    assert ids(channel="website") == []
    assert ids(stage="review") == [a["id"]]


def test_the_assessed_priority_orders_the_lists_and_the_waiting_queue(client: TestClient, app, who) -> None:
    low, critical, unassessed = (register(client, who)["id"] for _ in range(3))
    for cid in (low, critical, unassessed):
        step(client, who, cid, "acknowledge", "expert", {"method": "phone"})
    step(client, who, low, "assessment", "mr_manager", {"severity": "low", "urgency": "low", "complexity": "low"})
    c = step(
        client,
        who,
        critical,
        "assessment",
        "mr_manager",
        {
            "severity": "low",
            "urgency": "medium",
            "complexity": "low",
            "immediate_action": True,
            "note": "fee charged twice",
        },
    )
    assert c["priority"] == "critical"
    assert c["assessment"]["by"] == "m.karimi" and c["assessment"]["immediate_action"] is True
    settle(app)
    # The critical one first; the unassessed one counts as medium; the low one last.
    queue = [x["id"] for x in client.get("/complaints/waiting-on-me", headers=who["mr_manager"]).json()]
    assert queue == [critical, unassessed, low]
    listed = [x["id"] for x in client.get("/complaints", headers=who["mr_manager"]).json()]
    assert listed == [critical, unassessed, low]
    assert_problem(
        client.post(f"/complaints/{low}/assessment", json={"severity": "dire"}, headers=who["mr_manager"]),
        422,
        "severity",
    )


def test_overdue_complaints_are_found_and_flagged(client: TestClient, app, who, clock) -> None:
    cid = register(client, who)["id"]
    settle(app)
    assert client.get("/complaints", params={"overdue": True}, headers=who["mr_manager"]).json() == []
    clock.advance(days=2)
    [c] = client.get("/complaints", params={"overdue": True}, headers=who["mr_manager"]).json()
    assert c["id"] == cid and c["overdue"] is True


def test_the_complaint_form_lists_every_step_with_who_and_when(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "referred")
    form = client.get(f"/complaints/{cid}/form", headers=who["mr_manager"]).json()
    assert form["form"] == "ME-FR-01-01-01"
    assert [(s["title"], s["by"]) for s in form["steps"]] == [
        ("Registered on the complaint form", "z.rahimi"),
        ("Receipt acknowledged to the member", "z.rahimi"),
        ("Review marked complete", "m.karimi"),
        ("Referred to the secretary general", "m.karimi"),
    ]
    assert form["steps"][0]["at_local"] == "1405/08/30 10:30"
    assert form["steps"][3]["details"] == {"note": "please assign"}


def test_the_cartable_shows_what_waits_on_each_role(client: TestClient, app, who) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "acknowledged")
    settle(app)
    assert [c["id"] for c in client.get("/complaints/waiting-on-me", headers=who["mr_manager"]).json()] == [cid]
    assert client.get("/complaints/waiting-on-me", headers=who["sg"]).json() == []
    advance_from(client, who, cid, "reviewed", "referred")
    settle(app)
    assert [c["id"] for c in client.get("/complaints/waiting-on-me", headers=who["sg"]).json()] == [cid]
    assert client.get("/complaints/waiting-on-me", headers=who["mr_manager"]).json() == []


# --- the public website form --------------------------------------------------------------------------------------


EN = {"Accept-Language": "en"}  # the rules' own words, as the staff read them


def public_form(**fields: Any) -> dict[str, Any]:
    return {
        "kind": "criticism",
        "description": "The website's card renewal page fails.",
        "name": "Ayşe Yılmaz",
        "email": "ayse@example.com",
        **fields,
    }


def submit(client: TestClient, body: Any = None, ip: str = "203.0.113.7", **kwargs: Any):
    headers = {"X-Forwarded-For": ip, **kwargs.pop("headers", {})}
    if body is None and "content" not in kwargs and "files" not in kwargs and "data" not in kwargs:
        body = public_form()
    return client.post("/public/complaints", json=body, headers=headers, **kwargs)


def test_the_public_form_needs_no_token_and_gives_a_tracking_reference(client: TestClient, app, who) -> None:
    response = submit(client)
    assert response.status_code == 201, response.text
    receipt = response.json()
    assert receipt["reference"].startswith("C-") and len(receipt["secret"]) >= 16
    assert receipt["language"] == "fa" and "کد پیگیری" in receipt["message"]  # the chamber's language by default
    settle(app)
    [c] = client.get("/complaints", params={"reference": receipt["reference"]}, headers=who["mr_manager"]).json()
    assert (c["channel"], c["kind"], c["state"], c["registered_by"]) == ("website", "criticism", "acknowledged", None)
    assert c["complainant"]["email"] == "ayse@example.com"
    assert c["stage"] == "review"  # the reference shown is the acknowledgement


def track(client: TestClient, reference: str, secret: str, ip: str = "203.0.113.9", headers: Any = None, **fields: Any):
    body = {"reference": reference, "secret": secret, **fields}
    return client.post("/public/complaints/track", json=body, headers={"X-Forwarded-For": ip, **(headers or {})})


def test_the_complainant_tracks_the_stage_and_dates_in_the_language_written_in(client: TestClient, who) -> None:
    receipt = submit(
        client, public_form(description="secret internal matter"), headers={"Accept-Language": "tr-TR, en;q=0.5"}
    ).json()
    assert receipt["language"] == "tr" and "gizli kod" in receipt["message"]
    status = track(client, receipt["reference"].lower(), receipt["secret"])
    assert status.status_code == 200, status.text
    seen = status.json()
    assert (seen["state"], seen["stage"], seen["kind"]) == ("acknowledged", "Alındı ve inceleniyor", "Eleştiri")
    assert [d["step"] for d in seen["dates"]] == ["received", "acknowledged"]
    cid = next(
        iter(client.get("/complaints", params={"reference": receipt["reference"]}, headers=who["mr_manager"]).json())
    )["id"]
    step(client, who, cid, "information", "mr_manager", {"note": "internal: the unit head is on leave"})
    seen = track(client, receipt["reference"], receipt["secret"], language="en").json()
    assert seen["stage"] == "Received and under review"
    # Nothing the staff wrote, nor the complainant's own text, reaches the tracking page.
    assert "on leave" not in str(seen) and "secret internal" not in str(seen) and "Ayşe" not in str(seen)


def test_the_form_s_choice_of_language_wins_over_the_browser(client: TestClient) -> None:
    receipt = submit(client, public_form(language="en"), headers={"Accept-Language": "fa"}).json()
    assert receipt["language"] == "en" and "secret" in receipt["message"]
    assert track(client, receipt["reference"], receipt["secret"]).json()["stage"] == "Received and under review"


def test_a_wrong_secret_and_an_unknown_reference_get_the_same_answer(client: TestClient) -> None:
    receipt = submit(client).json()
    wrong = track(client, receipt["reference"], "not-the-secret")
    unknown = track(client, "C-AAAA-AAAA", receipt["secret"])
    assert wrong.status_code == unknown.status_code == 404
    assert wrong.json()["detail"] == unknown.json()["detail"]
    assert "رمز" in wrong.json()["detail"]  # in the chamber's language when the browser asks for none
    seen = track(client, receipt["reference"], receipt["secret"]).json()
    assert seen["language"] == "fa" and seen["stage"] == "دریافت شد و در حال بررسی است"
    assert seen["dates"][0]["at_local"].startswith("۱۴۰۵/")  # Solar Hijri, in Persian digits


def test_a_staff_registered_complaint_cannot_be_tracked_without_a_secret(client: TestClient, who) -> None:
    c = register(client, who)
    assert track(client, c["reference"], "").status_code == 422
    assert track(client, c["reference"], "anything").status_code == 404


def test_tracking_is_rate_limited_per_client_address(client: TestClient) -> None:
    receipt = submit(client).json()
    for _ in range(CONFIG.public_tracking_rate_limit):
        track(client, receipt["reference"], "guess", ip="198.51.100.9")
    assert_problem(
        track(client, receipt["reference"], receipt["secret"], ip="198.51.100.9", headers=EN), 429, "try again"
    )


def test_the_public_form_stores_markup_as_plain_text(client: TestClient, app, who) -> None:
    text = "<script>alert(1)</script> the <b>fee</b> was wrong"
    reference = submit(client, public_form(description=text)).json()["reference"]
    settle(app)
    [c] = client.get("/complaints", params={"reference": reference}, headers=who["mr_manager"]).json()
    assert c["description"] == text


@pytest.mark.parametrize(
    ("body", "detail"),
    [
        (public_form(email=None), "give a way to reach you"),
        (public_form(name=""), "name"),
        (public_form(description=""), "description"),
        (public_form(description="x" * 501), "at most 500 characters"),
        (public_form(phone="abc"), "not a phone number"),
        (public_form(unit="bakery"), "unknown unit concerned"),
        (public_form(admin=True), "admin"),
        (public_form(kind="praise"), "kind"),
        (public_form(occurred_at="yesterday"), "occurred_at"),
        (
            public_form(attachments=[{"filename": "a.pdf", "content_type": "application/pdf", "data": "%%%"}]),
            "not base64",
        ),
        ([1, 2], "body"),
    ],
)
def test_the_public_form_refuses_bad_input_with_422_and_stores_nothing(
    client: TestClient, body: Any, detail: str
) -> None:
    assert_problem(submit(client, body, headers=EN), 422, detail)
    assert stored_events(client) == 0


def test_the_public_form_refuses_a_body_that_is_not_json(client: TestClient) -> None:
    assert_problem(
        submit(client, content=b"description=x", headers={"Content-Type": "application/x-www-form-urlencoded"}), 415
    )
    assert_problem(
        submit(client, content=b"{not json", headers={"Content-Type": "application/json", **EN}), 422, "not JSON"
    )


def test_an_oversized_public_form_is_refused_before_it_is_read(client: TestClient) -> None:
    response = submit(client, content=b"{" + b" " * (20 * 1024) + b"}", headers={"Content-Type": "application/json"})
    assert_problem(response, 413)
    assert stored_events(client) == 0


def attachment(content: bytes, content_type: str = "application/pdf", name: str = "receipt.pdf") -> dict[str, str]:
    return {"filename": name, "content_type": content_type, "data": base64.b64encode(content).decode()}


def test_the_public_form_takes_a_few_small_documents_of_the_accepted_types(
    client: TestClient, app, who, settings
) -> None:
    reference = submit(
        client, public_form(attachments=[attachment(PDF), attachment(PNG, "image/png", "screen.png")])
    ).json()["reference"]
    settle(app)
    [c] = client.get("/complaints", params={"reference": reference}, headers=who["mr_manager"]).json()
    assert [(d["media_type"], d["filename"], d["size"]) for d in c["documents"]] == [
        ("application/pdf", "receipt.pdf", len(PDF)),
        ("image/png", "screen.png", len(PNG)),
    ]
    sha = c["documents"][0]["sha256"]
    assert (Path(settings.data_dir) / "documents" / sha[:2] / sha).read_bytes() == PDF


@pytest.mark.parametrize(
    ("attachments", "status", "detail"),
    [
        ([attachment(PDF)] * 3, 422, "at most 2 files"),
        ([attachment(PDF + b" " * 3000)], 413, "at most 2 KiB"),
        ([attachment(EXE, "application/x-msdownload", "setup.exe")], 415, "not accepted"),
        ([attachment(PNG, "application/pdf", "fake.pdf")], 415, "its content is PNG image"),
        ([attachment(PDF), attachment(EXE, "", "x.bin")], 415, "not one of the accepted types"),
    ],
)
def test_the_public_form_refuses_too_many_too_large_or_wrong_documents(
    client: TestClient, attachments, status: int, detail: str, settings
) -> None:
    assert_problem(submit(client, public_form(attachments=attachments), headers=EN), status, detail)
    assert stored_events(client) == 0
    assert not (Path(settings.data_dir) / "documents").exists()


def test_the_public_form_also_comes_as_multipart(client: TestClient, app, who) -> None:
    response = submit(
        client,
        data={"description": "queue too long at the desk", "name": "Ali", "phone": "09131234567", "kind": "complaint"},
        files={"attachments": ("note.txt", "زمان انتظار دو ساعت".encode(), "text/plain")},
    )
    assert response.status_code == 201, response.text
    settle(app)
    [c] = client.get(
        "/complaints", params={"reference": response.json()["reference"]}, headers=who["mr_manager"]
    ).json()
    assert c["documents"][0]["media_type"] == "text/plain" and c["complainant"]["phone"] == "+989131234567"


def test_a_robot_filling_the_honeypot_gets_a_receipt_but_nothing_is_stored(client: TestClient) -> None:
    response = submit(client, public_form(homepage="http://spam.example"))
    person = submit(client, public_form(), ip="203.0.113.8")
    assert response.status_code == person.status_code == 201
    assert set(response.json()) == set(person.json())
    assert response.json()["received_at"] == person.json()["received_at"]
    assert response.json()["reference"].startswith("C-")
    assert stored_events(client) == 3  # the person's form only: Received, Acknowledged, TrackingIssued


def test_the_public_form_is_rate_limited_per_client_address(client: TestClient, clock) -> None:
    for _ in range(3):
        assert submit(client, ip="198.51.100.1").status_code == 201
    refused = submit(client, ip="198.51.100.1", headers=EN)
    assert_problem(refused, 429, "too many submissions")
    assert refused.headers["retry-after"] == "600"
    assert submit(client, ip="198.51.100.2").status_code == 201  # another address is not held back
    clock.advance(minutes=5)
    assert submit(client, ip="198.51.100.1").status_code == 429
    assert submit(client, ip="198.51.100.1").headers["retry-after"] == "300"
    clock.advance(minutes=5)
    assert submit(client, ip="198.51.100.1").status_code == 201


def test_invalid_attempts_count_against_the_rate_limit(client: TestClient) -> None:
    for _ in range(3):
        assert submit(client, public_form(email=None), ip="198.51.100.9").status_code == 422
    assert submit(client, ip="198.51.100.9").status_code == 429


# --- automatic opening by other services --------------------------------------------------------------------------


def automatic(**fields: Any) -> dict[str, Any]:
    return {
        "source_ref": "surveys:response:8812:q3",
        "source": "surveys",
        "kind": "complaint",
        "description": "score 40% on 'timeliness of card issuing' (threshold 70%)",
        "member_number": "1001",
        "unit": "membership",
        **fields,
    }


def test_the_same_source_reference_never_opens_two_complaints(client: TestClient, app, who) -> None:
    first = client.post("/internal/complaints", json=automatic(), headers=who["surveys"])
    assert first.status_code == 201, first.text
    again = client.post("/internal/complaints", json=automatic(description="sent twice"), headers=who["surveys"])
    assert again.status_code == 200
    assert again.json() == {"id": first.json()["id"], "existed": True}
    other = client.post(
        "/internal/complaints", json=automatic(source_ref="surveys:response:8812:q4"), headers=who["admin"]
    )
    assert other.status_code == 201 and other.json()["id"] != first.json()["id"]
    c = first.json()
    assert (c["channel"], c["source"], c["source_ref"], c["state"]) == (
        "automatic",
        "surveys",
        "surveys:response:8812:q3",
        "received",
    )
    settle(app)
    assert (
        client.get("/complaints", params={"channel": "automatic"}, headers=who["mr_manager"]).headers["x-total-count"]
        == "2"
    )


@pytest.mark.parametrize("role", ["expert", "mr_manager", "sg", "auditor", "telephony"])
def test_only_a_service_opens_complaints_automatically(client: TestClient, who, role: str) -> None:
    assert_problem(client.post("/internal/complaints", json=automatic(), headers=who[role]), 403)
    assert stored_events(client) == 0


def test_the_deadline_check_records_breaches_once(client: TestClient, who, clock) -> None:
    cid = register(client, who)["id"]
    clock.advance(days=2)
    first = client.post("/internal/complaints/deadline-check", headers=who["admin"]).json()
    assert first == {"recorded": [{"complaint_id": cid, "stage": "acknowledgement"}]}
    assert client.post("/internal/complaints/deadline-check", headers=who["admin"]).json() == {"recorded": []}
    c = client.get(f"/complaints/{cid}", headers=who["mr_manager"]).json()
    assert [b["stage"] for b in c["breaches"]] == ["acknowledgement"]
    assert_problem(client.post("/internal/complaints/deadline-check", headers=who["sg"]), 403)


# --- documents ----------------------------------------------------------------------------------------------------


def upload(
    client: TestClient,
    who,
    cid: str,
    content: bytes,
    content_type: str = "application/pdf",
    by: str = "expert",
    **params: str,
):
    return client.post(
        f"/complaints/{cid}/documents",
        content=content,
        params=params,
        headers={**who[by], "Content-Type": content_type},
    )


def test_a_document_is_stored_by_its_content_and_referenced_on_the_form(client: TestClient, who, settings) -> None:
    cid = register(client, who)["id"]
    response = upload(client, who, cid, PDF, filename="../../etc/receipt.pdf")
    assert response.status_code == 201, response.text
    doc = response.json()
    assert (doc["media_type"], doc["size"], doc["filename"], doc["attached"], doc["by"]) == (
        "application/pdf",
        len(PDF),
        "receipt.pdf",
        True,
        "z.rahimi",
    )
    path = Path(settings.data_dir) / "documents" / doc["sha256"][:2] / doc["sha256"]
    assert path.read_bytes() == PDF
    again = upload(client, who, cid, PDF, filename="copy.pdf")
    assert again.status_code == 200 and again.json()["attached"] is False
    c = client.get(f"/complaints/{cid}", headers=who["mr_manager"]).json()
    assert len(c["documents"]) == 1
    download = client.get(f"/complaints/{cid}/documents/{doc['sha256']}", headers=who["auditor"])
    assert download.status_code == 200 and download.content == PDF
    assert download.headers["content-type"] == "application/pdf"
    assert download.headers["x-content-type-options"] == "nosniff"
    assert download.headers["content-disposition"] == "attachment; filename*=UTF-8''receipt.pdf"


def test_a_document_also_comes_as_multipart(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    response = client.post(
        f"/complaints/{cid}/documents", files={"file": ("shot.png", PNG, "image/png")}, headers=who["mr_manager"]
    )
    assert response.status_code == 201, response.text
    assert (response.json()["media_type"], response.json()["filename"]) == ("image/png", "shot.png")


@pytest.mark.parametrize(
    ("content", "content_type", "status", "detail"),
    [
        (EXE, "application/octet-stream", 415, "not one of the accepted types"),
        (EXE, "application/x-msdownload", 415, "not accepted"),
        (PNG, "application/pdf", 415, "sent as PDF but its content is PNG image"),
        (b"%PDF-" + b"x" * 5000, "application/pdf", 413, "at most"),
        (b"", "application/pdf", 422, "empty"),
    ],
)
def test_a_document_of_the_wrong_type_or_too_large_is_refused(
    client: TestClient, who, settings, content: bytes, content_type: str, status: int, detail: str
) -> None:
    cid = register(client, who)["id"]
    before = stored_events(client)
    assert_problem(upload(client, who, cid, content, content_type), status, detail)
    assert stored_events(client) == before
    assert not (Path(settings.data_dir) / "documents").exists()


def test_documents_of_a_complaint_one_may_not_know_are_404(client: TestClient, who) -> None:
    cid = register(client, who, confidential=True)["id"]
    sha = upload(client, who, cid, PDF).json()["sha256"]
    assert_problem(upload(client, who, cid, PDF, by="mr_expert2"), 404)
    assert_problem(client.get(f"/complaints/{cid}/documents/{sha}", headers=who["mr_expert2"]), 404)
    assert_problem(client.get(f"/complaints/{cid}/documents/{'0' * 64}", headers=who["mr_manager"]), 404, "no document")


def test_a_closed_complaint_takes_no_more_documents(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    advance(client, who, cid, "closed")
    assert_problem(upload(client, who, cid, PDF, by="mr_manager"), 409, "closed")


# --- operations ---------------------------------------------------------------------------------------------------


def test_health_needs_no_token_and_reports_the_index(client: TestClient, who) -> None:
    register(client, who)
    body = client.get("/health").json()
    assert body["service"] == "complaints" and body["status"] == "ok"


# --- the six-monthly report as a record: prepared, sent to the SG and the president, its review meeting ----------


def report_post(client: TestClient, who, path: str, by: str, body: dict[str, Any] | None = None):
    return client.post(f"/complaint-reports/{path}", json=body, headers=who[by])


def test_the_report_is_prepared_by_an_expert_sent_by_the_manager_and_its_meeting_minuted_on_the_complaints(
    client: TestClient, who
) -> None:
    undecided = register(client, who)["id"]
    closed_ok = register(client, who)["id"]
    advance(client, who, closed_ok, "closed")
    step(client, who, closed_ok, "satisfaction", "mr_manager", {"score": 5})

    assert_problem(report_post(client, who, "1405-H1", "mr_manager", {}), 403, "")
    prepared = report_post(client, who, "1405-H1", "expert", {"note": "draft"})
    assert prepared.status_code == 201, prepared.text
    assert prepared.json()["prepared_by"] == "z.rahimi"
    assert_problem(
        report_post(
            client,
            who,
            "1405-H1/review-meeting",
            "mr_manager",
            {"attendees": ["m.karimi"], "minutes": "m", "complaints": [undecided]},
        ),
        409,
        "send the report first",
    )
    sent = report_post(client, who, "1405-H1/sent", "mr_manager").json()
    assert sent["sent_by"] == "m.karimi" and sent["sent_to"] == ["secretary_general", "president"]
    assert_problem(report_post(client, who, "1405-H1/sent", "mr_manager"), 409, "sent already")

    # A complaint decided and satisfied is not on the agenda: nothing is recorded, on no complaint.
    body = {
        "attendees": ["m.karimi", "sg"],
        "minutes": "the unit will answer within a week",
        "complaints": [undecided, closed_ok],
    }
    assert_problem(
        report_post(client, who, "1405-H1/review-meeting", "sg", body), 409, "not on the review meeting's agenda"
    )
    assert client.get(f"/complaints/{undecided}", headers=who["mr_manager"]).json()["reviews"] == []

    report = report_post(client, who, "1405-H1/review-meeting", "sg", {**body, "complaints": [undecided]}).json()
    assert report["meeting"]["complaints"] == [undecided] and report["meeting"]["attendees"] == ["m.karimi", "sg"]
    [review] = client.get(f"/complaints/{undecided}", headers=who["mr_manager"]).json()["reviews"]
    assert (review["period"], review["minutes"], review["by"]) == (
        "1405-H1",
        "the unit will answer within a week",
        "sg",
    )
    history = client.get(f"/complaints/{undecided}/history", headers=who["auditor"]).json()
    assert history[-1]["type"] == "crm.complaints.complaint.review_minutes_recorded.v1"


def test_a_period_is_a_half_year_and_an_unprepared_report_is_not_found(client: TestClient, who) -> None:
    assert client.get("/complaint-reports/1405-H3", headers=who["sg"]).status_code == 422
    assert_problem(client.get("/complaint-reports/1405-H2", headers=who["sg"]), 404, "has not been prepared")


# --- the printable form ME-FR-01-01-01 -------------------------------------------------------------------------


def test_the_form_prints_in_persian_right_to_left_with_persian_digits_and_every_step(client: TestClient, who) -> None:
    cid = register(client, who, description="<b>fee</b> charged twice: 1250000 rials")["id"]
    advance(client, who, cid, "decided")
    response = client.get(f"/complaints/{cid}/form/print", headers=who["mr_manager"])
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    page = response.text
    assert '<html lang="fa" dir="rtl">' in page
    assert "فرم شکایات، انتقادات و پیشنهادها" in page
    # Every step with who and when, in the chamber's words.
    for title in ("ثبت در فرم شکایت", "اعلام وصول به عضو", "تعیین رسیدگی‌کننده", "تصمیم کمیته"):
        assert title in page
    assert "p.mohammadi" in page and "h.tehrani" in page
    # Persian digits throughout, the form's own text too; markup from the form stays text.
    assert "۱۲۵۰۰۰۰" in page and "1250000" not in page
    assert "&lt;b&gt;fee&lt;/b&gt;" in page and "<b>fee</b>" not in page
    text = re.sub(r"<[^>]+>", "", page.split("<body>", 1)[1])  # what the reader sees, without the tags
    assert not any(ch.isascii() and ch.isdigit() for ch in text)


def test_the_form_prints_in_turkish_left_to_right(client: TestClient, who) -> None:
    cid = register(client, who)["id"]
    step(client, who, cid, "acknowledge", "expert", {"method": "phone"})
    page = client.get(f"/complaints/{cid}/form/print", params={"lang": "tr"}, headers=who["auditor"]).text
    assert '<html lang="tr" dir="ltr">' in page
    assert "Şikâyet formuna kaydedildi" in page and "Alındığı üyeye bildirildi" in page
    assert client.get(f"/complaints/{cid}/form/print", params={"lang": "de"}, headers=who["auditor"]).status_code == 422
