"""A problem raised at a specialised session is stored sealed: under the key of the member who raised it (erasing
the member makes it read [erased], the problem and its complaint staying), otherwise under a key of its own."""

from __future__ import annotations

import uuid
from typing import Any

from services.desks.privacy import session_problem_subject
from shared.privacy import ERASED, is_sealed
from shared.privacy_subjects import member_subject
from tests.desks.test_api import post
from tests.desks.test_sessions import STARTS, ratified
from tests.helpers import as_stored


def _stored_problems(office, session: str) -> list[dict[str, Any]]:
    return as_stored(office, uuid.UUID(session), topic="Session.ProblemRaised")


def test_a_session_problem_is_sealed_with_the_members_key_and_erased_with_the_member(
    client, headers, clock, app, complaints_door
) -> None:
    session = ratified(client, headers)
    clock.now = STARTS
    post(client, headers, "expert", f"/sessions/{session}/attendance", {"attended": ["M-1", "M-3"]})
    mine = {"text": "certificates of origin take two weeks", "about_chamber_service": True, "member_id": "M-1"}
    theirs = {"text": "refund delays at customs", "about_chamber_service": False}
    first = post(client, headers, "expert", f"/sessions/{session}/problems", mine, 201)
    second = post(client, headers, "expert", f"/sessions/{session}/problems", theirs, 201)
    assert (first["text"], second["text"]) == (mine["text"], theirs["text"])

    office = app.state.office
    stored = {p["number"]: p for p in _stored_problems(office, session)}
    assert all(is_sealed(p["text"]) for p in stored.values())
    assert stored[first["number"]]["text"]["of"] == member_subject("M-1")
    assert stored[second["number"]]["text"]["of"] == session_problem_subject(session, second["number"])
    assert "certificates" not in str(stored) and "customs" not in str(stored)

    app.state.outbox.follower.catch_up()  # the complaint is asked for with the problem opened
    ref = f"session:{session}:problem:{first['number']}"
    assert mine["text"] in complaints_door.opened[ref]["description"]

    office.sealer.keys.delete(member_subject("M-1"))  # what erasing the member does first
    office.forget_cached_desks()
    problems = {p["number"]: p for p in office.session_record(session)["problems"]}
    assert len(problems) == 2  # the problems stay, and count
    assert problems[first["number"]]["text"] == ERASED
    assert problems[second["number"]]["text"] == theirs["text"]
