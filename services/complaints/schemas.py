"""Request and response models of the complaints API (form ME-FR-01-01-01 and each step of the procedure)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.complaints.domain import (
    ActionStatus,
    Channel,
    Decision,
    HandlerKind,
    Kind,
    Level,
    Outcome,
    Priority,
    Stage,
    State,
)
from shared.validation import SaneDate, SaneDatetime


# -- schemas: out --------------------------------------------------------------------------------------------------
class ComplainantPublic(BaseModel):
    name: str | None
    phone: str | None = Field(description="E.164")
    phone_raw: str | None = Field(description="as typed")
    email: str | None


class StakeholdersPublic(BaseModel):
    units: list[str] = Field(description="units complained about")
    persons: list[str] = Field(description="persons complained about")
    participants: list[str] = Field(description="persons who took part in the matter")
    complainant: str | None
    recorded: bool = Field(description="the stakeholders were recorded, or declared none; the review needs it")
    none_declared: bool = Field(description="declared: nobody besides the complainant and the unit concerned")


class HandlerPublic(BaseModel):
    kind: HandlerKind
    name: str
    units: list[str]
    eligibility: str | None = Field(
        description="why the handler is no stakeholder (conflict-of-interest rule), for the audit"
    )


class InvestigationPublic(BaseModel):
    circumstances: str
    root_causes: str
    consequences: str
    actions_taken: str
    by: str
    at: datetime


class CommitteePublic(BaseModel):
    subject: str
    fixed_members: list[str]
    variable_members: list[str]
    members: list[str]
    unit_manager: str | None = Field(default=None, description="the manager of the unit concerned")
    assistant: str | None = Field(default=None, description="the administrative assistant")
    sg_members: list[str] = Field(default=[], description="who may take the SG's seat: the SG, representatives")
    quorum: float | None = Field(default=None, description="more than this share of the members must attend")
    quorum_needs_sg: bool = False
    minutes: str | None = None
    meeting_at: datetime | None
    convened_by: str
    convened_at: datetime
    attendees: list[str]
    decision: Outcome | None
    reasoning: str | None
    held_at: datetime | None


class CorrectiveActionPublic(BaseModel):
    id: str
    description: str
    owner: str
    due: date
    status: ActionStatus
    round: int
    done_at: datetime | None
    done_by: str | None
    note: str | None
    actions_id: str | None = Field(default=None, description="its id in the actions service, once opened there")


class SatisfactionPublic(BaseModel):
    score: int | None
    satisfied: bool
    comment: str | None
    round: int
    by: str
    at: datetime


class DocumentPublic(BaseModel):
    sha256: str
    size: int
    media_type: str
    filename: str | None
    by: str | None
    at: datetime


class BreachPublic(BaseModel):
    key: str
    stage: Stage
    round: int
    due_at: datetime
    done_at: datetime | None
    waiting_on: str | None
    waiting_person: str | None
    waiting_unit: str | None
    at: datetime


class WaitingOnPublic(BaseModel):
    role: str | None
    person: str | None
    unit: str | None


class DeadlinePublic(BaseModel):
    stage: Stage
    started_at: datetime
    due_at: datetime
    done_at: datetime | None


class AssessmentPublic(BaseModel):
    severity: Level
    urgency: Level
    complexity: Level
    immediate_action: bool
    priority: Priority
    note: str | None
    by: str
    at: datetime


class ComplaintPublic(BaseModel):
    id: uuid.UUID
    reference: str
    form: str
    version: int
    state: State
    round: int
    channel: Channel
    kind: Kind
    description: str
    occurred_at: datetime | None
    member_number: str | None
    complainant: ComplainantPublic
    unit: str | None = Field(description="the unit concerned")
    service: str | None
    stakeholders: StakeholdersPublic
    confidential: bool
    call_id: str | None
    source: str | None
    source_ref: str | None
    registered_by: str | None
    received_at: datetime
    acknowledged_at: datetime | None
    reviewed_by: str | None
    handler: HandlerPublic | None
    investigation: InvestigationPublic | None
    decision: Decision | None
    decision_reason: str | None
    follow_up_by: str | None = Field(description="the SG or representative following it up to the final result")
    reviews: list[dict[str, Any]] = Field(default=[], description="six-monthly review meetings that took it up")
    assessment: AssessmentPublic | None = Field(description="the initial assessment (ISO 10002)")
    priority: Priority | None = Field(description="orders the queues; not yet assessed counts as medium")
    committee: CommitteePublic | None
    committee_members: list[str]
    outcome: Outcome | None
    decided_at: datetime | None
    corrective_actions: list[CorrectiveActionPublic]
    notified_at: datetime | None
    closed_at: datetime | None
    satisfaction: SatisfactionPublic | None
    documents: list[DocumentPublic]
    breaches: list[BreachPublic]
    stage: Stage | None = Field(description="the stage the complaint waits in")
    waiting_on: WaitingOnPublic
    due_at: datetime | None = Field(
        description="when the current stage is due (working hours on the chamber's calendar)"
    )
    overdue: bool = Field(description="the current stage is past its due time now")
    deadlines: list[DeadlinePublic]
    updated_at: datetime


class FormStep(BaseModel):
    step: int
    event: str = Field(description="the CloudEvents type on Kafka")
    title: str
    by: str | None
    at: datetime
    at_local: str = Field(description="in the chamber's calendar (Solar Hijri in Iran)")
    details: dict[str, Any]


class ComplaintForm(BaseModel):
    form: str
    title: str
    id: uuid.UUID
    reference: str
    state: State
    round: int
    confidential: bool
    channel: Channel
    kind: Kind
    received_at: datetime
    received_at_local: str
    occurred_at: datetime | None
    occurred_at_local: str | None
    description: str
    member_number: str | None
    complainant: ComplainantPublic
    unit: str | None
    service: str | None
    stakeholders: StakeholdersPublic
    documents: list[DocumentPublic]
    handler: HandlerPublic | None
    assessment: AssessmentPublic | None
    investigation: InvestigationPublic | None
    decision: Decision | None
    committee: CommitteePublic | None
    outcome: Outcome | None
    corrective_actions: list[CorrectiveActionPublic]
    satisfaction: SatisfactionPublic | None
    deadlines: list[dict[str, Any]]
    steps: list[FormStep]


class ComplaintEvent(BaseModel):
    type: str = Field(description="the CloudEvents type on Kafka, e.g. crm.complaints.complaint.received.v1")
    version: int
    recorded_at: datetime
    data: dict[str, Any]


class DocumentAttachedPublic(DocumentPublic):
    attached: bool = Field(description="false when the complaint already held the same content")


# -- schemas: in ---------------------------------------------------------------------------------------------------
Name = Annotated[str, Field(min_length=1, max_length=200)]


class StakeholdersIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    units: list[Annotated[str, Field(max_length=100)]] = Field(
        default=[], max_length=50, description="units complained about"
    )
    persons: list[Name] = Field(default=[], max_length=50, description="persons complained about (user names of staff)")
    participants: list[Name] = Field(default=[], max_length=50, description="persons who took part in the matter")
    complainant: str | None = Field(default=None, max_length=200, description="defaults to the complainant's name")


class StakeholdersRecord(StakeholdersIn):
    none: bool = Field(
        default=False,
        description="declare that nobody is involved besides the complainant and the unit the complaint is about",
    )


class ComplaintCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    channel: Literal["in_person", "phone"]
    kind: Kind = Kind.COMPLAINT
    description: str = Field(min_length=1, max_length=8000)
    occurred_at: SaneDatetime | None = Field(
        default=None, description="local time of the chamber when no zone is given"
    )
    member_number: str | None = Field(default=None, max_length=60)
    complainant_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    unit: str | None = Field(default=None, max_length=100, description="the unit concerned")
    service: str | None = Field(default=None, max_length=300, description="the service concerned")
    stakeholders: StakeholdersIn | None = None
    confidential: bool = False
    call_id: str | None = Field(default=None, max_length=100, description="phone complaints: the call it was taken in")


class AssessmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    severity: Level
    urgency: Level
    complexity: Level
    immediate_action: bool = False
    note: str | None = Field(default=None, max_length=4000)


class Acknowledgement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(
        min_length=1, max_length=50, description="how the member was told: phone, sms, email, letter, in_person"
    )
    note: str | None = Field(default=None, max_length=2000)


class InformationAdd(BaseModel):
    """Only the fields sent change (null clears an optional one)."""

    model_config = ConfigDict(extra="forbid")
    kind: Kind | None = None
    description: str | None = Field(default=None, min_length=1, max_length=8000)
    occurred_at: SaneDatetime | None = None
    member_number: str | None = Field(default=None, max_length=60)
    complainant_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    unit: str | None = Field(default=None, max_length=100)
    service: str | None = Field(default=None, max_length=300)
    note: str | None = Field(default=None, max_length=4000)


class Note(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=4000)


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    handler_kind: HandlerKind
    handler: str = Field(min_length=1, max_length=200, description="a user name, or a unit id")


class InvestigationReport(BaseModel):
    model_config = ConfigDict(extra="forbid")
    circumstances: str = Field(min_length=1, max_length=20000)
    root_causes: str = Field(min_length=1, max_length=20000)
    consequences: str = Field(min_length=1, max_length=20000)
    actions_taken: str = Field(min_length=1, max_length=20000)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Decision
    reason: str | None = Field(default=None, max_length=4000, description="required to reject")
    follow_up_by: str | None = Field(
        default=None, max_length=200, description="who follows an accepted complaint up (default: the SG deciding)"
    )


class CommitteeConvening(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=1000)
    variable_members: list[Name] = Field(default=[], max_length=30)
    meeting_at: SaneDatetime | None = None
    sg_representative: str | None = Field(
        default=None, max_length=200, description="a representative who may take the SG's seat at this meeting"
    )


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str | None = Field(default=None, max_length=4000)


class CorrectiveActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(min_length=1, max_length=4000)
    owner: str = Field(min_length=1, max_length=200, description="a user name or a unit id")
    due: SaneDate


class CommitteeDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    attendees: list[Name] = Field(min_length=1, max_length=50)
    decision: Outcome
    reasoning: str = Field(min_length=1, max_length=8000)
    minutes: str = Field(min_length=1, max_length=50000, description="the minutes of the meeting")
    corrective_actions: list[CorrectiveActionIn] = Field(default=[], max_length=50)
    held_at: SaneDatetime | None = Field(default=None, description="defaults to now")


class NotificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    method: str = Field(min_length=1, max_length=50, description="phone, sms, email, letter, in_person")
    message: str = Field(min_length=1, max_length=8000)


class SatisfactionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    score: int | None = Field(default=None, ge=1, le=5)
    satisfied: bool | None = None
    comment: str | None = Field(default=None, max_length=4000)


class Reopening(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=4000)


class ConfidentialityIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    confidential: bool
    reason: str = Field(min_length=1, max_length=2000)


class AutomaticComplaintIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    source_ref: str = Field(
        min_length=1, max_length=300, description="unique in the source, e.g. surveys:response:<id>:q3"
    )
    source: str = Field(min_length=1, max_length=50, description="the service it comes from: surveys, desks, sessions")
    kind: Kind = Kind.COMPLAINT
    description: str = Field(min_length=1, max_length=8000)
    occurred_at: SaneDatetime | None = None
    member_number: str | None = Field(default=None, max_length=60)
    complainant_name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    unit: str | None = Field(default=None, max_length=100)
    service: str | None = Field(default=None, max_length=300)
    confidential: bool = False


class BreachCheck(BaseModel):
    recorded: list[dict[str, str]]


class AlreadyOpened(BaseModel):
    id: uuid.UUID
    existed: Literal[True]
