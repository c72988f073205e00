"""Every role, the member-services roles and the president included, against every endpoint of the desks
service: who gets through (not 401/403) and who is refused."""

from __future__ import annotations

from fastapi import FastAPI

from tests.access_matrix import DOC_ROUTES, ROLES, fill, routes_of, row

DESK_ROLES = (*ROLES, "ms_expert", "ms_manager", "president")
EVERYONE = frozenset((*DESK_ROLES, "anonymous"))
RUNNERS = {"ms_expert", "ms_manager"}
READERS = RUNNERS | {"sg", "president", "auditor"}
PLAN = {
    "agency": "customs",
    "starts_at": "2026-11-25T09:00:00+03:30",
    "place": "hall",
    "format": "in_person",
    "capacity": 2,
}
FORM = "/desks/{desk_id}/registrations/{number}"
# Specialised sessions: member relations run them (its manager and its own experts, not a trade expert).
SESSION_RUNNERS = {"expert", "mr_manager"}
SESSION_READERS = {"expert", "trade_expert", "mr_manager", "sg", "president", "auditor"}

MATRIX = {
    ("GET", "/health"): row(EVERYONE),
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("GET", "/audit/events"): row({"auditor", "admin"}),
    ("POST", "/desks"): row(RUNNERS, json={**PLAN, "capacity": 0}),
    ("GET", "/desks"): row(READERS),
    ("GET", "/desks/{desk_id}"): row(READERS),
    ("GET", "/desks/forms"): row(READERS, params={"member_id": "M-1"}),
    ("GET", "/desks/follow-ups"): row(RUNNERS, params={"overdue": "true"}),
    ("GET", "/desks/reports/ratio"): row(READERS, params={"period": "week"}),
    ("POST", "/desks/reports/ratio"): row(RUNNERS, json={"period": "year"}),
    ("GET", "/desks/{desk_id}/history"): row(READERS),
    ("POST", "/desks/{desk_id}/coordinations"): row(RUNNERS, json={"liaison": "l"}),
    ("POST", "/desks/{desk_id}/approve"): row({"ms_manager"}, json={"bad": 1}),
    ("POST", "/desks/{desk_id}/announcements"): row(RUNNERS, json={"route": "nowhere"}),
    ("POST", "/desks/{desk_id}/announcements/members"): row(RUNNERS, json={"selection_id": "s", "recipients": []}),
    ("POST", "/desks/{desk_id}/registrations"): row(RUNNERS, json={}),
    ("POST", FORM + "/cancel"): row(RUNNERS, json={"bad": 1}),
    ("POST", FORM + "/guide"): row(RUNNERS, json={}),
    ("GET", "/desks/{desk_id}/reminders"): row(RUNNERS),
    ("GET", "/desks/{desk_id}/final-list"): row(READERS),
    ("GET", FORM + "/slot.ics"): row(READERS),
    ("POST", FORM + "/reminder"): row(RUNNERS, json={}),
    ("POST", "/desks/{desk_id}/catering"): row(RUNNERS, json={}),
    ("POST", FORM + "/attendance"): row(RUNNERS, json={}),
    ("POST", FORM + "/decision"): row(RUNNERS, json={}),
    ("POST", "/desks/{desk_id}/minutes/review"): row({"ms_manager"}, json={"bad": 1}),
    ("POST", "/desks/{desk_id}/minutes/send"): row(RUNNERS, json={}),
    ("POST", "/desks/{desk_id}/minutes/archive"): row(RUNNERS, json={"bad": 1}),
    ("POST", FORM + "/follow-up"): row(RUNNERS, json={}),
    ("POST", FORM + "/registrant-erasure"): row({"admin"}, json={}),
    ("POST", "/desks/{desk_id}/checklist"): row(RUNNERS, json={"bad": 1}),
    ("POST", "/internal/desks/deadline-check"): row({"service"}),
    ("POST", "/sessions"): row(SESSION_RUNNERS, json={}),
    ("GET", "/sessions"): row(SESSION_READERS),
    ("GET", "/sessions/{session_id}"): row(SESSION_READERS),
    ("GET", "/sessions/{session_id}/history"): row(SESSION_READERS),
    ("POST", "/sessions/{session_id}/invitees"): row(SESSION_RUNNERS, json={}),
    ("POST", "/sessions/{session_id}/approve"): row({"sg"}, json={"bad": 1}),
    ("POST", "/sessions/{session_id}/ratify"): row({"president"}, json={"bad": 1}),
    ("POST", "/sessions/{session_id}/invitations"): row(SESSION_RUNNERS, json={"bad": 1}),
    ("POST", "/sessions/{session_id}/attendance"): row(SESSION_RUNNERS, json={}),
    ("POST", "/sessions/{session_id}/problems"): row(SESSION_RUNNERS, json={}),
    ("POST", "/sessions/{session_id}/minutes"): row(SESSION_RUNNERS, json={}),
    ("POST", "/sessions/{session_id}/decisions"): row(SESSION_RUNNERS, json={}),
    # Staff of any unit may own a decision; who owns this one is checked against the decision (see test_sessions).
    ("POST", "/sessions/{session_id}/decisions/{number}/done"): row(
        {"expert", "trade_expert", "unit_manager", "other_manager", "mr_manager", "sg", "ms_expert", "ms_manager"},
        json={},
    ),
    # The public registration page needs no login: everyone gets through (the form itself is tested elsewhere).
    ("GET", "/public/desks"): row(EVERYONE),
    ("GET", "/public/desks/{desk_id}"): row(EVERYONE),
    ("POST", "/public/desks/{desk_id}"): row(EVERYONE, content=b"", headers={"Content-Type": "text/plain"}),
    **{route: row(EVERYONE) for route in DOC_ROUTES},
}


def test_every_endpoint_of_the_app_has_a_row_in_the_table(app: FastAPI) -> None:
    assert routes_of(app) == set(MATRIX)


def test_each_role_gets_through_only_where_the_table_allows(client, headers) -> None:
    desk = client.post("/desks", json=PLAN, headers=headers["ms_expert"]).json()["id"]
    session = client.post(
        "/sessions",
        json={"trade_group": "textile", "starts_at": "2026-12-02T10:00:00+03:30", "place": "hall", "topics": ["t"]},
        headers=headers["mr_manager"],
    ).json()["id"]
    values = {"desk_id": desk, "number": "1", "session_id": session}
    wrong = []
    for (method, path), r in MATRIX.items():
        for role in (*DESK_ROLES, "anonymous"):
            sent = {} if role == "anonymous" else headers[role]
            response = client.request(
                method,
                fill(path, values),
                headers={**r.headers, **sent},
                json=r.json,
                params=r.params,
                content=r.content,
            )
            if role in r.allowed:
                ok = response.status_code not in (401, 403)
            else:
                ok = response.status_code == (401 if role == "anonymous" else 403)
            if not ok:
                wrong.append(f"{method} {path} {role}: {response.status_code} {response.text[:120]}")
    assert not wrong, "\n".join(wrong)
