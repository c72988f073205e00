"""Request and response bodies of the desks API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.desks.domain import MAX_CAPACITY, MAX_TEXT, Channel, Format, Period, Route
from shared.validation import SaneDate, SaneDatetime

LANGUAGE: Any = Field(
    default=None,
    description="the language messages to the member are worded in: fa, tr or en; the chamber's when omitted",
    examples=["fa"],
)
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
    place: str = Field(
        min_length=1, max_length=300, description="the booked venue of the desk", examples=["Chamber hall 2"]
    )
    format: Format = Field(
        description="in_person, online or hybrid, as agreed with the liaison", examples=["in_person"]
    )
    capacity: int = Field(ge=1, le=MAX_CAPACITY, description="how many members get a slot", examples=[18])
    equipment: list[str] = Field(
        default_factory=list,
        max_length=50,
        description="the equipment booked for the desk",
        examples=[["projector", "microphone"]],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "agency": "customs",
                    "starts_at": "2026-11-25T09:00:00+03:30",
                    "place": "Chamber hall 2",
                    "format": "in_person",
                    "capacity": 18,
                    "equipment": ["projector", "microphone"],
                }
            ]
        }
    )


class Coordination(Body):
    liaison: str = Field(min_length=1, max_length=200, description="the agency's liaison", examples=["Mr Rezaei"])
    note: str = Field(
        min_length=1, max_length=MAX_TEXT, description="what was agreed", examples=["hall and date agreed"]
    )
    documents: list[str] = DOCUMENTS

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "liaison": "Mr Rezaei",
                    "note": "hall and date agreed; the deputy for clearance attends",
                    "documents": ["SEC-1405-0912"],
                }
            ]
        }
    )


class Note(Body):
    note: str | None = NOTE

    model_config = ConfigDict(json_schema_extra={"examples": [{"note": "checked with the liaison by phone"}]})


class Announcement(Body):
    route: Route = Field(
        description="poster_request (to public relations on FI-FR-01-03-02), director_general (the agency's"
        " director-general invited), members (SMS and social networks) or representative (details to the chamber's"
        " representative)",
        examples=["poster_request"],
    )
    on: SaneDate | None = Field(
        default=None, description="the day it went out; today when omitted", examples=["2026-11-21"]
    )
    note: str | None = NOTE

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"route": "poster_request", "on": "2026-11-21", "note": "poster for the lobby and website"}]
        }
    )


class Recipient(Body):
    member_id: str = Field(min_length=1, max_length=100, description="the member's id in the member database")
    name: str = Field(min_length=1, max_length=200, description="the member's name, as the message addresses them")
    phone: str | None = Field(
        default=None, max_length=40, description="the mobile number for the SMS; omitted: social networks only"
    )
    language: Literal["fa", "tr", "en"] | None = LANGUAGE


class MemberAnnouncement(Body):
    """The announcement to members (route `members`): a saved selection of the member database, messaged by the
    notification channels (SMS and social networks)."""

    selection_id: str = Field(
        min_length=1, max_length=100, description="the members service's selection id", examples=["sel-2026-11-customs"]
    )
    criteria: dict[str, list[str]] = Field(
        default_factory=dict,
        description="what the selection asked: activity, products, services, partner_countries",
        examples=[{"activity": ["import"], "partner_countries": ["IQ"]}],
    )
    taken_at: SaneDatetime | None = Field(default=None, description="when the selection was taken")
    recipients: list[Recipient] = Field(
        default_factory=list,
        max_length=5000,
        description="the members of the selection, as it gave them; omitted: the selection's active members as the"
        " members topic brought them to this service",
    )
    message: str | None = Field(
        default=None, max_length=1000, description="a line added to the announcement", examples=["Bring your papers"]
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "selection_id": "sel-2026-11-customs",
                    "criteria": {"activity": ["import"]},
                    "recipients": [
                        {"member_id": "M-1042", "name": "Ali Rahmani", "phone": "09131234567", "language": "fa"},
                        {"member_id": "M-2210", "name": "Zeynep Yıldız", "phone": "+905321234567", "language": "tr"},
                    ],
                    "message": "Register on the chamber's website",
                }
            ]
        }
    )


class AnnouncementRequested(BaseModel):
    desk_id: uuid.UUID = Field(description="the desk announced")
    recipients: int = Field(description="how many members the notification channels were asked to message")


class Registration(Body):
    member_name: str = Field(
        min_length=1, max_length=200, description="the member as written on the problem form", examples=["Ali Rahmani"]
    )
    member_id: str | None = Field(default=None, max_length=100, description="the member's id in the member database")
    company: str | None = Field(
        default=None,
        max_length=300,
        description="the member's company, for the final list",
        examples=["Rahmani Trading"],
    )
    phone: str | None = Field(
        default=None,
        max_length=40,
        description="the number called for the reminder and follow-up",
        examples=["09131234567"],
    )
    language: Literal["fa", "tr", "en"] | None = LANGUAGE
    channel: Channel = Field(description="how the member registered", examples=["phone"])
    problem: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="the problem, as on MM-FR-02-05-01",
        examples=["goods held at customs for 3 weeks"],
    )
    documents: list[str] = DOCUMENTS

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "member_name": "Ali Rahmani",
                    "member_id": "M-1042",
                    "company": "Rahmani Trading",
                    "phone": "09131234567",
                    "channel": "phone",
                    "problem": "goods held at customs for 3 weeks",
                    "documents": ["bill of lading 4471"],
                }
            ]
        }
    )


class Registered(BaseModel):
    desk_id: uuid.UUID = Field(description="the desk registered on")
    number: str = Field(description="the problem form's number on the desk")
    state: str = Field(description="scheduled (with a slot) or waiting")
    slot_start: datetime | None = Field(
        description="when the member's slot starts, with its offset; null while waiting"
    )


class Cancellation(Body):
    reason: str | None = Field(
        default=None, max_length=MAX_TEXT, description="why the member cancelled", examples=["travelling"]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"reason": "travelling to Mersin that week"}]})


class Guidance(Body):
    where: str = Field(
        min_length=1, max_length=300, description="where the member is guided", examples=["the tax desk"]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"where": "the tax desk"}]})


class Catering(Body):
    items: list[str] = Field(
        min_length=1,
        max_length=50,
        description="what is requested on the goods/services request form FI-FR-01-03-02",
        examples=[["tea and pastries for 25"]],
    )
    note: str | None = NOTE

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"items": ["tea and pastries for 25", "water"], "note": "by 08:30"}]}
    )


class ReminderCall(Body):
    reached: bool = Field(description="whether the member answered", examples=[True])
    note: str | None = NOTE

    model_config = ConfigDict(json_schema_extra={"examples": [{"reached": True, "note": "will come at 09:20"}]})


class Attendance(Body):
    attended: bool = Field(description="whether the member came to the slot", examples=[True])

    model_config = ConfigDict(json_schema_extra={"examples": [{"attended": True}]})


class Decision(Body):
    decision: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="the agency's decision on the form",
        examples=["goods released on guarantee within 5 days"],
    )

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"decision": "goods released on guarantee within 5 days"}]}
    )


class MinutesSending(Body):
    to: str = Field(
        min_length=1,
        max_length=300,
        description="who at the agency receives them",
        examples=["customs director-general's office"],
    )
    note: str | None = NOTE

    model_config = ConfigDict(
        json_schema_extra={"examples": [{"to": "customs director-general's office", "note": "letter 1405/3321"}]}
    )


class FollowUp(Body):
    carried_out: bool = Field(description="whether the decision was carried out", examples=[False])
    result: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="the result of the call, on the form",
        examples=["goods still held"],
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [{"carried_out": False, "result": "goods still held; the guarantee was not accepted"}]
        }
    )


class DeskSummary(BaseModel):
    id: uuid.UUID = Field(description="the desk's id")
    version: int = Field(description="how many events the desk has had; changes with every step")
    agency: str = Field(description="the government agency that holds the desk, one of CRM_DESKS__AGENCIES")
    starts_at: datetime = Field(description="when the first slot starts, with its offset (+03:30)")
    desk_day: date = Field(description="the day of the desk in the chamber's calendar")
    place: str = Field(description="the booked venue")
    format: str = Field(description="in_person, online or hybrid")
    capacity: int = Field(description="how many members get a slot")
    stage: str = Field(
        description="planning, approved (MM-FR-01-05-01 approved), announced (all four routes), held,"
        " minutes_reviewed, minutes_sent, archived (follow-ups under way) or closed (checklist MM-FR-03-05-01 done)"
    )
    scheduled: int = Field(description="how many members hold a slot")
    waiting: int = Field(description="how many members are on the waiting list")


class DeskDetail(DeskSummary):
    equipment: list[str] = Field(description="the equipment booked")
    slot_minutes: int = Field(description="minutes per member's slot (about 10, CRM_DESKS__SLOT_MINUTES)")
    reminder_day: date = Field(description="the working day before the desk, when the reminder calls are made")
    follow_up_due_at: datetime = Field(
        description="end of the working day one week after the desk, by which every follow-up call is due"
    )
    planned_by: str | None = Field(description="user name of the member-services expert who planned it")
    planning_form: dict[str, Any] = Field(
        description="the registrants planning form MM-FR-01-05-01: who approved it and when (null until approved)"
    )
    coordinations: list[dict[str, Any]] = Field(
        description="what was agreed with the agency's liaison, each with its note, documents, who and when"
    )
    announcements: dict[str, Any] = Field(
        description="each of the four routes (poster_request, director_general, members, representative): when it"
        " went out, or null while not done"
    )
    member_announcements: list[dict[str, Any]] = Field(
        default_factory=list,
        description="each announcement to a member selection asked of the notification channels: the selection, how"
        " many members, who asked and when",
    )
    catering: dict[str, Any] | None = Field(
        description="the catering request on FI-FR-01-03-02 with its items; null until requested"
    )
    forms: list[dict[str, Any]] = Field(
        description="the members' problem forms MM-FR-02-05-01: slot, reminders, attendance, decision, follow-up"
    )
    waiting_list: list[str] = Field(description="the numbers of the forms on the waiting list, first in line first")
    minutes: dict[str, Any] = Field(description="when the minutes were reviewed, sent and archived, and by whom")
    checklist: dict[str, Any] | None = Field(
        description="the completed checklist MM-FR-03-05-01 with its items; null until the desk is closed"
    )


class ReminderRow(BaseModel):
    form: str = Field(description="the number of the member's problem form MM-FR-02-05-01 on the desk")
    member_name: str = Field(description="the member to call")
    phone: str | None = Field(description="the number to call, as given on registration")
    starts_at: datetime = Field(description="when the member's slot starts, with its offset")
    calls: int = Field(description="how many reminder calls were recorded so far")
    reached: bool = Field(description="whether any call reached the member")


class MemberForm(BaseModel):
    desk_id: uuid.UUID = Field(description="the desk the form was registered on")
    number: str = Field(description="the form's number on that desk")
    agency: str = Field(description="the agency of the desk")
    state: str = Field(description="scheduled, waiting, guided or cancelled")
    slot_start: datetime | None = Field(description="when the member's slot starts; null without a slot")
    decided: bool = Field(description="whether the agency's decision is on the form")
    followed_up: bool = Field(description="whether the follow-up call is recorded")
    problem: str = Field(description="the problem as the member described it")


class FollowUpDue(BaseModel):
    desk_id: uuid.UUID = Field(description="the desk where the problem was decided")
    number: str = Field(description="the problem form's number on that desk")
    agency: str = Field(description="the agency whose decision is checked")
    member_id: str | None = Field(description="the member's id, when given")
    member_name: str = Field(description="the member to call")
    phone: str | None = Field(description="the number to call")
    follow_up_due_at: datetime = Field(description="when the follow-up call is due at the latest")
    overdue: bool = Field(description="past its due time: a breach is recorded for it")


class MissedFollowUps(BaseModel):
    recorded: list[dict[str, str]] = Field(
        description="what this run recorded: desk follow-up calls missed (desk_id, form), slot reminders asked of"
        " the notification channels (desk_id, reminder) and session decisions overdue (session_id, decision)"
    )


class RatioIssue(Body):
    period: Period = Field(description="week or month, the two reports to the SG and the president", examples=["week"])
    on: SaneDate | None = Field(
        default=None, description="a day of the period; today when omitted", examples=["2026-11-25"]
    )

    model_config = ConfigDict(json_schema_extra={"examples": [{"period": "week", "on": "2026-11-25"}]})
