"""Request and response models of the calls service's HTTP API (services/calls/api.py)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.calls.domain import CallbackOutcome, Direction, Purpose, State
from services.calls.telephony import CallEventIn

MAX_BATCH = 1000  # events in one request


class CallCallback(BaseModel):
    by: str = Field(description="user name of the expert who called the member back")
    outcome: CallbackOutcome = Field(
        description="resolved, follow_up (the unit follows the matter up), referred (to another unit or the complaint procedure) or not_reached"
    )
    note: str | None = Field(description="what was said or agreed, in the expert's words")
    at: datetime = Field(description="when the callback was recorded (UTC)")
    referred_to: str | None = Field(
        default=None, description="the unit or procedure the matter was referred to, when the outcome is referred"
    )


class CallPublic(BaseModel):
    id: uuid.UUID = Field(description="the call's record id in the CRM")
    version: int = Field(description="the record's version: it rises by one with every recorded change")
    direction: Direction = Field(
        description="incoming (a member called the chamber) or outgoing (member relations called a member)"
    )
    state: State = Field(
        description="where the call stands in the call procedure: ringing, queued, answered, unit_not_answered, with_member_relations, transferred, unanswered (a callback is owed), called_back, completed or not_reached (an outgoing call nobody picked up)"
    )
    received_at: datetime = Field(description="when the call first rang (UTC)")
    caller: str | None = Field(description="the calling number in international form (+98…)")
    caller_raw: str | None = Field(description="the calling number as the telephone system sent it")
    callee: str | None = Field(description="the number dialled, in international form")
    member_id: str | None = Field(
        description="record id of the member recognised by the caller's number; null when none was"
    )
    pbx_call_id: str | None = Field(
        description="the telephone system's own id of the call; null for calls registered by hand"
    )
    purpose: Purpose | None = Field(
        description="why member relations called: survey, announcement or complaint_follow_up (outgoing calls only)"
    )
    placed_by: str | None = Field(description="user name of the staff member who placed an outgoing call")
    line: str | None = Field(
        default=None, description="outgoing calls another service recorded: the chamber's line used (fixed, mobile)"
    )
    source_ref: str | None = Field(
        default=None,
        description="outgoing calls another service recorded: what for, e.g. surveys:<survey>:member:<number>:attempt:1",
    )
    unit: str | None = Field(description="code of the chamber unit the call was routed to, e.g. trade")
    answered_by: str | None = Field(description="user name of the expert who answered")
    missed_by: list[str] = Field(description="user names of the experts who let the call ring out, in order")
    member_relations_expert: str | None = Field(
        description="user name of the member-relations expert who took the call over from the unit"
    )
    subject: str | None = Field(description="what the caller wanted, as member relations took it down")
    contact_name: str | None = Field(description="who to call back, when not the member's registered contact")
    contact_phone: str | None = Field(description="the number to call back on, as given by the caller")
    transferred_to: str | None = Field(
        description="user name of the expert the call was transferred to on the second attempt"
    )
    assigned_expert: str | None = Field(description="user name of the expert who owes the callback")
    follow_up_due: datetime | None = Field(
        default=None, description="deadline for member relations to follow the call up (UTC), in working time"
    )
    registered_at: datetime | None = Field(
        description="when the call was registered as unanswered for a callback (UTC)"
    )
    callback_due: datetime | None = Field(
        description="deadline for the unit's callback (UTC), in the chamber's working time"
    )
    callbacks: list[CallCallback] = Field(description="every callback attempt, oldest first")
    ended_at: datetime | None = Field(description="when the call's record was closed (UTC)")
    unrouted_queue: str | None = Field(
        default=None, description="the PBX queue that no unit owns, when the call could not be routed for that reason"
    )


class CallCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"direction": "outgoing", "caller": "09131234567", "purpose": "survey"}]},
    )
    direction: Direction = Field(default=Direction.INCOMING, description="incoming or outgoing")
    caller: str | None = Field(default=None, max_length=40, description="the other party's number as dialled or shown")
    callee: str | None = Field(description="the number dialled, as dialled", default=None, max_length=40)
    unit: str | None = Field(default=None, description="destination unit of an incoming call")
    purpose: Purpose | None = Field(default=None, description="outgoing calls only")


class CallRoute(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"unit": "trade"}]})
    unit: str = Field(
        description="code of the destination unit, e.g. trade or member_relations", min_length=1, max_length=100
    )


class CallAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"expert": "s.ahmadi"}]})
    expert: str = Field(
        description="user name of the unit's expert who answered, e.g. s.ahmadi", min_length=1, max_length=200
    )


class SubjectTakeDown(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"subject": "پیگیری صدور کارت بازرگانی", "contact_name": "Ayşe Demir", "contact_phone": "0914 765 4321"}
            ]
        },
    )
    subject: str = Field(
        description="what the caller wanted, in the caller's words as near as may be", min_length=1, max_length=4000
    )
    contact_name: str | None = Field(
        description="who to call back, when not the member's registered contact", default=None, max_length=200
    )
    contact_phone: str | None = Field(
        description="the number to call back on, as the caller gave it", default=None, max_length=40
    )


class CallTransfer(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"expert": "f.alavi"}]})
    expert: str = Field(min_length=1, max_length=200, description="another expert of the destination unit")


class UnansweredRegister(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"contact_name": "علی رضایی", "contact_phone": "09121112233"}]}
    )
    subject: str | None = Field(default=None, max_length=4000, description="defaults to the subject taken down")
    contact_name: str | None = Field(
        description="who to call back; defaults to the name taken down", default=None, max_length=200
    )
    contact_phone: str | None = Field(default=None, max_length=40, description="defaults to the caller's number")
    unit: str | None = Field(default=None, description="defaults to the destination unit")
    expert: str | None = Field(default=None, description="the expert who missed it; defaults to the last one who did")


class CallbackRecord(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"outcome": "resolved", "note": "مدارک لازم برای تمدید کارت عضویت به عضو اعلام شد"}]
        },
    )
    outcome: CallbackOutcome = Field(description="resolved, follow_up, referred or not_reached")
    note: str | None = Field(description="what was said or agreed on the callback", default=None, max_length=4000)
    referred_to: str | None = Field(
        default=None,
        max_length=100,
        description="with outcome 'referred': the unit the matter went to, or 'complaint' to open a complaint",
    )


class Resolution(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "ساعات کاری واحد صدور گواهی مبدا به تماس گیرنده اعلام شد"}]},
    )
    note: str = Field(description="how member relations settled the caller's matter", min_length=1, max_length=4000)


# Checked before any item is: a list of half a million numbers is refused at once, not validated item by item.
EventBatch = Annotated[list[CallEventIn], Field(max_length=MAX_BATCH)]
AmiBatch = Annotated[list[dict[str, Any]], Field(max_length=MAX_BATCH)]


class IngestOutcome(BaseModel):
    event_id: str = Field(description="the telephone system's id of the event, as sent")
    call_id: str | None = Field(description="the CRM's record id of the call the event was applied to; null when none")
    status: str = Field(
        description="applied, duplicate (seen before, nothing done), ignored (carries nothing for call tracking), held (waiting for an earlier event) or rejected"
    )
    reason: str | None = Field(default=None, description="why the event was ignored, held or rejected")


class IngestBatchOutcome(BaseModel):
    results: list[IngestOutcome] = Field(description="the outcome of each event, in the order sent")
    applied: int = Field(description="events applied")
    duplicate: int = Field(description="events already received before")
    ignored: int = Field(description="events that carry nothing for call tracking")
    held: int = Field(default=0, description="events waiting for an earlier event of the same call")
    rejected: int = Field(description="events that did not fit the call's state, kept in the rejections list")


class UnmappedQueue(BaseModel):
    queue: str = Field(description="the PBX queue number or name that no unit owns")
    calls: int = Field(description="calls kept unrouted because they came through it")
    first_call_at: datetime = Field(description="when the first such call rang (UTC)")
    last_call_at: datetime = Field(description="when the latest such call rang (UTC)")


class QueueItem(CallPublic):
    """A call in a personal queue or a unit's list, as the staff read it."""

    member_name: str | None = Field(
        default=None, description="the member's name, for the expert's screen; null when the caller is no known member"
    )
    received_at_local: str = Field(
        description="when the call rang, in the chamber's calendar and time zone (Solar Hijri in Iran)"
    )
    due: datetime | None = Field(description="the callback deadline, or the member-relations follow-up deadline")
    due_local: str | None = Field(description="the deadline in the chamber's calendar (Solar Hijri in Iran)")
    working_seconds_left: float | None = Field(description="working time left before the deadline; negative: late")
