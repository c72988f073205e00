"""The corrective action's rules and events, and the register's commands and deadline checker, in memory."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from services.actions.application import ActionNotFound, ActionRegister, ActionSettings
from services.actions.domain import CorrectiveAction, State, TransitionRefused, action_id, working_days_after
from shared.calendar import IRAN, BusinessCalendar
from shared.organisation import Organisation
from shared.problems import InvalidInput
from shared.settings import Settings
from tests.conftest import FakeClock

CALENDAR = BusinessCalendar(IRAN)
# Saturday 21 November 2026, 10:30 in Tehran.
AT = datetime(2026, 11, 21, 7, 0, tzinfo=UTC)


def new_action(**fields) -> CorrectiveAction:
    base = {
        "source_kind": "complaint",
        "source_ref": "complaint:CMP-7K2Q:CA-1",
        "title": "Answer the trade unit's phone line at lunchtime",
        "unit": "trade",
        "by": "m.karimi",
        "at": AT,
    }
    return CorrectiveAction.open(**{**base, **fields})


def assigned(**fields) -> CorrectiveAction:
    action = new_action(**fields)
    day, end = working_days_after(CALENDAR, AT, 10)
    action.assign(owner="s.ahmadi", unit=None, due_on=day, due_at=end, by="m.karimi", at=AT)
    return action


def event_names(action: CorrectiveAction) -> list[str]:
    return [type(e).__name__ for e in action.collect_events()]


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(AT)


@pytest.fixture
def register(clock) -> ActionRegister:
    organisation = Organisation.load(Settings().organisation_file)
    return ActionRegister(calendar=CALENDAR, organisation=organisation, clock=clock, config=ActionSettings())


def open_assigned(register: ActionRegister, ref: str = "complaint:CMP-1:CA-1") -> uuid.UUID:
    aid, created = register.open_action(
        source_kind="complaint", source_ref=ref, title="Fix it", unit="trade", owner="s.ahmadi", by="m.karimi"
    )
    assert created
    return aid


# -- the aggregate ---------------------------------------------------------------------------------------------
def test_the_id_of_an_action_is_derived_from_its_source_reference():
    assert new_action().id == action_id("complaint:CMP-7K2Q:CA-1")
    assert action_id("a") == uuid.uuid5(uuid.UUID("5c2f7e1a-93d4-4b8e-a0f6-2d7c41b9e853"), "action:a")
    assert action_id("a") != action_id("b")


def test_an_action_opens_from_every_kind_of_source_and_refuses_an_unknown_one():
    for kind in ("complaint", "non_answer", "survey", "desk", "session", "risk"):
        assert new_action(source_kind=kind).state == State.OPENED
    with pytest.raises(InvalidInput, match="source kind 'rumour'"):
        new_action(source_kind="rumour")


def test_an_action_needs_a_title_and_a_source_reference():
    with pytest.raises(InvalidInput, match="title"):
        new_action(title="  ")
    with pytest.raises(InvalidInput, match="source reference"):
        new_action(source_ref="")


def test_the_due_date_is_counted_in_working_days_skipping_fridays_and_holidays():
    day, end = working_days_after(CALENDAR, AT, 10)
    # From Saturday 21 November: Friday 27 November is no working day, so the tenth is Wednesday 2 December,
    # due by the end of that working day in Tehran.
    assert day == date(2026, 12, 2)
    assert not CALENDAR.is_working_day(date(2026, 11, 27))
    assert end == CALENDAR.end_of_working_day(day) == datetime(2026, 12, 2, 12, 30, tzinfo=UTC)


def test_assigning_sets_owner_unit_and_due_date_and_puts_the_action_in_progress():
    action = assigned()
    assert (action.owner, action.unit, action.state) == ("s.ahmadi", "trade", State.IN_PROGRESS)
    assert action.due_on == "2026-12-02"
    assert event_names(action) == ["Opened", "Assigned"]


def test_an_action_cannot_be_assigned_without_a_unit():
    action = new_action(unit=None)
    day, end = working_days_after(CALENDAR, AT, 10)
    with pytest.raises(InvalidInput, match="unit"):
        action.assign(owner="s.ahmadi", unit=None, due_on=day, due_at=end, by="sg", at=AT)


def test_a_due_date_in_the_past_is_refused():
    action = new_action()
    with pytest.raises(InvalidInput, match="already passed"):
        action.assign(owner="x", unit=None, due_on=date(2026, 11, 1), due_at=AT - timedelta(days=20), by="sg", at=AT)


def test_progress_and_done_need_the_action_in_progress():
    action = new_action()
    with pytest.raises(TransitionRefused, match="cannot note progress: the action is opened"):
        action.note_progress("started", by="s.ahmadi", at=AT)
    with pytest.raises(TransitionRefused, match="cannot mark the action done"):
        action.complete("done", check_due_at=AT + timedelta(days=30), by="s.ahmadi", at=AT)


def test_done_records_what_was_done_and_when_the_effectiveness_check_is_due():
    action = assigned()
    action.note_progress("lunch rota agreed with the unit", by="s.ahmadi", at=AT)
    check = AT + timedelta(days=30)
    action.complete("a second expert answers between 12 and 13", check_due_at=check, by="s.ahmadi", at=AT)
    assert action.state == State.DONE and action.check_due_at == check and action.what_was_done
    assert event_names(action)[-2:] == ["ProgressNoted", "Done"]


def test_effectiveness_cannot_be_confirmed_before_the_check_is_due():
    action = assigned()
    check = AT + timedelta(days=30)
    action.complete("done", check_due_at=check, by="s.ahmadi", at=AT)
    with pytest.raises(TransitionRefused, match="cannot be confirmed earlier"):
        action.confirm_effective(None, by="f.alavi", at=AT + timedelta(days=29))
    action.confirm_effective("no missed calls at lunch since", by="f.alavi", at=check)
    assert action.state == State.CLOSED and action.closed_at == check


def test_a_failed_effectiveness_check_reopens_the_action_with_a_new_due_date_and_the_reason():
    action = assigned()
    action.complete("done", check_due_at=AT + timedelta(days=30), by="s.ahmadi", at=AT)
    later = AT + timedelta(days=10)
    day, end = working_days_after(CALENDAR, later, 10)
    action.reopen("still unanswered at lunchtime", due_on=day, due_at=end, by="f.alavi", at=later)
    assert action.state == State.IN_PROGRESS and action.round == 2
    assert action.failed_checks == [
        {"reason": "still unanswered at lunchtime", "by": "f.alavi", "at": later, "round": 1}
    ]
    assert action.due_at == end and action.what_was_done is None and action.check_due_at is None


def test_a_reopening_needs_a_reason():
    action = assigned()
    action.complete("done", check_due_at=AT + timedelta(days=30), by="s.ahmadi", at=AT)
    with pytest.raises(InvalidInput, match="reason"):
        action.reopen(" ", due_on=date(2026, 12, 20), due_at=AT + timedelta(days=40), by="f.alavi", at=AT)


def test_a_closed_action_can_neither_be_cancelled_nor_reopened():
    action = assigned()
    action.complete("done", check_due_at=AT + timedelta(days=1), by="s.ahmadi", at=AT)
    action.confirm_effective(None, by="sg", at=AT + timedelta(days=1))
    with pytest.raises(TransitionRefused):
        action.cancel("no longer needed", by="sg", at=AT + timedelta(days=2))
    with pytest.raises(TransitionRefused):
        action.reopen("x", due_on=date(2027, 1, 1), due_at=AT + timedelta(days=50), by="sg", at=AT)


def test_cancelling_needs_a_reason_and_ends_the_action():
    action = assigned()
    with pytest.raises(InvalidInput):
        action.cancel("", by="sg", at=AT)
    action.cancel("the unit was merged into another", by="sg", at=AT)
    assert action.state == State.CANCELLED
    with pytest.raises(TransitionRefused):
        action.note_progress("x", by="s.ahmadi", at=AT)


def test_a_passed_due_date_is_recorded_once_per_due_date():
    action = assigned()
    action.collect_events()
    assert action.record_deadlines(action.due_at) == []  # due by the end of the day: not yet passed
    later = action.due_at + timedelta(minutes=1)
    assert action.record_deadlines(later) == ["overdue"]
    assert action.record_deadlines(later + timedelta(days=3)) == []
    assert event_names(action) == ["BecameOverdue"]
    # A new due date may pass again.
    day, end = working_days_after(CALENDAR, later, 5)
    action.assign(owner="s.ahmadi", unit=None, due_on=day, due_at=end, by="sg", at=later)
    assert action.record_deadlines(end + timedelta(seconds=1)) == ["overdue"]


def test_a_done_action_is_never_overdue_and_its_check_falls_due_once():
    action = assigned()
    check = action.due_at + timedelta(days=20)
    action.complete("done", check_due_at=check, by="s.ahmadi", at=AT)
    assert action.record_deadlines(action.due_at + timedelta(days=1)) == []
    assert action.record_deadlines(check) == ["effectiveness_check_due"]
    assert action.record_deadlines(check + timedelta(days=1)) == []


# -- the register ----------------------------------------------------------------------------------------------
def test_opening_twice_with_the_same_source_reference_returns_the_same_action(register):
    first = open_assigned(register)
    again, created = register.open_action(source_kind="complaint", source_ref="complaint:CMP-1:CA-1", title="Other")
    assert (again, created) == (first, False)
    assert register.record(first)["title"] == "Fix it"
    assert len(register.history(first)) == 2


def test_opening_with_an_owner_assigns_with_the_configured_working_days(register):
    aid = open_assigned(register)
    record = register.record(aid)
    assert record["state"] == "in_progress" and record["owner"] == "s.ahmadi" and record["due_on"] == "2026-12-02"


def test_an_unknown_unit_is_refused(register):
    with pytest.raises(InvalidInput, match="not a unit"):
        register.open_action(source_kind="desk", source_ref="desk:1", title="x", unit="nowhere")


def test_an_explicit_due_date_must_be_a_working_day(register):
    aid, _ = register.open_action(source_kind="session", source_ref="session:5", title="Follow up", unit="legal")
    with pytest.raises(InvalidInput, match="not a working day"):
        register.assign_action(aid, owner="d.kazemi", due_on=date(2026, 11, 27), by="sg")  # a Friday
    register.assign_action(aid, owner="d.kazemi", due_on=date(2026, 11, 28), by="sg")
    assert register.record(aid)["due_on"] == "2026-11-28"


def test_an_unknown_action_is_not_found(register):
    with pytest.raises(ActionNotFound):
        register.record(uuid.uuid4())
    with pytest.raises(ActionNotFound):
        register.note_progress("not-a-uuid", "x")


def test_the_effectiveness_check_is_due_the_configured_working_days_after_done(register, clock):
    aid = open_assigned(register)
    register.complete_action(aid, "done", by="s.ahmadi")
    _, expected = working_days_after(CALENDAR, AT, 20)
    assert register.record(aid)["check_due_at"] == expected


def test_the_deadline_checker_records_overdue_and_check_due_once_each(register, clock):
    late = open_assigned(register, "non_answer:trade:2026-W47")
    done = open_assigned(register, "survey:2026-autumn:q3")
    register.complete_action(done, "new script for the callers", by="s.ahmadi")
    assert register.record_deadlines() == []
    clock.now = register.record(late)["due_at"] + timedelta(hours=1)
    assert register.record_deadlines() == [(late, "overdue")]
    assert register.record(late)["overdue"] is True
    clock.now = register.record(done)["check_due_at"]
    assert register.record_deadlines() == [(done, "effectiveness_check_due")]
    assert register.record_deadlines() == []
    types = [e["type"] for e in register.history(late)]
    assert types.count("crm.actions.corrective_action.became_overdue.v1") == 1


def test_history_says_who_did_what_and_when(register, clock):
    aid = open_assigned(register)
    clock.advance(hours=2)
    register.note_progress(aid, "called the unit manager", by="s.ahmadi")
    history = register.history(aid)
    assert [(h["title"], h["by"]) for h in history] == [
        ("Opened", "m.karimi"),
        ("Assigned", "m.karimi"),
        ("Progress noted", "s.ahmadi"),
    ]
    assert history[2]["at"] == AT + timedelta(hours=2) and history[2]["data"] == {"note": "called the unit manager"}


def test_the_delays_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("CRM_ACTIONS__DUE_WORKING_DAYS", "3")
    monkeypatch.setenv("CRM_ACTIONS__EFFECTIVENESS_DELAY_WORKING_DAYS", "5")
    config = ActionSettings.from_settings(Settings())
    assert (config.due_working_days, config.effectiveness_delay_working_days) == (3, 5)
    monkeypatch.delenv("CRM_ACTIONS__DUE_WORKING_DAYS")
    monkeypatch.delenv("CRM_ACTIONS__EFFECTIVENESS_DELAY_WORKING_DAYS")
    assert ActionSettings.from_settings(Settings()) == ActionSettings()
    with pytest.raises(ValueError, match="at least one working day"):
        ActionSettings.from_settings(Settings(), due_working_days=0)
    monkeypatch.setenv("CRM_ACTIONS__DUE_WORKING_DAYS", "0")
    with pytest.raises(ValueError, match="greater than or equal to 1"):
        Settings()


def test_a_shorter_configured_delay_brings_the_effectiveness_check_forward(clock):
    register = ActionRegister(
        calendar=CALENDAR, clock=clock, config=ActionSettings(due_working_days=3, effectiveness_delay_working_days=5)
    )
    aid = open_assigned(register)
    assert register.record(aid)["due_on"] == working_days_after(CALENDAR, AT, 3)[0].isoformat()
    register.complete_action(aid, "done", by="s.ahmadi")
    assert register.record(aid)["check_due_at"] == working_days_after(CALENDAR, AT, 5)[1]
