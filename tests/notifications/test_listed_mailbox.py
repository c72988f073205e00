"""The local mailbox over HTTP after an erasure: an end-of-day list sent before a caller on it was erased reads
[erased] in `GET /mailbox/{address}` and its one-mail page (the notifier's message it was sent as is erased), and a
list not naming the caller reads as it was sent."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from services.notifications.application import Notifier
from services.notifications.channels import SmtpChannel
from services.notifications.main import create_app
from shared.privacy import ERASED
from shared.settings import NotificationSettings
from tests.notifications.test_listed_erasure import caller_erased, listing


@pytest.fixture
def app(settings, clock, smtp_port) -> FastAPI:
    channel = SmtpChannel(NotificationSettings(smtp_port=smtp_port))
    return create_app(settings, clock=clock, relay=False, channels={"email": channel})


def test_a_sent_list_naming_an_erased_caller_reads_erased_in_the_mailbox(client, tokens, clock):
    notifier: Notifier = client.app.state.notifier
    theirs = listing("trade", "f.alavi", [("+989131234560", None)])
    other = listing("legal", "d.kazemi", [("+989135550000", None)])
    notifier.take([theirs, other])
    assert notifier.dispatch(clock())["delivered"] == 2
    admin = tokens["admin"]
    box = "/mailbox/f.alavi@example.org"
    before = client.get(box, headers=admin).json()
    assert len(before) == 1 and "Name of +989131234560" in before[0]["body"]

    notifier.take([caller_erased(notifier, "+989131234560")])

    after = client.get(box, headers=admin).json()
    assert [(m["subject"], m["body"]) for m in after] == [(ERASED, ERASED)]
    one = client.get(f"{box}/{after[0]['name']}", headers=admin).json()
    assert (one["subject"], one["body"]) == (ERASED, ERASED)
    page = client.get(f"{box}/{after[0]['name']}", params={"format": "html"}, headers=admin).text
    assert "+989131234560" not in page
    kept = client.get("/mailbox/d.kazemi@example.org", headers=admin).json()
    assert "Name of +989135550000" in kept[0]["body"]
    assert {b["address"]: b["messages"] for b in client.get("/mailbox", headers=admin).json()} == {
        "f.alavi@example.org": 1,
        "d.kazemi@example.org": 1,
    }
