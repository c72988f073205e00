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
    key: str = Field(
        description="the question's short name, unique in the questionnaire; answers and scores are keyed by it",
        min_length=1,
        max_length=40,
        pattern=r"^[a-z0-9][a-z0-9_-]*$",
        examples=["overall"],
    )
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
    title: str = Field(description="the title staff see, e.g. 'Periodic satisfaction'", min_length=1, max_length=300)
    questions: list[Question] = QUESTIONS


class QuestionnaireRevise(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"questions": EXAMPLE_QUESTIONS, "note": "q3 reworded"}]}
    )
    questions: list[Question] = QUESTIONS
    note: str | None = Field(default=None, max_length=2000, description="what changed and why")


class QuestionnaireVersion(BaseModel):
    number: int = Field(description="the version number, from 1")
    questions: list[dict[str, Any]] = Field(description="the questions of this version, in order")
    by: str | None = Field(description="user name of the member-relations staff member who wrote it")
    at: datetime = Field(description="when it was written (UTC)")
    note: str | None = Field(description="what changed and why")


class QuestionnairePublic(BaseModel):
    id: uuid.UUID = Field(description="the questionnaire's id, for planning or requesting a survey")
    form: str = Field(description="the chamber's form code: ME-FR-02-01-01", examples=["ME-FR-02-01-01"])
    code: str = Field(description="the short name it was created with")
    title: str = Field(description="the title staff see")
    latest_version: int = Field(description="the version a new survey asks unless told otherwise")
    versions: list[QuestionnaireVersion] = Field(description="every version, oldest first; surveys keep theirs")
    created_at: datetime = Field(description="when version 1 was written (UTC)")


class ProjectRequest(BaseModel):
    """A unit asks for a survey of one of its services or projects; the SG approves it."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"subject": "Trade card renewal desk", "questionnaire_id": "3f6c2a9e-8b1d-4c57-9e2a-5d7b1f0c4a82"}
            ]
        },
    )
    subject: str = Field(min_length=1, max_length=300, description="the service or project to survey")
    questionnaire_id: uuid.UUID = Field(description="the questionnaire to ask, from GET /questionnaires")
    questionnaire_version: int | None = Field(default=None, ge=1, description="the latest version when omitted")


class RoundPlan(BaseModel):
    """The president plans a periodic round."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"period": "2026-H2", "questionnaire_id": "3f6c2a9e-8b1d-4c57-9e2a-5d7b1f0c4a82"}]
        },
    )
    period: str = Field(
        pattern=r"^[0-9]{4}-(H[12]|Y)$", description="YYYY-H1 / YYYY-H2 (six-monthly) or YYYY-Y (yearly)"
    )
    questionnaire_id: uuid.UUID = Field(description="the questionnaire to ask, from GET /questionnaires")
    questionnaire_version: int | None = Field(
        description="the version to ask; the latest when omitted", default=None, ge=1
    )


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "Surveyed in June already."}]})
    reason: str = Field(description="why, in words the requesting unit will read", min_length=1, max_length=2000)


class Delegation(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"unit": "trade", "reason": "The trade unit knows the card holders."}]},
    )
    unit: str = Field(min_length=1, max_length=100, description="the unit that runs the survey instead")
    reason: str | None = Field(description="why the SG hands it over", default=None, max_length=2000)


class MemberList(BaseModel):
    """The members who received the service: membership numbers, or a member-database selection's id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"numbers": ["12-3456", "12-3457"]}, {"selection_id": "b8e41d07-2c9f-4a3e-8f61-0e5a9d3c7b14"}]
        },
    )
    numbers: list[str] | None = Field(
        description="membership numbers of the members who received the service, e.g. 12-3456",
        default=None,
        max_length=100_000,
    )
    selection_id: uuid.UUID | None = Field(default=None, description="a selection taken in the member database")


class QuestionnaireEdit(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"questions": EXAMPLE_QUESTIONS, "size": "small", "note": "wording"}]},
    )
    questions: list[Question] = QUESTIONS
    size: EditSize = Field(description="small: made directly; large: a meeting with the unit's manager first")
    note: str | None = Field(description="what changed and why", default=None, max_length=2000)


class Attendee(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="the attendee's name or user name", min_length=1, max_length=200)
    role: Literal["president", "sg", "mr_manager", "unit_manager", "expert", "other"] = Field(
        description="the attendee's part: president, SG, member-relations manager, unit manager, expert or other"
    )
    unit: str | None = Field(
        description="the attendee's unit, for a unit manager or expert", default=None, max_length=100
    )


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
    purpose: MeetingPurpose = Field(
        description="large_edit: a large edit agreed with the unit's manager; questions: a round's questions settled"
    )
    held_on: SaneDate = Field(description="the day it was held (YYYY-MM-DD)")
    attendees: list[Attendee] = Field(description="who attended, at least one", min_length=1, max_length=30)
    minutes: str = Field(min_length=1, max_length=2000, description="what was decided")


class Timing(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"starts_on": "2026-12-01", "ends_on": "2027-01-15"}]}
    )
    starts_on: SaneDate = Field(description="the first day members are asked (YYYY-MM-DD)")
    ends_on: SaneDate = Field(description="the last day: the round's online links expire with it")


class SurveyPublic(BaseModel):
    id: uuid.UUID = Field(description="the survey's id")
    version: int = Field(description="the survey's version; grows with every change recorded")
    form: str = Field(description="the chamber's form code: ME-FR-02-01-01")
    kind: SurveyKind = Field(
        description="project: a unit's service or project; periodic: the member-satisfaction round"
    )
    subject: str = Field(description="what is surveyed: the service, project or round")
    unit: str = Field(description="the requesting unit (member relations for a periodic round)")
    runner: str = Field(description="the unit that runs it: member relations unless the SG delegated it")
    period: str | None = Field(
        description="a periodic round's period (YYYY-H1, YYYY-H2 or YYYY-Y); none for a project survey"
    )
    frequency: str | None = Field(
        description="a periodic round's frequency: six_monthly or yearly; none for a project survey"
    )
    stage: Stage = Field(description="where the survey stands, from requested to closed")
    questionnaire_id: uuid.UUID = Field(description="the questionnaire asked")
    questionnaire_version: int = Field(description="the version it asks; kept once started")
    requested_by: str | None = Field(description="user name of who requested or planned it")
    requested_at: datetime = Field(description="when it was requested or planned (UTC)")
    approved_by: str | None = Field(description="user name of the SG who approved it")
    rejection: str | None = Field(description="the SG's reason when refused")
    delegations: list[dict[str, Any]] = Field(description="each hand-over to another unit: unit, reason, by whom, when")
    member_list_size: int = Field(description="how many members the supplied list holds")
    list_source: dict[str, Any] | None = Field(
        description="where the list came from: numbers, upload or a member-database selection"
    )
    list_approved_by: str | None = Field(description="user name of the member-relations manager who approved the list")
    edits: list[dict[str, Any]] = Field(
        description="each edit of the questions before the start: version, size, note, by whom"
    )
    meeting_needed: bool = Field(description="a large edit waits for its meeting with the requesting unit's manager")
    meetings: list[dict[str, Any]] = Field(description="the meetings recorded: purpose, day, attendees, minutes")
    starts_on: str | None = Field(description="the first day members are asked (YYYY-MM-DD)")
    ends_on: str | None = Field(description="the last day (YYYY-MM-DD); the online links expire with it")
    timing_by: str | None = Field(description="user name of the president who set the timing")
    members_asked: int = Field(description="how many members were asked once started")
    blockers: list[str] = Field(description="what still keeps it from starting")
    started_at: datetime | None = Field(description="when asking began (UTC)")
    closed_at: datetime | None = Field(description="when it was closed (UTC)")
    updated_at: datetime = Field(description="when it last changed (UTC)")


class SurveyEvent(BaseModel):
    type: str = Field(description="the event's type", examples=["crm.surveys.survey.started.v1"])
    version: int = Field(description="the survey's version after it")
    recorded_at: datetime = Field(description="when it was recorded (UTC)")
    data: dict[str, Any] = Field(description="what the event recorded")


class SurveyDetail(SurveyPublic):
    questions: list[dict[str, Any]] = Field(description="the questions of the version it asks")
    history: list[SurveyEvent] = Field(description="every event of the survey, oldest first")


class CallListEntry(BaseModel):
    membership_number: str = Field(description="the member to call")
    status: Status = Field(description="pending, responded, declined or not_reached")
    attempts: int = Field(description="attempts made so far")
    attempts_left: int = Field(description="calls still allowed before the member may be marked not reached")
    line_to_use: Line | None = Field(description="the line the next attempt is made from")
    next_attempt_at: datetime | None = Field(description="not called again before this instant (UTC)")
    claimed_by: str | None = Field(description="the expert calling this member now")
    claimed_until: datetime | None = Field(description="when the caller's hold on the member lapses (UTC)")


class Attempt(BaseModel):
    """A call that brought no answers."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"line": "fixed", "outcome": "no_answer"}]}
    )
    line: Line = Field(description="fixed: one of the chamber's fixed lines; mobile: member relations' mobile line")
    outcome: Outcome = Field(
        description="what the call came to: no_answer, busy, unreachable, wrong_number or declined"
    )


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
    line: Line = Field(description="the line the call was made from: fixed or mobile")
    answers: dict[str, int | bool | str | None] = Field(
        max_length=MAX_QUESTIONS, description="question key -> scale point, true/false, choice number or text"
    )
    services_introduced: list[str] = Field(
        description="the chamber's new services the expert introduced during the call",
        default_factory=list,
        max_length=20,
    )
    dissatisfaction: str | None = Field(
        default=None, max_length=2000, description="dissatisfaction the member voiced: opens a complaint naming him"
    )


class Dissatisfaction(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "Waited three weeks for the card renewal."}]}
    )
    note: str = Field(min_length=1, max_length=2000, description="what the member is dissatisfied with")


class ContactPublic(BaseModel):
    survey_id: uuid.UUID = Field(description="the survey")
    membership_number: str = Field(description="the member")
    status: Status = Field(description="pending, responded, declined or not_reached")
    attempts: list[dict[str, Any]] = Field(description="the calls made: line, outcome, by whom, when")
    attempts_left: int = Field(description="calls still allowed")
    line_to_use: Line | None = Field(description="the line the next attempt is made from")
    next_attempt_at: datetime | None = Field(description="not called again before this instant (UTC)")
    answers: dict[str, Any] | None = Field(description="question key -> the member's answer; none until answered")
    channel: Channel | None = Field(description="how the answers came: phone, link, website or import")
    services_introduced: list[str] = Field(description="the chamber's new services introduced during the call")
    responded_at: datetime | None = Field(description="when the answers were recorded (UTC)")
    complaint_ref: str | None = Field(description="the source reference of the complaint opened for this member")


class QuestionStats(BaseModel):
    key: str = Field(description="the question's key")
    kind: QuestionKind = Field(description="scale, yes_no, choice or text")
    n: int = Field(description="how many answered it")
    mean: float | None = Field(default=None, description="mean scale point (yes/no: share of yes, 0-1)")
    sd: float | None = Field(default=None, description="standard deviation of the answers (population)")
    percentage: float | None = Field(default=None, description="mean ÷ scale maximum × 100; yes/no: share of yes")
    distribution: dict[str, int] = Field(description="answers per scale point, yes/no, or choice number")
    scored: bool = Field(description="whether it counts towards the overall score")


class Scores(BaseModel):
    responses: int = Field(description="how many members answered")
    overall: float | None = Field(description="mean of the scored questions' percentages")
    questions: list[QuestionStats] = Field(description="the statistics of each question, in questionnaire order")


class Evaluation(BaseModel):
    opened: list[dict[str, Any]] = Field(description="the complaints this evaluation opened (none if raised before)")


class IssuedLink(BaseModel):
    membership_number: str = Field(description="the member the link is for")
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
    member_column: str = Field(
        description="the header of the column holding the membership numbers", min_length=1, max_length=200
    )
    columns: dict[str, str] = Field(description="question key -> the column holding its answers", max_length=60)
    csv: str = Field(min_length=1, description="the export as text (UTF-8), with its header row")


class ImportResult(BaseModel):
    imported: int = Field(description="how many members' answers were recorded")
    skipped: list[dict[str, Any]] = Field(description="rows not imported: line, membership number and the reason")


class WeeklySummary(BaseModel):
    week_ending: str = Field(description="the last working day of the week summarised")
    at: datetime = Field(description="when the summary was recorded (UTC)")
    responses: int = Field(description="members who had answered by then")
    asked: int = Field(description="members asked")
    response_rate: float | None = Field(description="responses ÷ members asked × 100")
    overall: float | None = Field(description="the overall score (%) by then")
    questions: dict[str, float | None] = Field(description="question key -> percentage")
    new_complaints: int = Field(description="complaints the survey opened since the previous summary")
    complaint_refs: list[str] = Field(description="source references of those complaints")


class WeeklyQuestion(BaseModel):
    key: str = Field(description="the question's key")
    wording: str = Field(description="the question as asked, in the report's language where it has one")
    percentage: float | None = Field(description="its score that week (%); null before any answer")
    below: bool = Field(description="whether it is under the question threshold (70% by default)")


class WeeklyComplaint(BaseModel):
    source_ref: str = Field(description="the complaint's source reference in the complaints service")
    kind: str = Field(
        description="member (a respondent's low score or voiced dissatisfaction), question or overall (a score "
        "under its threshold)"
    )
    detail: str | None = Field(description="the member's number or the question's wording")


class WeeklyReport(BaseModel):
    survey_id: uuid.UUID = Field(description="the survey summarised")
    kind: str = Field(description="periodic or project")
    subject: str | None = Field(description="the project survey's subject or the round's period")
    period: str | None = Field(description="a periodic round's period")
    week_ending: str = Field(description="the last working day of the week summarised")
    recorded_at: datetime = Field(description="when the summary was recorded (UTC)")
    responses: int = Field(description="members who had answered by then")
    asked: int = Field(description="members asked")
    response_rate: float | None = Field(description="responses ÷ members asked × 100")
    overall: float | None = Field(description="the overall score (%) by then")
    overall_below: bool = Field(description="a periodic round: whether the overall score is under 80% (the setting)")
    question_threshold: float = Field(description="the question threshold (%) the scores are judged by")
    overall_threshold: float | None = Field(description="a periodic round's overall threshold (%); null for projects")
    questions: list[WeeklyQuestion] = Field(description="each scored question's score that week")
    new_complaints: int = Field(description="complaints the survey opened since the previous summary")
    complaints: list[WeeklyComplaint] = Field(description="those complaints, with what each was opened for")
    lang: str = Field(description="the language of the wordings: fa, tr or en")


class TrendPoint(BaseModel):
    survey_id: uuid.UUID = Field(description="the round's survey")
    period: str = Field(description="the round's period (YYYY-H1, YYYY-H2 or YYYY-Y)")
    responses: int = Field(description="how many members answered")
    overall: float | None = Field(description="the overall score (%)")
    questions: dict[str, float | None] = Field(description="question key -> percentage")


class FinalReport(BaseModel):
    survey: SurveyPublic = Field(description="the survey reported on")
    questions: list[QuestionStats] = Field(description="the statistics of each question")
    overall: float | None = Field(description="the overall score (%): mean of the scored questions' percentages")
    rates: dict[str, Any] = Field(description="asked, responded, declined, not reached; response and reach rates (%)")
    by_channel: dict[str, Any] = Field(
        description="responses and overall score per channel (phone, link, website, import)"
    )
    by_trade_group: dict[str, Any] = Field(description="responses and overall score per trade group of the members")
    by_unit: dict[str, Any] = Field(description="responses and overall score per unit")
    strengths: list[str] = Field(description="the best-scored questions")
    weaknesses: list[str] = Field(description="the worst-scored questions, worst first")
    suggested_actions: list[dict[str, Any]] = Field(description="for each question below the threshold")
    comments: list[str] = Field(description="free-text answers (the first 50)")
    complaints: list[str] = Field(description="source references of the complaints the survey opened")
    trend: list[TrendPoint] = Field(description="the satisfaction trend round over round")
