"""Requests and responses of the actions API (corrective action, SY-PR-05-00-02)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from services.actions.domain import MAX_TEXT, MAX_TITLE, SourceKind, State

SOURCE_REF = Field(
    min_length=1,
    max_length=200,
    description="the source's own reference, unique across sources; the same reference always names the same action",
    examples=["complaint:CMP-7K2Q-M4XD:CA-1", "non_answer:trade:2026-11-21", "survey:2026-autumn:q3"],
)


class ActionOpen(BaseModel):
    """Open an action; with an owner it is assigned at once (due after the configured working days unless a due
    date or a number of working days is given)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source_kind": "non_answer",
                    "source_ref": "non_answer:trade:2026-11-21",
                    "title": "پاسخگویی به خط واحد بازرگانی در ساعت ناهار",
                    "description": "شش تماس با صف ۶۰۲ بین ساعت ۱۲ و ۱۳ این هفته بی پاسخ ماند.",
                    "unit": "trade",
                    "owner": "s.ahmadi",
                    "due_working_days": 5,
                }
            ]
        },
    )
    source_kind: SourceKind = Field(description="what revealed the problem", examples=["complaint"])
    source_ref: str = SOURCE_REF
    title: str = Field(
        min_length=1,
        max_length=MAX_TITLE,
        description="what is to be fixed",
        examples=["Answer the trade line at lunch"],
    )
    description: str | None = Field(
        default=None,
        max_length=MAX_TEXT,
        description="the problem, its cause, and what is expected",
        examples=["Six calls to queue 602 went unanswered between 12:00 and 13:00 this week."],
    )
    unit: str | None = Field(
        default=None, max_length=100, description="unit id that owns the action", examples=["trade"]
    )
    owner: str | None = Field(
        default=None, max_length=200, description="user name of the person who answers for it", examples=["s.ahmadi"]
    )
    due_on: date | None = Field(default=None, description="a working day of the chamber; only with an owner")
    due_working_days: int | None = Field(
        default=None, ge=1, le=250, description="due this many working days from now; only with an owner"
    )


class ActionOpened(BaseModel):
    """The internal door answers with the id only: the caller keeps its own reference, not a copy of the action."""

    id: uuid.UUID = Field(description="the action's id, to follow it up through GET /actions/{action_id}")
    existed: bool = Field(description="true when an action was already opened for this source reference")


class Assignment(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"owner": "s.ahmadi", "unit": "trade", "due_on": "2026-12-02"}]}
    )
    owner: str = Field(min_length=1, max_length=200, description="user name of the new owner", examples=["s.ahmadi"])
    unit: str | None = Field(default=None, max_length=100, description="unit id; the action's unit when omitted")
    due_on: date | None = Field(default=None, description="a working day of the chamber", examples=["2026-12-02"])
    due_working_days: int | None = Field(
        default=None, ge=1, le=250, description="due this many working days from now (default: the setting)"
    )


class ProgressNote(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "برنامه نوبت ناهار توافق شد؛ کارشناس دوم از شنبه پاسخ می دهد."}]},
    )
    note: str = Field(
        description="what has been done so far, in the owner's words; kept in the action's record",
        min_length=1,
        max_length=MAX_TEXT,
        examples=["Lunch rota agreed; second expert starts on Saturday."],
    )


class Completion(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"what_was_done": "کارشناس دوم بین ساعت ۱۲ تا ۱۳ به صف ۶۰۲ پاسخ می دهد."}]},
    )
    what_was_done: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="what was changed, so the effectiveness check knows what to look at",
        examples=["A second expert answers queue 602 between 12:00 and 13:00."],
    )


class Confirmation(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "از آن زمان تماس بی پاسخی در ساعت ناهار نبوده است."}]}
    )
    note: str | None = Field(
        default=None, max_length=MAX_TEXT, description="the evidence", examples=["No unanswered calls at lunch since."]
    )


class Reason(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "تماس ها در روزهای پنجشنبه همچنان بی پاسخ می مانند."}]},
    )
    reason: str = Field(
        description="why the action did not work, or why it is cancelled; kept in the action's record",
        min_length=1,
        max_length=MAX_TEXT,
        examples=["Calls still go unanswered on Thursdays."],
    )


class NotePublic(BaseModel):
    note: str = Field(description="the owner's progress note")
    by: str | None = Field(description="user name of the owner who wrote it")
    at: datetime = Field(description="when it was written (UTC)")
    round: int = Field(description="the round it belongs to: 1, plus one for each failed effectiveness check")


class FailedCheckPublic(BaseModel):
    reason: str = Field(description="why the manager found the action did not work")
    by: str | None = Field(description="user name of the manager who judged it")
    at: datetime = Field(description="when it was judged (UTC)")
    round: int = Field(description="the round that was found not effective")


class ActionPublic(BaseModel):
    id: uuid.UUID = Field(description="the action's id in the CRM")
    version: int = Field(description="the record's version: it rises by one with every recorded change")
    form: str = Field(description="the procedure's code", examples=["SY-PR-05-00-02"])
    source_kind: SourceKind = Field(
        description="what revealed the problem: complaint, non_answer, survey, desk, session or risk"
    )
    source_ref: str = Field(description="the source's own reference, e.g. complaint:CMP-7K2Q-M4XD:CA-1")
    title: str = Field(description="what is to be fixed")
    description: str | None = Field(description="the problem, its cause, and what is expected")
    unit: str | None = Field(description="code of the chamber unit that owns the action")
    owner: str | None = Field(description="user name of the person who answers for it; null until assigned")
    state: State = Field(
        description="opened (nobody owns it yet), in_progress, done (effectiveness check pending), closed (confirmed effective) or cancelled"
    )
    round: int = Field(description="1, plus one for each failed effectiveness check")
    due_on: date | None = Field(
        description="the working day by which it must be done, in the chamber's calendar (Gregorian date)"
    )
    due_at: datetime | None = Field(description="the end of the due working day, UTC")
    overdue: bool = Field(description="in progress and past its due date, as of the time of asking")
    notes: list[NotePublic] = Field(description="the owner's progress notes, oldest first")
    what_was_done: str | None = Field(description="what the owner changed, as recorded when marking it done")
    done_at: datetime | None = Field(description="when the owner marked it done (UTC)")
    done_by: str | None = Field(description="user name of the owner who marked it done")
    check_due_at: datetime | None = Field(description="from when the effectiveness check may be made")
    check_due: bool = Field(description="done and its effectiveness check due, as of the time of asking")
    failed_checks: list[FailedCheckPublic] = Field(
        description="each effectiveness check that found it did not work, oldest first"
    )
    closed_at: datetime | None = Field(description="when the manager confirmed it effective (UTC)")
    cancel_reason: str | None = Field(description="why the Secretary General cancelled it")
    opened_by: str | None = Field(description="user name of the person or service that opened it")
    opened_at: datetime = Field(description="when it was opened (UTC)")
    updated_at: datetime = Field(description="when it last changed (UTC)")


class ActionEvent(BaseModel):
    type: str = Field(description="the CloudEvents type on Kafka", examples=["crm.actions.corrective_action.done.v1"])
    title: str = Field(description="the event in words, for the history screen", examples=["Done"])
    version: int = Field(description="the action's version this event produced")
    by: str | None = Field(description="who did it; none for the deadline checker")
    at: datetime = Field(description="when it was recorded (UTC)")
    data: dict[str, Any] = Field(description="the event's own fields, as published on Kafka")


class ActionDetail(ActionPublic):
    history: list[ActionEvent] = Field(description="every event of the action, oldest first")


class ActionPage(BaseModel):
    items: list[ActionPublic] = Field(description="the actions of this page")
    total: int = Field(description="how many actions match, over all pages")
    limit: int = Field(description="the page size asked for")
    offset: int = Field(description="how many matching actions were skipped before this page")


class DeadlineCheck(BaseModel):
    recorded: list[dict[str, str]] = Field(
        description="what this check recorded", examples=[[{"action_id": "…", "kind": "overdue"}]]
    )
