"""What the desks ask of the notification channels: each event names who (member id, name, phone), which desk or
session (agency or trade group, place), when (start, slot) and in which language, and validates against its
published contract, so a separate sender can act on it alone."""

from __future__ import annotations

from datetime import timedelta

from services.desks.contract import CONTRACT
from shared.envelope import CloudEvent
from tests.desks.helpers import STARTS_AT
from tests.desks.test_api import PLAN, post, registration
from tests.desks.test_sessions import PLAN as SESSION_PLAN
from tests.desks.test_sessions import SELECTION
from tests.helpers import assert_problem

ANNOUNCEMENT = {
    "selection_id": "sel-customs-importers",
    "criteria": {"activity": ["import"], "partner_countries": ["IQ"]},
    "taken_at": "2026-11-21T08:00:00+03:30",
    "recipients": [
        {"member_id": "M-1", "name": "Ali Rahmani", "phone": "09131234567", "language": "fa"},
        {"member_id": "M-2", "name": "Zeynep Yıldız", "phone": "+905321234567", "language": "tr"},
        {"member_id": "M-3", "name": "Cyrus"},  # no phone, no language: social networks, the chamber's language
        {"member_id": "M-1", "name": "Ali Rahmani (again)"},
    ],
    "message": "Register on the chamber's website",
}


def published(client, headers, path: str, wire_type: str) -> list[dict]:
    """The data of every event of that type in the aggregate's history, each checked against its schema."""
    events = client.get(f"{path}/history", headers=headers["auditor"]).json()
    found = [e["data"] for e in events if e["type"] == wire_type]
    for data in found:
        CONTRACT.model(wire_type).model_validate(data)
    return found


def approved_desk(client, headers) -> str:
    desk = post(client, headers, "ms_expert", "/desks", PLAN, 201)["id"]
    post(client, headers, "ms_expert", f"/desks/{desk}/coordinations", {"liaison": "Mr Rezaei", "note": "hall 2"})
    post(client, headers, "ms_manager", f"/desks/{desk}/approve")
    return desk


def test_the_announcement_to_members_names_each_member_once_with_phone_and_language(client, headers):
    desk = approved_desk(client, headers)
    answer = post(client, headers, "ms_expert", f"/desks/{desk}/announcements/members", ANNOUNCEMENT, 202)
    assert answer == {"desk_id": desk, "recipients": 3}
    [event] = published(client, headers, f"/desks/{desk}", "crm.desks.desk.member_announcement_requested.v1")
    assert event["agency"] == "customs" and event["place"] == "Chamber hall 2"
    assert event["starts_at"] == "2026-11-25T05:30:00Z" and event["registration_path"] == f"/public/desks/{desk}"
    assert event["selection"]["selection_id"] == "sel-customs-importers"
    assert event["selection"]["criteria"] == {"activity": ["import"], "partner_countries": ["IQ"]}
    assert [(r["member_id"], r["phone"], r["language"]) for r in event["recipients"]] == [
        ("M-1", "09131234567", "fa"),
        ("M-2", "+905321234567", "tr"),
        ("M-3", None, "fa"),  # the Persian chamber of the test settings
    ]
    record = client.get(f"/desks/{desk}", headers=headers["ms_expert"]).json()
    assert record["announcements"]["members"]["on"] == "2026-11-21"
    assert record["member_announcements"][0]["recipients"] == 3


def test_a_bad_announcement_is_refused_and_records_nothing(client, headers):
    desk = post(client, headers, "ms_expert", "/desks", PLAN, 201)["id"]
    before = len(client.get(f"/desks/{desk}/history", headers=headers["auditor"]).json())
    response = client.post(f"/desks/{desk}/announcements/members", json=ANNOUNCEMENT, headers=headers["ms_expert"])
    assert_problem(response, 409)  # the planning form is not approved yet
    post(client, headers, "ms_expert", f"/desks/{desk}/coordinations", {"liaison": "Mr Rezaei", "note": "hall 2"})
    post(client, headers, "ms_manager", f"/desks/{desk}/approve")
    german = {**ANNOUNCEMENT, "recipients": [{"member_id": "M-9", "name": "Hans", "language": "de"}]}
    assert_problem(client.post(f"/desks/{desk}/announcements/members", json=german, headers=headers["ms_expert"]), 422)
    odd = {**ANNOUNCEMENT, "criteria": {"Shoe Size!": ["42"]}}
    assert_problem(client.post(f"/desks/{desk}/announcements/members", json=odd, headers=headers["ms_expert"]), 422)
    events = client.get(f"/desks/{desk}/history", headers=headers["auditor"]).json()
    assert len(events) == before + 2  # the coordination and the approval, nothing else
    assert client.get(f"/desks/{desk}", headers=headers["ms_expert"]).json()["announcements"]["members"] is None


def test_slot_reminders_are_asked_for_the_working_day_before_once_per_member_and_for_who_moves_up(
    client, headers, clock, app
):
    office = app.state.office
    desk = approved_desk(client, headers)
    for name, language in (("Ali", "fa"), ("Bahar", "tr"), ("Cyrus", None)):
        body = {**registration(name), "phone": f"0913{len(name)}", **({"language": language} if language else {})}
        post(client, headers, "ms_expert", f"/desks/{desk}/registrations", body, 201)
    assert office.record_reminders_due() == []  # Saturday: the desk is on Wednesday
    clock.now = STARTS_AT - timedelta(days=1)  # Tuesday, the working day before
    due = post(client, headers, "service", "/internal/desks/deadline-check")["recorded"]
    assert due == [{"desk_id": desk, "reminder": "1"}, {"desk_id": desk, "reminder": "2"}]
    assert office.record_reminders_due() == []  # asked once
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations/2/cancel", {"reason": "travelling"})
    assert [n for _, n in office.record_reminders_due()] == ["3"]  # Cyrus moved up into Bahar's slot
    first, second = published(client, headers, f"/desks/{desk}", "crm.desks.desk.slot_reminders_due.v1")
    assert first["agency"] == "customs" and first["place"] == "Chamber hall 2"
    assert [(r["member_name"], r["language"], r["slot_start"]) for r in first["reminders"]] == [
        ("Ali", "fa", "2026-11-25T05:30:00Z"),
        ("Bahar", "tr", "2026-11-25T05:40:00Z"),
    ]
    assert [(r["member_name"], r["phone"], r["language"], r["slot_end"]) for r in second["reminders"]] == [
        ("Cyrus", "09135", "fa", "2026-11-25T05:50:00Z")
    ]
    registered = published(client, headers, f"/desks/{desk}", "crm.desks.desk.registered.v2")
    assert [r["language"] for r in registered] == ["fa", "tr", None]
    clock.now = STARTS_AT
    post(client, headers, "ms_expert", f"/desks/{desk}/registrations", registration("Dara"), 409)
    assert office.record_reminders_due() == []  # the desk has started


def test_session_invitations_name_each_invitee_with_phone_and_language(client, headers):
    session = post(client, headers, "expert", "/sessions", SESSION_PLAN, 201)["id"]
    invitees = [
        {**SELECTION["invitees"][0], "phone": "09131112233", "language": "fa"},
        {**SELECTION["invitees"][1], "phone": "+905551112233", "language": "tr"},
        SELECTION["invitees"][2],
    ]
    post(client, headers, "expert", f"/sessions/{session}/invitees", {**SELECTION, "invitees": invitees})
    post(client, headers, "sg", f"/sessions/{session}/approve")
    post(client, headers, "president", f"/sessions/{session}/ratify")
    bad = {**SELECTION, "invitees": [{"member_id": "M-9", "name": "Hans", "language": "de"}]}
    assert_problem(client.post(f"/sessions/{session}/invitees", json=bad, headers=headers["expert"]), 422)
    post(client, headers, "expert", f"/sessions/{session}/invitations", {})
    [event] = published(client, headers, f"/sessions/{session}", "crm.desks.session.invitations_requested.v1")
    assert event["trade_group"] == "textile exporters" and event["place"] == "Hall 1"
    assert event["starts_at"] == "2026-12-02T06:30:00Z" and event["topics"] == ["export refunds"]
    assert [(i["member_id"], i["phone"], i["language"]) for i in event["invitees"]] == [
        ("M-1", "09131112233", "fa"),
        ("M-2", "+905551112233", "tr"),
        ("M-3", None, "fa"),
    ]


def member_event(kind: str, subject: str, sequence: int, **data) -> CloudEvent:
    return CloudEvent(
        id=f"{subject}-{sequence}",
        source="crm/members",
        type=f"crm.members.{kind}.v1",
        time="2026-11-20T08:00:00Z",
        subject=subject,
        sequence=sequence,
        position=sequence,
        data=data,
    )


def test_an_announcement_naming_only_a_selection_reaches_its_active_members_from_the_member_book(client, headers, app):
    phones = [{"raw": "0532 123 45 67", "e164": "+905321234567", "kind": "mobile"}]
    fixed = [{"raw": "031 3222 0000", "e164": "+983132220000", "kind": "fixed"}]
    events = [
        member_event(
            "member.registered",
            "m-1",
            1,
            membership_number="1405-1",
            name="Yıldız Tekstil",
            contacts=[{"name": "Zeynep", "role": None, "phones": phones}],
            preferred_language="tr",
            status="active",
        ),
        member_event(
            "member.registered", "m-2", 1, membership_number="1405-2", name="Rahmani", contacts=[{"phones": fixed}]
        ),
        member_event("member.registered", "m-3", 1, membership_number="1405-3", name="Karimi", contacts=[]),
        member_event("member.suspended", "m-3", 2, reason="unpaid dues"),
        member_event(
            "selection.taken",
            "sel-77",
            1,
            name="importers",
            criteria={"field_of_activity": ["import"]},
            members=["1405-1", "1405-2", "1405-3", "1405-9"],
            at="2026-11-20T08:00:00+00:00",
        ),
    ]
    book = app.state.members
    assert book.apply(events) == 5
    assert book.apply(events) == 0  # the same records again (a replay after a crash) change nothing
    desk = approved_desk(client, headers)
    unknown = client.post(
        f"/desks/{desk}/announcements/members", json={"selection_id": "sel-78"}, headers=headers["ms_expert"]
    )
    assert_problem(unknown, 404, "sel-78")
    answer = post(client, headers, "ms_expert", f"/desks/{desk}/announcements/members", {"selection_id": "sel-77"}, 202)
    assert answer["recipients"] == 2  # the suspended member and the unknown number are left out
    [event] = published(client, headers, f"/desks/{desk}", "crm.desks.desk.member_announcement_requested.v1")
    assert event["selection"] == {
        "selection_id": "sel-77",
        "criteria": {"field_of_activity": ["import"]},
        "taken_at": "2026-11-20T08:00:00+00:00",
    }
    assert [(r["member_id"], r["name"], r["phone"], r["language"]) for r in event["recipients"]] == [
        ("1405-1", "Yıldız Tekstil", "+905321234567", "tr"),
        ("1405-2", "Rahmani", None, "fa"),  # a fixed line gets no SMS
    ]
