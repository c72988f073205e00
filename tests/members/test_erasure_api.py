"""An operator erases a member at the person's request over the API: every read shows the person as erased, the
record and its counts stay, and the erasure is final."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shared.privacy import ERASED
from tests.helpers import assert_problem
from tests.members.test_api import app, members, register  # noqa: F401 - fixtures and builders


def test_an_operator_erases_a_member_and_every_read_shows_the_person_erased(client: TestClient, tokens) -> None:
    register(client, tokens)
    index = client.app.state.index  # the search index follows the store: caught up here, not waited for
    index.catch_up()
    before = client.get("/members", headers=tokens["admin"])
    assert before.headers["x-total-count"] == "1"
    assert client.get("/lookup/phone/09131234567", headers=tokens["telephony"]).status_code == 200

    response = client.post("/members/1001/erasure", json={"reason": "written request"}, headers=tokens["admin"])
    assert response.status_code == 200, response.text
    erased = response.json()
    assert (erased["name"], erased["contacts"], erased["email"], erased["address"]) == (ERASED, [], ERASED, ERASED)
    assert erased["erased_at"] is not None and erased["status"] == "active"
    assert erased["trade_group"] == "فرش و صنایع دستی"  # what describes the business, not the person, stays

    assert client.get("/members/1001", headers=tokens["sg"]).json()["name"] == ERASED
    index.catch_up()
    assert client.get("/members", params={"name": "فرش دستباف"}, headers=tokens["sg"]).json() == []
    counted = client.get("/members", headers=tokens["sg"])
    assert counted.headers["x-total-count"] == "1"  # counts are unchanged
    assert_problem(client.get("/lookup/phone/09131234567", headers=tokens["telephony"]), 404, "no active member")
    history = client.get("/members/1001/history", headers=tokens["auditor"]).json()
    assert history[-1]["type"] == "crm.members.member.erased.v1"
    assert history[-1]["data"]["reason"] == "written request"
    assert history[0]["data"]["name"] == ERASED  # the registration is kept, its personal data unreadable

    again = client.post("/members/1001/erasure", json={"reason": "twice"}, headers=tokens["admin"])
    assert_problem(again, 409, "already erased")
    update = client.patch("/members/1001", json={"name": "new name"}, headers=tokens["admin"])
    assert_problem(update, 409, "was erased")


def test_an_erasure_needs_a_reason_and_an_existing_member(client: TestClient, tokens) -> None:
    register(client, tokens)
    assert_problem(client.post("/members/1001/erasure", json={}, headers=tokens["admin"]), 422, "reason")
    assert_problem(client.post("/members/1001/erasure", json={"reason": ""}, headers=tokens["admin"]), 422, "reason")
    assert_problem(
        client.post("/members/4040/erasure", json={"reason": "request"}, headers=tokens["admin"]), 404, "4040"
    )
    assert client.get("/members/1001", headers=tokens["admin"]).json()["name"] != ERASED  # nothing was lost
