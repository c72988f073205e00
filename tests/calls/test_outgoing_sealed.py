"""An outgoing call's dialled number is the called person's: sealed with their key (the member's when it is a
member's number), so erasing the number or the member makes it unreadable; an incoming call's dialled number is the
chamber's own line and stays plain."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi.testclient import TestClient

from shared.privacy import ERASED, is_sealed
from shared.privacy_subjects import member_subject
from tests.calls.test_api import app  # noqa: F401 - fixture
from tests.helpers import as_stored


def stored_received(client: TestClient, call_id: str) -> dict[str, Any]:
    """The call's first event as stored, before any opening."""
    return as_stored(client.app.state.centre, uuid.UUID(call_id), lte=1)[0]


def call(client: TestClient, tokens, **body: Any) -> str:
    response = client.post("/calls", json=body, headers=tokens["expert"])
    assert response.status_code == 201, response.text
    return response.json()["id"]


def test_an_outgoing_calls_dialled_number_is_sealed_and_erased_with_the_number(client: TestClient, tokens) -> None:
    out = call(client, tokens, direction="outgoing", callee="0912 111 2233", purpose="survey")
    incoming = call(client, tokens, caller="09351239876", callee="03136645000", unit="trade")
    stored = stored_received(client, out)
    assert is_sealed(stored["callee"]) and stored["callee"]["of"] == client.app.state.centre.callers.subject(
        "+989121112233"
    )
    assert "9121112233" not in str(stored)
    assert stored_received(client, incoming)["callee"] == "03136645000"  # the chamber's line
    assert client.get(f"/calls/{out}", headers=tokens["auditor"]).json()["callee"] == "0912 111 2233"

    erased = client.post(
        "/callers/erasure", json={"number": "09121112233", "reason": "request"}, headers=tokens["admin"]
    )
    assert erased.status_code == 200, erased.text
    assert client.get(f"/calls/{out}", headers=tokens["auditor"]).json()["callee"] == ERASED
    assert client.get(f"/calls/{incoming}", headers=tokens["auditor"]).json()["callee"] == "03136645000"


def test_an_outgoing_call_to_a_members_number_is_sealed_with_the_members_key(client: TestClient, tokens) -> None:
    centre = client.app.state.centre
    centre.member_lookup = lambda number: "1001" if number == "+989131234567" else None
    out = call(client, tokens, direction="outgoing", callee="09131234567", purpose="survey")
    stored = stored_received(client, out)
    assert stored["member_id"] == "1001"
    assert stored["callee"]["of"] == member_subject("1001")
    assert centre.sealer.keys.delete(member_subject("1001"))  # what the members service does when it erases them
    centre.forget_cached_calls()
    assert client.get(f"/calls/{out}", headers=tokens["auditor"]).json()["callee"] == ERASED
