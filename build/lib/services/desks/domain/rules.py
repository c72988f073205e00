"""The checks each step of a desk passes before its event is recorded, as plain functions of the desk: planning,
the holding step (reminder calls, attendance, decisions), the minutes and the effectiveness step. Each raises
InvalidInput (422) for bad input or TransitionRefused (409) for a step the desk is not ready for, and returns the
cleaned values the event records."""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from services.desks.domain.vocabulary import (
    MAX_CAPACITY,
    Format,
    FormState,
    Stage,
    TransitionRefused,
    required_text,
    text_list,
)
from shared.errors import InvalidInput

if TYPE_CHECKING:  # the aggregate imports this module
    from services.desks.domain.desk import Desk


def planned(
    *,
    agency: str,
    agencies: list[str],
    starts_at: datetime,
    desk_day: date,
    reminder_day: date,
    place: str,
    format: str,
    capacity: int,
    equipment: list[str] | None,
    slot_minutes: int,
    at: datetime,
) -> dict[str, Any]:
    """The Planned event's values of a desk, checked."""
    if agency not in agencies:
        raise InvalidInput(f"agency {agency!r} is not one of the chamber's desks: {', '.join(agencies)}")
    if starts_at <= at:
        raise InvalidInput("a desk is planned ahead: its start has already passed")
    try:
        fmt = Format(format)
    except ValueError:
        raise InvalidInput(f"format {format!r} is not one of {', '.join(f.value for f in Format)}") from None
    if not 1 <= capacity <= MAX_CAPACITY:
        raise InvalidInput(f"the capacity is between 1 and {MAX_CAPACITY} members")
    if not 1 <= slot_minutes <= 120:
        raise InvalidInput("a slot lasts between 1 and 120 minutes")
    return {
        "agency": agency,
        "starts_at": starts_at,
        "desk_day": desk_day.isoformat(),
        "reminder_day": reminder_day.isoformat(),
        "place": required_text(place, "the place", 300),
        "format": fmt.value,
        "capacity": capacity,
        "equipment": text_list(equipment, "equipment item"),
        "slot_minutes": slot_minutes,
    }


def require_stage(desk: Desk, allowed: tuple[Stage, ...], doing: str) -> None:
    if desk.stage not in allowed:
        names = " or ".join(s.value.replace("_", " ") for s in allowed)
        raise TransitionRefused(f"cannot {doing}: the desk is {desk.stage.replace('_', ' ')}; this needs {names}")


def check_reminder_call(desk: Desk, number: str, today: date, at: datetime) -> None:
    """The reminder call is made the working day before the desk (or on its day, before it starts)."""
    form = desk.form(number)
    if form["state"] != FormState.SCHEDULED:
        raise TransitionRefused(f"only members with a slot are reminded; form {number} is {form['state']}")
    if today.isoformat() < desk.reminder_day:
        raise TransitionRefused(f"reminder calls are made from {desk.reminder_day}, the working day before")
    if at >= desk.starts_at:
        raise TransitionRefused("the desk has started: it is too late for a reminder")


def check_attendance(desk: Desk, number: str, today: date) -> None:
    require_stage(desk, (Stage.APPROVED, Stage.ANNOUNCED, Stage.HELD), "record attendance")
    if today.isoformat() < desk.desk_day:
        raise TransitionRefused(f"attendance is recorded on the desk's day, {desk.desk_day}")
    form = desk.form(number)
    if form["state"] != FormState.SCHEDULED:
        raise TransitionRefused(f"form {number} has no slot: it is {form['state']}")


def check_decision(desk: Desk, number: str) -> None:
    require_stage(desk, (Stage.HELD,), "record a decision")
    if desk.form(number)["attended"] is not True:
        raise TransitionRefused(f"the member of form {number} was not recorded as attending")


def check_review(desk: Desk) -> None:
    """The minutes are reviewed once every member with a slot is recorded, and every attendant's form decided."""
    require_stage(desk, (Stage.HELD,), "review the minutes")
    unrecorded = [f["number"] for f in desk.scheduled() if f["attended"] is None]
    if unrecorded:
        raise TransitionRefused(f"attendance is not recorded for forms {', '.join(unrecorded)}")
    undecided = [f["number"] for f in desk.scheduled() if f["attended"] and f["decision"] is None]
    if undecided:
        raise TransitionRefused(f"the agency's decision is missing on forms {', '.join(undecided)}")


def follow_up(desk: Desk, number: str, carried_out: bool, result: str, at: datetime) -> dict[str, Any]:
    """The FollowUpRecorded event's values: a decision not carried out asks for a corrective action, by the source
    reference the outbox opens it with."""
    require_stage(desk, (Stage.MINUTES_SENT, Stage.ARCHIVED), "record a follow-up")
    form = desk.form(number)
    if form["decision"] is None:
        raise TransitionRefused(f"form {number} has no decision to follow up")
    if form["follow_up"] is not None:
        raise TransitionRefused(f"the follow-up of form {number} is recorded already")
    return {
        "number": number,
        "carried_out": carried_out,
        "result": required_text(result, "the result of the follow-up call"),
        "on_time": at <= desk.follow_up_due_at,
        "action_source_ref": None if carried_out else f"desk:{desk.id}:{number}",
        "agency": desk.agency,
    }


def check_checklist(desk: Desk) -> None:
    require_stage(desk, (Stage.ARCHIVED,), "complete the checklist")
    pending = [f["number"] for f in desk.decided() if f["follow_up"] is None]
    if pending:
        raise TransitionRefused(f"the follow-up calls of forms {', '.join(pending)} are not recorded yet")
