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
    attendees: list[str]
    minutes: str
    complaints: list[str]
    held_at: datetime
    by: str
    at: datetime


class ReportPublic(BaseModel):
    period: str
    prepared_by: str
    prepared_at: datetime
    note: str | None
    sent_by: str | None
    sent_to: list[str] = Field(description="the SG and the president (configuration)")
    sent_at: datetime | None
    meeting: ReportMeetingPublic | None


class ReportPreparation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=4000)


class ReviewMeetingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attendees: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(min_length=1, max_length=50)
    minutes: str = Field(min_length=1, max_length=50000)
    complaints: list[uuid.UUID] = Field(min_length=1, max_length=500, description="the complaints it took up")
    held_at: SaneDatetime | None = None


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
    return report_view(desk.prepare_report(period, note=body.note if body else None, by=principal.name))


def report_reader(principal: Annotated[Principal, Depends(_readers)], desk: DeskDep) -> Principal:
    if principal.role == Role.EXPERT and principal.unit != desk.organisation.member_relations_unit:
        raise forbid("the report's record is member relations', the SG's, the president's and the auditors'")
    return principal


@reports.get("/{period}", response_model=ReportPublic, summary="Who prepared and sent the report, and its meeting")
def get_report(desk: DeskDep, principal: Annotated[Principal, Depends(report_reader)], period: Period) -> Any:
    return report_view(desk.get_report(period))


@reports.post(
    "/{period}/sent",
    response_model=ReportPublic,
    summary="The member-relations manager sends the report to the SG and the president",
)
def send_report(desk: DeskDep, principal: Annotated[Principal, Depends(_mr_manager)], period: Period) -> Any:
    return report_view(desk.send_report(period, by=principal.name))


@reports.post(
    "/{period}/review-meeting",
    response_model=ReportPublic,
    summary="The review meeting's minutes, recorded against each complaint it took up (undecided or not satisfied)",
)
def record_review_meeting(
    desk: DeskDep, principal: Annotated[Principal, Depends(_meeting)], period: Period, body: ReviewMeetingIn
) -> Any:
    report = desk.record_review_meeting(
        period,
        attendees=body.attendees,
        minutes=body.minutes,
        complaints=body.complaints,
        held_at=body.held_at,
        by=principal.name,
    )
    return report_view(report)
