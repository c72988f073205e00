"""Service desks in memory: the six steps, the rules of each, scheduling within capacity, deadlines on the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.desks.application import DeskOffice
from services.desks.domain import TransitionRefused
from shared.errors import InvalidInput, NotFound
from shared.settings import DeskSettings, Settings
from tests.desks.helpers import ROUTES, STARTS_AT, announced, plan, register


@pytest.fixture
def office(clock) -> DeskOffice:
    return DeskOffice(calendar=Settings().business_calendar, clock=clock)


def hold(office, clock, desk, *names: str) -> list[str]:
    numbers = [register(office, desk, name) for name in names]
    clock.now = STARTS_AT + timedelta(minutes=5)
    for number in numbers:
        office.record_attendance(desk, number, attended=True, by="l.moradi")
        office.record_decision(desk, number, decision="released within a week", by="l.moradi")
    return numbers


def minutes_sent(office, desk) -> None:
    office.review_minutes(desk, by="p.nouri")
    office.send_minutes(desk, to="customs director-general's office", by="l.moradi")


# -- 1. planning -------------------------------------------------------------------------------------------------
def test_a_desk_is_planned_only_for_a_configured_agency(office):
    with pytest.raises(InvalidInput, match="not one of the chamber's desks"):
        plan(office, agency="police")
    other = DeskOffice(
        calendar=Settings().business_calendar, clock=office.clock, config=DeskSettings(agencies=("police",))
    )
    assert plan(other, agency="police")


def test_the_same_agency_at_the_same_start_is_one_desk(office):
    plan(office)
    with pytest.raises(Exception, match="planned already"):
        plan(office)


def test_a_desk_on_a_closed_day_or_in_the_past_is_refused(office):
    with pytest.raises(InvalidInput, match="not a working day"):
        plan(office, starts_at=datetime(2026, 11, 27, 6, 0, tzinfo=UTC))  # a Friday
    with pytest.raises(InvalidInput, match="already passed"):
        plan(office, starts_at=datetime(2026, 11, 21, 6, 0, tzinfo=UTC))


def test_the_slots_must_end_within_the_working_day(office):
    # 09:00 in Tehran, the day closes at 16:00: 42 slots of ten minutes fit, 43 do not.
    with pytest.raises(InvalidInput, match="at most 42 fit"):
        plan(office, capacity=43)
    assert plan(office, capacity=42)


def test_the_planning_form_is_approved_only_after_coordination_with_the_agency(office):
    desk = plan(office)
    with pytest.raises(TransitionRefused, match="coordination"):
        office.approve_plan(desk, by="p.nouri")
    office.record_coordination(
        desk, liaison="Mr Rezaei", note="hall 2 booked", documents=["MM-FR-01-05-01.pdf"], by="x"
    )
    office.approve_plan(desk, by="p.nouri")
    record = office.record(desk)
    assert record["stage"] == "approved" and record["planning_form"]["approved_by"] == "p.nouri"
    assert record["coordinations"][0]["documents"] == ["MM-FR-01-05-01.pdf"]


# -- 2. announcement ---------------------------------------------------------------------------------------------
def test_announcement_waits_for_the_approved_plan_and_needs_all_four_routes(office):
    desk = plan(office)
    with pytest.raises(TransitionRefused, match="planning"):
        office.record_announcement(desk, route="members", by="x")
    office.record_coordination(desk, liaison="l", note="n", by="x")
    office.approve_plan(desk, by="p.nouri")
    for route in ROUTES[:-1]:
        office.record_announcement(desk, route=route, by="x")
    assert office.record(desk)["stage"] == "approved"
    with pytest.raises(TransitionRefused, match="recorded already"):
        office.record_announcement(desk, route="members", by="x")
    office.record_announcement(desk, route="representative", by="x")
    record = office.record(desk)
    assert record["stage"] == "announced"
    assert record["announcements"]["poster_request"]["form"] == "FI-FR-01-03-02"
    assert record["announcements"]["members"]["on"] == "2026-11-21"


# -- 3. scheduling -----------------------------------------------------------------------------------------------
def test_slots_follow_in_order_never_overlap_and_stay_within_capacity(office):
    desk = announced(office, capacity=3)
    for name in ("Ali", "Bahar", "Cyrus", "Dara", "Elham"):
        register(office, desk, name)
    forms = office.record(desk)["forms"]
    scheduled = [f for f in forms if f["state"] == "scheduled"]
    assert [f["slot_start"] for f in scheduled] == [STARTS_AT + timedelta(minutes=10 * i) for i in range(3)]
    for a, b in zip(scheduled, scheduled[1:], strict=False):
        assert a["slot_end"] <= b["slot_start"]
    assert [(f["member_name"], f["waiting_position"]) for f in forms if f["state"] == "waiting"] == [
        ("Dara", 1),
        ("Elham", 2),
    ]


def test_a_cancellation_moves_the_first_waiting_member_into_the_freed_slot(office):
    desk = announced(office, capacity=2)
    ali, bahar, cyrus, dara = (register(office, desk, n) for n in ("Ali", "Bahar", "Cyrus", "Dara"))
    office.cancel_registration(desk, ali, reason="travelling", by="x")
    forms = {f["number"]: f for f in office.record(desk)["forms"]}
    assert forms[ali]["state"] == "cancelled" and forms[ali]["slot"] is None
    assert forms[cyrus]["state"] == "scheduled" and forms[cyrus]["slot_start"] == STARTS_AT
    assert forms[dara]["waiting_position"] == 1
    office.cancel_registration(desk, dara, by="x")  # leaving the waiting list promotes nobody
    assert office.record(desk)["waiting_list"] == []
    with pytest.raises(TransitionRefused, match="cancelled"):
        office.cancel_registration(desk, ali, by="x")


def test_a_member_guided_elsewhere_is_recorded_with_where_and_frees_the_slot(office):
    desk = announced(office, capacity=1)
    ali, bahar = register(office, desk, "Ali"), register(office, desk, "Bahar")
    office.guide_elsewhere(desk, ali, where="the tax office's desk", by="x")
    forms = {f["number"]: f for f in office.record(desk)["forms"]}
    assert forms[ali]["state"] == "guided" and forms[ali]["guided_to"] == "the tax office's desk"
    assert forms[bahar]["state"] == "scheduled" and forms[bahar]["slot"] == 0


def test_slot_length_is_configurable(office, clock):
    ten = DeskOffice(calendar=office.calendar, clock=clock, config=DeskSettings(slot_minutes=15))
    desk = announced(ten)
    register(ten, desk, "Ali"), register(ten, desk, "Bahar")
    assert [row["starts_at"] for row in ten.final_list(desk)] == [STARTS_AT, STARTS_AT + timedelta(minutes=15)]


def test_registration_needs_an_approved_plan_and_closes_when_the_desk_starts(office, clock):
    desk = plan(office)
    with pytest.raises(TransitionRefused):
        register(office, desk, "Ali")
    desk = announced(office, agency="tax")
    clock.now = STARTS_AT
    with pytest.raises(TransitionRefused, match="closes"):
        register(office, desk, "Ali")


def test_an_unknown_form_is_not_found(office):
    desk = announced(office)
    with pytest.raises(NotFound):
        office.cancel_registration(desk, "9", by="x")


# -- 4. holding --------------------------------------------------------------------------------------------------
def test_reminder_calls_are_made_from_the_working_day_before(office, clock):
    desk = announced(office)
    ali = register(office, desk, "Ali")
    with pytest.raises(TransitionRefused, match="2026-11-24"):
        office.record_reminder_call(desk, ali, reached=True, by="x")
    clock.now = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    office.record_reminder_call(desk, ali, reached=False, note="no answer", by="x")
    office.record_reminder_call(desk, ali, reached=True, by="x")
    assert office.reminder_list(desk) == [
        {"form": ali, "member_name": "Ali", "phone": "09131234567", "starts_at": STARTS_AT, "calls": 2, "reached": True}
    ]


def test_attendance_waits_for_the_day_and_a_decision_needs_the_member_present(office, clock):
    desk = announced(office)
    ali, bahar = register(office, desk, "Ali"), register(office, desk, "Bahar")
    with pytest.raises(TransitionRefused, match="desk's day"):
        office.record_attendance(desk, ali, attended=True, by="x")
    office.request_catering(desk, items=["tea for 20"], by="x")
    clock.now = STARTS_AT
    office.record_attendance(desk, ali, attended=True, by="x")
    office.record_attendance(desk, bahar, attended=False, by="x")
    with pytest.raises(TransitionRefused, match="not recorded as attending"):
        office.record_decision(desk, bahar, decision="x", by="x")
    office.record_decision(desk, ali, decision="goods released on guarantee", by="x")
    record = office.record(desk)
    assert record["stage"] == "held" and record["catering"]["cost_centre"] == "FI-OT-02-00-02"


# -- 5. minutes --------------------------------------------------------------------------------------------------
def test_minutes_are_reviewed_only_with_a_decision_on_every_attending_form_then_sent_then_archived(office, clock):
    desk = announced(office)
    ali = register(office, desk, "Ali")
    clock.now = STARTS_AT
    office.record_attendance(desk, ali, attended=True, by="x")
    with pytest.raises(TransitionRefused, match="decision is missing on forms 1"):
        office.review_minutes(desk, by="x")
    office.record_decision(desk, ali, decision="d", by="x")
    with pytest.raises(TransitionRefused):
        office.archive_minutes(desk, by="x")
    minutes_sent(office, desk)
    office.archive_minutes(desk, by="x")
    assert office.record(desk)["stage"] == "archived"


# -- 6. effectiveness --------------------------------------------------------------------------------------------
def test_a_decision_not_carried_out_asks_for_a_corrective_action_keyed_by_the_form(office, clock):
    desk = announced(office)
    ali, bahar = hold(office, clock, desk, "Ali", "Bahar")
    minutes_sent(office, desk)
    assert office.record_follow_up(desk, ali, carried_out=True, result="released", by="x") is None
    ref = office.record_follow_up(desk, bahar, carried_out=False, result="still held", by="x")
    assert ref == f"desk:{desk}:{bahar}"
    with pytest.raises(TransitionRefused, match="recorded already"):
        office.record_follow_up(desk, bahar, carried_out=True, result="x", by="x")


def test_a_follow_up_not_made_within_five_working_days_is_a_breach_recorded_once(office, clock):
    desk = announced(office)
    ali, bahar = hold(office, clock, desk, "Ali", "Bahar")
    minutes_sent(office, desk)
    due = office.record(desk)["follow_up_due_at"]
    assert due == datetime(2026, 12, 1, 12, 30, tzinfo=UTC)  # Thursday, Friday off: the fifth working day after
    office.record_follow_up(desk, ali, carried_out=True, result="released", by="x")
    clock.now = due
    assert office.record_missed_follow_ups() == []
    clock.now = due + timedelta(minutes=1)
    assert office.record_missed_follow_ups() == [(desk, bahar)]
    assert office.record_missed_follow_ups() == []
    office.record_follow_up(desk, bahar, carried_out=True, result="released late", by="x")
    forms = {f["number"]: f for f in office.record(desk)["forms"]}
    assert forms[bahar]["follow_up"]["on_time"] is False and forms[bahar]["follow_up_missed"] is True


def test_the_checklist_closes_the_desk_once_every_decision_is_followed_up(office, clock):
    desk = announced(office)
    (ali,) = hold(office, clock, desk, "Ali")
    minutes_sent(office, desk)
    office.archive_minutes(desk, by="x")
    with pytest.raises(TransitionRefused, match="forms 1"):
        office.complete_checklist(desk, by="x")
    office.record_follow_up(desk, ali, carried_out=True, result="released", by="x")
    office.complete_checklist(desk, note="all done", by="x")
    checklist = office.record(desk)["checklist"]
    assert checklist["form"] == "MM-FR-03-05-01"
    assert checklist["items"]["follow_ups_on_time"] is True and checklist["items"]["catering_requested"] is False
    assert office.record(desk)["stage"] == "closed"
