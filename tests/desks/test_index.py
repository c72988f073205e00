"""The desks index: the lists, one member's forms, the follow-up calls due and the deadline checks read it rather
than every desk in the store; it is rebuilt from the store to the same answers; the metrics read it."""

from __future__ import annotations

from datetime import datetime, timedelta

from services.desks.index import DeskIndex
from tests.desks.helpers import STARTS_AT, announced
from tests.helpers import assert_problem
from tests.test_deploy import DESK_METRICS


def registered(office, desk, name: str, member_id: str | None = None) -> str:
    return office.register_member(
        desk,
        member_name=name,
        member_id=member_id,
        phone="09131234567",
        channel="phone",
        problem=f"{name}'s goods are held",
        by="l.moradi",
    )


def held(office, clock, desk, numbers) -> None:
    clock.now = STARTS_AT + timedelta(minutes=5)
    for number in numbers:
        office.record_attendance(desk, number, attended=True, by="l.moradi")
        office.record_decision(desk, number, decision="release within a week", by="l.moradi")
    office.review_minutes(desk, by="p.nouri")
    office.send_minutes(desk, to="customs DG office", by="l.moradi")
    office.archive_minutes(desk, by="l.moradi")


def test_lists_come_from_the_index_filtered_paged_and_counted(client, headers, app):
    office = app.state.office
    customs = announced(office, capacity=2)
    tax = announced(office, agency="tax", starts_at=STARTS_AT + timedelta(days=1))
    for name in ("Ali", "Bahar", "Cyrus"):
        registered(office, customs, name)
    response = client.get("/desks", params={"agency": "customs"}, headers=headers["sg"])
    assert response.headers["X-Total-Count"] == "1"
    [row] = response.json()
    assert row["id"] == str(customs) and row["scheduled"] == 2 and row["waiting"] == 1
    everything = client.get("/desks", params={"limit": 1, "offset": 1}, headers=headers["sg"])
    assert everything.headers["X-Total-Count"] == "2" and [d["id"] for d in everything.json()] == [str(tax)]
    assert client.get("/desks", params={"stage": "closed"}, headers=headers["sg"]).json() == []
    assert_problem(client.get("/desks", params={"stage": "someday"}, headers=headers["sg"]), 422)


def test_a_members_forms_at_every_desk(client, headers, app):
    office = app.state.office
    customs = announced(office)
    tax = announced(office, agency="tax", starts_at=STARTS_AT + timedelta(days=1))
    registered(office, customs, "Ali", "M-1")
    registered(office, customs, "Bahar", "M-2")
    registered(office, tax, "Ali", "M-1")
    office.cancel_registration(tax, "1", reason="solved meanwhile", by="l.moradi")
    forms = client.get("/desks/forms", params={"member_id": "M-1"}, headers=headers["ms_expert"]).json()
    assert [(f["agency"], f["number"], f["state"]) for f in forms] == [
        ("tax", "1", "cancelled"),
        ("customs", "1", "scheduled"),
    ]
    assert forms[1]["slot_start"] == "2026-11-25T05:30:00Z" and forms[1]["decided"] is False
    assert client.get("/desks/forms", params={"member_id": "M-9"}, headers=headers["ms_expert"]).json() == []
    assert_problem(client.get("/desks/forms", headers=headers["ms_expert"]), 422)


def test_follow_ups_due_then_overdue_then_done_and_the_deadline_check_visits_only_open_desks(
    client, headers, app, clock
):
    office, index = app.state.office, app.state.index
    desk = announced(office)
    numbers = [registered(office, desk, name) for name in ("Ali", "Bahar")]
    held(office, clock, desk, numbers)
    due = client.get("/desks/follow-ups", headers=headers["ms_expert"]).json()
    assert [(d["number"], d["overdue"]) for d in due] == [("1", False), ("2", False)]
    assert client.get("/desks/follow-ups", params={"overdue": "true"}, headers=headers["ms_expert"]).json() == []
    clock.now = datetime_after(due[0]["follow_up_due_at"])
    late = client.get("/desks/follow-ups", params={"overdue": "true"}, headers=headers["ms_expert"]).json()
    assert [(d["number"], d["overdue"]) for d in late] == [("1", True), ("2", True)]
    assert [n for _, n in office.record_missed_follow_ups()] == ["1", "2"]
    for number in numbers:
        office.record_follow_up(desk, number, carried_out=True, result="released", by="l.moradi")
    assert client.get("/desks/follow-ups", headers=headers["ms_expert"]).json() == []
    assert index.open_desk_ids() == [desk]
    office.complete_checklist(desk, by="l.moradi")
    assert index.open_desk_ids() == []  # a closed desk is no longer visited by the deadline checks
    assert office.record_missed_follow_ups() == [] and office.record_reminders_due() == []


def test_the_index_rebuilt_from_the_store_gives_the_same_answers(app, settings, clock):
    office, index = app.state.office, app.state.index
    desk = announced(office)
    registered(office, desk, "Ali", "M-1")
    before = (index.desk_summaries(None, None, limit=10, offset=0), index.forms_of_member("M-1"))
    events = index.rebuild()
    assert events >= 7  # planned, coordinated, approved, four announcements, registered
    assert (index.desk_summaries(None, None, limit=10, offset=0), index.forms_of_member("M-1")) == before
    fresh = DeskIndex(office, index.engine)  # another replica on the same index database
    assert fresh.forms_of_member("M-1") == before[1]


def test_metrics_show_slots_waiting_follow_ups_and_sessions(client, headers, app, clock):
    office = app.state.office
    desk = announced(office, capacity=2)
    for name in ("Ali", "Bahar", "Cyrus"):
        registered(office, desk, name)
    text = client.get("/metrics", headers=headers["monitoring"]).text
    assert 'crm_desks_slots_used{agency="customs"} 2.0' in text
    assert 'crm_desks_slots_offered{agency="customs"} 2.0' in text
    assert 'crm_desks_waiting{agency="customs"} 1.0' in text
    assert 'crm_desks_open{agency="customs"} 1.0' in text
    assert 'crm_desks_registrations_total{agency="customs"} 3.0' in text
    assert 'crm_desks_sessions{stage="planned"} 0.0' in text
    exported = {line.split("{")[0].split(" ")[0] for line in text.splitlines() if line.startswith("crm_desks_")}
    assert exported - {n for n in exported if n.endswith("_created")} == set(DESK_METRICS)  # what the dashboard reads
    held(office, clock, desk, ["1", "2"])
    text = client.get("/metrics", headers=headers["monitoring"]).text
    assert 'crm_desks_slots_used{agency="customs"} 0.0' in text  # the desk is no longer ahead
    assert 'crm_desks_follow_ups_due{agency="customs"} 2.0' in text
    assert 'crm_desks_follow_ups_overdue{agency="customs"} 0.0' in text
    clock.now = office.get_desk(desk).follow_up_due_at + timedelta(minutes=1)
    text = client.get("/metrics", headers=headers["monitoring"]).text
    assert 'crm_desks_follow_ups_overdue{agency="customs"} 2.0' in text


def datetime_after(iso: str) -> datetime:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")) + timedelta(minutes=1)
