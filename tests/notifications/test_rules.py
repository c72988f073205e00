"""Which event asks for which message, to whom, in which language, by which channel; and the same event twice
asks for nothing more."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from services.notifications.application import Notifier
from services.notifications.domain import backoff_delay
from shared.settings import NotificationSettings
from tests.notifications.helpers import Recorder, complaint_received, end_of_day, event


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
        config=NotificationSettings(backoff_first_seconds=60, backoff_max_seconds=600, max_attempts=4),
    )


def test_end_of_day_list_goes_to_the_unit_manager_in_his_language(notifier, channels, clock):
    assert notifier.take([end_of_day("trade", "f.alavi", n=2)]) == 1
    assert notifier.dispatch(clock()) == {"delivered": 1, "retrying": 0, "failed": 0}
    [mail] = channels["email"].sent
    assert mail.to == "f.alavi@example.org"
    assert mail.subject == "فهرست پایان روز 1405/08/30: 2 تماس بی‌پاسخ در امور بازرگانی"
    assert "Caller 0 (+989131234560): Export licence" in mail.body and "Caller 1" in mail.body


def test_a_manager_whose_language_is_english_reads_english(notifier, channels, clock):
    notifier.take([end_of_day("international", "l.nazari", n=1)])
    notifier.dispatch(clock())
    [mail] = channels["email"].sent
    assert mail.subject == "End-of-day list 2026-11-21: 1 unanswered call(s) in International affairs"


def test_a_list_without_a_manager_asks_for_nothing(notifier):
    assert notifier.take([end_of_day("trade", None)]) == 0


def test_a_manager_without_an_address_is_recorded_as_failed_not_retried(notifier, clock):
    notifier.take([end_of_day("trade", "nobody.known")])
    assert notifier.dispatch(clock()) == {"delivered": 0, "retrying": 0, "failed": 1}
    [row], _ = notifier.search()
    assert row["status"] == "failed" and "no email address known for nobody.known" in row["last_error"]


def test_a_replayed_event_never_sends_twice(notifier, channels, clock):
    produced = end_of_day()
    assert notifier.take([produced]) == 1
    notifier.dispatch(clock())
    assert notifier.take([produced, produced]) == 0
    clock.advance(hours=1)
    notifier.dispatch(clock())
    assert len(channels["email"].sent) == 1
    assert notifier.search()[1] == 1


def test_the_complainant_is_acknowledged_and_told_the_result_by_email(notifier, channels, clock):
    complaint = str(uuid.uuid4())
    notifier.take([complaint_received(complaint)])
    acknowledged = event(
        "crm.complaints.complaint.acknowledged.v1",
        {"by": "z.rahimi", "method": "email", "note": None, "at": "2026-11-21T07:10:00+00:00"},
        complaint,
        2,
    )
    closed = event(
        "crm.complaints.complaint.closed.v1",
        {
            "outcome": "accepted",
            "note": "The unit will call back within a day.",
            "by": "sg",
            "at": "2026-11-28T07:10:00+00:00",
        },
        complaint,
        9,
    )
    assert notifier.take([acknowledged, closed]) == 2
    notifier.dispatch(clock())
    ack, result = sorted(channels["email"].sent, key=lambda m: "result" in m.subject or "نتیجه" in m.subject)
    assert ack.to == result.to == "member@example.org"
    assert "C-1405-0007" in ack.subject
    assert "شکایت شما وارد دانسته شد" in result.body and "The unit will call back within a day." in result.body


def test_a_complainant_known_only_by_phone_gets_an_sms_in_the_members_language(notifier, channels, clock):
    member = str(uuid.uuid4())
    notifier.take(
        [
            event(
                "crm.members.member.registered.v1",
                {
                    "membership_number": "11-2233",
                    "name": "Anka Ltd",
                    "email": None,
                    "preferred_language": "tr",
                    "contacts": [{"phones": [{"e164": "+905321112233"}]}],
                    "status": "active",
                },
                member,
            )
        ]
    )
    complaint = str(uuid.uuid4())
    notifier.take([complaint_received(complaint, email=None, phone="+905321112233", member_number="11-2233")])
    notifier.take(
        [
            event(
                "crm.complaints.complaint.acknowledged.v1",
                {"by": None, "method": "sms", "note": None, "at": "2026-11-21T07:10:00+00:00"},
                complaint,
                2,
            )
        ]
    )
    notifier.dispatch(clock())
    [sms] = channels["sms"].sent
    assert sms.to == "+905321112233"
    assert sms.body == "C-1405-0007 numaralı şikayetiniz kaydedildi; sonuç size bildirilecektir."


def test_an_anonymous_complaint_tells_nobody(notifier):
    complaint = str(uuid.uuid4())
    notifier.take([complaint_received(complaint, email=None, phone=None)])
    ack = event(
        "crm.complaints.complaint.acknowledged.v1", {"by": None, "method": "x", "note": None, "at": "x"}, complaint, 2
    )
    assert notifier.take([ack]) == 0


def test_a_desk_registration_is_confirmed_by_sms_with_the_slot_in_local_time(notifier, channels, clock):
    registered = event(
        "crm.desks.desk.registered.v1",
        {
            "number": "D-7-003",
            "form": "MM-FR-02-05-01",
            "member_id": None,
            "member_name": "Sara Nouri",
            "company": None,
            "phone": "+989121234567",
            "channel": "web",
            "problem": "Customs valuation",
            "documents": [],
            "slot": 3,
            "slot_start": "2026-11-25T06:00:00+00:00",
            "by": None,
            "at": "2026-11-21T07:00:00+00:00",
        },
    )
    notifier.take([registered])
    notifier.dispatch(clock())
    [sms] = channels["sms"].sent
    assert sms.to == "+989121234567" and sms.body.startswith("ثبت‌نام میز خدمت D-7-003؛ نوبت شما ")
    assert "09:30" in sms.body or "۰۹:۳۰" in sms.body  # 06:00 UTC is 09:30 in Tehran


def test_a_desk_registration_of_the_second_version_is_confirmed_in_the_registrants_language(notifier, channels, clock):
    registered = event(
        "crm.desks.desk.registered.v2",
        {
            "number": "4",
            "form": "MM-FR-02-05-01",
            "member_id": None,
            "member_name": "Ayşe Demir",
            "company": None,
            "phone": "+905321234567",
            "language": "tr",
            "channel": "public_page",
            "problem": "Gümrük",
            "documents": [],
            "slot": 0,
            "slot_start": "2026-11-25T06:00:00+00:00",
            "by": None,
            "at": "2026-11-21T07:00:00+00:00",
        },
    )
    notifier.take([registered])
    notifier.dispatch(clock())
    [sms] = channels["sms"].sent
    assert sms.to == "+905321234567" and not sms.body.startswith("ثبت‌نام")  # worded in Turkish, not Persian


def test_a_new_queue_item_mails_only_the_experts_who_asked(notifier, channels, clock):
    def unanswered(expert: str):
        return event(
            "crm.calls.call.unanswered_registered.v1",
            {
                "unit": "trade",
                "expert": expert,
                "contact_phone": "+989131112222",
                "contact_name": None,
                "subject": None,
                "by": None,
                "at": "2026-11-21T07:00:00+00:00",
                "callback_due": "2026-11-22T07:00:00+00:00",
                "automatic": True,
                "pbx_event_id": "x",
            },
        )

    assert notifier.take([unanswered("s.ahmadi"), unanswered("k.rezaei")]) == 1  # only s.ahmadi set queue_mail
    notifier.dispatch(clock())
    [mail] = channels["email"].sent
    assert mail.to == "s.ahmadi@example.org" and "+989131112222" in mail.body


def test_events_of_no_interest_ask_for_nothing(notifier):
    assert notifier.take([event("crm.calls.call.answered.v1", {"expert": "s.ahmadi"})]) == 0


def test_backoff_doubles_and_is_capped():
    assert [backoff_delay(n, 60, 600) for n in (1, 2, 3, 4, 5)] == [
        timedelta(seconds=s) for s in (60, 120, 240, 480, 600)
    ]


def test_a_failing_server_is_retried_with_backoff_then_delivered(settings, clock):
    email = Recorder(failures=2)
    notifier = Notifier(
        organisation=settings.organisation,
        clock=clock,
        channels={"email": email},
        config=NotificationSettings(backoff_first_seconds=60, backoff_max_seconds=600, max_attempts=5),
    )
    notifier.take([end_of_day()])
    start = clock()
    assert notifier.dispatch(start) == {"delivered": 0, "retrying": 1, "failed": 0}
    [row], _ = notifier.search()
    assert row["next_attempt_at"] == start + timedelta(seconds=60) and row["last_error"].startswith("mail server")
    assert notifier.dispatch(start + timedelta(seconds=59)) == {"delivered": 0, "retrying": 0, "failed": 0}
    assert notifier.dispatch(start + timedelta(seconds=60))["retrying"] == 1  # second failure: 120 s more
    assert notifier.dispatch(start + timedelta(seconds=179))["delivered"] == 0
    assert notifier.dispatch(start + timedelta(seconds=180))["delivered"] == 1
    assert email.tries == 3 and len(email.sent) == 1
    [row], _ = notifier.search()
    assert (row["status"], row["attempts"]) == ("delivered", 3)


def test_after_the_last_attempt_the_message_is_failed_for_good(settings, clock):
    email = Recorder(failures=100)
    notifier = Notifier(
        organisation=settings.organisation,
        clock=clock,
        channels={"email": email},
        config=NotificationSettings(backoff_first_seconds=1, backoff_max_seconds=1, max_attempts=3),
    )
    notifier.take([end_of_day()])
    outcomes = [notifier.dispatch(clock.advance(seconds=2)) for _ in range(5)]
    assert [o["failed"] for o in outcomes] == [0, 0, 1, 0, 0]
    assert email.tries == 3


def test_each_step_of_a_message_is_an_event_of_its_own(settings, clock):
    notifier = Notifier(organisation=settings.organisation, clock=clock, channels={"email": Recorder(failures=1)})
    notifier.take([end_of_day()])
    notifier.dispatch(clock())
    notifier.dispatch(clock.advance(hours=1))
    types = [n.topic.rsplit(".", 1)[1] for n in notifier.notification_log.select(start=1, limit=10)]
    assert types == ["Requested", "AttemptStarted", "AttemptFailed", "AttemptStarted", "Delivered"]


def test_a_surveys_weekly_summary_goes_to_the_sg_and_the_president(notifier, channels, clock):
    survey = str(uuid.uuid4())
    requested = event(
        "crm.surveys.survey.requested.v1",
        {
            "kind": "project",
            "subject": "Export fair 1405",
            "unit": "trade",
            "period": None,
            "frequency": None,
            "questionnaire_id": "q",
            "questionnaire_version": 1,
            "by": "m.karimi",
            "at": "2026-11-01T07:00:00+00:00",
        },
        survey,
    )
    summary = event(
        "crm.surveys.survey.weekly_summary_recorded.v1",
        {
            "week_ending": "2026-11-25",
            "figures": {
                "responses": 42,
                "asked": 120,
                "response_rate": 35.0,
                "overall": 81.5,
                "new_complaints": 2,
                "questions": {},
            },
            "at": "2026-11-26T09:00:00+00:00",
        },
        survey,
        7,
    )
    assert notifier.take([requested, summary]) == 2
    notifier.dispatch(clock())
    sent = {m.to: m for m in channels["email"].sent}
    assert set(sent) == {"sg@example.org", "president@example.org"}
    assert sent["sg@example.org"].subject == "نظرسنجی «Export fair 1405»: هفته منتهی به 2026-11-25"
    assert "42 از 120 عضو (35.0٪)" in sent["sg@example.org"].body and "81.5٪" in sent["sg@example.org"].body


def test_the_desks_ratio_report_and_its_revision_go_to_the_sg_and_the_president(notifier, channels, clock):
    report = str(uuid.uuid4())
    total = {"registrations": 9, "raised": 8, "solved": 6, "ratio": 0.75}
    issued = event(
        "crm.desks.ratio_report.issued.v1",
        {
            "period": "month",
            "start": "2026-10-23",
            "end": "2026-11-21",
            "figures": {"total": total},
            "by": None,
            "at": "2026-11-21T13:00:00+00:00",
        },
        report,
    )
    reissued = event(
        "crm.desks.ratio_report.reissued.v1",
        {"figures": {"total": {**total, "solved": 7, "ratio": 0.875}}, "by": None, "at": "2026-11-28T13:00:00+00:00"},
        report,
        2,
    )
    assert notifier.take([issued]) == 2
    assert notifier.take([reissued]) == 2
    notifier.dispatch(clock())
    subjects = sorted(m.subject for m in channels["email"].sent if m.to == "sg@example.org")
    assert subjects == [
        "میزهای خدمت، ماه 2026-10-23 تا 2026-11-21: 6 از 8 مشکل حل شد",
        "میزهای خدمت، ماه 2026-10-23 تا 2026-11-21: 7 از 8 مشکل حل شد (اصلاح‌شده)",
    ]
    body = next(m.body for m in channels["email"].sent if "اصلاح" in m.subject)
    assert "نسبت حل‌شده به مطرح‌شده: 88٪" in body


@pytest.mark.parametrize("language", ["fa", "tr", "en"])
def test_every_kind_has_its_template_in_every_language(language):
    from services.notifications.renderer import TEMPLATES, Renderer

    kinds = {p.name.split(".")[0] for p in TEMPLATES.glob("*.txt")}
    assert kinds == {
        "end_of_day_list",
        "complaint_acknowledged",
        "complaint_closed",
        "desk_registration",
        "queue_item",
        "survey_weekly_summary",
        "desk_ratio_report",
        "complaint_step",
        "desk_reminder",
        "desk_announcement",
        "session_invitation",
        "survey_link",
        "call_centre_report",
    }
    for kind in kinds:
        template = Renderer().env.get_template(f"{kind}.{language}.txt")
        assert set(template.blocks) == {"subject", "body", "sms"}


def test_an_event_its_rule_cannot_read_is_skipped_and_the_next_ones_still_ask(notifier, caplog):
    broken = event("crm.reporting.end_of_day_list.produced.v1", {"manager": "f.alavi"})  # no unit, no day
    assert notifier.take([broken, end_of_day()]) == 1
    assert "skipped crm.reporting.end_of_day_list.produced.v1" in caplog.text


def test_another_source_of_staff_contacts_is_asked_first(settings, clock):
    from services.notifications.contacts import Contact

    class ConsoleUsers:
        def contact_of(self, name: str) -> Contact | None:
            return Contact(name, "falavi@console.example", None, "en") if name == "f.alavi" else None

    email = Recorder()
    notifier = Notifier(
        organisation=settings.organisation, clock=clock, channels={"email": email}, staff=ConsoleUsers()
    )
    notifier.take([end_of_day("trade", "f.alavi"), end_of_day("legal", "d.kazemi")])
    notifier.dispatch(clock())
    assert sorted(m.to for m in email.sent) == ["d.kazemi@example.org", "falavi@console.example"]
