"""The arithmetic of the reporting read models, as pure functions over plain data (tests call them directly).

The reporting service knows the other services only through their CloudEvents types and JSON data; it never
imports their classes. The types it reads are named in full, version included, and each is checked against the
producers' published contracts (contracts/<service>/<type>.json): a `.v2` of an event is not read as its `.v1`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, overload

from shared.calendar import BusinessCalendar

# wire type -> the name the fold functions below know it by
CALL_EVENTS = {
    "crm.calls.call.received.v1": "received",
    "crm.calls.call.routed.v1": "routed",
    "crm.calls.call.answered.v1": "answered",
    "crm.calls.call.unanswered_registered.v1": "unanswered_registered",
    "crm.calls.call.callback_recorded.v1": "callback_recorded",
    "crm.calls.call.member_relations_follow_up_opened.v1": "member_relations_follow_up_opened",
    "crm.calls.call.resolved_by_member_relations.v1": "resolved_by_member_relations",
    "crm.calls.call.transferred_to_expert.v1": "transferred_to_expert",
    "crm.calls.call.deadline_moved.v1": "deadline_moved",
    "crm.calls.call.completed.v1": "completed",
    "crm.calls.call.caller_hung_up.v1": "caller_hung_up",
}
# The chamber's calendar as the calls service keeps it (services/calls/calendar.py): the reporting calendar follows.
CALENDAR_EVENTS = {
    "crm.calls.calendar.schedule_set.v1": "schedule",
    "crm.calls.calendar.day_closed.v1": "closure",
}
REPORTING_EVENTS = {
    "crm.reporting.callback_breach.recorded.v1": "callback_breach.recorded",
    "crm.reporting.member_relations_follow_up_breach.recorded.v1": "member_relations_follow_up_breach.recorded",
    "crm.reporting.end_of_day_list.produced.v1": "end_of_day_list.produced",
    "crm.reporting.end_of_day_list.delivery_requested.v1": "end_of_day_list.delivery_requested",
    "crm.reporting.escalation.raised.v1": "escalation.raised",
    "crm.reporting.escalation.accepted.v1": "escalation.accepted",
    "crm.reporting.escalation.dismissed.v1": "escalation.dismissed",
    "crm.reporting.escalation.reported_to_sg.v1": "escalation.reported_to_sg",
    "crm.reporting.escalation.corrective_action_requested.v1": "escalation.corrective_action_requested",
    "crm.reporting.escalation.corrective_action_opened.v1": "escalation.corrective_action_opened",
    "crm.reporting.corrective_action.opened.v1": "corrective_action.opened",
}
# An escalation's later steps -> the status it is at after each (the steps arrive in order: one aggregate).
ESCALATION_STEPS = {
    "escalation.accepted": "accepted",
    "escalation.dismissed": "dismissed",
    "escalation.reported_to_sg": "reported",
    "escalation.corrective_action_requested": "action_requested",
    "escalation.corrective_action_opened": "action_opened",
}


@overload
def parse_time(value: None) -> None: ...
@overload
def parse_time(value: datetime | str) -> datetime: ...
def parse_time(value: Any) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def event_name(ce_type: str, handled: Mapping[str, str]) -> str | None:
    """`crm.calls.call.routed.v1` -> `routed` (None for a type, or a version of it, that `handled` does not name)."""
    return handled.get(ce_type)


# -- per call: what was offered to which unit, answered, left unanswered -----------------------------------------
def call_fact(
    fact: dict[str, Any] | None, name: str, data: dict[str, Any], calendar: BusinessCalendar
) -> dict[str, Any] | None:
    """Fold one call event into the call's facts (None when the event says nothing about them)."""
    if name == "received":
        at = parse_time(data["at"])
        return {
            "direction": data["direction"],
            "received_at": at,
            "day": calendar.working_day_of(at).isoformat(),
            "unit": None,
            "offered": False,
            "answered": False,
            "unanswered": False,
            **({} if fact is None else {k: fact[k] for k in ("unit", "offered", "answered", "unanswered")}),
        }
    if fact is None:
        return None
    if name == "routed":
        return {**fact, "unit": data["unit"], "queue": data.get("queue"), "offered": fact["direction"] == "incoming"}
    if name == "answered":
        if fact.get("answered_at") is not None:  # a second attempt: the wait ended at the first answer
            return {**fact, "answered": True}
        return {**fact, "answered": True, "answered_at": parse_time(data.get("at")), "expert": data.get("expert")}
    if name in ("completed", "caller_hung_up"):
        if fact.get("ended_at") is not None:
            return None
        ended = parse_time(data["at"])
        talk = data.get("talk_seconds")
        if talk is None and fact.get("answered_at") is not None:
            talk = max(0.0, (ended - parse_time(fact["answered_at"])).total_seconds())
        return {**fact, "ended_at": ended, "talk_seconds": talk if fact.get("answered_at") is not None else None}
    if name == "unanswered_registered":
        return {**fact, "unanswered": True, "unit": fact["unit"] or data["unit"]}
    return None


# -- the unanswered-call queue ----------------------------------------------------------------------------------
def unanswered_item(
    item: dict[str, Any] | None, name: str, data: dict[str, Any], calendar: BusinessCalendar
) -> dict[str, Any] | None:
    """Fold one call event into the call's unanswered-call record (None: nothing to write)."""
    if name == "received":
        # Remember who called: the record is written when the call is registered as unanswered.
        return {
            **(item or {}),
            "caller": data.get("caller") or data.get("caller_raw"),
            "member_id": data.get("member_id"),
            "received_at": parse_time(data["at"]),
        }
    if name == "unanswered_registered":
        return {
            **(item or {}),
            "unit": data["unit"],
            "expert": data.get("expert"),
            "contact_phone": data.get("contact_phone"),
            "contact_name": data.get("contact_name"),
            "subject": data.get("subject"),
            "automatic": bool(data.get("automatic")),
            "registered_at": parse_time(data["at"]),
            "callback_due": parse_time(data["callback_due"]),
            "state": "open" if not (item or {}).get("called_back_at") else (item or {}).get("state", "called_back"),
        }
    if name == "callback_recorded" and item is not None:
        attempts = int(item.get("callback_attempts") or 0) + 1
        if data["outcome"] == "not_reached":
            return {**item, "callback_attempts": attempts}
        at = parse_time(data["at"])
        state = "following_up" if data["outcome"] == "follow_up" else "called_back"
        if item.get("called_back_at") is not None:
            # Reached before (a follow-up): the deadline was met then; this records the final outcome.
            return {**item, "callback_attempts": attempts, "state": state, "outcome": data["outcome"]}
        registered = item.get("registered_at")
        delay = calendar.working_time_between(registered, at).total_seconds() if registered else None
        return {
            **item,
            "callback_attempts": attempts,
            "state": state,
            "called_back_at": at,
            "callback_by": data.get("by"),
            "outcome": data["outcome"],
            "callback_delay_working_seconds": delay,
        }
    return None


# -- calls member relations answered and still owe an outcome -----------------------------------------------------
FOLLOW_UP_CLOSERS = {
    "resolved_by_member_relations": "resolved",
    "transferred_to_expert": "transferred",
    "unanswered_registered": "registered_unanswered",
}


def follow_up_item(item: dict[str, Any] | None, name: str, data: dict[str, Any]) -> dict[str, Any] | None:
    """Fold one call event into the member-relations follow-up of the call (None: nothing to write)."""
    if name == "member_relations_follow_up_opened":
        return {
            **(item or {}),
            "expert": data["expert"],
            "opened_at": parse_time(data["at"]),
            "due": parse_time(data["due"]),
            "state": "open",
        }
    if name in FOLLOW_UP_CLOSERS and item is not None and item.get("state") == "open":
        return {**item, "state": "closed", "outcome": FOLLOW_UP_CLOSERS[name], "closed_at": parse_time(data["at"])}
    return None


def is_breached(item: dict[str, Any], now: datetime) -> bool:
    """The deadline has passed with no callback (a callback after the deadline still leaves it breached)."""
    due = item.get("callback_due")
    if due is None:
        return False
    done = item.get("called_back_at")
    return (done is None and due <= now) or (done is not None and done > due)


# -- repeated non-answer ----------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EscalationRule:
    threshold: int  # more than this many unanswered calls ...
    window: timedelta  # ... within this rolling window escalates


def window_start(calendar: BusinessCalendar, day: date, working_days: int) -> date:
    """The first working day of a window of `working_days` working days that ends with `day`."""
    first = day
    for _ in range(working_days - 1):
        first = calendar.previous_working_day(first)
    return first


def crossing_call(
    registrations: Iterable[tuple[datetime, str]],
    rule: EscalationRule,
    since: datetime | None,
    calendar: BusinessCalendar | None = None,
) -> tuple[str, datetime, list[str]] | None:
    """The first unanswered call that pushes the unit over the threshold within the window.

    `registrations` are (registered_at, call_id) of one unit's unanswered calls; calls at or before `since` (the last
    escalation) do not count again. With a calendar the window is `rule.window.days` working days (the day of the
    call and the working days before it), so a weekend or a holiday does not let a unit's failures age out; without
    one it is a plain rolling duration. Returns (call_id, at, the call ids in the window) or None.
    """
    ordered = sorted((at, cid) for at, cid in registrations if since is None or at > since)
    days = [calendar.working_day_of(at) for at, _ in ordered] if calendar is not None else []
    start = 0
    for end, (at, cid) in enumerate(ordered):
        if calendar is not None:
            first = window_start(calendar, days[end], rule.window.days)
            while days[start] < first:
                start += 1
        else:
            while ordered[start][0] <= at - rule.window:
                start += 1
        window = ordered[start : end + 1]
        if len(window) > rule.threshold:
            return cid, at, [c for _, c in window]
    return None


# -- the end-of-day list ----------------------------------------------------------------------------------------
def end_of_day_items(items: Iterable[dict[str, Any]], cutoff: datetime) -> list[dict[str, Any]]:
    """Unanswered calls still owed a callback at the end of the working day: registered by the cutoff and not
    called back by then, the earliest deadline first."""
    due = [
        i
        for i in items
        if i.get("registered_at") is not None
        and i["registered_at"] <= cutoff
        and (i.get("called_back_at") is None or i["called_back_at"] > cutoff)
    ]
    return sorted(due, key=lambda i: (i["callback_due"], i["call_id"]))


def working_days_to_close(calendar: BusinessCalendar, first: date, now: datetime) -> list[date]:
    """Working days from `first` whose working time has ended by `now` (their end-of-day lists are due)."""
    days: list[date] = []
    day = first if calendar.is_working_day(first) else calendar.next_working_day(first)
    while True:
        end = calendar.end_of_working_day(day)
        if end is None or end > now:
            return days
        days.append(day)
        day = calendar.next_working_day(day)
