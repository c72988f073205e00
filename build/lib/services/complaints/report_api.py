"""HTTP API of the six-monthly report's record: a member-relations expert prepares it, the member-relations manager
sends it to the SG and the president, the review meeting's minutes are recorded against the complaints it took up.
The report's figures are served by the reporting service (/reports/complaints/six-monthly)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, ConfigDict, Field

from services.complaints.deps import DeskDep
from services.complaints.reports import report_view
from shared.auth import Principal, Role, forbid, require
from shared.validation import SaneDatetime

_expert = require(Role.EXPERT)
_mr_manager = require(Role.MR_MANAGER)
_meeting = require(Role.MR_MANAGER, Role.SG)
_readers = require(Role.EXPERT, Role.MR_MANAGER, Role.SG, Role.PRESIDENT, Role.AUDITOR)


def member_relations_expert(principal: Annotated[Principal, Depends(_expert)], desk: DeskDep) -> Principal:
    if principal.unit != desk.organisation.member_relations_unit:
        raise forbid("a member-relations expert prepares the six-monthly report")
    return principal


class ReportMeetingPublic(BaseModel):
    attendees: list[str] = Field(description="who attended the review meeting")
    minutes: str = Field(description="the minutes of the meeting")
    complaints: list[str] = Field(description="record ids of the complaints it took up")
    held_at: datetime = Field(description="when the meeting was held (UTC)")
    by: str = Field(description="user name of who recorded the minutes")
    at: datetime = Field(description="when they were recorded (UTC)")


class ReportPublic(BaseModel):
    period: str = Field(description="the half-year the report covers, e.g. 1405-H1")
    prepared_by: str = Field(description="user name of the member-relations expert who prepared it")
    prepared_at: datetime = Field(description="when it was prepared (UTC)")
    note: str | None = Field(description="the expert's note on the report")
    sent_by: str | None = Field(description="the member-relations manager who sent it; null until sent")
    sent_to: list[str] = Field(description="the SG and the president (configuration)")
    sent_at: datetime | None = Field(description="when it was sent (UTC)")
    meeting: ReportMeetingPublic | None = Field(description="the review meeting, once its minutes are recorded")


class ReportPreparation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "دو شکایت هنوز در انتظار تصمیم دبیرکل است"}]},
    )
    note: str | None = Field(default=None, max_length=4000, description="what the expert wants the readers to know")


class ReviewMeetingIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "attendees": ["sg", "m.karimi"],
                    "minutes": "شکایات بی‌نتیجه و ناراضی بررسی شد؛ پیگیری با واحدها",
                    "complaints": ["3f2b8c1e-6d4a-4e9b-9a71-0c5d2e8f4b17"],
                    "held_at": "2026-10-12T10:00:00+03:30",
                }
            ]
        },
    )
    attendees: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        min_length=1, max_length=50, description="user names or names of those who attended"
    )
    minutes: str = Field(min_length=1, max_length=50000, description="the minutes of the meeting")
    complaints: list[uuid.UUID] = Field(min_length=1, max_length=500, description="the complaints it took up")
    held_at: SaneDatetime | None = Field(default=None, description="when the meeting was held; default: now")


Period = Annotated[str, Field(pattern=r"^\d{4}-[Hh][12]$", max_length=7)]
reports = APIRouter(prefix="/complaint-reports", tags=["complaint reports"])


@reports.post(
    "/{period}", status_code=201, response_model=ReportPublic, summary="A member-relations expert prepares the report"
)
def prepare_report(
    desk: DeskDep,
    principal: Annotated[Principal, Depends(member_relations_expert)],
    period: Period,
    body: ReportPreparation | None = None,
) -> Any:
    """A member-relations expert records that the six-monthly complaint report for the half-year is prepared, with
    an optional note; its figures come from the reporting service. The body may be left out."""
    return report_view(desk.prepare_report(period, note=body.note if body else None, by=principal.name))


def report_reader(principal: Annotated[Principal, Depends(_readers)], desk: DeskDep) -> Principal:
    if principal.role == Role.EXPERT and principal.unit != desk.organisation.member_relations_unit:
        raise forbid("the report's record is member relations', the SG's, the president's and the auditors'")
    return principal


@reports.get("/{period}", response_model=ReportPublic, summary="Who prepared and sent the report, and its meeting")
def get_report(desk: DeskDep, principal: Annotated[Principal, Depends(report_reader)], period: Period) -> Any:
    """The six-monthly report's record: who prepared it and when, who sent it to the SG and the president, and
    its review meeting. Member relations, the SG, the president and auditors may read it."""
    return report_view(desk.get_report(period))


@reports.post(
    "/{period}/sent",
    response_model=ReportPublic,
    summary="The member-relations manager sends the report to the SG and the president",
)
def send_report(desk: DeskDep, principal: Annotated[Principal, Depends(_mr_manager)], period: Period) -> Any:
    """The member-relations manager records that the prepared report was sent to the SG and the president."""
    return report_view(desk.send_report(period, by=principal.name))


@reports.post(
    "/{period}/review-meeting",
    response_model=ReportPublic,
    summary="The review meeting's minutes, recorded against each complaint it took up (undecided or not satisfied)",
)
def record_review_meeting(
    desk: DeskDep, principal: Annotated[Principal, Depends(_meeting)], period: Period, body: ReviewMeetingIn
) -> Any:
    """The member-relations manager or the SG records the review meeting held on the report: who attended, the
    minutes, and the complaints it took up (those undecided or whose complainant was not satisfied); each of
    those complaints keeps the minutes in its history."""
    report = desk.record_review_meeting(
        period,
        attendees=body.attendees,
        minutes=body.minutes,
        complaints=body.complaints,
        held_at=body.held_at,
        by=principal.name,
    )
    return report_view(report)
