"""Request and response bodies of the desks API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.desks.domain import MAX_CAPACITY, MAX_TEXT, Channel, Format, Period, Route
from shared.validation import SaneDate, SaneDatetime

NOTE = Field(default=None, max_length=MAX_TEXT, description="a free note", examples=["agreed by phone"])
DOCUMENTS: Any = Field(default_factory=list, max_length=50, description="names or archive references of the documents")


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DeskPlan(Body):
    agency: str = Field(
        max_length=100, description="one of the configured agencies (CRM_DESKS__AGENCIES)", examples=["customs"]
    )
    starts_at: SaneDatetime = Field(
        description="when the first slot starts, with its offset", examples=["2026-11-25T09:00:00+03:30"]
    )
    place: str = Field(min_length=1, max_length=300, examples=["Chamber hall 2"])
    format: Format = Field(examples=["in_person"])
    capacity: int = Field(ge=1, le=MAX_CAPACITY, description="how many members get a slot", examples=[18])
    equipment: list[str] = Field(default_factory=list, max_length=50, examples=[["projector", "microphone"]])


class Coordination(Body):
    liaison: str = Field(min_length=1, max_length=200, description="the agency's liaison", examples=["Mr Rezaei"])
    note: str = Field(
        min_length=1, max_length=MAX_TEXT, description="what was agreed", examples=["hall and date agreed"]
    )
    documents: list[str] = DOCUMENTS


class Note(Body):
    note: str | None = NOTE


class Announcement(Body):
    route: Route = Field(examples=["poster_request"])
    on: SaneDate | None = Field(
        default=None, description="the day it went out; today when omitted", examples=["2026-11-21"]
    )
    note: str | None = NOTE


class Registration(Body):
    member_name: str = Field(min_length=1, max_length=200, examples=["Ali Rahmani"])
    member_id: str | None = Field(default=None, max_length=100, description="the member's id in the member database")
    company: str | None = Field(default=None, max_length=300, examples=["Rahmani Trading"])
    phone: str | None = Field(default=None, max_length=40, examples=["09131234567"])
    channel: Channel = Field(description="how the member registered", examples=["phone"])
    problem: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="the problem, as on MM-FR-02-05-01",
        examples=["goods held at customs for 3 weeks"],
    )
    documents: list[str] = DOCUMENTS


class Registered(BaseModel):
    desk_id: uuid.UUID
    number: str = Field(description="the problem form's number on the desk")
    state: str = Field(description="scheduled (with a slot) or waiting")
    slot_start: datetime | None


class Cancellation(Body):
    reason: str | None = Field(default=None, max_length=MAX_TEXT, examples=["travelling"])


class Guidance(Body):
    where: str = Field(
        min_length=1, max_length=300, description="where the member is guided", examples=["the tax desk"]
    )


class Catering(Body):
    items: list[str] = Field(min_length=1, max_length=50, examples=[["tea and pastries for 25"]])
    note: str | None = NOTE


class ReminderCall(Body):
    reached: bool = Field(description="whether the member answered", examples=[True])
    note: str | None = NOTE


class Attendance(Body):
    attended: bool = Field(examples=[True])


class Decision(Body):
    decision: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="the agency's decision on the form",
        examples=["goods released on guarantee within 5 days"],
    )


class MinutesSending(Body):
    to: str = Field(
        min_length=1,
        max_length=300,
        description="who at the agency receives them",
        examples=["customs director-general's office"],
    )
    note: str | None = NOTE


class FollowUp(Body):
    carried_out: bool = Field(description="whether the decision was carried out", examples=[False])
    result: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="the result of the call, on the form",
        examples=["goods still held"],
    )


class DeskSummary(BaseModel):
    id: uuid.UUID
    version: int
    agency: str
    starts_at: datetime
    desk_day: date
    place: str
    format: str
    capacity: int
    stage: str
    scheduled: int
    waiting: int


class DeskDetail(DeskSummary):
    equipment: list[str]
    slot_minutes: int
    reminder_day: date
    follow_up_due_at: datetime
    planned_by: str | None
    planning_form: dict[str, Any]
    coordinations: list[dict[str, Any]]
    announcements: dict[str, Any]
    catering: dict[str, Any] | None
    forms: list[dict[str, Any]]
    waiting_list: list[str]
    minutes: dict[str, Any]
    checklist: dict[str, Any] | None


class ReminderRow(BaseModel):
    form: str
    member_name: str
    phone: str | None
    starts_at: datetime
    calls: int
    reached: bool


class MissedFollowUps(BaseModel):
    recorded: list[dict[str, str]]


class RatioIssue(Body):
    period: Period = Field(examples=["week"])
    on: SaneDate | None = Field(
        default=None, description="a day of the period; today when omitted", examples=["2026-11-25"]
    )


# -- specialised sessions ---------------------------------------------------------------------------------------
class SessionPlan(Body):
    trade_group: str = Field(min_length=1, max_length=200, examples=["textile exporters"])
    starts_at: SaneDatetime = Field(examples=["2026-12-02T10:00:00+03:30"])
    place: str = Field(min_length=1, max_length=300, examples=["Chamber hall 1"])
    topics: list[str] = Field(min_length=1, max_length=50, examples=[["export refund delays", "customs valuation"]])


class Invitee(Body):
    member_id: str = Field(min_length=1, max_length=100, examples=["M-1042"])
    name: str = Field(min_length=1, max_length=200, examples=["Ali Rahmani"])
    company: str | None = Field(default=None, max_length=300, examples=["Rahmani Textiles"])


class InviteeSelection(Body):
    """The members of a saved selection of the member database, as it was taken (frozen here)."""

    selection_id: str = Field(
        min_length=1, max_length=100, description="the members service's selection id", examples=["sel-2026-11-textile"]
    )
    criteria: dict[str, list[str]] = Field(
        default_factory=dict,
        description="what the selection asked: activity, products, partner_countries",
        examples=[{"activity": ["textile"], "partner_countries": ["IQ", "TR"]}],
    )
    invitees: list[Invitee] = Field(min_length=1, max_length=2000)


class Invitations(Body):
    on: SaneDate | None = Field(
        default=None, description="the day they went out; today when omitted", examples=["2026-11-25"]
    )


class SessionAttendance(Body):
    attended: list[str] = Field(
        max_length=2000, description="member ids of the invitees who came", examples=[["M-1042"]]
    )


class SessionProblem(Body):
    text: str = Field(
        min_length=1, max_length=MAX_TEXT, examples=["certificates of origin take two weeks at the chamber"]
    )
    about_chamber_service: bool = Field(
        description="true: about the chamber's own services, which opens a complaint", examples=[True]
    )
    service: str | None = Field(
        default=None, max_length=300, description="the chamber's service concerned", examples=["certificates of origin"]
    )
    unit: str | None = Field(default=None, max_length=100, description="the unit that provides it", examples=["trade"])
    member_id: str | None = Field(default=None, max_length=100, examples=["M-1042"])


class SessionMinutes(Body):
    summary: str = Field(
        min_length=1, max_length=MAX_TEXT, examples=["Export refunds and valuation discussed; 2 decisions."]
    )


class SessionDecision(Body):
    text: str = Field(min_length=1, max_length=MAX_TEXT, examples=["Ask customs for a valuation guideline"])
    owner: str = Field(
        min_length=1, max_length=200, description="user name of who carries it out", examples=["s.ahmadi"]
    )
    due_on: SaneDate = Field(description="a working day of the chamber", examples=["2026-12-16"])


class DecisionDone(Body):
    note: str = Field(min_length=1, max_length=MAX_TEXT, examples=["letter sent to customs, answer received"])
