"""Stage deadlines in working hours on the chamber's calendar (the Iranian week, its holidays, the Thursday half
day), the pure breach check, and breaches recorded as events once per complaint, round and stage."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.complaints.application import ComplaintDesk, ComplaintSettings
from services.complaints.documents import DocumentStore
from services.complaints.domain import (
    DEFAULT_STAGE_HOURS,
    Stage,
    StageDeadline,
    breached,
    stage_deadlines,
    stage_due,
    stage_hours,
)
from shared.calendar import IRAN, TURKEY, BusinessCalendar
from shared.organisation import DEFAULT_ORGANISATION, Organisation

TEHRAN = ZoneInfo("Asia/Tehran")
ISTANBUL = ZoneInfo("Europe/Istanbul")
IR = BusinessCalendar(IRAN)
HOURS = stage_hours()


def tehran(*args: int) -> datetime:
    return datetime(*args, tzinfo=TEHRAN)


@pytest.fixture
def desk(tmp_path, clock) -> ComplaintDesk:
    return ComplaintDesk(
        organisation=Organisation.load(DEFAULT_ORGANISATION),
        calendar=IR,
        clock=clock,
        documents=DocumentStore(tmp_path / "documents"),
    )


def register(desk: ComplaintDesk, **overrides: Any) -> Any:
    args: dict[str, Any] = {
        "channel": "in_person",
        "kind": "complaint",
        "description": "card not issued",
        "by": "z.rahimi",
        "occurred_at": datetime(2026, 11, 18, 7, 0, tzinfo=UTC),
        "complainant_name": "علی رضایی",
        "phone": "09131234567",
        "unit": "membership",
        "stakeholders": {"units": ["membership"]},
    }
    args.update(overrides)
    return desk.register_complaint(**args)


def breach_events(desk: ComplaintDesk, complaint_id: Any) -> list[dict[str, Any]]:
    return [
        h["data"] for h in desk.history(complaint_id) if h["type"] == "crm.complaints.complaint.deadline_breached.v1"
    ]


# --- the hours allowed --------------------------------------------------------------------------------------------


def test_each_stage_has_its_working_hours_by_default() -> None:
    assert {s.value: h for s, h in HOURS.items()} == {
        "acknowledgement": 8,
        "review": 16,
        "assignment": 16,
        "investigation": 80,
        "decision": 40,
        "notification": 16,
    }
    assert set(DEFAULT_STAGE_HOURS) == set(Stage)


def test_the_chamber_may_change_the_hours_of_a_stage() -> None:
    hours = stage_hours({"investigation": 120, "acknowledgement": 4})
    assert hours[Stage.INVESTIGATION] == 120 and hours[Stage.ACKNOWLEDGEMENT] == 4 and hours[Stage.REVIEW] == 16


@pytest.mark.parametrize(
    ("overrides", "reason"), [({"triage": 8}, "unknown complaint stage"), ({"review": 0}, "positive")]
)
def test_hours_for_an_unknown_stage_or_not_positive_are_refused(overrides: dict[str, float], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        stage_hours(overrides)


# --- due times on the Iranian calendar ----------------------------------------------------------------------------


def test_an_acknowledgement_received_saturday_morning_is_due_sunday_morning() -> None:
    # Saturday 10:30: 5.5 hours left that day (08:00-16:00), 2.5 more on Sunday.
    assert stage_due(IR, tehran(2026, 11, 21, 10, 30), 8) == tehran(2026, 11, 22, 10, 30)


def test_the_thursday_half_day_and_friday_are_counted_as_the_chamber_works_them() -> None:
    # Wednesday 14:00: 2 hours on Wednesday, 4 on Thursday (08:00-12:00), Friday closed, 2 on Saturday.
    assert stage_due(IR, tehran(2026, 11, 25, 14, 0), 8) == tehran(2026, 11, 28, 10, 0)


def test_a_public_holiday_stops_the_clock() -> None:
    # Tuesday 22 December 2026 14:00; Wednesday 23 December (2 Dey 1405) is the Birthday of Imam Ali, a holiday.
    assert IR.is_holiday(tehran(2026, 12, 23).date())
    assert stage_due(IR, tehran(2026, 12, 22, 14, 0), 8) == tehran(2026, 12, 26, 10, 0)


def test_a_stage_started_out_of_hours_counts_from_the_next_opening() -> None:
    # Friday evening: nothing counts until Saturday 08:00.
    assert stage_due(IR, tehran(2026, 11, 27, 19, 0), 8) == tehran(2026, 11, 28, 16, 0)


def test_an_investigation_has_eighty_working_hours_about_two_working_weeks() -> None:
    # From Saturday 21 November 10:30: 41.5 hours the first week (Thursday a half day), 38.5 more ends Wednesday 14:30.
    assert stage_due(IR, tehran(2026, 11, 21, 10, 30), HOURS[Stage.INVESTIGATION]) == tehran(2026, 12, 2, 14, 30)


def test_due_times_follow_the_turkish_chambers_week_and_lunch_break() -> None:
    tr = BusinessCalendar(TURKEY)
    # Friday 16:30 in Istanbul: one hour on Friday, the weekend off, then Monday 08:30-12:30 and 13:30-16:30.
    assert stage_due(tr, datetime(2026, 11, 20, 16, 30, tzinfo=ISTANBUL), 8) == datetime(
        2026, 11, 23, 16, 30, tzinfo=ISTANBUL
    )


def test_the_deadlines_of_the_stages_started_are_listed_in_procedure_order() -> None:
    started = {"review": tehran(2026, 11, 22, 9, 0), "acknowledgement": tehran(2026, 11, 21, 10, 30)}
    done = {"acknowledgement": tehran(2026, 11, 22, 9, 0)}
    deadlines = stage_deadlines(IR, HOURS, started, done)
    assert [d.stage for d in deadlines] == [Stage.ACKNOWLEDGEMENT, Stage.REVIEW]
    assert deadlines[0] == StageDeadline(
        Stage.ACKNOWLEDGEMENT, started["acknowledgement"], tehran(2026, 11, 22, 10, 30), done["acknowledgement"]
    )
    assert deadlines[1].due_at == tehran(2026, 11, 24, 9, 0)  # 16 working hours from Sunday 09:00
    assert deadlines[1].done_at is None


# --- the breach check (pure) --------------------------------------------------------------------------------------


def test_a_stage_is_breached_only_after_its_due_time() -> None:
    d = StageDeadline(Stage.REVIEW, tehran(2026, 11, 22, 9, 0), tehran(2026, 11, 24, 9, 0), None)
    assert not d.is_breached(tehran(2026, 11, 24, 9, 0))
    assert d.is_breached(tehran(2026, 11, 24, 9, 0, 1))


def test_a_stage_done_late_is_breached_and_one_done_in_time_is_not() -> None:
    due = tehran(2026, 11, 24, 9, 0)
    late = StageDeadline(Stage.REVIEW, tehran(2026, 11, 22, 9, 0), due, due + timedelta(minutes=1))
    in_time = StageDeadline(Stage.ACKNOWLEDGEMENT, tehran(2026, 11, 22, 9, 0), due, due)
    assert breached([late, in_time], now=due - timedelta(days=1)) == [late]


# --- breaches as events -------------------------------------------------------------------------------------------


def test_a_complaint_not_acknowledged_within_eight_working_hours_is_breached_once(desk: ComplaintDesk, clock) -> None:
    complaint_id = register(desk)
    clock.now = tehran(2026, 11, 22, 10, 30).astimezone(UTC)  # exactly due: not yet
    assert desk.record_breaches() == []
    clock.advance(minutes=1)
    assert desk.record_breaches() == [(complaint_id, Stage.ACKNOWLEDGEMENT)]
    assert desk.record_breaches() == []
    clock.advance(days=3)
    assert desk.record_breaches(clock()) == []
    [breach] = breach_events(desk, complaint_id)
    assert breach["stage"] == "acknowledgement"
    assert breach["key"] == "1:acknowledgement"
    assert breach["due_at"] == tehran(2026, 11, 22, 10, 30)
    assert (breach["waiting_on"], breach["waiting_person"]) == ("member_relations", "z.rahimi")
    assert breach["done_at"] is None


def test_a_stage_completed_late_records_its_breach_with_the_step(desk: ComplaintDesk, clock) -> None:
    complaint_id = register(desk)
    clock.advance(days=3)  # Tuesday: the acknowledgement was due on Sunday
    desk.acknowledge_complaint(complaint_id, by="z.rahimi", method="phone")
    [breach] = breach_events(desk, complaint_id)
    assert breach["stage"] == "acknowledgement" and breach["done_at"] == clock()
    assert desk.record_breaches() == []


def test_each_stage_is_breached_on_its_own(desk: ComplaintDesk, clock) -> None:
    complaint_id = register(desk)
    desk.acknowledge_complaint(complaint_id, by="z.rahimi", method="phone")
    clock.advance(days=10)  # the review (16 working hours) is long overdue
    assert desk.record_breaches() == [(complaint_id, Stage.REVIEW)]
    desk.complete_review(complaint_id, by="m.karimi")
    desk.refer_complaint(complaint_id, by="m.karimi")
    clock.advance(days=10)
    assert desk.record_breaches() == [(complaint_id, Stage.ASSIGNMENT)]
    desk.assign_handler(complaint_id, handler_kind="person", handler="p.mohammadi", by="sg")
    clock.advance(days=10)  # 80 working hours are about two working weeks: not yet
    assert desk.record_breaches() == []
    clock.advance(days=10)
    [(_, stage)] = desk.record_breaches()
    assert stage == Stage.INVESTIGATION
    stages = [b["stage"] for b in breach_events(desk, complaint_id)]
    assert stages == ["review", "assignment", "investigation"]
    investigation = breach_events(desk, complaint_id)[-1]
    assert (investigation["waiting_on"], investigation["waiting_person"]) == ("handler", "p.mohammadi")


def test_a_reopened_complaint_can_breach_its_stages_again(desk: ComplaintDesk, clock) -> None:
    complaint_id = register(desk)
    clock.advance(days=3)
    desk.acknowledge_complaint(complaint_id, by="z.rahimi", method="phone")
    for step in (
        lambda: desk.complete_review(complaint_id, by="m.karimi"),
        lambda: desk.refer_complaint(complaint_id, by="m.karimi"),
        lambda: desk.assign_handler(complaint_id, handler_kind="unit", handler="legal", by="sg"),
        lambda: desk.file_investigation(
            complaint_id,
            by="d.kazemi",
            by_unit="legal",
            circumstances="c",
            root_causes="r",
            consequences="q",
            actions_taken="a",
        ),
        lambda: desk.decide_complaint(complaint_id, decision="rejected", reason="no basis", by="sg"),
        lambda: desk.notify_member(complaint_id, method="phone", message="rejected", by="m.karimi"),
        lambda: desk.close_complaint(complaint_id, by="m.karimi"),
        lambda: desk.record_satisfaction(complaint_id, by="m.karimi", score=1),
        lambda: desk.reopen_complaint(complaint_id, reason="not satisfied", by="m.karimi"),
    ):
        step()
    clock.advance(days=10)
    assert desk.record_breaches() == [(complaint_id, Stage.REVIEW)]
    assert [b["key"] for b in breach_events(desk, complaint_id)] == ["1:acknowledgement", "2:review"]


def test_a_closed_complaint_breaches_nothing_more(desk: ComplaintDesk, clock) -> None:
    complaint_id = register(desk)
    desk.acknowledge_complaint(complaint_id, by="z.rahimi", method="phone")
    desk.complete_review(complaint_id, by="m.karimi")
    desk.refer_complaint(complaint_id, by="m.karimi")
    desk.assign_handler(complaint_id, handler_kind="person", handler="p.mohammadi", by="sg")
    desk.file_investigation(
        complaint_id,
        by="p.mohammadi",
        by_unit=None,
        circumstances="c",
        root_causes="r",
        consequences="q",
        actions_taken="a",
    )
    desk.decide_complaint(complaint_id, decision="accepted", reason=None, by="sg")
    desk.forgo_committee(complaint_id, reason=None, by="sg")
    desk.notify_member(complaint_id, method="phone", message="accepted", by="m.karimi")
    desk.close_complaint(complaint_id, by="m.karimi")
    clock.advance(days=365)
    assert desk.record_breaches() == []
    assert breach_events(desk, complaint_id) == []


def test_the_configured_hours_set_the_due_times(tmp_path, clock) -> None:
    desk = ComplaintDesk(
        organisation=Organisation.load(DEFAULT_ORGANISATION),
        calendar=IR,
        clock=clock,
        config=ComplaintSettings(stage_hours={"acknowledgement": 1}),
        documents=DocumentStore(tmp_path / "d"),
    )
    complaint_id = register(desk)
    assert desk.view(complaint_id)["due_at"] == tehran(2026, 11, 21, 11, 30)
    clock.advance(hours=1, seconds=1)
    assert desk.record_breaches() == [(complaint_id, Stage.ACKNOWLEDGEMENT)]


def test_the_form_shows_due_times_and_steps_on_the_solar_hijri_calendar(desk: ComplaintDesk, clock) -> None:
    complaint_id = register(desk)
    form = desk.complaint_form(complaint_id)
    assert form["received_at_local"] == "1405/08/30 10:30"
    assert form["deadlines"][0]["stage"] == "acknowledgement"
    assert form["deadlines"][0]["due_at_local"] == "1405/09/01 10:30"
    assert form["steps"][0]["at_local"] == "1405/08/30 10:30"
