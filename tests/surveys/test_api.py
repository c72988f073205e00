"""The surveys service over HTTP: a project survey from request to start, a periodic round from plan to start over
the member roster, uploads, delegation, versions kept, lists by visibility, problem+json errors."""

from __future__ import annotations

from tests.helpers import assert_problem
from tests.surveys.conftest import BOARD, MR_AND_TRADE, QUESTIONS, member_event


def test_a_project_survey_goes_from_the_units_request_to_the_start(client, headers, project):
    r = client.post(f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2"]}, headers=headers["unit_manager"])
    assert r.status_code == 200 and r.json()["stage"] == "list_supplied" and r.json()["member_list_size"] == 2
    assert_problem(client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]), 409, "member list")
    assert client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"]).status_code == 200
    r = client.post(f"/surveys/{project}/start", headers=headers["mr_manager"])
    assert r.status_code == 200, r.text
    assert r.json()["stage"] == "running" and r.json()["members_asked"] == 2
    detail = client.get(f"/surveys/{project}", headers=headers["unit_manager"]).json()
    assert [e["type"].split(".")[3] for e in detail["history"]] == [
        "requested",
        "approved",
        "members_supplied",
        "members_approved",
        "started",
    ]
    assert [q["key"] for q in detail["questions"]] == ["overall", "recommend", "comments"]
    members = client.get(f"/surveys/{project}/members", params={"limit": 1}, headers=headers["mr_manager"])
    assert members.json() == ["12-1"] and members.headers["X-Total-Count"] == "2"


def test_a_member_list_is_uploaded_as_csv_with_a_header(client, headers, project):
    csv = b"membership_number,name\n12-1,Pars Co\n12-2,Atlas\n12-1,Pars Co\n"
    r = client.post(
        f"/surveys/{project}/members/upload",
        content=csv,
        headers={**headers["unit_manager"], "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["member_list_size"] == 2 and r.json()["list_source"]["source"] == "upload"
    r = client.post(
        f"/surveys/{project}/members/upload",
        content=b"{}",
        headers={**headers["unit_manager"], "Content-Type": "application/json"},
    )
    assert_problem(r, 422, "text/csv")


def test_a_member_list_given_by_a_selection_uses_the_selection_the_members_topic_brought(app, client, headers, project):
    from shared.envelope import CloudEvent

    taken = CloudEvent(
        id="s-1",
        source="crm/members",
        type="crm.members.selection.taken.v1",
        time="2026-11-20T08:00:00Z",
        subject="7d1c0d0e-0000-4000-8000-000000000001",
        sequence=1,
        position=9,
        data={"name": "card holders", "criteria": {}, "members": ["30-1", "30-2", "30-3"]},
    )
    app.state.roster.apply([taken])
    r = client.post(
        f"/surveys/{project}/members", json={"selection_id": taken.subject}, headers=headers["unit_manager"]
    )
    assert r.status_code == 200, r.text
    assert r.json()["member_list_size"] == 3 and r.json()["list_source"]["selection_id"] == taken.subject
    unknown = "7d1c0d0e-0000-4000-8000-000000000002"
    assert_problem(
        client.post(f"/surveys/{project}/members", json={"selection_id": unknown}, headers=headers["unit_manager"]),
        422,
        "no selection",
    )


def test_a_large_edit_waits_for_the_meeting_with_the_requesting_units_manager(client, headers, project):
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    r = client.post(
        f"/surveys/{project}/questionnaire",
        json={"questions": QUESTIONS[:2], "size": "large", "note": "comments dropped"},
        headers=headers["mr_manager"],
    )
    assert r.status_code == 200 and r.json()["questionnaire_version"] == 2 and r.json()["meeting_needed"]
    assert_problem(client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]), 409, "large edit")
    meeting = {"purpose": "large_edit", "held_on": "2026-11-20", "attendees": MR_AND_TRADE, "minutes": "agreed"}
    assert client.post(f"/surveys/{project}/meetings", json=meeting, headers=headers["mr_manager"]).status_code == 200
    assert client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]).status_code == 200


def test_a_periodic_round_asks_every_active_member_the_roster_knows(app, client, headers, questionnaire):
    app.state.roster.apply(
        [
            member_event("a", "100", trade_group="textiles"),
            member_event("b", "101"),
            member_event("c", "102"),
            member_event("c", "102", seq=2, kind="suspended"),
        ]
    )
    r = client.post(
        "/surveys/periodic", json={"period": "2026-H2", "questionnaire_id": questionnaire}, headers=headers["president"]
    )
    assert r.status_code == 201, r.text
    sid = r.json()["id"]
    assert r.json()["frequency"] == "six_monthly"
    assert_problem(client.post(f"/surveys/{sid}/start", headers=headers["mr_manager"]), 409, "president's timing")
    timing = {"starts_on": "2026-11-21", "ends_on": "2027-01-15"}
    assert client.post(f"/surveys/{sid}/timing", json=timing, headers=headers["president"]).status_code == 200
    meeting = {"purpose": "questions", "held_on": "2026-11-18", "attendees": BOARD, "minutes": "questions set"}
    assert client.post(f"/surveys/{sid}/meetings", json=meeting, headers=headers["president"]).status_code == 200
    r = client.post(f"/surveys/{sid}/start", headers=headers["mr_manager"])
    assert r.status_code == 200, r.text
    assert r.json()["members_asked"] == 2  # the suspended member is not asked
    again = client.post(
        "/surveys/periodic", json={"period": "2026-H2", "questionnaire_id": questionnaire}, headers=headers["president"]
    )
    assert_problem(again, 409, "planned already")


def test_a_delegated_survey_is_started_by_the_manager_of_the_unit_it_was_delegated_to(client, headers, project):
    r = client.post(f"/surveys/{project}/delegate", json={"unit": "membership"}, headers=headers["sg"])
    assert r.status_code == 200 and r.json()["runner"] == "membership"
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    assert_problem(client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]), 403, "membership")
    assert client.post(f"/surveys/{project}/start", headers=headers["other_manager"]).status_code == 200
    # The delegated unit now sees it in its list; a unit with no part in it does not.
    listed = client.get("/surveys", headers=headers["other_manager"]).json()
    assert [s["id"] for s in listed] == [project]


def test_a_revised_questionnaire_leaves_the_running_survey_on_its_version(client, headers, project, questionnaire):
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    client.post(f"/surveys/{project}/start", headers=headers["mr_manager"])
    r = client.post(
        f"/questionnaires/{questionnaire}/versions", json={"questions": QUESTIONS[:1]}, headers=headers["mr_manager"]
    )
    assert r.status_code == 201 and r.json()["latest_version"] == 2
    detail = client.get(f"/surveys/{project}", headers=headers["mr_manager"]).json()
    assert detail["questionnaire_version"] == 1 and len(detail["questions"]) == 3


def test_lists_show_a_unit_only_its_own_surveys(client, headers, project):
    assert [s["id"] for s in client.get("/surveys", headers=headers["unit_manager"]).json()] == [project]
    assert client.get("/surveys", headers=headers["other_manager"]).json() == []
    assert client.get("/surveys", params={"kind": "periodic"}, headers=headers["sg"]).json() == []
    assert_problem(client.get(f"/surveys/{project}", headers=headers["other_manager"]), 403)


def test_bad_input_is_a_problem_and_writes_nothing(client, headers, questionnaire):
    bad = {
        "code": "x",
        "title": "t",
        "questions": [{"key": "q", "kind": "text", "text": {"en": "?"}, "dissatisfaction_signal": True}],
    }
    assert_problem(client.post("/questionnaires", json=bad, headers=headers["mr_manager"]), 422, "dissatisfaction")
    assert [q["code"] for q in client.get("/questionnaires", headers=headers["sg"]).json()] == ["card-desk"]
    assert_problem(
        client.post(
            "/questionnaires",
            json={"code": "card-desk", "title": "t", "questions": QUESTIONS},
            headers=headers["mr_manager"],
        ),
        409,
    )
    missing = "00000000-0000-4000-8000-000000000000"
    assert_problem(client.get(f"/surveys/{missing}", headers=headers["sg"]), 404)
    assert_problem(
        client.post(
            "/surveys/project", json={"subject": "x", "questionnaire_id": missing}, headers=headers["unit_manager"]
        ),
        404,
    )
    assert_problem(
        client.post(
            "/surveys/periodic",
            json={"period": "2026-Q1", "questionnaire_id": questionnaire},
            headers=headers["president"],
        ),
        422,
    )
