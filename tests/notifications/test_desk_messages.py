"""The desks service's requests to the notification channels: a desk's announcement to a member selection, the slot
reminders on the reminder day, and a specialised session's invitations; each event once, however often replayed."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from services.notifications.application import Notifier
from shared.envelope import CloudEvent
from shared.settings import NotificationSettings
from tests.notifications.helpers import Recorder, desk_planned, desk_registered, event


@pytest.fixture
def channels():
    return {"email": Recorder(), "sms": Recorder()}


@pytest.fixture
def notifier(settings, clock, channels) -> Notifier:
    return Notifier(
        organisation=settings.organisation,
        calendar=settings.business_calendar,
        clock=clock,
        channels=channels,
        config=NotificationSettings(public_base_url="https://crm.chamber.example/"),
    )


def announcement(desk: str, recipients: list[dict[str, Any]]) -> CloudEvent:
    return event(
        "crm.desks.desk.member_announcement_requested.v1",
        {
            "agency": "customs",
            "starts_at": "2026-11-25T05:30:00+00:00",
            "place": "Hall 2",
            "format": "in_person",
            "selection": {"selection_id": "sel-1", "criteria": {"activity": ["import"]}, "taken_at": None},
            "recipients": recipients,
            "message": None,
            "registration_path": f"/public/desks/{desk}",
            "on": "2026-11-21",
            "by": "t.heidari",
            "at": "2026-11-21T07:00:00+00:00",
        },
        desk,
        4,
    )


def reminders_due(desk: str, reminders: list[dict[str, Any]], sequence: int = 9) -> CloudEvent:
    return event(
        "crm.desks.desk.slot_reminders_due.v1",
        {
            "agency": "customs",
            "starts_at": "2026-11-25T05:30:00+00:00",
            "place": "Hall 2",
            "reminders": reminders,
            "at": "2026-11-24T05:00:00+00:00",
        },
        desk,
        sequence,
    )


def reminder(number: str, phone: str | None = "+989121234567", language: str = "fa") -> dict[str, Any]:
    return {
        "number": number,
        "member_id": None,
        "member_name": "Sara Nouri",
        "phone": phone,
        "language": language,
        "slot_start": "2026-11-25T05:30:00+00:00",
        "slot_end": "2026-11-25T05:40:00+00:00",
    }


def test_the_announcement_goes_by_sms_to_each_member_with_a_mobile_in_their_language(notifier, channels, clock):
    desk = str(uuid.uuid4())
    announced = announcement(
        desk,
        [
            {"member_id": "M-1", "name": "Pars Textiles", "phone": "+989121111111", "language": "fa"},
            {"member_id": "M-2", "name": "Anadolu Ltd", "phone": "+905321111111", "language": "tr"},
            {"member_id": "M-3", "name": "Gulf Trading", "phone": "+971501111111", "language": "en"},
            {"member_id": "M-4", "name": "Social only", "phone": None, "language": "fa"},  # no SMS to send
        ],
    )
    assert notifier.take([announced]) == 3
    assert notifier.dispatch(clock()) == {"delivered": 3, "retrying": 0, "failed": 0}
    by_number = {m.to: m.body for m in channels["sms"].sent}
    assert set(by_number) == {"+989121111111", "+905321111111", "+971501111111"}
    link = f"https://crm.chamber.example/public/desks/{desk}"
    assert by_number["+971501111111"].startswith("Service desk with customs: ") and link in by_number["+971501111111"]
    assert by_number["+905321111111"].startswith("customs hizmet masası: ") and "Hall 2" in by_number["+905321111111"]
    assert (
        by_number["+989121111111"].startswith("میز خدمت customs: ") and f"ثبت‌نام: {link}" in by_number["+989121111111"]
    )
    assert not channels["email"].sent
    assert notifier.take([announced, announced]) == 0  # replayed: nothing more
    notifier.dispatch(clock.advance(hours=1))
    assert len(channels["sms"].sent) == 3


def test_slot_reminders_go_when_the_desks_service_asks_and_once_per_registration(notifier, channels, clock):
    desk = str(uuid.uuid4())
    # Registering schedules no reminder of the notifier's own: only the confirmation
    assert notifier.take([desk_planned(desk), desk_registered(desk, "D-1", 2)]) == 1
    notifier.dispatch(clock())
    assert len(channels["sms"].sent) == 1
    notifier.dispatch(clock.advance(days=5))  # the reminder day passes without a reminder of its own
    assert len(channels["sms"].sent) == 1
    due = reminders_due(desk, [reminder("D-1"), reminder("D-2", "+905329999999", "tr")])
    assert notifier.take([due]) == 2
    assert notifier.dispatch(clock()) == {"delivered": 2, "retrying": 0, "failed": 0}
    # Two messages due at the same moment go in no promised order: each is found by its recipient.
    sent = {m.to: m for m in channels["sms"].sent[1:]}
    fa, tr = sent["+989121234567"], sent["+905329999999"]
    assert fa.to == "+989121234567" and fa.body.startswith("یادآوری: نوبت میز خدمت شما") and "Hall 2" in fa.body
    assert tr.to == "+905329999999" and not tr.body.startswith("یادآوری")
    # The event replayed, or asked for again under a new id: the same registrations are not reminded twice
    assert notifier.take([due, reminders_due(desk, [reminder("D-1")], sequence=12)]) == 0
    notifier.dispatch(clock.advance(hours=1))
    assert len(channels["sms"].sent) == 3
    assert {r["kind"] for r in notifier.search()[0]} == {"desk_registration", "desk_reminder"}


def cancelled(desk: str, number: str, sequence: int) -> CloudEvent:
    return event(
        "crm.desks.desk.registration_cancelled.v1",
        {
            "number": number,
            "reason": "member asked",
            "promoted": None,
            "slot": 1,
            "slot_start": "2026-11-25T05:30:00+00:00",
            "by": "t.heidari",
            "at": "2026-11-22T07:00:00+00:00",
        },
        desk,
        sequence,
    )


def test_a_registration_cancelled_before_the_reminder_is_not_reminded(notifier, channels, clock):
    desk = str(uuid.uuid4())
    notifier.take([desk_planned(desk), desk_registered(desk, "D-2", 2), cancelled(desk, "D-2", 3)])
    assert notifier.take([reminders_due(desk, [reminder("D-2"), reminder("D-3", "+989120000003")])]) == 1
    notifier.dispatch(clock())
    assert sorted(m.to for m in channels["sms"].sent) == ["+989120000003", "+989121234567"]  # D-2's confirmation
    assert [r["recipient"] for r in notifier.search(kind="desk_reminder")[0]] == ["D-3"]


def test_a_reminder_not_yet_sent_is_withdrawn_when_its_registration_is_cancelled(notifier, channels, clock):
    desk = str(uuid.uuid4())
    channels["sms"].failures = 1  # the gateway is down: the reminder waits for its retry
    notifier.take([desk_planned(desk), reminders_due(desk, [reminder("D-4")])])
    assert notifier.dispatch(clock())["retrying"] == 1
    notifier.take([cancelled(desk, "D-4", 10)])
    notifier.dispatch(clock.advance(days=1))
    assert channels["sms"].sent == []
    [withdrawn], _ = notifier.search(status="cancelled")
    assert withdrawn["kind"] == "desk_reminder" and "registration_cancelled" in withdrawn["last_error"]


def test_a_reminder_without_a_phone_is_recorded_as_failed_for_the_reminder_call(notifier, clock):
    desk = str(uuid.uuid4())
    notifier.take([reminders_due(desk, [reminder("D-5", phone=None)])])
    assert notifier.dispatch(clock()) == {"delivered": 0, "retrying": 0, "failed": 1}
    [row], _ = notifier.search(status="failed")
    assert row["recipient"] == "D-5" and "no sms address known" in row["last_error"]


def invitations(session: str, invitees: list[dict[str, Any]]) -> CloudEvent:
    return event(
        "crm.desks.session.invitations_requested.v1",
        {
            "trade_group": "textiles",
            "starts_at": "2026-12-02T10:30:00+00:00",
            "place": "Conference room",
            "topics": ["Raw material imports", "Export incentives"],
            "invitees": invitees,
            "at": "2026-11-22T07:00:00+00:00",
        },
        session,
        5,
    )


def test_each_invitee_is_invited_by_email_when_known_else_by_sms_in_their_language(notifier, channels, clock):
    session, known = str(uuid.uuid4()), str(uuid.uuid4())
    notifier.take(
        [
            event(
                "crm.members.member.registered.v1",
                {
                    "membership_number": "11-1",
                    "name": "Pars Textiles",
                    "email": "info@pars.example",
                    "preferred_language": "en",
                    "contacts": [],
                    "status": "active",
                },
                known,
            )
        ]
    )
    requested = invitations(
        session,
        [
            {"member_id": known, "name": "Pars Textiles", "phone": "+989121111111", "language": "en"},
            {"member_id": "M-2", "name": "Anadolu Ltd", "phone": "+905321111111", "language": "tr"},
            {"member_id": "M-3", "name": "Unreachable Co", "phone": None, "language": "fa"},
        ],
    )
    sent = event(  # emitted with the request: it asks for nothing more
        "crm.desks.session.invitations_sent.v1",
        {"on": "2026-11-22", "count": 3, "by": "sg", "at": "2026-11-22T07:00:00+00:00"},
        session,
        6,
    )
    assert notifier.take([requested, sent]) == 3
    assert notifier.dispatch(clock()) == {"delivered": 2, "retrying": 0, "failed": 1}
    [mail] = channels["email"].sent
    assert mail.to == "info@pars.example" and mail.subject.startswith("Invitation: meeting of the textiles trade group")
    assert "- Export incentives" in mail.body and "Conference room" in mail.body
    [sms] = channels["sms"].sent
    assert sms.to == "+905321111111" and sms.body.startswith("Davet: textiles toplantısı")
    [failed], _ = notifier.search(status="failed")
    assert failed["recipient"] == "M-3" and "no email address known" in failed["last_error"]
    assert notifier.take([requested]) == 0  # replayed
    notifier.dispatch(clock.advance(hours=1))
    assert (len(channels["email"].sent), len(channels["sms"].sent)) == (1, 1)
