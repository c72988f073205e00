"""An operator erases a caller who is not a member over the API, the number in the body: the caller's calls read
[erased], the calls stay, the erasure is recorded naming the caller by the subject only, and it is final."""

from __future__ import annotations

from fastapi.testclient import TestClient

from shared.privacy import ERASED
from tests.calls.test_api import app, new_call  # noqa: F401 - fixture and builder
from tests.helpers import assert_problem, settle

ERASURE = "/callers/erasure"


def test_an_operator_erases_a_caller_by_number_and_the_calls_read_erased(client: TestClient, tokens) -> None:
    mine = new_call(client, tokens, caller="09121112233")["id"]
    other = new_call(client, tokens, caller="09351239876")["id"]

    response = client.post(ERASURE, json={"number": "0912 111 2233", "reason": "request"}, headers=tokens["admin"])
    assert response.status_code == 200, response.text
    assert response.json()["subject"] == client.app.state.centre.callers.subject("+989121112233")
    assert "9121112233" not in response.text

    erased = client.get(f"/calls/{mine}", headers=tokens["auditor"]).json()
    assert (erased["caller"], erased["caller_raw"]) == (ERASED, ERASED)
    assert client.get(f"/calls/{other}", headers=tokens["auditor"]).json()["caller"] == "+989351239876"
    settle(client.app)
    listed = client.get("/calls", params={"unit": "trade"}, headers=tokens["auditor"])
    assert listed.headers["x-total-count"] == "2"  # the calls stay, and count
    lines = client.get("/audit/events", headers=tokens["auditor"]).text.splitlines()
    recorded = [line for line in lines if "crm.calls.caller.erased.v1" in line]
    assert len(recorded) == 1 and '"request"' in recorded[0] and "9121112233" not in recorded[0]

    again = client.post(ERASURE, json={"number": "+989121112233", "reason": "twice"}, headers=tokens["admin"])
    assert_problem(again, 409, "already erased")


def test_an_erasure_needs_a_number_and_a_reason_and_an_operator(client: TestClient, tokens) -> None:
    call = new_call(client, tokens, caller="09121112233")["id"]
    admin = tokens["admin"]
    assert_problem(client.post(ERASURE, json={"number": "not a number", "reason": "x"}, headers=admin), 422, "phone")
    assert_problem(client.post(ERASURE, json={"number": "09121112233", "reason": " "}, headers=admin), 422, "reason")
    assert_problem(client.post(ERASURE, json={"number": "09121112233"}, headers=admin), 422)
    body = {"number": "09121112233", "reason": "request"}
    assert_problem(client.post(ERASURE, json=body, headers=tokens["mr_manager"]), 403)
    assert client.get(f"/calls/{call}", headers=tokens["auditor"]).json()["caller"] == "+989121112233"  # nothing lost
