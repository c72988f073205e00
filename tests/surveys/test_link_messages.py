"""The one-time survey links are sent: issuing them records one `link_issued` event per member (no secret in it),
the notifications service turns each into an e-mail or SMS in the member's language and reads the URL from the
surveys service's internal door when it sends it. Both services are the real ones; only the mail and SMS channels
are recorders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from services.notifications.main import create_app as notifications_app
from services.notifications.survey_links import SurveyLinks
from services.surveys.domain import contact_id
from shared.auth import Role
from shared.envelope import CloudEvent
from shared.relay import EnvelopeMapper
from tests.notifications.helpers import Recorder
from tests.surveys.conftest import member_event
from tests.surveys.test_online_link import FORM

LINK_ISSUED = "crm.surveys.survey.link_issued.v1"


def members() -> list[CloudEvent]:
    phone = [{"phones": [{"e164": "+989131234567"}]}]
    return [
        member_event("m-1", "12-1", name="Reza Karimi", email="reza@example.org", preferred_language="fa"),
        member_event("m-2", "12-2", name="Ayşe Demir", contacts=phone, preferred_language="tr"),
    ]


@pytest.fixture
def running(app, client, headers, project) -> str:
    app.state.roster.apply(members())
    client.post(f"/surveys/{project}/members", json={"numbers": ["12-1", "12-2"]}, headers=headers["unit_manager"])
    client.post(f"/surveys/{project}/members/approve", headers=headers["mr_manager"])
    assert client.post(f"/surveys/{project}/start", headers=headers["mr_manager"]).status_code == 200
    return project


@pytest.fixture
def channels() -> dict[str, Recorder]:
    return {"email": Recorder(), "sms": Recorder()}


@pytest.fixture
def notifications(settings, clock, client, token_store, channels) -> Iterator[TestClient]:
    token = token_store.create("notifications-service", Role.SERVICE)
    app = notifications_app(
        settings, clock=clock, relay=False, channels=channels, survey_links=SurveyLinks(client, token)
    )
    with TestClient(app) as notifications:
        yield notifications


def published(application) -> list[CloudEvent]:
    """Every event of a service's store as its relay publishes it."""
    mapper = EnvelopeMapper(application)
    return [mapper(n) for n in application.recorder.select_notifications(1, 10000)]


def surveys_events(app) -> list[CloudEvent]:
    return published(app.state.office)


def test_each_member_gets_the_link_in_his_or_her_language_and_the_secret_is_on_no_stream(
    app, client, headers, running, notifications, channels
) -> None:
    issued = client.post(f"/surveys/{running}/links", headers=headers["mr_manager"]).json()
    urls = {x["membership_number"]: x["url"] for x in issued}
    events = surveys_events(app)
    links = [e for e in events if e.type == LINK_ISSUED]
    assert {e.data["membership_number"] for e in links} == {"12-1", "12-2"}
    assert {e.data["member_id"] for e in links} == {"m-1", "m-2"}
    assert all(e.data["survey_id"] == running and len(e.data["link_id"]) == 32 for e in links)
    secrets = [url.rsplit(".", 1)[1] for url in urls.values()]
    assert not any(secret in str(e.data) for e in events for secret in secrets)

    notifier = notifications.app.state.notifier
    assert notifier.take([*members(), *events]) == 2
    assert notifier.dispatch() == {"delivered": 2, "retrying": 0, "failed": 0}
    (mail,) = channels["email"].sent
    (sms,) = channels["sms"].sent
    assert mail.to == "reza@example.org" and urls["12-1"] in mail.body and "پیوند شخصی شما" in mail.body
    assert "Card renewal desk" in mail.subject
    assert sms.to == "+989131234567" and urls["12-2"] in sms.body and "bağlantınız" in sms.body
    assert client.get("/s/" + sms.body.rsplit("/s/", 1)[1].split()[0]).status_code == 200  # the link sent works
    # The notifications' own store keeps the message without the secret.
    stored = [str(e.data) for e in published(notifier)]
    assert len(stored) == 6 and not any(secret in data for data in stored for secret in secrets)

    # Issued again: the same links, no new event, no second message.
    client.post(f"/surveys/{running}/links", headers=headers["mr_manager"])
    again = [e for e in surveys_events(app) if e.type == LINK_ISSUED]
    assert len(again) == 2
    assert notifier.take(surveys_events(app)) == 0
    assert notifier.dispatch() == {"delivered": 0, "retrying": 0, "failed": 0}


def test_a_link_answered_before_it_is_sent_is_withdrawn_and_a_surveys_outage_is_retried(
    app, client, headers, running, notifications, channels, clock
) -> None:
    issued = {
        x["membership_number"]: x["url"]
        for x in client.post(f"/surveys/{running}/links", headers=headers["mr_manager"]).json()
    }
    notifier = notifications.app.state.notifier
    notifier.take([*members(), *surveys_events(app)])
    path = "/s/" + issued["12-1"].rsplit("/s/", 1)[1]
    assert client.post(path, content="overall=4", headers=FORM).status_code == 200
    token = notifier.survey_links.token
    notifier.survey_links.token = None  # the surveys door cannot be used now
    assert notifier.dispatch() == {"delivered": 0, "retrying": 2, "failed": 0}
    notifier.survey_links.token = token
    later = clock() + timedelta(hours=1)
    assert notifier.dispatch(later) == {"delivered": 1, "retrying": 0, "failed": 0}
    (withdrawn,) = notifier.search(status="cancelled")[0]
    assert withdrawn["recipient"] == "12-1" and "answered" in withdrawn["last_error"]
    assert channels["email"].sent == [] and len(channels["sms"].sent) == 1


def test_the_internal_door_is_for_services_only_and_unknown_links_are_404(client, headers, running) -> None:
    client.post(f"/surveys/{running}/links", headers=headers["mr_manager"])
    assert client.get("/internal/surveys/links/" + "0" * 32, headers=headers["service"]).status_code == 404
    assert client.get("/internal/surveys/links/" + "0" * 32, headers=headers["mr_manager"]).status_code == 403


def test_members_declined_or_not_reached_get_no_link_and_the_door_names_the_outcome(
    client, headers, running, clock
) -> None:
    issued = client.post(f"/surveys/{running}/links", headers=headers["mr_manager"]).json()
    assert {x["membership_number"] for x in issued} == {"12-1", "12-2"}

    def attempt(number: str, outcome: str) -> None:
        r = client.post(
            f"/surveys/{running}/contacts/{number}/attempts",
            json={"line": "fixed", "outcome": outcome},
            headers=headers["expert"],
        )
        assert r.status_code == 200, r.text

    def door(number: str) -> str:
        link_id = contact_id(running, number).hex
        r = client.get(f"/internal/surveys/links/{link_id}", headers=headers["service"])
        assert r.status_code == 200, r.text
        return r.json()["state"]

    attempt("12-1", "declined")
    assert door("12-1") == "declined" and door("12-2") == "open"
    assert [
        x["membership_number"] for x in client.post(f"/surveys/{running}/links", headers=headers["mr_manager"]).json()
    ] == ["12-2"]

    for _ in range(2):  # a project survey's required attempts, a working day apart
        attempt("12-2", "no_answer")
        clock.advance(days=7)
    gave_up = client.post(f"/surveys/{running}/contacts/12-2/not-reached", headers=headers["expert"])
    assert gave_up.status_code == 200 and gave_up.json()["status"] == "not_reached"
    assert door("12-2") == "not_reached" and door("12-1") == "declined"
    assert client.post(f"/surveys/{running}/links", headers=headers["mr_manager"]).json() == []
