"""`as_of` on a report: the moment a reader names, read the same way by every service, and an aggregate as it stood
then.

A time without a zone is the chamber's local time; a day (ISO or Solar Hijri) is the end of that day in the
chamber's time zone. A moment still to come, or text naming none, is refused with 422: a report is asked only as it
stood. An aggregate "as of" a moment is replayed from its events up to that moment: an event's moment is when the
step it records was taken (its `at`, from the service's clock), else when it was stored.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from uuid import UUID

from fastapi import Query

from shared.calendar import BusinessCalendar
from shared.errors import InvalidInput

AS_OF_DESCRIPTION = (
    "show the report as it stood at this moment, computed from the events applied by then: an ISO time "
    "(2026-11-24T10:25:00+03:30; without a zone, the chamber's local time) or a day, ISO or Solar Hijri "
    "(1405/09/03), meaning the end of that day"
)
AsOfText = Annotated[str | None, Query(description=AS_OF_DESCRIPTION, max_length=40, examples=["1405/09/03"])]
FUTURE = "a moment still to come; a report can be asked only as it stood"


def parse_as_of(text: str, calendar: BusinessCalendar) -> datetime:
    """The moment `text` names, in UTC; ValueError when it names none."""
    text = text.strip()
    if "T" in text or ":" in text:
        moment = datetime.fromisoformat(text)
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=calendar.tz)
        return moment.astimezone(UTC)
    day: date = calendar.parse_date(text)
    following = datetime.combine(day + timedelta(days=1), time(0), tzinfo=calendar.tz)
    return (following - timedelta(microseconds=1)).astimezone(UTC)


def as_of_moment(text: str | None, calendar: BusinessCalendar, now: datetime) -> datetime | None:
    """The moment of an `as_of` query parameter (None when absent); InvalidInput (422) when unreadable or to come."""
    if text is None:
        return None
    try:
        when = parse_as_of(text, calendar)
    except (ValueError, OverflowError) as exc:
        raise InvalidInput(f"query.as_of: {exc}") from None
    if when > now.astimezone(UTC):
        raise InvalidInput(f"query.as_of: {FUTURE}")
    return when


def event_moment(event: Any) -> datetime:
    """When the step an event records was taken: its `at` where it has one, else when it was stored."""
    at = getattr(event, "at", None)
    if isinstance(at, str):
        at = datetime.fromisoformat(at)
    moment: datetime = at if isinstance(at, datetime) else event.timestamp
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def aggregate_as_of(app: Any, aggregate_id: UUID, when: datetime) -> Any | None:
    """The aggregate replayed from its events up to `when` (None when it did not exist yet). `app` is an
    eventsourcing Application; its repository gets the aggregate at the last version recorded by then."""
    version = None
    for event in app.repository.event_store.get(aggregate_id):
        if event_moment(event) > when:
            break
        version = event.originator_version
    if version is None:
        return None
    return app.repository.get(aggregate_id, version=version)
