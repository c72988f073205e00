"""A desk's problem forms keep the registrant's name, company and phone sealed with the registrant's key: the
member's when the form names one (erasing the member makes their forms read [erased], the desk's index too, while
the forms and their count stay), otherwise the form's own registrant's."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from services.desks.index import forms
from services.desks.main import build_index, build_office
from services.desks.members import MemberBook
from services.desks.privacy import registrant_subject
from shared.db import create_engine
from shared.envelope import CloudEvent
from shared.privacy import ERASED, is_sealed
from shared.privacy_subjects import member_subject
from tests.desks.helpers import announced
from tests.helpers import as_stored

AT = "2026-11-21T07:00:00+00:00"
MEMBER = member_subject("1001")


def _member_event(type_: str, data: dict, sequence: int) -> CloudEvent:
    return CloudEvent(
        id=f"{MEMBER}:{sequence}",
        source="/crm/members",
        type=type_,
        time=AT,
        subject=MEMBER,
        sequence=sequence,
        position=sequence,
        data=data,
    )


def _stored_forms(office, desk) -> list[dict[str, Any]]:
    """The registration events of the desk as stored, before any opening."""
    return as_stored(office, desk, topic="Desk.MemberRegistered")


def _register(office, desk, name: str, member_id: str | None) -> str:
    return office.register_member(
        desk,
        member_id=member_id,
        member_name=name,
        company=f"{name} Co.",
        phone="09131234567",
        channel="phone",
        problem="clearance held at the border",
        by="l.moradi",
    )


def test_forms_are_sealed_per_registrant_and_a_members_erasure_reaches_them(settings, clock, tmp_path) -> None:
    office = build_office(settings, clock)
    index = build_index(settings, office)
    book = MemberBook(create_engine(f"sqlite:///{tmp_path / 'book.db'}"), on_erased=index.forget_members)
    desk = announced(office)
    mine = _register(office, desk, "مریم احمدی", "1001")
    stranger = _register(office, desk, "Ali Karimi", None)

    stored = {s["number"]: s for s in _stored_forms(office, desk)}
    assert all(is_sealed(stored[mine][f]) for f in ("member_name", "company", "phone"))
    assert stored[mine]["member_name"]["of"] == MEMBER
    assert stored[stranger]["phone"]["of"] == registrant_subject(str(desk), stranger)
    assert "09131234567" not in str(stored) and "Ali Karimi" not in str(stored)
    index.catch_up()
    record = {f["number"]: f for f in office.record(desk)["forms"]}
    assert record[mine]["member_name"] == "مریم احمدی" and record[stranger]["phone"] == "09131234567"

    registered = {"membership_number": "1001", "name": "مریم احمدی", "status": "active", "contacts": []}
    book.apply([_member_event("crm.members.member.registered.v1", registered, 1)])
    assert office.sealer is not None
    office.sealer.keys.delete(MEMBER)  # what the members service does first when it erases the member
    book.apply([_member_event("crm.members.member.erased.v1", {"reason": "request", "by": "ops", "at": AT}, 2)])

    record = {f["number"]: f for f in office.record(desk)["forms"]}
    assert len(record) == 2  # the forms stay, and count
    assert (record[mine]["member_name"], record[mine]["company"], record[mine]["phone"]) == (ERASED,) * 3
    assert record[stranger]["member_name"] == "Ali Karimi"
    with index.engine.connect() as conn:
        query = sa.select(forms.c.number, forms.c.member_name).where(forms.c.desk_id == str(desk))
        rows = {str(number): name for number, name in conn.execute(query)}
    assert rows == {mine: ERASED, stranger: "Ali Karimi"}
    office.close()


def _stored(office, desk, event: str) -> list[dict[str, Any]]:
    return as_stored(office, desk, topic=f"Desk.{event}")


def test_a_forms_problem_is_sealed_with_its_registrants_other_data(settings, clock) -> None:
    office = build_office(settings, clock)
    desk = announced(office)
    stranger = _register(office, desk, "Ali Karimi", None)
    [stored] = _stored_forms(office, desk)
    assert is_sealed(stored["problem"]) and stored["problem"]["of"] == registrant_subject(str(desk), stranger)
    assert "clearance" not in str(stored)
    assert office.record(desk)["forms"][0]["problem"] == "clearance held at the border"
    office.close()


def test_an_announcements_recipients_are_sealed_each_with_their_members_key(settings, clock) -> None:
    from tests.desks.helpers import approved

    office = build_office(settings, clock)
    desk = approved(office)
    recipients = [
        {"member_id": "1001", "name": "مریم احمدی", "phone": "09131234567", "language": "fa"},
        {"member_id": "1002", "name": "Zeynep Yıldız", "phone": "+905321234567", "language": "tr"},
    ]
    assert office.request_member_announcement(desk, selection_id="sel-1", recipients=recipients, by="l.moradi") == 2
    [stored] = _stored(office, desk, "MemberAnnouncementRequested")
    first, second = stored["recipients"]
    assert is_sealed(first["name"]) and is_sealed(first["phone"]) and first["name"]["of"] == MEMBER
    assert second["phone"]["of"] == member_subject("1002")
    assert (first["member_id"], first["language"]) == ("1001", "fa")  # whom and in which language stay plain
    assert "Zeynep" not in str(stored) and "0913" not in str(stored)

    def published() -> list[dict[str, Any]]:
        [event] = [e for e in office.event_history(desk) if e["type"].endswith("member_announcement_requested.v1")]
        return [(r["member_id"], r["name"], r["phone"]) for r in event["data"]["recipients"]]

    assert published() == [("1001", "مریم احمدی", "09131234567"), ("1002", "Zeynep Yıldız", "+905321234567")]
    assert office.sealer is not None
    office.sealer.keys.delete(MEMBER)  # the member's erasure
    office.forget_cached_desks()
    assert published() == [("1001", ERASED, ERASED), ("1002", "Zeynep Yıldız", "+905321234567")]
    assert office.record(desk)["member_announcements"][0]["recipients"] == 2  # the count stays
    office.close()


def test_a_slot_reminder_is_sealed_with_its_registrants_key(settings, clock) -> None:
    from datetime import timedelta

    from tests.desks.helpers import STARTS_AT

    office = build_office(settings, clock)
    desk = announced(office)
    mine = _register(office, desk, "مریم احمدی", "1001")
    stranger = _register(office, desk, "Ali Karimi", None)
    clock.now = STARTS_AT - timedelta(days=1)
    assert [n for _, n in office.record_reminders_due()] == [mine, stranger]
    [stored] = _stored(office, desk, "SlotRemindersDue")
    assert [r["phone"]["of"] for r in stored["reminders"]] == [MEMBER, registrant_subject(str(desk), stranger)]
    assert "Ali Karimi" not in str(stored)
    [event] = [e for e in office.event_history(desk) if e["type"].endswith("slot_reminders_due.v1")]
    assert [r["member_name"] for r in event["data"]["reminders"]] == ["مریم احمدی", "Ali Karimi"]
    office.close()


def test_a_sessions_invitees_are_sealed_each_with_their_members_key(settings, clock, tmp_path) -> None:
    from datetime import UTC, datetime

    office = build_office(settings, clock)
    index = build_index(settings, office)
    book = MemberBook(create_engine(f"sqlite:///{tmp_path / 'book.db'}"), on_erased=index.forget_members)
    session = office.plan_session(
        trade_group="textile exporters",
        starts_at=datetime(2026, 12, 2, 6, 30, tzinfo=UTC),
        place="Hall 1",
        topics=["export refunds"],
        by="mr.manager",
    )
    invitees = [
        {"member_id": "1001", "name": "مریم احمدی", "company": "Ahmadi Textiles", "phone": "09131234567"},
        {"member_id": "1002", "name": "Bahar"},
    ]
    office.select_invitees(session, selection_id="sel-42", criteria={}, invitees=invitees, by="mr.manager")
    mapper = office.mapper
    [stored] = [
        mapper.transcoder.decode(s.state) for s in office.recorder.select_events(session) if "Invitees" in s.topic
    ]
    first = stored["invitees"][0]
    assert all(is_sealed(first[f]) and first[f]["of"] == MEMBER for f in ("name", "company", "phone"))
    assert "Ahmadi" not in str(stored) and "Bahar" not in str(stored)
    assert office.session_record(session)["selection"]["invitees"][0]["company"] == "Ahmadi Textiles"

    index.catch_up()
    registered = {"membership_number": "1001", "name": "مریم احمدی", "status": "active", "contacts": []}
    book.apply([_member_event("crm.members.member.registered.v1", registered, 1)])
    assert office.sealer is not None
    office.sealer.keys.delete(MEMBER)
    book.apply([_member_event("crm.members.member.erased.v1", {"reason": "request", "by": "ops", "at": AT}, 2)])
    chosen = office.session_record(session)["selection"]["invitees"]
    assert (chosen[0]["name"], chosen[0]["company"], chosen[1]["name"]) == (ERASED, ERASED, "Bahar")
    with index.engine.connect() as conn:
        summary = conn.execute(sa.text("SELECT summary FROM sessions_index")).scalar()
    assert "مریم" not in summary and "Bahar" in summary  # the index's copy too
    office.close()


def test_what_the_book_and_the_index_read_after_a_members_erasure_reads_erased(settings, clock, tmp_path) -> None:
    """The erasure is applied before older events: the book keeps the member's version with the erasure, so their
    older events change nothing; the index, catching up only after the member's key is gone, opens [erased]."""
    office = build_office(settings, clock)
    index = build_index(settings, office)
    book = MemberBook(create_engine(f"sqlite:///{tmp_path / 'book.db'}"), on_erased=index.forget_members)
    desk = announced(office)
    mine = _register(office, desk, "مریم احمدی", "1001")  # registered before the erasure, not indexed yet

    assert office.sealer is not None
    office.sealer.keys.delete(MEMBER)
    book.apply([_member_event("crm.members.member.erased.v1", {"reason": "request", "by": "ops", "at": AT}, 3)])
    registered = {
        "membership_number": "1001",
        "name": "مریم احمدی",
        "status": "active",
        "contacts": [{"phones": [{"e164": "+989131234567", "kind": "mobile"}]}],
    }
    assert book.apply([_member_event("crm.members.member.registered.v1", registered, 1)]) == 0
    book.apply([_member_event("crm.members.selection.taken.v1", {"members": ["1001"], "criteria": {}}, 4)])
    selection = book.selection(MEMBER)
    assert selection is not None and selection["recipients"] == []  # nobody to message: no name, no number

    index.catch_up()
    with index.engine.connect() as conn:
        query = sa.select(forms.c.number, forms.c.member_name, forms.c.phone).where(forms.c.desk_id == str(desk))
        assert [tuple(r) for r in conn.execute(query)] == [(mine, ERASED, ERASED)]
    office.close()
