"""The staff's own choices from the console's topic: which optional messages each person gets and by which
channel, over the organisation file's defaults; the account's address and language over the file's."""

from __future__ import annotations

import uuid

import pytest

from services.notifications.application import Notifier
from shared.settings import NotificationSettings
from tests.notifications.helpers import Recorder, complaint_received, event


@pytest.fixture
def channels():
    return {"email": Recorder(), "sms": Recorder()}


@pytest.fixture
def notifier(settings, clock, channels) -> Notifier:
    return Notifier(organisation=settings.organisation, clock=clock, channels=channels, config=NotificationSettings())


def account(name: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"user:{name}"))


def added(name: str, email: str | None = None, phone: str | None = None, language: str = "fa"):
    data = {"name": name, "roles": ["sg"], "unit": None, "language": language, "email": email, "phone": phone}
    data |= {"password_set": True, "by": "operator", "at": "2026-11-21T07:00:00+00:00"}
    return event("crm.console.user.added.v1", data, account(name), 1)


def chosen(name: str, sequence: int, **choices: str):
    data = {"choices": choices, "by": name, "at": "2026-11-21T07:00:00+00:00"}
    return event("crm.console.user.notifications_chosen.v1", data, account(name), sequence)


def ratio_report():
    figures = {"total": {"registrations": 3, "raised": 3, "solved": 2, "ratio": 66.7}}
    data = {"period": "weekly", "start": "2026-11-14", "end": "2026-11-20", "figures": figures}
    return event("crm.desks.ratio_report.issued.v1", data)


def test_a_recipient_who_turned_the_reports_off_gets_none_and_one_who_chose_sms_gets_an_sms(
    notifier, channels, clock
) -> None:
    notifier.take([added("secretary_general", phone="+989121110000"), added("president")])
    notifier.take([chosen("secretary_general", 2, weekly_reports="sms"), chosen("president", 2, weekly_reports="none")])
    assert notifier.take([ratio_report()]) == 1
    notifier.dispatch(clock())
    [sms] = channels["sms"].sent
    assert sms.to == "+989121110000" and channels["email"].sent == []


def test_without_a_choice_the_reports_go_by_mail_as_before(notifier, channels, clock) -> None:
    notifier.take([added("secretary_general")])  # an account that never chose: the organisation file decides
    assert notifier.take([ratio_report()]) == 2
    notifier.dispatch(clock())
    assert sorted(m.to for m in channels["email"].sent) == ["president@example.org", "sg@example.org"]


def test_a_complaint_handed_to_a_person_is_told_only_to_one_who_asked(notifier, channels, clock) -> None:
    complaint = str(uuid.uuid4())

    def assigned(handler: str, sequence: int):
        data = {"handler": handler, "handler_kind": "person", "handler_units": [], "round": 1}
        data |= {"eligibility": "eligible", "stakeholders": {}, "reassigned_from": None, "by": "m.karimi"}
        return event("crm.complaints.complaint.handler_assigned.v1", data, complaint, sequence)

    notifier.take([complaint_received(complaint), added("p.mohammadi", email="p.m@example.org", language="tr")])
    assert notifier.take([assigned("p.mohammadi", 3)]) == 0  # never asked for it
    notifier.take([chosen("p.mohammadi", 2, complaint_step="email")])
    assert notifier.take([assigned("p.mohammadi", 4)]) == 1
    notifier.dispatch(clock())
    [mail] = channels["email"].sent
    assert mail.to == "p.m@example.org" and "C-1405-0007" in mail.subject and "şikâyet" in mail.body


def test_a_replayed_or_stale_choice_is_not_applied_over_a_newer_one(notifier) -> None:
    notifier.take(
        [added("s.ahmadi"), chosen("s.ahmadi", 2, queue_item="none"), chosen("s.ahmadi", 3, queue_item="sms")]
    )
    notifier.take([chosen("s.ahmadi", 2, queue_item="none")])  # the older event again
    assert notifier.choices.choice("s.ahmadi", "queue_item") == "sms"
