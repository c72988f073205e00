"""Requests and responses of the surveys API (form ME-FR-02-01-01)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue

from services.surveys.domain import (
    MAX_QUESTIONS,
    Channel,
    EditSize,
    Line,
    MeetingPurpose,
    Outcome,
    QuestionKind,
    Stage,
    Status,
    SurveyKind,
)
from shared.validation import SaneDate

LANG_TEXT = Field(description="text per language: fa, tr and/or en", examples=[{"fa": "رضایت کلی", "tr": "Genel"}])


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$", examples=["overall"])
    kind: QuestionKind = Field(default=QuestionKind.SCALE, description="scale (1-5 by default), yes_no, choice, text")
    text: dict[str, str] = LANG_TEXT
    scale_max: int | None = Field(default=None, ge=2, le=10, description="a scale's top point; 5 when omitted")
    labels: dict[str, list[str]] | None = Field(
        default=None, description="a scale's labels per language, one per point from 1 up"
    )
    choices: list[dict[str, str]] | None = Field(default=None, description="a choice question's options, per language")
    dissatisfaction_signal: bool = Field(
        default=False, description="a low answer to this scale or yes/no question counts as voiced dissatisfaction"
    )

    def plain(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True, mode="json")


QUESTIONS = Field(min_length=1, max_length=MAX_QUESTIONS, description="the questions in the order they are asked")
EXAMPLE_QUESTIONS: list[JsonValue] = [
    {
        "key": "overall",
        "kind": "scale",
        "text": {"fa": "از خدمات اتاق چقدر راضی هستید؟", "tr": "Odanın hizmetlerinden ne kadar memnunsunuz?"},
        "labels": {"tr": ["Hiç", "Az", "Orta", "İyi", "Çok iyi"]},
        "dissatisfaction_signal": True,
    },
    {"key": "recommend", "kind": "yes_no", "text": {"tr": "Odayı tavsiye eder misiniz?"}},
    {"key": "comments", "kind": "text", "text": {"tr": "Önerileriniz"}},
]


class QuestionnaireCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"code": "periodic", "title": "Periodic satisfaction", "questions": EXAMPLE_QUESTIONS}]
        },
    )
    code: str = Field(min_length=1, max_length=40, pattern=r"^[a-z0-9][a-z0-9_-]*$", description="names it for good")
    title: str = Field(min_length=1, max_length=300)
    questions: list[Question] = QUESTIONS


class QuestionnaireRevise(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"questions": EXAMPLE_QUESTIONS, "note": "q3 reworded"}]}
    )
    questions: list[Question] = QUESTIONS
    note: str | None = Field(default=None, max_length=2000, description="what changed and why")


class QuestionnaireVersion(BaseModel):
    number: int
    questions: list[dict[str, Any]]
    by: str | None
    at: datetime
    note: str | None


class QuestionnairePublic(BaseModel):
    id: uuid.UUID
    form: str = Field(examples=["ME-FR-02-01-01"])
    code: str
    title: str
    latest_version: int
    versions: list[QuestionnaireVersion] = Field(description="every version, oldest first; surveys keep theirs")
    created_at: datetime


class ProjectRequest(BaseModel):
    """A unit asks for a survey of one of its services or projects; the SG approves it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"subject": "Trade card renewal desk", "questionnaire_id": "…"}]},
    )
    subject: str = Field(min_length=1, max_length=300, description="the service or project to survey")
    questionnaire_id: uuid.UUID
    questionnaire_version: int | None = Field(default=None, ge=1, description="the latest version when omitted")


class RoundPlan(BaseModel):
    """The president plans a periodic round."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"period": "2026-H2", "questionnaire_id": "…"}]}
    )
    period: str = Field(
        pattern=r"^[0-9]{4}-(H[12]|Y)$", description="YYYY-H1 / YYYY-H2 (six-monthly) or YYYY-Y (yearly)"
    )
    questionnaire_id: uuid.UUID
    questionnaire_version: int | None = Field(default=None, ge=1)


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "Surveyed in June already."}]})
    reason: str = Field(min_length=1, max_length=2000)


class Delegation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"unit": "trade", "reason": "The trade unit knows the card holders."}]},
    )
    unit: str = Field(min_length=1, max_length=100, description="the unit that runs the survey instead")
    reason: str | None = Field(default=None, max_length=2000)


class MemberList(BaseModel):
    """The members who received the service: membership numbers, or a member-database selection's id."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"numbers": ["12-3456", "12-3457"]}, {"selection_id": "…"}]}
    )
    numbers: list[str] | None = Field(default=None, max_length=100_000)
    selection_id: uuid.UUID | None = Field(default=None, description="a selection taken in the member database")


class QuestionnaireEdit(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"questions": EXAMPLE_QUESTIONS, "size": "small", "note": "wording"}]},
    )
    questions: list[Question] = QUESTIONS
    size: EditSize = Field(description="small: made directly; large: a meeting with the unit's manager first")
    note: str | None = Field(default=None, max_length=2000)


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: Literal["president", "sg", "mr_manager", "unit_manager", "expert", "other"]
    unit: str | None = Field(default=None, max_length=100)


class Meeting(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "purpose": "questions",
                    "held_on": "2026-11-18",
                    "attendees": [
                        {"name": "president", "role": "president"},
                        {"name": "sg", "role": "sg"},
                        {"name": "m.karimi", "role": "mr_manager"},
                    ],
                    "minutes": "Questions 1-8 kept; q9 on the website added.",
                }
            ]
        },
    )
    purpose: MeetingPurpose
    held_on: SaneDate
    attendees: list[Attendee] = Field(min_length=1, max_length=30)
    minutes: str = Field(min_length=1, max_length=2000, description="what was decided")


class Timing(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"starts_on": "2026-12-01", "ends_on": "2027-01-15"}]}
    )
    starts_on: SaneDate
    ends_on: SaneDate = Field(description="the last day: the round's online links expire with it")


class SurveyPublic(BaseModel):
    id: uuid.UUID
    version: int
    form: str
    kind: SurveyKind
    subject: str
    unit: str = Field(description="the requesting unit (member relations for a periodic round)")
    runner: str = Field(description="the unit that runs it: member relations unless the SG delegated it")
    period: str | None
    frequency: str | None
    stage: Stage
    questionnaire_id: uuid.UUID
    questionnaire_version: int = Field(description="the version it asks; kept once started")
    requested_by: str | None
    requested_at: datetime
    approved_by: str | None
    rejection: str | None
    delegations: list[dict[str, Any]]
    member_list_size: int
    list_source: dict[str, Any] | None
    list_approved_by: str | None
    edits: list[dict[str, Any]]
    meeting_needed: bool = Field(description="a large edit waits for its meeting with the requesting unit's manager")
    meetings: list[dict[str, Any]]
    starts_on: str | None
    ends_on: str | None
    timing_by: str | None
    members_asked: int
    blockers: list[str] = Field(description="what still keeps it from starting")
    started_at: datetime | None
    closed_at: datetime | None
    updated_at: datetime


class SurveyEvent(BaseModel):
    type: str = Field(examples=["crm.surveys.survey.started.v1"])
    version: int
    recorded_at: datetime
    data: dict[str, Any]


class SurveyDetail(SurveyPublic):
    questions: list[dict[str, Any]] = Field(description="the questions of the version it asks")
    history: list[SurveyEvent]


class CallListEntry(BaseModel):
    membership_number: str
    status: Status
    attempts: int = Field(description="attempts made so far")
    attempts_left: int
    line_to_use: Line | None = Field(description="the line the next attempt is made from")
    next_attempt_at: datetime | None = Field(description="not called again before this instant (UTC)")
    claimed_by: str | None = Field(description="the expert calling this member now")
    claimed_until: datetime | None


class Attempt(BaseModel):
    """A call that brought no answers."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"line": "fixed", "outcome": "no_answer"}]}
    )
    line: Line = Field(description="fixed: one of the chamber's fixed lines; mobile: member relations' mobile line")
    outcome: Outcome


class PhoneResponse(BaseModel):
    """The answers the member gave during the call, with the chamber's new services the expert introduced."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "line": "fixed",
                    "answers": {"overall": 4, "recommend": True, "comments": "Faster card renewal, please."},
                    "services_introduced": ["e-certificate of origin"],
                    "dissatisfaction": None,
                }
            ]
        },
    )
    line: Line
    answers: dict[str, int | bool | str | None] = Field(
        max_length=MAX_QUESTIONS, description="question key -> scale point, true/false, choice number or text"
    )
    services_introduced: list[str] = Field(default_factory=list, max_length=20)
    dissatisfaction: str | None = Field(
        default=None, max_length=2000, description="dissatisfaction the member voiced: opens a complaint naming him"
    )


class Dissatisfaction(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "Waited three weeks for the card renewal."}]}
    )
    note: str = Field(min_length=1, max_length=2000, description="what the member is dissatisfied with")


class ContactPublic(BaseModel):
    survey_id: uuid.UUID
    membership_number: str
    status: Status
    attempts: list[dict[str, Any]]
    attempts_left: int
    line_to_use: Line | None
    next_attempt_at: datetime | None
    answers: dict[str, Any] | None
    channel: Channel | None
    services_introduced: list[str]
    responded_at: datetime | None
    complaint_ref: str | None = Field(description="the source reference of the complaint opened for this member")


class QuestionStats(BaseModel):
    key: str
    kind: QuestionKind
    n: int = Field(description="how many answered it")
    mean: float | None = Field(default=None, description="mean scale point (yes/no: share of yes, 0-1)")
    sd: float | None = Field(default=None, description="standard deviation of the answers (population)")
    percentage: float | None = Field(default=None, description="mean ÷ scale maximum × 100; yes/no: share of yes")
    distribution: dict[str, int] = Field(description="answers per scale point, yes/no, or choice number")
    scored: bool


class Scores(BaseModel):
    responses: int
    overall: float | None = Field(description="mean of the scored questions' percentages")
    questions: list[QuestionStats]


class Evaluation(BaseModel):
    opened: list[dict[str, Any]] = Field(description="the complaints this evaluation opened (none if raised before)")


class IssuedLink(BaseModel):
    membership_number: str
    url: str = Field(description="the member's one-time link: send it by SMS or e-mail; it is the member's key")


class CsvImport(BaseModel):
    """An external survey service's CSV export, with the columns that hold the membership number and the answers."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "member_column": "Membership no",
                    "columns": {"overall": "Q1", "recommend": "Q2"},
                    "csv": "Membership no,Q1,Q2\n12-1,4,بله\n",
                }
            ]
        },
    )
    member_column: str = Field(min_length=1, max_length=200)
    columns: dict[str, str] = Field(description="question key -> the column holding its answers", max_length=60)
    csv: str = Field(min_length=1, description="the export as text (UTF-8), with its header row")


class ImportResult(BaseModel):
    imported: int
    skipped: list[dict[str, Any]] = Field(description="rows not imported: line, membership number and the reason")


class WeeklySummary(BaseModel):
    week_ending: str = Field(description="the last working day of the week summarised")
    at: datetime
    responses: int
    asked: int
    response_rate: float | None = Field(description="responses ÷ members asked × 100")
    overall: float | None
    questions: dict[str, float | None] = Field(description="question key -> percentage")
    new_complaints: int = Field(description="complaints the survey opened since the previous summary")
    complaint_refs: list[str]


class TrendPoint(BaseModel):
    survey_id: uuid.UUID
    period: str
    responses: int
    overall: float | None
    questions: dict[str, float | None]


class FinalReport(BaseModel):
    survey: SurveyPublic
    questions: list[QuestionStats]
    overall: float | None
    rates: dict[str, Any] = Field(description="asked, responded, declined, not reached; response and reach rates (%)")
    by_channel: dict[str, Any]
    by_trade_group: dict[str, Any]
    by_unit: dict[str, Any]
    strengths: list[str] = Field(description="the best-scored questions")
    weaknesses: list[str] = Field(description="the worst-scored questions, worst first")
    suggested_actions: list[dict[str, Any]] = Field(description="for each question below the threshold")
    comments: list[str] = Field(description="free-text answers (the first 50)")
    complaints: list[str] = Field(description="source references of the complaints the survey opened")
    trend: list[TrendPoint] = Field(description="the satisfaction trend round over round")
