"""The calendar the chamber keeps, as events of the calls service: weekly hours in force from a date, and days
closed at run time (heat, pollution, mourning), entered by an admin through the API or `crm calendar`.

Why here: the call centre's deadlines (callbacks, member-relations follow-ups) are the ones a closure moves most
often, and the calls store is published on `crm.calls.events.v1`, which the reporting processor already reads, so
the reporting calendar follows the same events without a new topic or a second writer. Other services that keep
deadlines read the same events from that topic.

A change is recorded (ChamberCalendar) and applied to the running calendar at once; a follower of the calls store
then moves every open deadline it touches (Call.DeadlineMoved, old and new deadline and why). The follower, not the
request, does it: many calls change, and a crash half-way resumes from the follower's position rather than leaving
some deadlines unmoved.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import Notification
from eventsourcing.utils import get_topic

from shared.calendar import CLOSURE_REASONS, SCHEDULE_PRESETS, BusinessCalendar, normalise_hours
from shared.errors import InvalidInput
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

CALENDAR_ID = uuid.uuid5(uuid.UUID("7d0c2b8e-4f4a-4c57-9a53-2f8f4d0e6a11"), "chamber-calendar")


class ChamberCalendar(Aggregate):
    """The one calendar of the chamber: its changes in the order they were entered."""

    @event("Started")
    def __init__(self, *, base: str, at: datetime):
        # base: the configured calendar the changes apply on (CRM_CALENDAR or the country preset), for the record.
        self.base = base
        self.changes: list[dict[str, Any]] = []

    @classmethod
    def create_id(cls, **_: object) -> uuid.UUID:
        return CALENDAR_ID

    # Days travel as ISO text (YYYY-MM-DD): the stores' transcoder keeps datetimes, not dates.
    @event("ScheduleSet")
    def set_schedule(
        self, *, effective_from: str, hours: dict[str, list[str]], preset: str | None, by: str, at: datetime
    ) -> None:
        self.changes.append(
            {
                "kind": "schedule",
                "effective_from": date.fromisoformat(effective_from),
                "hours": hours,
                "preset": preset,
                "by": by,
                "at": at,
            }
        )

    @event("DayClosed")
    def close_day(self, *, day: str, reason: str, note: str | None, by: str, at: datetime) -> None:
        self.changes.append(
            {"kind": "closure", "day": date.fromisoformat(day), "reason": reason, "note": note, "by": by, "at": at}
        )


def apply_change(calendar: BusinessCalendar, change: dict[str, Any]) -> None:
    if change["kind"] == "schedule":
        calendar.set_schedule(change["effective_from"], change["hours"])
    else:
        calendar.close(change["day"], change["reason"])


def describe(change: dict[str, Any]) -> str:
    """Why deadlines moved, in the words recorded with each DeadlineMoved event."""
    if change["kind"] == "schedule":
        named = f" ({change['preset']})" if change.get("preset") else ""
        return f"working hours from {change['effective_from'].isoformat()}{named}"
    note = f": {change['note']}" if change.get("note") else ""
    return f"closed on {change['day'].isoformat()} ({change['reason']}){note}"


def check_schedule(hours: dict[str, list[str]] | None, preset: str | None) -> tuple[dict[str, list[str]], str | None]:
    if (hours is None) == (preset is None):
        raise InvalidInput("give either the weekly hours or the name of a preset, not both")
    if preset is not None:
        if preset not in SCHEDULE_PRESETS:
            raise InvalidInput(f"no schedule preset {preset!r}: use one of {', '.join(SCHEDULE_PRESETS)}")
        return dict(SCHEDULE_PRESETS[preset][0]), preset
    try:
        normalised = normalise_hours(hours or {})
    except ValueError as exc:
        raise InvalidInput(str(exc)) from None
    if not any(normalised.values()):
        raise InvalidInput("a schedule with no working hours on any day would stop every deadline")
    return normalised, None


def check_closure_reason(reason: str) -> str:
    if reason not in CLOSURE_REASONS:
        raise InvalidInput(f"closure reason {reason!r}: use one of {', '.join(CLOSURE_REASONS)}")
    return reason


class DeadlineMover:
    """Follows the calls store: each calendar change moves the open deadlines of the calls the index lists as open.
    Moving is idempotent (a deadline already where the calendar puts it is left alone), so a replay moves nothing."""

    def __init__(self, centre: Any, engine: sa.Engine, open_calls: Any):
        self.centre = centre
        self.open_calls = open_calls  # () -> ids of the calls whose deadlines may still run
        changes = [f"{get_topic(ChamberCalendar)}.{name}" for name in ("ScheduleSet", "DayClosed")]  # its events
        # Woken by every save of the store, it looks at most once a second: a calendar change is rare, and moving
        # deadlines a second later changes nothing, where a look per save was three queries per call event.
        self.follower = NotificationFollower(
            centre, "calendar_deadlines", engine, self._apply, poll_interval=1.0, linger=1.0, topics=changes
        )

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        for n in notifications:
            if n.originator_id != CALENDAR_ID or n.originator_version == 1:
                continue
            calendar: ChamberCalendar = self.centre.repository.get(CALENDAR_ID, version=n.originator_version)
            change = calendar.changes[-1]
            apply_change(self.centre.calendar, change)  # a change entered by another process reaches this one too
            moved = self.centre.move_deadlines(self.open_calls(), reason=describe(change))
            log.info("calendar change (%s) moved %d deadlines", describe(change), moved)


def load_calendar(centre: Any) -> ChamberCalendar | None:
    found: ChamberCalendar | None = centre.find_aggregate(CALENDAR_ID, ChamberCalendar)
    return found
