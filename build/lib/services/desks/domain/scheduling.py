"""Registration and scheduling on a desk, as plain functions over its problem forms: a slot of about ten minutes
each, allocated in order, never overlapping, within capacity; beyond it a waiting list that moves up when someone
leaves (cancels, or is guided elsewhere). Also the desk's stage and its checklist, read from its record.

The forms are the desk's `forms` ({number: form}) and `waiting` (form numbers, first in line first); the functions
that change them are called only from the desk's event bodies, so replaying the events rebuilds the same slots.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.desks.domain.vocabulary import (
    PROBLEM_FORM,
    Channel,
    FormState,
    Route,
    Stage,
    TransitionRefused,
    clean_text,
    language_of,
    required_text,
    text_list,
)
from shared.errors import InvalidInput

if TYPE_CHECKING:  # the aggregate imports this module
    from services.desks.domain.desk import Desk


def stage_of(desk: Desk) -> str:
    if desk.checklist is not None:
        return Stage.CLOSED.value
    for step, stage in (
        ("archived", Stage.ARCHIVED),
        ("sent", Stage.MINUTES_SENT),
        ("reviewed", Stage.MINUTES_REVIEWED),
    ):
        if step in desk.minutes:
            return stage.value
    if desk.held:
        return Stage.HELD.value
    if desk.plan_approved_at is None:
        return Stage.PLANNING.value
    if all(r.value in desk.announcements for r in Route):
        return Stage.ANNOUNCED.value
    return Stage.APPROVED.value


def free_slot(forms: dict[str, dict[str, Any]], capacity: int) -> int | None:
    """The first slot no scheduled form holds, or None when all `capacity` slots are taken."""
    taken = {f["slot"] for f in forms.values() if f["state"] == FormState.SCHEDULED}
    return next((s for s in range(capacity) if s not in taken), None)


def registration(desk: Desk, form: dict[str, Any], at: datetime) -> dict[str, Any]:
    """The MemberRegistered event's values of a new problem form, checked, with its slot (None: waiting)."""
    if desk.stage not in (Stage.APPROVED, Stage.ANNOUNCED):
        raise TransitionRefused(f"cannot register a member: the desk is {desk.stage.replace('_', ' ')}")
    if at >= desk.starts_at:
        raise TransitionRefused("registration closes when the desk starts")
    unknown = set(form) - {
        "member_id",
        "member_name",
        "company",
        "phone",
        "language",
        "channel",
        "problem",
        "documents",
    }
    if unknown:
        raise TypeError(f"unknown fields of a problem form: {sorted(unknown)}")
    channel = form.get("channel")
    try:
        ch = Channel(str(channel))
    except ValueError:
        raise InvalidInput(f"channel {channel!r} is not one of {', '.join(c.value for c in Channel)}") from None
    slot = free_slot(desk.forms, desk.capacity)
    return {
        "number": str(len(desk.forms) + 1),
        "form": PROBLEM_FORM,
        "member_id": clean_text(form.get("member_id")),
        "member_name": required_text(form.get("member_name"), "the member's name", 200),
        "company": clean_text(form.get("company")),
        "phone": clean_text(form.get("phone")),
        "language": language_of(form.get("language")),
        "channel": ch.value,
        "problem": required_text(form.get("problem"), "the problem"),
        "documents": text_list(form.get("documents"), "document"),
        "slot": slot,
        "slot_start": None if slot is None else desk.slot_start(slot),
    }


def add_form(desk: Desk, data: dict[str, Any], slot: int | None, at: datetime) -> None:
    """A registered problem form: in its slot, or last on the waiting list."""
    number = data["number"]
    desk.forms[number] = {
        "number": number,
        "member_id": data["member_id"],
        "member_name": data["member_name"],
        "company": data["company"],
        "phone": data["phone"],
        "language": data.get("language"),
        "channel": data["channel"],
        "problem": data["problem"],
        "documents": data["documents"],
        "state": (FormState.WAITING if slot is None else FormState.SCHEDULED).value,
        "slot": slot,
        "guided_to": None,
        "reminders": [],
        "reminder_due": None,  # when the slot reminder was asked of the notification channels
        "attended": None,
        "decision": None,
        "follow_up": None,
        "follow_up_missed": False,
        "registered_at": at,
    }
    if slot is None:
        desk.waiting.append(number)


def next_in_line(desk: Desk, number: str, doing: str) -> tuple[str | None, int | None]:
    """Who moves up into the slot form `number` frees when it leaves: (form number, slot), or (None, None)."""
    form = desk.form(number)
    if form["state"] not in (FormState.SCHEDULED, FormState.WAITING):
        raise TransitionRefused(f"cannot {doing}: form {number} is {form['state']}")
    if form["state"] == FormState.SCHEDULED and desk.waiting:
        return desk.waiting[0], form["slot"]
    return None, None


def vacate(desk: Desk, number: str, promoted: str | None, slot: int | None) -> None:
    form = desk.forms[number]
    if number in desk.waiting:
        desk.waiting.remove(number)
    form["slot"] = None
    if promoted is not None:
        desk.waiting.remove(promoted)
        desk.forms[promoted]["state"] = FormState.SCHEDULED.value
        desk.forms[promoted]["slot"] = slot


def checklist_items(desk: Desk) -> dict[str, bool]:
    """Checklist MM-FR-03-05-01: what the desk did, read from its own record."""
    scheduled = desk.scheduled()
    return {
        "coordinated_with_agency": bool(desk.coordinations),
        "planning_form_approved": desk.plan_approved_at is not None,
        "announced_by_all_routes": all(r.value in desk.announcements for r in Route),
        "catering_requested": desk.catering is not None,
        "every_registrant_reminded": all(f["reminders"] for f in scheduled),
        "decisions_on_every_form": all(f["decision"] for f in scheduled if f["attended"]),
        "minutes_sent_and_archived": "archived" in desk.minutes,
        "follow_ups_on_time": all(f["follow_up"]["on_time"] for f in desk.decided()),
    }
