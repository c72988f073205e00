"""The six-monthly complaint report as a record of who did what (docs/procedures.md#reports, step 8 of the
complaint procedure): a member-relations expert prepares it, the member-relations manager sends it to the SG and
the president, and the review meeting on the complaints undecided or whose member is not satisfied is held, its
minutes kept here and against each complaint it discussed. The figures themselves are the reporting service's."""

from __future__ import annotations

import re
import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from services.complaints.domain.conflicts import distinct_names
from services.complaints.domain.errors import TransitionRefused
from services.complaints.domain.references import COMPLAINT_NAMESPACE
from shared.errors import InvalidInput

PERIOD = re.compile(r"^(\d{4})-H([12])$")


def check_period(period: str) -> str:
    """A half-year of the chamber's calendar: `1405-H1` (Solar Hijri in Iran), `2026-H2` (Gregorian in Turkey)."""
    text = (period or "").strip().upper()
    if not PERIOD.match(text):
        raise InvalidInput(f"a half-year is written like 1405-H1 or 2026-H2, not {period!r}")
    return text


def report_id(period: str) -> uuid.UUID:
    return uuid.uuid5(COMPLAINT_NAMESPACE, f"six-monthly-report:{check_period(period)}")


class HalfYearReport(Aggregate):
    # Stored under `services.complaints.domain:HalfYearReport.<Event>`, next to the complaints' own topics.
    __module__ = "services.complaints.domain"

    @event("Prepared")
    def __init__(self, *, period: str, note: str | None, by: str, at: datetime):
        self.period = period
        self.prepared_by = by
        self.prepared_at = at
        self.note = note
        self.sent_by: str | None = None
        self.sent_to: list[str] = []
        self.sent_at: datetime | None = None
        self.meeting: dict | None = None

    @classmethod
    def create_id(cls, *, period: str, **_: object) -> uuid.UUID:
        return report_id(period)

    @classmethod
    def prepare(cls, *, period: str, note: str | None, by: str, at: datetime) -> HalfYearReport:
        return cls(period=check_period(period), note=(note or "").strip() or None, by=by, at=at)

    def send(self, *, to: list[str], by: str, at: datetime) -> None:
        if self.sent_at is not None:
            raise TransitionRefused(f"the report of {self.period} was sent already, on {self.sent_at.isoformat()}")
        recipients = distinct_names(to)
        if not recipients:
            raise TransitionRefused("the report's recipients (the SG and the president) are not configured")
        self._sent(to=recipients, by=by, at=at)

    @event("Sent")
    def _sent(self, to: list[str], by: str, at: datetime) -> None:
        self.sent_by = by
        self.sent_to = list(to)
        self.sent_at = at

    def record_review_meeting(
        self, *, attendees: list[str], minutes: str, complaints: list[str], held_at: datetime, by: str, at: datetime
    ) -> None:
        if self.sent_at is None:
            raise TransitionRefused("the review meeting follows the report: send the report first")
        if self.meeting is not None:
            raise TransitionRefused(f"the review meeting of {self.period} is recorded already")
        present = distinct_names(attendees)
        if not present:
            raise InvalidInput("the minutes record who attended the review meeting")
        text = (minutes or "").strip()
        if not text:
            raise InvalidInput("the minutes of the review meeting are empty")
        if held_at > at:
            raise InvalidInput("the meeting cannot be recorded before it is held")
        self._review_meeting_recorded(
            attendees=present, minutes=text, complaints=list(complaints), held_at=held_at, by=by, at=at
        )

    @event("ReviewMeetingRecorded")
    def _review_meeting_recorded(
        self, attendees: list[str], minutes: str, complaints: list[str], held_at: datetime, by: str, at: datetime
    ) -> None:
        self.meeting = {
            "attendees": list(attendees),
            "minutes": minutes,
            "complaints": list(complaints),
            "held_at": held_at,
            "by": by,
            "at": at,
        }
