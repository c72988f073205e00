"""Every role against every endpoint of the notifications service, with a message sent and a mail and an SMS in
the local boxes: who gets through (not 401/403) and who is refused. Other people's mail is for the operators, the
auditor, the SG and the member-relations manager; a manager reads only his or her own box."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from services.notifications.main import create_app
from tests.access_matrix import DOC_ROUTES, EVERYONE, check_row, every_role, fill, routes_of, row
from tests.notifications.helpers import Recorder, end_of_day

SEE_ALL = {"admin", "auditor", "sg", "mr_manager"}
STAFF = SEE_ALL | {"expert", "trade_expert", "unit_manager", "other_manager", "committee"}

MATRIX = {
    ("GET", "/health"): row(EVERYONE),
    ("GET", "/metrics"): row({"monitoring", "admin", "auditor"}),
    ("GET", "/audit/events"): row({"auditor", "admin"}),
    ("GET", "/notifications"): row(SEE_ALL),
    ("GET", "/notifications/{message_id}"): row(SEE_ALL),
    ("GET", "/mailbox"): row(STAFF),
    # f.alavi's own box: he (unit_manager) reads it; h.tehrani (other_manager) and the experts do not.
    ("GET", "/mailbox/{address}"): row(SEE_ALL | {"unit_manager"}),
    ("GET", "/mailbox/{address}/{name}"): row(SEE_ALL | {"unit_manager"}),
    ("GET", "/sms-outbox"): row(STAFF),
    ("GET", "/sms-outbox/{number}"): row(SEE_ALL),
    ("GET", "/sms-outbox/{number}/{name}"): row(SEE_ALL),
    **{route: row(EVERYONE) for route in DOC_ROUTES},
}


@pytest.fixture
def app(settings, clock) -> FastAPI:
    return create_app(settings, clock=clock, relay=False, channels={"email": Recorder()})


def test_every_route_is_in_the_matrix(app: FastAPI):
    assert routes_of(app) == set(MATRIX)


def test_every_role_against_every_route(client: TestClient, app: FastAPI, tokens, token_store, settings):
    headers = every_role(tokens, token_store)
    notifier = client.app.state.notifier
    notifier.take([end_of_day()])
    [message], _ = notifier.search()
    box = settings.data_dir / "mailbox" / "f.alavi@example.org"
    box.mkdir(parents=True)
    (box / "20261121T123000-a.eml").write_bytes(
        b"From: crm@x\r\nTo: f.alavi@example.org\r\nSubject: List\r\n\r\nHi\r\n"
    )
    sms = settings.data_dir / "sms" / "+989121234567"
    sms.mkdir(parents=True)
    (sms / "20261121T123000-b.txt").write_text("To: +989121234567\nDate: x\n\nYour turn\n")
    values = {
        "message_id": message["id"],
        "address": "f.alavi@example.org",
        "name": "20261121T123000-a.eml",
        "number": "+989121234567",
    }
    for (method, path), r in MATRIX.items():
        if path.startswith("/sms-outbox/{number}/"):
            values["name"] = "20261121T123000-b.txt"
        check_row(client, headers, method, fill(path, values), r)
