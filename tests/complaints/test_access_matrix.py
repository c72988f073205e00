"""Every role against every endpoint of the complaints service, on a complaint that member relations registered and
the SG assigned to the trade unit. Allowed means the role got past the access rules: a 404 for a complaint the
caller may not know exists (other_manager, committee) counts, as do 409 and 422 behind the rules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.complaints.main import create_app
from tests.access_matrix import DOC_ROUTES, EVERYONE, check_row, every_role, fill, routes_of, row
from tests.complaints.test_api import CONFIG, complaint_body

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
VIEWERS = {
    "expert",
    "trade_expert",
    "unit_manager",
    "other_manager",
    "mr_manager",
    "sg",
    "auditor",
    "admin",
    "committee",
}
STAFF = {"expert", "trade_expert", "unit_manager", "other_manager", "mr_manager", "sg"}
MR_MANAGER = {"mr_manager"}
SG = {"sg"}
C = "/complaints/{complaint_id}"

MATRIX = {
    ("GET", "/health"): row(EVERYONE),
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("GET", "/audit/events"): row({"auditor", "admin"}),
    ("POST", "/public/complaints"): row(EVERYONE, json={}),  # the website form: anyone, with abuse limits
    ("POST", "/public/complaints/track"): row(EVERYONE, json={}),  # the reference and the secret are the key
    ("GET", "/public/complaints/track/page"): row(EVERYONE),  # the complainant's page: no login
    ("POST", "/public/complaints/track/page"): row(
        EVERYONE,
        content=b"reference=C-AAAA-AAAA&secret=x",
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    ),
    ("POST", "/internal/complaints"): row({"service", "admin"}, json={}),
    ("POST", "/internal/complaints/deadline-check"): row({"service", "admin"}),
    ("POST", "/complaints"): row({"expert", "mr_manager"}, json=complaint_body()),
    ("GET", "/complaints"): row(VIEWERS),
    ("GET", "/complaints/export"): row(VIEWERS),
    ("GET", "/complaints/waiting-on-me"): row(STAFF | {"committee"}),
    ("GET", C): row(VIEWERS),
    ("GET", C + "/form"): row(VIEWERS),
    ("GET", C + "/form/print"): row(VIEWERS),
    ("GET", C + "/form/pdf"): row(VIEWERS),
    ("GET", C + "/history"): row({"auditor", "mr_manager", "sg"}),
    ("POST", C + "/acknowledge"): row({"expert", "mr_manager"}, json={"method": "phone"}),
    ("POST", C + "/information"): row(MR_MANAGER, json={}),
    ("POST", C + "/stakeholders"): row({"mr_manager", "sg"}, json={}),
    ("POST", C + "/assessment"): row({"mr_manager", "sg"}, json={}),
    ("POST", C + "/review-complete"): row(MR_MANAGER),
    ("POST", C + "/refer"): row(MR_MANAGER),
    ("POST", C + "/assign"): row(SG, json={}),
    # the handler is the trade unit: its manager files the report; other_manager may not know the complaint (404)
    ("POST", C + "/investigation"): row({"unit_manager", "other_manager"}, json={}),
    ("POST", C + "/decision"): row(SG, json={}),
    ("POST", C + "/committee"): row({"mr_manager", "sg"}, json={}),  # the member-relations manager arranges it
    ("POST", C + "/committee/not-needed"): row(SG),
    # no committee convened yet: committee-1 and other_manager may not know the complaint (404); the member-relations
    # manager who arranges the meeting and the SG record its minutes
    ("POST", C + "/committee/decision"): row({"sg", "mr_manager", "committee", "other_manager"}, json={}),
    ("POST", C + "/corrective-actions/{action_id}/done"): row(STAFF | {"committee"}),
    ("POST", C + "/notify"): row(MR_MANAGER, json={}),
    ("POST", C + "/close"): row(MR_MANAGER),
    ("POST", C + "/satisfaction"): row(MR_MANAGER, json={}),
    ("POST", C + "/reopen"): row(MR_MANAGER, json={}),
    ("POST", C + "/confidentiality"): row({"mr_manager", "sg"}, json={}),
    ("POST", C + "/complainant-erasure"): row({"admin"}, json={}),
    ("POST", C + "/documents"): row(STAFF, content=PDF, headers={"Content-Type": "application/pdf"}),
    ("GET", C + "/documents/{sha256}"): row(VIEWERS),
    # the six-monthly report: a member-relations expert prepares, the manager sends, the meeting is his or the SG's
    ("POST", "/complaint-reports/{period}"): row({"expert"}, json={}),
    ("GET", "/complaint-reports/{period}"): row({"expert", "mr_manager", "sg", "auditor"}),
    ("POST", "/complaint-reports/{period}/sent"): row(MR_MANAGER),
    ("POST", "/complaint-reports/{period}/review-meeting"): row({"mr_manager", "sg"}, json={}),
    **{route: row(EVERYONE) for route in DOC_ROUTES},
}


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False, config=CONFIG)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app) as client:
        yield client


@pytest.fixture
def assigned_to_trade(client: TestClient, tokens) -> str:
    response = client.post("/complaints", json=complaint_body(), headers=tokens["expert"])
    assert response.status_code == 201, response.text
    cid = response.json()["id"]
    for path, by, body in [
        ("acknowledge", "expert", {"method": "phone"}),
        ("stakeholders", "mr_manager", {"units": ["membership"]}),
        ("review-complete", "mr_manager", None),
        ("refer", "mr_manager", None),
        ("assign", "sg", {"handler_kind": "unit", "handler": "trade"}),
    ]:
        response = client.post(f"/complaints/{cid}/{path}", json=body, headers=tokens[by])
        assert response.status_code == 200, (path, response.text)
    return cid


def test_every_endpoint_of_the_app_has_a_row_in_the_table(app: FastAPI) -> None:
    assert routes_of(app) == set(MATRIX)


@pytest.mark.parametrize(("method", "path"), sorted(MATRIX))
def test_each_role_is_allowed_or_forbidden_as_the_table_says(
    client, tokens, token_store, assigned_to_trade, method, path
) -> None:
    values = {"complaint_id": assigned_to_trade, "action_id": "ca-1", "sha256": "0" * 64, "period": "1405-H1"}
    check_row(client, every_role(tokens, token_store), method, fill(path, values), MATRIX[(method, path)])
