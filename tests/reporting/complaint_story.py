"""Half a year of complaints at the Isfahan chamber (and a few at a Turkish chamber), run through the complaints
service's real commands in memory with a fake clock; the reporting side reads them as CloudEvents, exactly as
they come back from Kafka (headers and JSON value)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from services.complaints.application import ComplaintDesk
from services.complaints.documents import DocumentStore
from services.complaints.tracking import secret_hash
from services.reporting.complaints import ComplaintReadModel
from shared.calendar import IRAN, TURKEY, BusinessCalendar
from shared.envelope import CloudEvent, from_kafka
from shared.organisation import DEFAULT_ORGANISATION, Organisation
from shared.relay import EnvelopeMapper
from shared.settings import ComplaintSettings

TEHRAN = ZoneInfo("Asia/Tehran")
ISTANBUL = ZoneInfo("Europe/Istanbul")
ORGANISATION = Organisation.load(DEFAULT_ORGANISATION)


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


def istanbul(*args: int) -> datetime:
    return datetime(*args, tzinfo=ISTANBUL)


def envelopes(desk: ComplaintDesk, after: int = 0) -> list[CloudEvent]:
    mapper = EnvelopeMapper(desk)
    return [
        from_kafka(e.headers(), e.value())
        for e in map(mapper, desk.recorder.select_notifications(after, 1000, inclusive_of_start=False))
    ]


def project(model: ComplaintReadModel, events: list[CloudEvent]) -> int:
    """What the reporting ReadModel does with a batch, after its dedupe: one fresh transaction, our apply."""
    with model.engine.begin() as conn:
        return model.apply(conn, events)


@dataclass
class Story:
    desk: ComplaintDesk
    calendar: BusinessCalendar
    ids: dict[str, str]  # letter -> complaint id
    now: datetime  # when the reports are read

    def events(self) -> list[CloudEvent]:
        return envelopes(self.desk)


# The chamber's committee by name; the assistant is left out so that three attendees make the quorum.
COMMITTEE = ComplaintSettings(
    committee_fixed_members=("m.karimi", "sg", "planning.manager"), committee_sg=("sg",), committee_assistant=None
)


def isfahan(clock, tmp_path) -> Story:
    """Seven complaints around the first half of 1405 (21 March to 22 September 2026):

    F  1404/12/03, the year before: referred to the SG and still waiting for a handler (undecided, carried over).
    A  1405/02/05 in person, membership: accepted without the committee, closed, member satisfied (5).
    B  1405/02/12 by phone, trade, CONFIDENTIAL: rejected, closed, member not satisfied (1), reopened (round 2).
    C  1405/02/19 on the website, a suggestion: waits in review, its deadline passed (undecided).
    D  1405/02/26 automatically from a survey, member services: the committee settles it with two corrective
       actions (one done, one overdue), closed, member satisfied (4).
    H  1405/03/16 in person, legal: rejected, closed, member not satisfied (no score).
    E  1405/07/06, the second half: a reported problem just received.
    """
    calendar = BusinessCalendar(IRAN)
    desk = ComplaintDesk(
        organisation=ORGANISATION,
        calendar=calendar,
        clock=clock,
        documents=DocumentStore(tmp_path / "documents"),
        config=COMMITTEE,
    )
    ids: dict[str, str] = {}

    def at(*args: int) -> None:
        clock.now = tehran(*args)

    def register(letter: str, when: tuple[int, ...], **fields) -> str:
        at(*when)
        args = {
            "channel": "in_person",
            "kind": "complaint",
            "by": "z.rahimi",
            "occurred_at": tehran(*when[:3], 8, 0),
            "complainant_name": "علی رضایی",
            "phone": "09131234567",
        }
        args.update(fields)
        ids[letter] = str(desk.register_complaint(**args))
        return ids[letter]

    def to_sg(cid: str, ack: tuple[int, ...], refer: tuple[int, ...]) -> None:
        at(*ack)
        desk.acknowledge_complaint(cid, by="z.rahimi", method="phone")
        at(*refer)
        if not desk.get_complaint(cid).stakeholders_recorded:
            desk.record_stakeholders(cid, by="m.karimi", none=True)
        desk.complete_review(cid, by="m.karimi")
        desk.refer_complaint(cid, by="m.karimi")

    def close(cid: str, notify: tuple[int, ...], closing: tuple[int, ...], **satisfaction) -> None:
        at(*notify)
        desk.notify_member(cid, method="phone", message="نتیجه به عضو اعلام شد", by="m.karimi")
        at(*closing)
        desk.close_complaint(cid, by="m.karimi")
        desk.record_satisfaction(cid, by="m.karimi", **satisfaction)

    # F: last year, waiting for the SG to assign a handler.
    f = register(
        "F", (2026, 2, 22, 9, 0), description="تأخیر در تمدید کارت بازرگانی", unit="membership", member_number="12345"
    )
    to_sg(f, (2026, 2, 22, 10, 0), (2026, 2, 23, 9, 0))

    # A: the whole procedure, accepted by the SG without the committee.
    a = register(
        "A",
        (2026, 4, 25, 9, 0),
        description="کارت عضویت پس از دو ماه صادر نشده است",
        unit="membership",
        stakeholders={"units": ["membership"]},
    )
    to_sg(a, (2026, 4, 25, 11, 0), (2026, 4, 26, 10, 0))  # acknowledgement 2 h, review 7 h
    at(2026, 4, 26, 12, 0)
    desk.assign_handler(a, handler_kind="person", handler="s.ahmadi", by="sg")  # assignment 2 h
    at(2026, 4, 28, 12, 0)
    desk.file_investigation(
        a,
        by="s.ahmadi",
        by_unit="trade",
        circumstances="پرونده در صف مانده بود",
        root_causes="کمبود نیرو",
        consequences="تأخیر در صادرات عضو",
        actions_taken="کارت صادر شد",
    )  # 16 h
    at(2026, 4, 29, 10, 0)
    desk.decide_complaint(a, decision="accepted", reason=None, by="sg")
    desk.forgo_committee(a, reason="موضوع روشن است", by="sg")  # decision 6 h
    close(a, (2026, 4, 29, 11, 0), (2026, 4, 29, 11, 30), score=5)  # notification 1 h; resolution 34.5 h

    # B: confidential, by phone, rejected, the member not satisfied: reopened.
    b = register(
        "B",
        (2026, 5, 2, 9, 0),
        channel="phone",
        call_id="call-4711",
        description="رفتار نامناسب کارشناس امور بازرگانی",
        unit="trade",
        confidential=True,
        stakeholders={"units": ["trade"], "persons": ["s.ahmadi"]},
    )
    to_sg(b, (2026, 5, 2, 9, 30), (2026, 5, 2, 10, 0))
    at(2026, 5, 2, 11, 0)
    desk.assign_handler(b, handler_kind="person", handler="e.shahbazi", by="sg")
    at(2026, 5, 3, 11, 0)
    desk.file_investigation(
        b, by="e.shahbazi", by_unit="legal", circumstances="c", root_causes="r", consequences="x", actions_taken="a"
    )
    at(2026, 5, 3, 12, 0)
    desk.decide_complaint(b, decision="rejected", reason="شواهدی یافت نشد", by="sg")
    close(b, (2026, 5, 3, 13, 0), (2026, 5, 3, 13, 30), score=1)  # resolution 12.5 h
    at(2026, 5, 3, 14, 30)
    desk.reopen_complaint(b, reason="عضو از پاسخ راضی نیست", by="m.karimi")

    # C: a suggestion on the website, left in review.
    at(2026, 5, 9, 10, 0)
    ids["C"] = str(
        desk.receive_from_website(
            kind="suggestion",
            description="ساعت کاری میز خدمت در پنجشنبه‌ها بیشتر شود",
            complainant_name="مریم احمدی",
            phone=None,
            email="m.ahmadi@example.com",
        ).id
    )

    # D: opened automatically from a survey answer; the committee settles it with two corrective actions.
    at(2026, 5, 16, 8, 30)
    d, _ = desk.open_automatically(
        "survey-answer-77",
        source="surveys",
        kind="criticism",
        description="امتیاز ۱ در نظرسنجی میز خدمت",
        occurred_at=tehran(2026, 5, 14, 10, 0),
        complainant_name="شرکت نمونه",
        phone="09137654321",
        unit="member_services",
        member_number="67890",
    )
    ids["D"] = d = str(d)
    to_sg(d, (2026, 5, 16, 9, 0), (2026, 5, 16, 12, 0))
    at(2026, 5, 16, 13, 0)
    desk.assign_handler(d, handler_kind="unit", handler="legal", by="sg")
    at(2026, 5, 18, 13, 0)
    desk.file_investigation(
        d, by="d.kazemi", by_unit="legal", circumstances="c", root_causes="r", consequences="x", actions_taken="a"
    )
    at(2026, 5, 18, 14, 0)
    desk.decide_complaint(d, decision="accepted", reason=None, by="sg")
    desk.convene_committee(d, subject="کیفیت خدمت میز خدمت", by="sg")
    at(2026, 5, 20, 10, 0)
    desk.record_committee_decision(
        d,
        attendees=["m.karimi", "sg", "y.mousavi"],
        decision="settled",
        reasoning="با عضو مصالحه شد",
        minutes="مدیر واحد گزارش داد؛ با عضو مصالحه شد",
        corrective_actions=[
            {"description": "آموزش کارکنان میز خدمت", "owner": "y.mousavi", "due": "2026-06-10"},
            {"description": "بازنگری فرم ثبت‌نام میز خدمت", "owner": "t.heidari", "due": "2026-07-01"},
        ],
        held_at=tehran(2026, 5, 20, 9, 0),
        by="m.karimi",
    )
    desk.record_action_opened(d, "CA-1", "5b1f0c9e-4c3a-5d7e-9f10-2a3b4c5d6e7f")  # as the outbox does
    close(d, (2026, 5, 20, 11, 0), (2026, 5, 20, 12, 0), score=4)  # resolution 35.5 h

    # The deadline check: F waits for a handler, C and B (round 2) for review, all past their due times.
    at(2026, 6, 1, 10, 0)
    desk.record_breaches()

    # H: rejected; the member says he is not satisfied, and nobody reopens it.
    h = register("H", (2026, 6, 6, 9, 0), description="هزینه داوری بیش از تعرفه دریافت شد", unit="legal")
    to_sg(h, (2026, 6, 6, 9, 10), (2026, 6, 6, 10, 0))
    at(2026, 6, 6, 11, 0)
    desk.assign_handler(h, handler_kind="person", handler="p.mohammadi", by="sg")
    at(2026, 6, 7, 9, 0)
    desk.file_investigation(
        h,
        by="p.mohammadi",
        by_unit="international",
        circumstances="c",
        root_causes="r",
        consequences="x",
        actions_taken="a",
    )
    at(2026, 6, 7, 10, 0)
    desk.decide_complaint(h, decision="rejected", reason="طبق تعرفه مصوب", by="sg")
    close(h, (2026, 6, 7, 11, 0), (2026, 6, 7, 11, 30), satisfied=False)  # resolution 10.5 h

    at(2026, 6, 7, 12, 0)
    desk.complete_corrective_action(d, "CA-1", by="y.mousavi", note="دوره برگزار شد")

    # E: the second half-year.
    register(
        "E",
        (2026, 9, 28, 9, 0),
        kind="reported_problem",
        description="سامانه صدور گواهی مبدأ از دسترس خارج است",
        unit="international",
    )

    return Story(desk, calendar, ids, now=tehran(2026, 10, 7, 10, 0))


def istanbul_story(clock, tmp_path) -> Story:
    """Two complaints at a Turkish chamber in the first half of 2026: one closed and satisfied, one waiting."""
    calendar = BusinessCalendar(TURKEY)
    desk = ComplaintDesk(
        organisation=ORGANISATION,
        calendar=calendar,
        clock=clock,
        region="TR",
        documents=DocumentStore(tmp_path / "documents-tr"),
    )
    ids: dict[str, str] = {}
    clock.now = istanbul(2026, 3, 10, 9, 0)
    cid = str(
        desk.register_complaint(
            channel="in_person",
            kind="complaint",
            description="Oda sicil kaydı gecikti",
            by="z.rahimi",
            occurred_at=istanbul(2026, 3, 9, 10, 0),
            complainant_name="Ayşe Yılmaz",
            phone="0532 123 45 67",
            unit="membership",
        )
    )
    ids["T1"] = cid
    clock.now = istanbul(2026, 3, 10, 10, 0)
    desk.acknowledge_complaint(cid, by="z.rahimi", method="phone")
    desk.record_stakeholders(cid, by="m.karimi", none=True)
    desk.complete_review(cid, by="m.karimi")
    desk.refer_complaint(cid, by="m.karimi")
    desk.assign_handler(cid, handler_kind="person", handler="s.ahmadi", by="sg")
    clock.now = istanbul(2026, 3, 11, 10, 0)
    desk.file_investigation(
        cid, by="s.ahmadi", by_unit="trade", circumstances="c", root_causes="r", consequences="x", actions_taken="a"
    )
    desk.decide_complaint(cid, decision="accepted", reason=None, by="sg")
    desk.forgo_committee(cid, reason=None, by="sg")
    desk.notify_member(cid, method="phone", message="Kayıt tamamlandı", by="m.karimi")
    desk.close_complaint(cid, by="m.karimi")
    desk.record_satisfaction(cid, by="m.karimi", score=5)
    clock.now = istanbul(2026, 4, 2, 14, 0)
    ids["T2"] = str(
        desk.receive_from_website(
            kind="criticism",
            description="Web sitesi yavaş",
            complainant_name="Mehmet Demir",
            phone=None,
            email="mehmet@example.com",
            tracking_hash=secret_hash("takip-kodu"),
            language="tr",
        ).id
    )
    return Story(desk, calendar, ids, now=istanbul(2026, 7, 20, 10, 0))


def table_counts(model: ComplaintReadModel) -> dict[str, int]:
    with model.engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in model.dump()}
