"""HTTP API of the complaints service: the staff's work at each step of the procedure, the complaint form
ME-FR-01-01-01, documents, and the internal door for other services.

Roles follow the procedure (docs/procedures.md#complaints): experts register, the member-relations manager reviews, refers,
notifies, closes; the SG assigns and decides; the handler sees what is assigned and files the report; committee
members see the complaints of their meetings; auditors read everything and change nothing. A role that may not
take a step gets 403; a complaint the caller may not know exists is 404, whatever the step.
"""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from services.complaints import access
from services.complaints.application import ComplaintDesk
from services.complaints.documents import MEDIA_TYPES
from services.complaints.domain import (
    ActionStatus,
    Channel,
    Decision,
    HandlerKind,
    Kind,
    Outcome,
    Stage,
    State,
)
from services.complaints.index import ComplaintIndex
from services.complaints.public import parse_multipart, read_body
from shared.auth import Role
from shared.problems import InvalidInput
from shared.validation import Limit, Offset, SaneDate, SaneDatetime


def get_desk(request: Request) -> ComplaintDesk:
    return request.app.state.desk


def get_index(request: Request) -> ComplaintIndex:
    return request.app.state.index


DeskDep = Annotated[ComplaintDesk, Depends(get_desk)]
IndexDep = Annotated[ComplaintIndex, Depends(get_index)]

Viewer = access.Viewer
Internal = access.Internal


# -- schemas: out --------------------------------------------------------------------------------------------------
class ComplainantPublic(BaseModel):
    name: str | None = Field(
        description="the complainant's name; hidden from staff not entitled to see it when the complaint is confidential"
    )
    phone: str | None = Field(description="E.164")
    phone_raw: str | None = Field(description="as typed")
    email: str | None = Field(
        description="the complainant's e-mail address, when given; hidden like the name when confidential"
    )


class StakeholdersPublic(BaseModel):
    units: list[str] = Field(description="units complained about")
    persons: list[str] = Field(description="persons complained about")
    participants: list[str] = Field(description="persons who took part in the matter")
    complainant: str | None = Field(
        description="who the complaint is from, as the member-relations manager identified them in the review"
    )


class HandlerPublic(BaseModel):
    kind: HandlerKind = Field(description="person (one named member of staff) or unit (a unit of the chamber)")
    name: str = Field(description="user name of the person, or code of the unit, investigating the complaint")
    units: list[str] = Field(description="the units the handler belongs to")
    eligibility: str | None = Field(
        description="why the handler is no stakeholder (conflict-of-interest rule), for the audit"
    )


class InvestigationPublic(BaseModel):
    circumstances: str = Field(description="what happened, as the handler found it")
    root_causes: str = Field(description="why it happened")
    consequences: str = Field(description="what it caused, for the complainant and the chamber")
    actions_taken: str = Field(description="what the handler has already done about it")
    by: str = Field(description="user name of the handler who reported")
    at: datetime = Field(description="when the report was recorded (UTC)")


class CommitteePublic(BaseModel):
    subject: str = Field(description="what the complaint committee is asked to decide")
    fixed_members: list[str] = Field(description="the committee's standing members, from the chamber's settings")
    variable_members: list[str] = Field(description="members the Secretary General added for this complaint")
    members: list[str] = Field(description="everyone on the committee for this complaint")
    meeting_at: datetime | None = Field(description="when the committee meets (UTC), when set")
    convened_by: str = Field(description="user name of the Secretary General who convened it")
    convened_at: datetime = Field(description="when it was convened (UTC)")
    attendees: list[str] = Field(description="who attended the meeting, as minuted")
    decision: Outcome | None = Field(description="the committee's decision: accepted, rejected or settled")
    reasoning: str | None = Field(description="the reasons minuted for the decision")
    held_at: datetime | None = Field(description="when the decision was recorded (UTC)")


class CorrectiveActionPublic(BaseModel):
    id: str = Field(description="the action's number within the complaint, e.g. CA-1")
    description: str = Field(description="what is to be done so that the problem does not recur")
    owner: str = Field(description="user name of the person who must do it")
    due: date = Field(description="the date by which it must be done (Gregorian)")
    status: ActionStatus = Field(description="open or done")
    round: int = Field(
        description="the complaint's round the action belongs to (a reopened complaint starts a new round)"
    )
    done_at: datetime | None = Field(description="when it was recorded done (UTC)")
    done_by: str | None = Field(description="user name of who recorded it done")
    note: str | None = Field(description="what was done, as recorded")


class SatisfactionPublic(BaseModel):
    score: int | None = Field(
        description="the complainant's score from 1 (very dissatisfied) to 5 (very satisfied), when given"
    )
    satisfied: bool = Field(description="whether the complainant is satisfied with how the complaint was handled")
    comment: str | None = Field(description="the complainant's own words")
    round: int = Field(description="the complaint's round the answer is about")
    by: str = Field(description="user name of the staff member who recorded it")
    at: datetime = Field(description="when it was recorded (UTC)")


class DocumentPublic(BaseModel):
    sha256: str = Field(description="the file's SHA-256 digest in hex: its id for download")
    size: int = Field(description="the file's size in bytes")
    media_type: str = Field(description="the file's type, e.g. application/pdf or image/jpeg")
    filename: str | None = Field(description="the file's name as uploaded")
    by: str | None = Field(description="user name of who attached it; null for the public form")
    at: datetime = Field(description="when it was attached (UTC)")


class BreachPublic(BaseModel):
    key: str = Field(description="the deadline's id within the complaint")
    stage: Stage = Field(description="the procedure stage whose deadline passed")
    round: int = Field(description="the complaint's round")
    due_at: datetime = Field(description="the deadline that passed (UTC)")
    done_at: datetime | None = Field(description="when the stage was finally done (UTC); null while it still is not")
    waiting_on: str | None = Field(description="the role the complaint was waiting on")
    waiting_person: str | None = Field(description="user name of the person it was waiting on")
    waiting_unit: str | None = Field(description="code of the unit it was waiting on")
    at: datetime = Field(description="when the breach was recorded (UTC)")


class WaitingOnPublic(BaseModel):
    role: str | None = Field(description="the role whose step is next; null when nobody's is")
    person: str | None = Field(description="user name of the person whose step is next, when one is named")
    unit: str | None = Field(description="code of the unit whose step is next, when a unit handles it")


class DeadlinePublic(BaseModel):
    stage: Stage = Field(description="the procedure stage")
    started_at: datetime = Field(description="when the stage began (UTC)")
    due_at: datetime = Field(description="when it is due (UTC), counted in the chamber's working time")
    done_at: datetime | None = Field(description="when it was done (UTC); null while open")


class ComplaintPublic(BaseModel):
    id: uuid.UUID = Field(description="the complaint's record id in the CRM")
    reference: str = Field(description="the tracking code given to the complainant, e.g. CMP-7K2Q-M4XD")
    form: str = Field(description="the procedure's form code")
    version: int = Field(description="the record's version: it rises by one with every recorded change")
    state: State = Field(
        description="where the complaint stands: received, acknowledged, reviewed, referred, assigned, investigated, accepted, committee, decided, notified or closed"
    )
    round: int = Field(description="1, plus one each time the complaint was reopened")
    channel: Channel = Field(
        description="how it came in: in_person, phone, website or automatic (from another service)"
    )
    kind: Kind = Field(description="complaint, criticism, suggestion or reported_problem")
    description: str = Field(description="the complaint in the complainant's words")
    occurred_at: datetime | None = Field(description="when the matter happened (UTC), when known")
    member_number: str | None = Field(description="the complainant's membership number, when a member")
    complainant: ComplainantPublic = Field(description="who complained")
    unit: str | None = Field(description="the unit concerned")
    service: str | None = Field(description="the chamber service complained about")
    stakeholders: StakeholdersPublic = Field(description="the parties identified in the review")
    confidential: bool = Field(description="whether the complainant's identity is hidden from staff not entitled to it")
    call_id: str | None = Field(description="the call the complaint was taken on, for phone complaints")
    source: str | None = Field(description="the service that raised an automatic complaint")
    source_ref: str | None = Field(description="that service's own reference for it")
    registered_by: str | None = Field(
        description="user name of the staff member who registered it; null for the public form"
    )
    received_at: datetime = Field(description="when it was received (UTC)")
    acknowledged_at: datetime | None = Field(description="when its receipt was acknowledged to the complainant (UTC)")
    reviewed_by: str | None = Field(description="user name of the member-relations manager who reviewed it")
    handler: HandlerPublic | None = Field(description="who investigates it")
    investigation: InvestigationPublic | None = Field(description="the handler's report")
    decision: Decision | None = Field(
        description="the Secretary General's decision on the report: accepted or rejected"
    )
    decision_reason: str | None = Field(description="the reasons given with the decision")
    committee: CommitteePublic | None = Field(description="the complaint committee, when convened")
    committee_members: list[str] = Field(description="everyone on the committee, for access checks and the form")
    outcome: Outcome | None = Field(description="the final result: accepted, rejected or settled")
    decided_at: datetime | None = Field(description="when the result was decided (UTC)")
    corrective_actions: list[CorrectiveActionPublic] = Field(
        description="the corrective actions decided, with their state"
    )
    notified_at: datetime | None = Field(description="when the complainant was told the result (UTC)")
    closed_at: datetime | None = Field(description="when the complaint was closed (UTC)")
    satisfaction: SatisfactionPublic | None = Field(description="the complainant's satisfaction, asked after closing")
    documents: list[DocumentPublic] = Field(description="files attached to the complaint")
    breaches: list[BreachPublic] = Field(
        description="each deadline of the procedure that passed before its step was done"
    )
    stage: Stage | None = Field(description="the stage the complaint waits in")
    waiting_on: WaitingOnPublic = Field(description="whose step is next")
    due_at: datetime | None = Field(
        description="when the current stage is due (working hours on the chamber's calendar)"
    )
    overdue: bool = Field(description="the current stage is past its due time now")
    deadlines: list[DeadlinePublic] = Field(description="the deadline of each stage, open or done")
    updated_at: datetime = Field(description="when the record last changed (UTC)")


class FormStep(BaseModel):
    step: int = Field(description="the step's number on the form")
    event: str = Field(description="the CloudEvents type on Kafka")
    title: str = Field(description="the step's title on the form")
    by: str | None = Field(description="user name of who did it")
    at: datetime = Field(description="when it was done (UTC)")
    at_local: str = Field(description="in the chamber's calendar (Solar Hijri in Iran)")
    details: dict[str, Any] = Field(description="what was recorded at that step")


class ComplaintForm(BaseModel):
    form: str = Field(description="the form's code")
    title: str = Field(description="the form's title, in the chamber's language")
    id: uuid.UUID = Field(description="the complaint's record id")
    reference: str = Field(description="the tracking code given to the complainant")
    state: State = Field(description="where the complaint stands")
    round: int = Field(description="1, plus one each time the complaint was reopened")
    confidential: bool = Field(description="whether the complainant's identity is hidden")
    channel: Channel = Field(description="how it came in")
    kind: Kind = Field(description="complaint, criticism, suggestion or reported_problem")
    received_at: datetime = Field(description="when it was received (UTC)")
    received_at_local: str = Field(description="the same in the chamber's calendar (Solar Hijri in Iran)")
    occurred_at: datetime | None = Field(description="when the matter happened (UTC)")
    occurred_at_local: str | None = Field(description="the same in the chamber's calendar")
    description: str = Field(description="the complaint in the complainant's words")
    member_number: str | None = Field(description="the complainant's membership number")
    complainant: ComplainantPublic = Field(description="who complained")
    unit: str | None = Field(description="code of the unit complained about")
    service: str | None = Field(description="the chamber service complained about")
    stakeholders: StakeholdersPublic = Field(description="the parties identified in the review")
    documents: list[DocumentPublic] = Field(description="files attached")
    handler: HandlerPublic | None = Field(description="who investigates it")
    investigation: InvestigationPublic | None = Field(description="the handler's report")
    decision: Decision | None = Field(description="the Secretary General's decision on the report")
    committee: CommitteePublic | None = Field(description="the complaint committee, when convened")
    outcome: Outcome | None = Field(description="the final result")
    corrective_actions: list[CorrectiveActionPublic] = Field(description="the corrective actions decided")
    satisfaction: SatisfactionPublic | None = Field(description="the complainant's satisfaction")
    deadlines: list[dict[str, Any]] = Field(description="each stage's deadline with the chamber-calendar dates")
    steps: list[FormStep] = Field(description="the form's steps in order, with who did each and when")


class ComplaintEvent(BaseModel):
    type: str = Field(description="the CloudEvents type on Kafka, e.g. crm.complaints.complaint.received.v1")
    version: int = Field(description="the record's version this change produced")
    recorded_at: datetime = Field(description="when it was recorded (UTC)")
    data: dict[str, Any] = Field(description="the change's own fields, as published on Kafka")


class DocumentAttachedPublic(DocumentPublic):
    attached: bool = Field(description="false when the complaint already held the same content")


# -- schemas: in ---------------------------------------------------------------------------------------------------
Name = Annotated[str, Field(min_length=1, max_length=200)]


class StakeholdersIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"units": ["trade"], "persons": ["s.ahmadi"], "participants": ["f.alavi"], "complainant": "رضا محمدی"}
            ]
        },
    )
    units: list[Annotated[str, Field(max_length=100)]] = Field(
        default=[], max_length=50, description="units complained about"
    )
    persons: list[Name] = Field(default=[], max_length=50, description="persons complained about (user names of staff)")
    participants: list[Name] = Field(default=[], max_length=50, description="persons who took part in the matter")
    complainant: str | None = Field(default=None, max_length=200, description="defaults to the complainant's name")


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "phone",
                    "kind": "complaint",
                    "description": "گواهی مبدا درخواستی پس از ده روز کاری هنوز صادر نشده و کسی پاسخگو نیست.",
                    "occurred_at": "2026-11-18T09:30:00+03:30",
                    "member_number": "14020153",
                    "complainant_name": "رضا محمدی",
                    "phone": "09131234567",
                    "email": "r.mohammadi@farshbafan.ir",
                    "confidential": False,
                }
            ]
        },
    )
    channel: Literal["in_person", "phone"] = Field(
        description="in_person (filled in at the chamber) or phone (taken down during a call)"
    )
    kind: Kind = Field(default=Kind.COMPLAINT, description="complaint, criticism, suggestion or reported_problem")
    description: str = Field(description="the complaint in the complainant's words", min_length=1, max_length=8000)
    occurred_at: SaneDatetime | None = Field(
        default=None, description="local time of the chamber when no zone is given"
    )
    member_number: str | None = Field(
        description="the complainant's membership number, when a member", default=None, max_length=60
    )
    complainant_name: str | None = Field(description="the complainant's full name", default=None, max_length=200)
    phone: str | None = Field(description="the complainant's telephone number, as given", default=None, max_length=40)
    email: str | None = Field(description="the complainant's e-mail address", default=None, max_length=254)
    unit: str | None = Field(default=None, max_length=100, description="the unit concerned")
    service: str | None = Field(default=None, max_length=300, description="the service concerned")
    stakeholders: StakeholdersIn | None = Field(default=None, description="the parties concerned, when already known")
    confidential: bool = Field(
        default=False,
        description="true when the complainant asks that their identity be kept from the staff complained about",
    )
    call_id: str | None = Field(default=None, max_length=100, description="phone complaints: the call it was taken in")


class Acknowledgement(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"method": "sms", "note": "کد پیگیری با پیامک برای عضو ارسال شد"}]},
    )
    method: str = Field(
        min_length=1, max_length=50, description="how the member was told: phone, sms, email, letter, in_person"
    )
    note: str | None = Field(
        description="anything worth keeping about the acknowledgement", default=None, max_length=2000
    )


class InformationAdd(BaseModel):
    """Only the fields sent change (null clears an optional one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"unit": "trade", "service": "صدور گواهی مبدا", "note": "در تماس پیگیری، عضو واحد مربوط را مشخص کرد"}
            ]
        },
    )
    kind: Kind | None = Field(default=None, description="corrected kind of the submission")
    description: str | None = Field(
        description="corrected or completed description", default=None, min_length=1, max_length=8000
    )
    occurred_at: SaneDatetime | None = Field(default=None, description="when the matter happened")
    member_number: str | None = Field(description="the complainant's membership number", default=None, max_length=60)
    complainant_name: str | None = Field(description="the complainant's full name", default=None, max_length=200)
    phone: str | None = Field(description="the complainant's telephone number", default=None, max_length=40)
    email: str | None = Field(description="the complainant's e-mail address", default=None, max_length=254)
    unit: str | None = Field(description="code of the unit complained about", default=None, max_length=100)
    service: str | None = Field(description="the chamber service complained about", default=None, max_length=300)
    note: str | None = Field(
        description="where the information came from, e.g. a follow-up call", default=None, max_length=4000
    )


class Note(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "مدارک کامل است؛ برای تصمیم به دبیرکل ارجاع شد"}]}
    )
    note: str | None = Field(description="an optional note, kept in the history", default=None, max_length=4000)


class Assignment(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"handler_kind": "person", "handler": "z.rahimi"}]}
    )
    handler_kind: HandlerKind = Field(description="person (one named member of staff) or unit")
    handler: str = Field(min_length=1, max_length=200, description="a user name, or a unit id")


class InvestigationReport(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "circumstances": "درخواست گواهی مبدا در ۲۷ آبان ثبت و به دلیل مرخصی کارشناس بررسی نشد.",
                    "root_causes": "جانشین کارشناس در زمان مرخصی تعیین نشده بود.",
                    "consequences": "ارسال محموله عضو به ترکیه یک هفته به تأخیر افتاد.",
                    "actions_taken": "گواهی در ۵ آذر صادر و به عضو تحویل شد.",
                }
            ]
        },
    )
    circumstances: str = Field(description="what happened, as found", min_length=1, max_length=20000)
    root_causes: str = Field(description="why it happened", min_length=1, max_length=20000)
    consequences: str = Field(
        description="what it caused, for the complainant and the chamber", min_length=1, max_length=20000
    )
    actions_taken: str = Field(description="what has already been done about it", min_length=1, max_length=20000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"decision": "accepted", "reason": "تأخیر در صدور گواهی تأیید شد"}]},
    )
    decision: Decision = Field(description="accepted (the complaint is founded) or rejected")
    reason: str | None = Field(default=None, max_length=4000, description="required to reject")


class CommitteeConvening(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "تأخیر در صدور گواهی مبدا و جبران آن",
                    "variable_members": ["f.alavi"],
                    "meeting_at": "2026-12-05T10:00:00+03:30",
                }
            ]
        },
    )
    subject: str = Field(description="what the committee is asked to decide", min_length=1, max_length=1000)
    variable_members: list[Name] = Field(
        description="user names of members added for this complaint, beside the standing members",
        default=[],
        max_length=30,
    )
    meeting_at: SaneDatetime | None = Field(default=None, description="when the committee meets, when already set")


class Reason(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "موضوع با اقدام اصلاحی واحد حل شده و به نشست کمیسیون نیاز نیست"}]},
    )
    reason: str | None = Field(description="why, kept in the history", default=None, max_length=4000)


class CorrectiveActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(
        description="what is to be done so that the problem does not recur", min_length=1, max_length=4000
    )
    owner: str = Field(min_length=1, max_length=200, description="a user name or a unit id")
    due: SaneDate = Field(description="the date by which it must be done (Gregorian)")


class CommitteeDecisionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "attendees": ["sg", "m.karimi", "f.alavi"],
                    "decision": "accepted",
                    "reasoning": "تأخیر ناشی از نبود جانشین در واحد بازرگانی بود.",
                    "corrective_actions": [
                        {
                            "description": "تعیین جانشین برای هر کارشناس صدور گواهی",
                            "owner": "f.alavi",
                            "due": "2026-12-20",
                        }
                    ],
                }
            ]
        },
    )
    attendees: list[Name] = Field(
        description="user names of those who attended the meeting", min_length=1, max_length=50
    )
    decision: Outcome = Field(description="accepted, rejected or settled")
    reasoning: str = Field(description="the reasons minuted for the decision", min_length=1, max_length=8000)
    corrective_actions: list[CorrectiveActionIn] = Field(
        description="corrective actions the committee decided", default=[], max_length=50
    )
    held_at: SaneDatetime | None = Field(default=None, description="defaults to now")


class NotificationIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "method": "phone",
                    "message": "شکایت شما پذیرفته شد و برای جلوگیری از تکرار، برای هر کارشناس جانشین تعیین می شود.",
                }
            ]
        },
    )
    method: str = Field(min_length=1, max_length=50, description="phone, sms, email, letter, in_person")
    message: str = Field(description="what the complainant was told, as sent", min_length=1, max_length=8000)


class SatisfactionIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"score": 4, "comment": "پیگیری خوب بود ولی کمی طول کشید"}]}
    )
    score: int | None = Field(
        description="the complainant's score from 1 (very dissatisfied) to 5 (very satisfied)", default=None, ge=1, le=5
    )
    satisfied: bool | None = Field(
        default=None,
        description="whether the complainant is satisfied; when not given, a score of 4 or 5 counts as satisfied",
    )
    comment: str | None = Field(description="the complainant's own words", default=None, max_length=4000)


class Reopening(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "عضو از نتیجه راضی نیست و گواهی دوم نیز با تأخیر صادر شد"}]},
    )
    reason: str = Field(
        description="why the complaint is reopened, e.g. the complainant was not satisfied",
        min_length=1,
        max_length=4000,
    )


class ConfidentialityIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"confidential": True, "reason": "شاکی درخواست کرد نامش از کارشناس مورد شکایت پنهان بماند"}]
        },
    )
    confidential: bool = Field(description="true to hide the complainant's identity, false to show it again")
    reason: str = Field(description="why, kept in the history", min_length=1, max_length=2000)


class AutomaticComplaintIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source_ref": "surveys:response:8f1c2a:q3",
                    "source": "surveys",
                    "kind": "complaint",
                    "description": "امتیاز ۱ از ۵ به سرعت صدور کارت بازرگانی در نظرسنجی پاییز ۱۴۰۵",
                    "member_number": "14020153",
                    "complainant_name": "Mehmet Yılmaz",
                    "phone": "09141234567",
                    "unit": "trade",
                }
            ]
        },
    )
    source_ref: str = Field(
        min_length=1, max_length=300, description="unique in the source, e.g. surveys:response:<id>:q3"
    )
    source: str = Field(min_length=1, max_length=50, description="the service it comes from: surveys, desks, sessions")
    kind: Kind = Field(default=Kind.COMPLAINT, description="complaint, criticism, suggestion or reported_problem")
    description: str = Field(
        description="what the other service found, e.g. a survey answer under the threshold",
        min_length=1,
        max_length=8000,
    )
    occurred_at: SaneDatetime | None = Field(default=None, description="when it happened")
    member_number: str | None = Field(description="the member concerned", default=None, max_length=60)
    complainant_name: str | None = Field(description="who it is from, when a person", default=None, max_length=200)
    phone: str | None = Field(description="their telephone number", default=None, max_length=40)
    email: str | None = Field(description="their e-mail address", default=None, max_length=254)
    unit: str | None = Field(description="code of the unit concerned", default=None, max_length=100)
    service: str | None = Field(description="the chamber service concerned", default=None, max_length=300)
    confidential: bool = Field(default=False, description="true to hide the complainant's identity")


class BreachCheck(BaseModel):
    recorded: list[dict[str, str]] = Field(
        description="each deadline breach recorded by this check, with the complaint and the stage"
    )


# -- helpers -------------------------------------------------------------------------------------------------------
def public_view(desk: ComplaintDesk, view: dict[str, Any]) -> dict[str, Any]:
    due = view.get("due_at")
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    return {**view, "overdue": bool(due and desk.clock() > due)}


def respond(desk: ComplaintDesk, complaint_id: uuid.UUID) -> dict[str, Any]:
    return public_view(desk, desk.view(complaint_id))


# -- staff ---------------------------------------------------------------------------------------------------------
router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.post(
    "",
    status_code=201,
    response_model=ComplaintPublic,
    summary="Register a complaint received in person or by phone (form ME-FR-01-01-01)",
)
def register_complaint(desk: DeskDep, principal: access.Registrar, body: ComplaintCreate) -> Any:
    """Registers a complaint, criticism, suggestion or reported problem received at the chamber's counter or by telephone, on form ME-FR-01-01-01. The answer carries the tracking reference to give the complainant; the deadline for acknowledging receipt starts now."""
    complaint_id = desk.register_complaint(
        channel=body.channel,
        kind=body.kind,
        description=body.description,
        by=principal.name,
        occurred_at=body.occurred_at,
        member_number=body.member_number,
        complainant_name=body.complainant_name,
        phone=body.phone,
        email=body.email,
        unit=body.unit,
        service=body.service,
        stakeholders=body.stakeholders.model_dump() if body.stakeholders else None,
        confidential=body.confidential,
        call_id=body.call_id,
    )
    return respond(desk, complaint_id)


Filters = dict[str, Any]


def _filters(
    reference: str | None = Query(None, max_length=20),
    state: State | None = None,
    stage: Stage | None = None,
    kind: Kind | None = None,
    channel: Channel | None = None,
    unit: str | None = Query(None, max_length=100, description="the unit concerned or complained about"),
    handler: str | None = Query(None, max_length=200),
    member_number: str | None = Query(None, max_length=60),
    confidential: bool | None = None,
    committee_member: str | None = Query(None, max_length=200),
    overdue: bool = Query(False, description="only those whose current stage is past its due time"),
) -> Filters:
    return {
        "reference": reference,
        "state": state.value if state else None,
        "stage": stage.value if stage else None,
        "kind": kind.value if kind else None,
        "channel": channel.value if channel else None,
        "unit": unit,
        "handler": handler,
        "member_number": member_number,
        "confidential": confidential,
        "committee_member": committee_member,
        "overdue": overdue,
    }


def _search_args(desk: ComplaintDesk, filters: Filters) -> dict[str, Any]:
    args = {k: v for k, v in filters.items() if k != "overdue"}
    args["overdue_at"] = desk.clock() if filters["overdue"] else None
    return args


@router.get(
    "", response_model=list[ComplaintPublic], summary="Search complaints (only those the caller may see; X-Total-Count)"
)
def search_complaints(
    desk: DeskDep,
    index: IndexDep,
    principal: Viewer,
    response: Response,
    filters: Annotated[Filters, Depends(_filters)],
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Finds complaints by reference, state, stage, kind, channel, handler, member or committee member. Each role sees only the complaints it may see, and a confidential complainant's identity stays hidden from those not entitled to it. X-Total-Count gives the number before paging."""
    args = _search_args(desk, filters)
    response.headers["X-Total-Count"] = str(index.count(principal, **args))
    return [public_view(desk, v) for v in index.search(principal, limit=limit, offset=offset, **args)]


EXPORT_COLUMNS = (
    "reference",
    "received_at",
    "received_at_local",
    "channel",
    "kind",
    "state",
    "stage",
    "unit",
    "handler",
    "outcome",
    "due_at",
    "confidential",
)


@router.get(
    "/export",
    summary="The complaints the caller may see, as CSV (same filters as the search)",
    response_class=Response,
    responses={200: {"content": {"text/csv": {}}}},
)
def export_complaints(
    desk: DeskDep, index: IndexDep, principal: Viewer, filters: Annotated[Filters, Depends(_filters)]
) -> Response:
    """The same complaints as the search, as a CSV file for a spreadsheet, with the same limits on what the caller may see."""
    rows = index.search(principal, limit=100_000, offset=0, **_search_args(desk, filters))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(EXPORT_COLUMNS)
    for v in rows:
        received = datetime.fromisoformat(v["received_at"])
        handler = (v.get("handler") or {}).get("name")
        writer.writerow(
            [
                v["reference"],
                v["received_at"],
                desk.calendar.format(received),
                v["channel"],
                v["kind"],
                v["state"],
                v["stage"] or "",
                v["unit"] or "",
                handler or "",
                v["outcome"] or "",
                v["due_at"] or "",
                "yes" if v["confidential"] else "no",
            ]
        )
    return Response(
        "\ufeff" + out.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="complaints.csv"'},
    )


@router.get(
    "/waiting-on-me",
    response_model=list[ComplaintPublic],
    summary="The complaints waiting on me (my cartable), earliest due first",
)
def waiting_on_me(desk: DeskDep, index: IndexDep, principal: access.WaitingOnMe) -> Any:
    """The caller's cartable: complaints whose next step is theirs (to acknowledge, review, assign, investigate, decide or follow up), the earliest deadline first."""
    return [public_view(desk, v) for v in index.waiting_on(principal)]


@router.get(
    "/{complaint_id}", response_model=ComplaintPublic, summary="A complaint's record: state, next step, deadlines"
)
def get_complaint(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID) -> Any:
    """The complaint's current record: its state, whose step is next, every deadline and breach, and what each step recorded."""
    return respond(desk, complaint_id)


@router.get(
    "/{complaint_id}/form", response_model=ComplaintForm, summary="Form ME-FR-01-01-01: every step with who and when"
)
def get_complaint_form(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID) -> Any:
    """Form ME-FR-01-01-01 as filled in so far: each step with who did it and when, the dates also in the chamber's calendar, for printing or for the audit."""
    return desk.complaint_form(complaint_id)


@router.get(
    "/{complaint_id}/history", response_model=list[ComplaintEvent], summary="Every event of the complaint as on Kafka"
)
def get_complaint_history(desk: DeskDep, principal: access.HistorianOf, complaint_id: uuid.UUID) -> Any:
    """Every change of the complaint, oldest first, as published to the other services."""
    return desk.history(complaint_id)


@router.post("/{complaint_id}/acknowledge", response_model=ComplaintPublic, summary="Acknowledge receipt to the member")
def acknowledge_complaint(
    desk: DeskDep, principal: access.Acknowledger, complaint_id: uuid.UUID, body: Acknowledgement
) -> Any:
    """Records that the complainant was told the complaint was received, and how (telephone, SMS, e-mail, letter, in person). The complaint then goes to the member-relations manager for review."""
    desk.acknowledge_complaint(complaint_id, by=principal.name, method=body.method, note=body.note)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/information",
    response_model=ComplaintPublic,
    summary="The member-relations manager adds missing information",
)
def add_information(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: InformationAdd) -> Any:
    """During the review the member-relations manager completes or corrects what the form lacks, e.g. the unit concerned after a follow-up call. Only the fields sent change."""
    changes = body.model_dump(exclude_unset=True)
    note = changes.pop("note", None)
    if "kind" in changes and changes["kind"] is None:
        raise InvalidInput("kind cannot be cleared")
    desk.add_information(complaint_id, by=principal.name, changes=changes, note=note)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/stakeholders",
    response_model=ComplaintPublic,
    summary="Record the stakeholders (before assignment)",
)
def record_stakeholders(
    desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: StakeholdersIn
) -> Any:
    """Records the units and persons the complaint concerns and who took part in the matter; they cannot be assigned to handle it."""
    desk.record_stakeholders(
        complaint_id,
        by=principal.name,
        units=body.units,
        persons=body.persons,
        participants=body.participants,
        complainant=body.complainant,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/review-complete",
    response_model=ComplaintPublic,
    summary="Mark the review complete (the form has everything)",
)
def complete_review(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID) -> Any:
    """The member-relations manager marks the review complete: the form has what the SG needs to decide who handles it."""
    desk.complete_review(complaint_id, by=principal.name)
    return respond(desk, complaint_id)


@router.post("/{complaint_id}/refer", response_model=ComplaintPublic, summary="Refer the reviewed complaint to the SG")
def refer_complaint(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Note | None = None
) -> Any:
    """Sends the reviewed complaint to the Secretary General, who assigns a handler."""
    desk.refer_complaint(complaint_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/assign",
    response_model=ComplaintPublic,
    summary="The SG assigns a handler who is no stakeholder (409 with the reasons otherwise, kept for the audit)",
)
def assign_handler(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: Assignment
) -> Any:
    """The Secretary General names a person or a unit to investigate. A stakeholder of the complaint cannot handle it: the answer is then 409 with the reasons, and the refusal is kept for the audit."""
    desk.assign_handler(complaint_id, handler_kind=body.handler_kind, handler=body.handler, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/investigation",
    response_model=ComplaintPublic,
    summary="The handler files the investigation report",
)
def file_investigation(
    desk: DeskDep, principal: access.Investigator, complaint_id: uuid.UUID, body: InvestigationReport
) -> Any:
    """The handler reports the circumstances, the root causes, the consequences and what was already done; the report goes to the SG for a decision."""
    desk.file_investigation(
        complaint_id,
        by=principal.name,
        by_unit=principal.unit if principal.role == Role.UNIT_MANAGER else None,
        circumstances=body.circumstances,
        root_causes=body.root_causes,
        consequences=body.consequences,
        actions_taken=body.actions_taken,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/decision", response_model=ComplaintPublic, summary="The SG accepts or rejects the complaint"
)
def decide_complaint(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: DecisionIn
) -> Any:
    """The Secretary General accepts the complaint as founded or rejects it (a reason is required to reject). An accepted complaint then goes to the committee or is settled without it."""
    desk.decide_complaint(complaint_id, decision=body.decision, reason=body.reason, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee",
    response_model=ComplaintPublic,
    summary="The SG convenes the complaint committee (accepted complaints)",
)
def convene_committee(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: CommitteeConvening
) -> Any:
    """The Secretary General convenes the complaint committee for an accepted complaint: its standing members and any added for this case, with the subject and meeting time."""
    desk.convene_committee(
        complaint_id,
        subject=body.subject,
        variable_members=body.variable_members,
        meeting_at=body.meeting_at,
        by=principal.name,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee/not-needed",
    response_model=ComplaintPublic,
    summary="The SG accepts without convening the committee",
)
def forgo_committee(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: Reason | None = None
) -> Any:
    """The Secretary General settles an accepted complaint without convening the committee, giving the reason."""
    desk.forgo_committee(complaint_id, reason=body.reason if body else None, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee/decision",
    response_model=ComplaintPublic,
    summary="The committee's meeting: attendees, accept/reject/settle, corrective actions (the SG or a member of this committee)",
)
def record_committee_decision(
    desk: DeskDep, principal: access.CommitteeRecorder, complaint_id: uuid.UUID, body: CommitteeDecisionIn
) -> Any:
    """Minutes the committee's meeting: who attended, the decision (accept, reject or settle), the reasons and any corrective actions with owner and due date. The SG or a member of this committee may record it."""
    desk.record_committee_decision(
        complaint_id,
        attendees=body.attendees,
        decision=body.decision,
        reasoning=body.reasoning,
        corrective_actions=[a.model_dump() for a in body.corrective_actions],
        held_at=body.held_at,
        by=principal.name,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/corrective-actions/{action_id}/done",
    response_model=ComplaintPublic,
    summary="A corrective action is done (its owner, the SG, the member-relations manager or a committee member)",
)
def complete_corrective_action(
    desk: DeskDep, principal: access.ActionKeeper, complaint_id: uuid.UUID, action_id: str, body: Note | None = None
) -> Any:
    """Records a corrective action the committee decided as done, with an optional note on what was done."""
    desk.complete_corrective_action(complaint_id, action_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/notify",
    response_model=ComplaintPublic,
    summary="The member-relations manager tells the member the result",
)
def notify_member(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: NotificationIn) -> Any:
    """The member-relations manager records what the complainant was told of the result; closing is possible once this is done."""
    desk.notify_member(complaint_id, method=body.method, message=body.message, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/close", response_model=ComplaintPublic, summary="Close the complaint (after the member was told)"
)
def close_complaint(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Note | None = None
) -> Any:
    """Closes the complaint after the complainant was told the result; the satisfaction question follows."""
    desk.close_complaint(complaint_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/satisfaction",
    response_model=ComplaintPublic,
    summary="The member's satisfaction with the handling (1-5, or satisfied or not)",
)
def record_satisfaction(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: SatisfactionIn
) -> Any:
    """Records how satisfied the complainant is with the handling: a score from 1 to 5, a yes or no, or both, with their own words."""
    desk.record_satisfaction(
        complaint_id, by=principal.name, score=body.score, satisfied=body.satisfied, comment=body.comment
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/reopen",
    response_model=ComplaintPublic,
    summary="Reopen a closed complaint whose member is not satisfied",
)
def reopen_complaint(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Reopening) -> Any:
    """Reopens a closed complaint whose complainant is not satisfied; a new round starts with its own deadlines."""
    desk.reopen_complaint(complaint_id, reason=body.reason, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/confidentiality",
    response_model=ComplaintPublic,
    summary="Mark the complaint confidential, or lift it",
)
def set_confidentiality(
    desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: ConfidentialityIn
) -> Any:
    """Hides the complainant's identity from staff not entitled to it, or shows it again; the reason is kept."""
    desk.set_confidentiality(complaint_id, confidential=body.confidential, reason=body.reason, by=principal.name)
    return respond(desk, complaint_id)


# -- documents -----------------------------------------------------------------------------------------------------
@router.post(
    "/{complaint_id}/documents",
    status_code=201,
    response_model=DocumentAttachedPublic,
    summary="Attach a supporting document: the raw file with its Content-Type and ?filename=, or multipart field `file`",
    responses={
        200: {"description": "the complaint already holds this content"},
        413: {"description": "too large"},
        415: {"description": "type not accepted"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                **{t: {"schema": {"type": "string", "format": "binary"}} for t in MEDIA_TYPES},
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
            },
        }
    },
)
async def attach_document(
    request: Request,
    response: Response,
    principal: access.StaffOf,
    complaint_id: uuid.UUID,
    filename: str | None = Query(None, max_length=255),
) -> Any:
    """Attaches a supporting file (a letter, a photograph, an invoice). The same content attached twice is kept once, and the answer says so."""
    desk: ComplaintDesk = request.app.state.desk
    limit = desk.documents.max_bytes
    body = await read_body(request, limit + 64 * 1024, "the document")
    content_type = request.headers.get("content-type", "")
    if content_type.lower().startswith("multipart/form-data"):
        _, files = parse_multipart(content_type, body)
        upload = next((f for f in files if f.field == "file"), None)
        if upload is None:
            raise InvalidInput("send the document in the multipart field named `file`")
        content, media_type, name = upload.content, upload.content_type, upload.filename
    else:
        content, media_type, name = body, content_type, filename
    doc, attached = await run_in_threadpool(
        desk.attach_document, complaint_id, content, media_type=media_type, filename=name, by=principal.name
    )
    if not attached:
        response.status_code = 200
    stored = desk.get_complaint(complaint_id).document(doc.sha256) or {}
    return {**stored, "attached": attached}


@router.get(
    "/{complaint_id}/documents/{sha256}",
    response_class=Response,
    summary="Download a document of the complaint",
    responses={200: {"content": {t: {} for t in MEDIA_TYPES}}},
)
def download_document(desk: DeskDep, principal: access.ViewerOf, complaint_id: uuid.UUID, sha256: str) -> Response:
    """Downloads an attached file by its SHA-256 digest, for anyone who may see the complaint."""
    content, doc = desk.read_document(complaint_id, sha256)
    name = doc.get("filename") or sha256
    return Response(
        content,
        media_type=doc["media_type"],
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "private, no-store",
        },
    )


# -- other services ------------------------------------------------------------------------------------------------
internal = APIRouter(prefix="/internal/complaints", tags=["internal"])


class AlreadyOpened(BaseModel):
    id: uuid.UUID = Field(description="the complaint already registered for this source reference")
    existed: Literal[True] = Field(description="always true: nothing new was registered")


@internal.post(
    "",
    status_code=201,
    response_model=ComplaintPublic,
    summary="Open a complaint for another service, idempotent by source_ref (201 the first time, 200 with only its id after)",
    responses={200: {"model": AlreadyOpened, "description": "already opened for this source reference"}},
)
def open_automatically(desk: DeskDep, _: Internal, body: AutomaticComplaintIn) -> Any:
    """For the CRM's other services (role service): registers the complaint a procedure raises, e.g. a survey answer under the threshold or a service desk's problem form. The source reference makes it idempotent: the first call registers it (201), a repeat answers only its id (200)."""
    complaint_id, created = desk.open_automatically(
        body.source_ref,
        source=body.source,
        kind=body.kind,
        description=body.description,
        occurred_at=body.occurred_at,
        member_number=body.member_number,
        complainant_name=body.complainant_name,
        phone=body.phone,
        email=body.email,
        unit=body.unit,
        service=body.service,
        confidential=body.confidential,
    )
    if not created:
        # Any service token may knock with any source_ref: a repeat learns the id, never a (confidential) content.
        return JSONResponse({"id": str(complaint_id), "existed": True}, status_code=200)
    return respond(desk, complaint_id)


@internal.post(
    "/deadline-check", response_model=BreachCheck, summary="Record every stage deadline passed now (idempotent)"
)
def check_deadlines(desk: DeskDep, _: Internal) -> Any:
    """For the scheduler: records, once each, every stage deadline of the complaint procedure that has passed as of now, with whom the complaint was waiting on. Calling it again changes nothing."""
    recorded = desk.record_breaches(desk.clock())
    return {"recorded": [{"complaint_id": str(cid), "stage": stage.value} for cid, stage in recorded]}
