"""An answer by phone, the experts' busiest request: its access check, the survey it names and the member it is for
are checked as for any step, the member held by another expert is refused, and the survey's version is read from
the store once per answer."""

from __future__ import annotations

import threading
import uuid

import pytest

from shared.auth import Role
from tests.helpers import assert_problem

BODY = {"line": "fixed", "answers": {"overall": 4, "recommend": True}}


@pytest.fixture
def running(client, headers, project) -> str:
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    assert client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]).status_code == 200
    return project


def test_an_expert_of_another_unit_is_refused_and_nothing_is_recorded(client, headers, token_store, running):
    other = {"Authorization": f"Bearer {token_store.create('a.karimi', Role.EXPERT, 'trade')}"}
    r = client.post(f"/surveys/{running}/contacts/12-1/response", json=BODY, headers=other)
    assert_problem(r, 403, "only the staff of the unit that runs the survey (member_relations)")
    contact = client.get(f"/surveys/{running}/contacts/12-1", headers=headers["expert"]).json()
    assert contact["status"] == "pending" and contact["answers"] is None


def test_an_unknown_survey_or_a_member_not_asked_is_404_and_the_holder_s_member_409(
    client, headers, token_store, running
):
    r = client.post(f"/surveys/{uuid.uuid4()}/contacts/12-1/response", json=BODY, headers=headers["expert"])
    assert_problem(r, 404, "no survey")
    r = client.post(f"/surveys/{running}/contacts/99-9/response", json=BODY, headers=headers["expert"])
    assert_problem(r, 404, "not on this survey's list")
    held = client.post(f"/surveys/{running}/call-list/next", headers=headers["expert"]).json()["membership_number"]
    second = {"Authorization": f"Bearer {token_store.create('n.jafari', Role.EXPERT, 'member_relations')}"}
    r = client.post(f"/surveys/{running}/contacts/{held}/response", json=BODY, headers=second)
    assert_problem(r, 409, "is calling this member")


def test_an_answer_reads_the_store_in_one_transaction_and_a_second_answer_is_refused(
    app, client, headers, running, monkeypatch
):
    """The survey's version and the member's contact are read together: one read transaction and the save's write
    transaction per answer (the first answer of a survey loads its view once more)."""
    datastore = app.state.office.recorder.datastore
    opened: list[bool] = []
    transaction = datastore.transaction

    def counted(*, commit: bool):
        if threading.current_thread().name.startswith("survey-answers"):  # the answer's own, not the followers'
            opened.append(commit)
        return transaction(commit=commit)

    monkeypatch.setattr(datastore, "transaction", counted)
    app.state.office.survey_view(running)  # the view as the start left it, kept between answers
    r = client.post(f"/surveys/{running}/contacts/12-1/response", json=BODY, headers=headers["expert"])
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "responded" and r.json()["answers"] == BODY["answers"]
    assert opened == [False, True]
    again = client.post(f"/surveys/{running}/contacts/12-1/response", json=BODY, headers=headers["expert"])
    assert_problem(again, 409)
    assert opened == [False, True, False]  # refused from what the one read found: nothing written
    other = client.post(f"/surveys/{running}/contacts/12-2/response", json=BODY, headers=headers["expert"])
    assert other.status_code == 200 and other.json()["membership_number"] == "12-2"
    assert opened == [False, True, False, False, True]


def test_an_answer_after_the_survey_closed_is_refused(client, headers, running):
    assert client.post(f"/surveys/{running}/close", headers=headers["mr_manager"]).status_code == 200
    r = client.post(f"/surveys/{running}/contacts/12-2/response", json=BODY, headers=headers["expert"])
    assert_problem(r, 409, "members are asked only while it runs")
