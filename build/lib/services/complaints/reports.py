"""The six-monthly report's part of ComplaintDesk (docs/procedures.md#reports): prepared by a member-relations
expert, sent by the member-relations manager to the SG and the president, and its review meeting, whose minutes
are kept with the report and against each complaint on its agenda (undecided, or its member not satisfied)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.complaints.domain import Complaint, HalfYearReport, check_period, report_id
from services.complaints.domain.errors import TransitionRefused
from services.complaints.inputs import aware, clean_text
from shared.calendar import BusinessCalendar
from shared.clock import Clock
from shared.problems import NotFound

if TYPE_CHECKING:
    from shared.eventstore import A
    from shared.settings import ComplaintSettings


class ReportNotFound(NotFound):
    pass


def report_view(r: HalfYearReport) -> dict[str, Any]:
    return {
        "period": r.period,
        "prepared_by": r.prepared_by,
        "prepared_at": r.prepared_at,
        "note": r.note,
        "sent_by": r.sent_by,
        "sent_to": list(r.sent_to),
        "sent_at": r.sent_at,
        "meeting": dict(r.meeting) if r.meeting else None,
    }


class ComplaintReports:
    calendar: BusinessCalendar
    clock: Clock
    config: ComplaintSettings

    if TYPE_CHECKING:
        repository: Any

        def save_or_conflict(self, *objs: Any, what: str) -> None: ...
        def find_aggregate(self, aggregate_id: uuid.UUID | str, kind: type[A]) -> A | None: ...
        def get_complaint(self, complaint_id: uuid.UUID | str) -> Complaint: ...

    def find_report(self, period: str) -> HalfYearReport | None:
        return self.find_aggregate(report_id(period), HalfYearReport)

    def get_report(self, period: str) -> HalfYearReport:
        report = self.find_report(period)
        if report is None:
            raise ReportNotFound(f"the report of {check_period(period)} has not been prepared")
        return report

    def prepare_report(self, period: str, *, note: str | None, by: str) -> HalfYearReport:
        if self.find_report(period) is not None:
            raise TransitionRefused(f"the report of {check_period(period)} is prepared already")
        report = HalfYearReport.prepare(period=period, note=clean_text(note), by=by, at=self.clock())
        self.save_or_conflict(report, what="the report")
        return report

    def send_report(self, period: str, *, by: str) -> HalfYearReport:
        report = self.get_report(period)
        report.send(to=list(self.config.report_recipients), by=by, at=self.clock())
        self.save_or_conflict(report, what="the report")
        return report

    def record_review_meeting(
        self,
        period: str,
        *,
        attendees: Iterable[str],
        minutes: str,
        complaints: Iterable[uuid.UUID | str],
        held_at: datetime | None,
        by: str,
    ) -> HalfYearReport:
        """All or nothing: each complaint must be on the agenda, or nothing is recorded."""
        report = self.get_report(period)
        now = self.clock()
        discussed = [self.get_complaint(cid) for cid in dict.fromkeys(str(c) for c in complaints)]
        text = clean_text(minutes) or ""
        report.record_review_meeting(
            attendees=list(attendees),
            minutes=text,
            complaints=[str(c.id) for c in discussed],
            held_at=aware(held_at, self.calendar) or now,
            by=by,
            at=now,
        )
        for c in discussed:
            c.record_review_minutes(period=report.period, minutes=text, by=by, at=now)
        # One transaction for the report and every complaint it discussed.
        self.save_or_conflict(report, *discussed, what="the report or a complaint on its agenda")
        return report
