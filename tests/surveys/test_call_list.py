"""The experts' shared call list over HTTP, and the complaints that voiced dissatisfaction opens through the
outbox follower: two experts never get the same member at once, a claim runs out, the complaint is sent once."""

from __future__ import annotations

import pytest

from services.surveys.complaints import ComplaintNotDelivered
from shared.auth import Role
from tests.helpers import assert_problem


@pytest.fixture
def running(client, headers, project) -> str:
    numbers = ["12-1", "12-2", "12-3"]
    client.post(f"/surveys/{project}/members", json={"numbers": numbers}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    assert client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]).status_code == 200
    return project


@pytest.fixture
def second_expert(token_store) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_store.create('n.jafari', Role.EXPERT, 'member_relations')}"}


def test_two_experts_asking_for_the_next_member_never_get_the_same_one(client, headers, second_expert, running):
    first = client.post(f"/surveys/{running}/call-list/next", headers=headers["expert"])
    second = client.post(f"/surveys/{running}/call-list/next", headers=second_expert)
    assert first.status_code == second.status_code == 200
    assert first.json()["membership_number"] != second.json()["membership_number"]
    assert first.json()["line_to_use"] == "fixed" and first.json()["attempts_left"] == 3
    # Asking again while the claim lasts gives the same member back, not another one.
    again = client.post(f"/surveys/{running}/call-list/next", headers=headers["expert"])
    assert again.json()["membership_number"] == first.json()["membership_number"]


def test_a_member_held_by_one_expert_cannot_be_recorded_by_another_until_the_claim_runs_out(
    client, clock, headers, second_expert, running
):
    held = client.post(f"/surveys/{running}/call-list/next", headers=headers["expert"]).json()["membership_number"]
    url = f"/surveys/{running}/contacts/{held}/attempts"
    body = {"line": "fixed", "outcome": "no_answer"}
    assert_problem(client.post(url, json=body, headers=second_expert), 409, "z.rahimi is calling this member")
    clock.advance(minutes=16)  # the claim lasts 15 minutes
    assert client.post(url, json=body, headers=second_expert).status_code == 200


def test_a_recorded_attempt_frees_the_member_and_moves_him_down_the_list_until_the_next_working_day(
    client, clock, headers, running
):
    took = client.post(f"/surveys/{running}/call-list/next", headers=headers["expert"]).json()["membership_number"]
    r = client.post(
        f"/surveys/{running}/contacts/{took}/attempts",
        json={"line": "fixed", "outcome": "busy"},
        headers=headers["expert"],
    )
    assert r.status_code == 200 and r.json()["attempts_left"] == 2
    rows = client.get(f"/surveys/{running}/call-list", headers=headers["mr_manager"]).json()
    row = next(x for x in rows if x["membership_number"] == took)
    assert row["claimed_by"] is None and row["attempts"] == 1 and row["next_attempt_at"] is not None
    # The two others are due first; once they are taken, nobody is due until tomorrow.
    taken = {took}
    for who in ("expert", "mr_manager"):
        taken.add(client.post(f"/surveys/{running}/call-list/next", headers=headers[who]).json()["membership_number"])
    assert taken == {"12-1", "12-2", "12-3"}
    assert client.post(f"/surveys/{running}/call-list/next", headers=headers["unit_manager"]).status_code == 403
    clock.advance(minutes=20)
    assert client.post(f"/surveys/{running}/call-list/next", headers=headers["expert"]).json()["attempts"] == 0


def test_answers_by_phone_and_voiced_dissatisfaction_open_one_complaint(app, client, headers, running):
    sent = []

    def open_complaint(complaint):
        sent.append(complaint)
        return "c0ffee00-0000-4000-8000-000000000001"

    app.state.complaints.open_complaint = open_complaint
    r = client.post(
        f"/surveys/{running}/contacts/12-1/response",
        json={
            "line": "fixed",
            "answers": {"overall": 1, "recommend": False},
            "services_introduced": ["export desk"],
            "dissatisfaction": "three weeks for a card renewal",
        },
        headers=headers["expert"],
    )
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "responded" and r.json()["services_introduced"] == ["export desk"]
    app.state.complaints.catch_up()
    app.state.complaints.catch_up()
    assert len(sent) == 1
    complaint = sent[0]
    assert complaint["source_ref"] == f"surveys:{running}:member:12-1:dissatisfied"
    assert complaint["member_number"] == "12-1" and complaint["source"] == "surveys" and complaint["unit"] == "trade"
    assert "three weeks" in complaint["description"]
    assert app.state.complaints.complaint_of(complaint["source_ref"]) == "c0ffee00-0000-4000-8000-000000000001"
    again = client.post(
        f"/surveys/{running}/contacts/12-1/dissatisfaction", json={"note": "again"}, headers=headers["expert"]
    )
    assert_problem(again, 409, "recorded already")


def test_a_complaint_not_delivered_is_sent_again_at_the_next_catch_up(app, client, headers, running):
    calls = []

    def down(complaint):
        calls.append(complaint["source_ref"])
        if len(calls) == 1:
            raise ComplaintNotDelivered("complaints service unreachable")
        return "c0ffee00-0000-4000-8000-000000000002"

    app.state.complaints.open_complaint = down
    client.post(
        f"/surveys/{running}/contacts/12-2/dissatisfaction", json={"note": "rude answer"}, headers=headers["expert"]
    )
    with pytest.raises(ComplaintNotDelivered):
        app.state.complaints.catch_up()
    app.state.complaints.catch_up()
    assert len(calls) == 2 and app.state.complaints.complaint_of(calls[0]) is not None


def test_bad_contact_input_is_a_problem(client, headers, running):
    url = f"/surveys/{running}/contacts"
    assert_problem(client.get(f"{url}/99-9", headers=headers["expert"]), 404, "not on this survey's list")
    r = client.post(
        f"{url}/12-1/response", json={"line": "fixed", "answers": {"overall": 9}}, headers=headers["expert"]
    )
    assert_problem(r, 422, "from 1 to 5")
    r = client.post(f"{url}/12-1/attempts", json={"line": "landline", "outcome": "busy"}, headers=headers["expert"])
    assert_problem(r, 422)
    assert_problem(client.post(f"{url}/12-1/not-reached", headers=headers["expert"]), 409, "only after 2 attempts")
    assert client.get(f"{url}/12-1", headers=headers["expert"]).json()["attempts"] == []


def test_scores_from_the_index_and_a_question_below_the_threshold_open_one_complaint_through_the_outbox(
    app, client, headers, running
):
    sent = []
    app.state.complaints.open_complaint = lambda c: sent.append(c) or f"c0ffee00-0000-4000-8000-00000000000{len(sent)}"
    for number, recommend in (("12-1", True), ("12-2", False), ("12-3", False)):
        r = client.post(
            f"/surveys/{running}/contacts/{number}/response",
            json={"line": "fixed", "answers": {"overall": 4, "recommend": recommend}},
            headers=headers["expert"],
        )
        assert r.status_code == 200, r.text
    scores = client.get(f"/surveys/{running}/scores", headers=headers["unit_manager"]).json()
    by_key = {q["key"]: q for q in scores["questions"]}
    assert scores["responses"] == 3 and by_key["overall"]["percentage"] == 80.0
    assert round(by_key["recommend"]["percentage"], 2) == 33.33 and by_key["recommend"]["distribution"] == {
        "yes": 1,
        "no": 2,
    }
    first = client.post(f"/surveys/{running}/evaluate", headers=headers["sg"]).json()["opened"]
    assert [c["source_ref"] for c in first] == [f"surveys:{running}:question:recommend:below_threshold"]
    assert client.post(f"/surveys/{running}/evaluate", headers=headers["sg"]).json()["opened"] == []
    app.state.complaints.catch_up()
    # The two who would not recommend (50%) were complaints naming them; the question one for the survey.
    refs = sorted(c["source_ref"] for c in sent)
    assert refs == sorted(
        [
            f"surveys:{running}:member:12-2:dissatisfied",
            f"surveys:{running}:member:12-3:dissatisfied",
            f"surveys:{running}:question:recommend:below_threshold",
        ]
    )
