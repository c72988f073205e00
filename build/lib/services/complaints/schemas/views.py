"""What the complaints API answers: a complaint as staff see it, the complaint form ME-FR-01-01-01 with every step,
the events of its history, and the parts they are made of."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

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
    recorded: bool = Field(description="the stakeholders were recorded, or declared none; the review needs it")
    none_declared: bool = Field(description="declared: nobody besides the complainant and the unit concerned")


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
    unit_manager: str | None = Field(default=None, description="the manager of the unit concerned")
    assistant: str | None = Field(default=None, description="the administrative assistant")
    sg_members: list[str] = Field(default=[], description="who may take the SG's seat: the SG, representatives")
    quorum: float | None = Field(default=None, description="more than this share of the members must attend")
    quorum_needs_sg: bool = Field(
        default=False, description="true when the quorum counts only if the SG or a representative attends"
    )
    minutes: str | None = Field(default=None, description="the minutes of the committee's meeting, once held")
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
    actions_id: str | None = Field(default=None, description="its id in the actions service, once opened there")


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


class DeadlineMovePublic(BaseModel):
    key: str = Field(description="what makes the move unique: the round, the stage and the calendar change")
    stage: Stage = Field(description="the procedure stage whose deadline moved")
    round: int = Field(description="the complaint's round")
    old_due: datetime = Field(description="the deadline before the calendar changed (UTC)")
    new_due: datetime = Field(description="the deadline in force after it (UTC)")
    reason: str = Field(description="the calendar change that moved it: a closure and its reason, or new hours")
    at: datetime = Field(description="when the move was recorded (UTC)")


class DeadlineMoveOnForm(DeadlineMovePublic):
    old_due_local: str = Field(description="the old deadline in the chamber's calendar (Solar Hijri in Iran)")
    new_due_local: str = Field(description="the new deadline in the chamber's calendar")


class WaitingOnPublic(BaseModel):
    role: str | None = Field(description="the role whose step is next; null when nobody's is")
    person: str | None = Field(description="user name of the person whose step is next, when one is named")
    unit: str | None = Field(description="code of the unit whose step is next, when a unit handles it")


class DeadlinePublic(BaseModel):
    stage: Stage = Field(description="the procedure stage")
    started_at: datetime = Field(description="when the stage began (UTC)")
    due_at: datetime = Field(description="when it is due (UTC), counted in the chamber's working time")
    done_at: datetime | None = Field(description="when it was done (UTC); null while open")


class AssessmentPublic(BaseModel):
    severity: Level = Field(
        description="how serious the matter is for the complainant and the chamber: low, medium or high"
    )
    urgency: Level = Field(description="how soon it must be dealt with: low, medium or high")
    complexity: Level = Field(description="how much work the investigation will take: low, medium or high")
    immediate_action: bool = Field(description="true when something had to be done at once, before the investigation")
    priority: Priority = Field(description="the priority the assessment gives: critical, high, medium or low")
    note: str | None = Field(description="what the assessor noted")
    by: str = Field(description="user name of the member-relations manager who assessed it")
    at: datetime = Field(description="when it was assessed (UTC)")


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
    follow_up_by: str | None = Field(description="the SG or representative following it up to the final result")
    reviews: list[dict[str, Any]] = Field(default=[], description="six-monthly review meetings that took it up")
    assessment: AssessmentPublic | None = Field(description="the initial assessment (ISO 10002)")
    priority: Priority | None = Field(description="orders the queues; not yet assessed counts as medium")
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
    deadline_moves: list[DeadlineMovePublic] = Field(
        default=[], description="each stage deadline a change of the chamber's calendar moved, with old and new time"
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
    assessment: AssessmentPublic | None = Field(description="the initial assessment (ISO 10002), once made")
    investigation: InvestigationPublic | None = Field(description="the handler's report")
    decision: Decision | None = Field(description="the Secretary General's decision on the report")
    committee: CommitteePublic | None = Field(description="the complaint committee, when convened")
    outcome: Outcome | None = Field(description="the final result")
    corrective_actions: list[CorrectiveActionPublic] = Field(description="the corrective actions decided")
    satisfaction: SatisfactionPublic | None = Field(description="the complainant's satisfaction")
    deadlines: list[dict[str, Any]] = Field(description="each stage's deadline with the chamber-calendar dates")
    deadline_moves: list[DeadlineMoveOnForm] = Field(
        default=[], description="each stage deadline a change of the chamber's calendar moved, old and new"
    )
    steps: list[FormStep] = Field(description="the form's steps in order, with who did each and when")


class ComplaintEvent(BaseModel):
    type: str = Field(description="the CloudEvents type on Kafka, e.g. crm.complaints.complaint.received.v1")
    version: int = Field(description="the record's version this change produced")
    recorded_at: datetime = Field(description="when it was recorded (UTC)")
    data: dict[str, Any] = Field(description="the change's own fields, as published on Kafka")


class DocumentAttachedPublic(DocumentPublic):
    attached: bool = Field(description="false when the complaint already held the same content")
