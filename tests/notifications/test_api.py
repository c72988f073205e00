"""The notifications API over HTTP: the messages with their state, the local mailbox as JSON and as a page, the
metrics Prometheus reads; bad input gets problem+json."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from services.notifications.main import create_app
from shared.privacy import is_sealed
from tests.notifications.helpers import Recorder, end_of_day


@pytest.fixture
def email() -> Recorder:
    return Recorder(failures=1)


@pytest.fixture
def app(settings, clock, email) -> FastAPI:
    return create_app(settings, clock=clock, relay=False, channels={"email": email})


def test_messages_are_listed_with_their_state_and_text(client, tokens, clock):
    notifier = client.app.state.notifier
    notifier.take([end_of_day("trade", "f.alavi"), end_of_day("legal", "d.kazemi")])
    notifier.dispatch(clock())  # the first attempt fails: one retrying, one delivered
    page = client.get("/notifications", headers=tokens["sg"]).json()
    assert page["total"] == 2
    assert sorted(m["status"] for m in page["items"]) == ["delivered", "retrying"]
    retrying = client.get("/notifications", params={"status": "retrying"}, headers=tokens["sg"]).json()["items"]
    assert retrying[0]["last_error"] == "mail server unreachable" and retrying[0]["attempts"] == 1
    one = client.get(f"/notifications/{retrying[0]['id']}", headers=tokens["admin"]).json()
    assert "Caller 0" in one["body"]


def test_bad_filters_and_unknown_ids_are_problems(client, tokens):
    r = client.get("/notifications", params={"status": "lost"}, headers=tokens["sg"])
    assert r.status_code == 422 and r.headers["content-type"].startswith("application/problem+json")
    r = client.get("/notifications/00000000-0000-4000-8000-000000000000", headers=tokens["sg"])
    assert r.status_code == 404 and r.headers["content-type"].startswith("application/problem+json")
    r = client.get("/mailbox/nobody@example.org", headers=tokens["sg"])
    assert r.status_code == 404
    r = client.get("/mailbox/..", headers=tokens["sg"])
    assert r.status_code in (403, 404)


def test_the_mailbox_shows_each_box_and_message_as_json_and_as_a_page(client, tokens, settings):
    box = settings.data_dir / "mailbox" / "f.alavi@example.org"
    box.mkdir(parents=True)
    mail = "From: crm@x\r\nTo: f.alavi@example.org\r\nSubject: =?utf-8?b?2YHZh9ix2LPYqg==?=\r\n\r\n<b>Hi</b>\r\n"
    (box / "20261121T123000-a.eml").write_bytes(mail.encode())
    (settings.data_dir / "mailbox" / "h.tehrani@example.org").mkdir()
    assert client.get("/mailbox", headers=tokens["sg"]).json() == [
        {"address": "f.alavi@example.org", "messages": 1},
        {"address": "h.tehrani@example.org", "messages": 0},
    ]
    # A unit manager sees only his own box in the listing.
    assert [b["address"] for b in client.get("/mailbox", headers=tokens["unit_manager"]).json()] == [
        "f.alavi@example.org"
    ]
    [listed] = client.get("/mailbox/f.alavi@example.org", headers=tokens["unit_manager"]).json()
    assert listed["subject"] == "فهرست" and listed["body"].strip() == "<b>Hi</b>"
    page = client.get(
        "/mailbox/f.alavi@example.org/20261121T123000-a.eml", params={"format": "html"}, headers=tokens["sg"]
    )
    assert page.headers["content-type"].startswith("text/html")
    assert "&lt;b&gt;Hi&lt;/b&gt;" in page.text  # the text is shown, never run as HTML


def test_metrics_count_sent_retried_and_queued(client, tokens, clock):
    notifier = client.app.state.notifier
    notifier.take([end_of_day("trade", "f.alavi"), end_of_day("legal", "d.kazemi")])
    notifier.dispatch(clock())
    text = client.get("/metrics", headers=tokens["monitoring"]).text
    for name in (
        "crm_notifications_sent_total",
        "crm_notifications_retried_total",
        "crm_notifications_failed_total",
    ):
        assert f"# TYPE {name} counter" in text
    assert 'crm_notifications_retried_total{channel="email",kind="end_of_day_list"}' in text
    assert "crm_notifications_queued 1.0" in text
    assert 'crm_notifications_messages{state="delivered"} 1.0' in text


def test_the_audit_export_shows_each_message_requested_attempted_and_delivered(client, tokens, clock):
    import json

    notifier = client.app.state.notifier
    notifier.take([end_of_day("trade", "f.alavi")])
    notifier.dispatch(clock())  # fails once (the recorder's first attempt)
    notifier.dispatch(clock.advance(minutes=5))
    lines = [json.loads(line) for line in client.get("/audit/events", headers=tokens["auditor"]).text.splitlines()]
    types = [line["event"]["type"] for line in lines]
    assert types == [
        "crm.notifications.message.requested.v1",
        "crm.notifications.message.attempt_started.v1",  # claimed before it is sent
        "crm.notifications.message.attempt_failed.v1",
        "crm.notifications.message.attempt_started.v1",
        "crm.notifications.message.delivered.v1",
    ]
    # The list names callers: its address, subject and body are sealed under the message's own key, in the store
    # and so in the export (services/notifications/listed.py)
    address = lines[0]["event"]["data"]["address"]
    assert is_sealed(address) and address["of"].startswith("message:")
