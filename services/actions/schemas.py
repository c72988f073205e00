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

    model_config = ConfigDict(extra="forbid")
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

    id: uuid.UUID
    existed: bool = Field(description="true when an action was already opened for this source reference")


class Assignment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    owner: str = Field(min_length=1, max_length=200, description="user name of the new owner", examples=["s.ahmadi"])
    unit: str | None = Field(default=None, max_length=100, description="unit id; the action's unit when omitted")
    due_on: date | None = Field(default=None, description="a working day of the chamber", examples=["2026-12-02"])
    due_working_days: int | None = Field(
        default=None, ge=1, le=250, description="due this many working days from now (default: the setting)"
    )


class ProgressNote(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(
        min_length=1, max_length=MAX_TEXT, examples=["Lunch rota agreed; second expert starts on Saturday."]
    )


class Completion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    what_was_done: str = Field(
        min_length=1,
        max_length=MAX_TEXT,
        description="what was changed, so the effectiveness check knows what to look at",
        examples=["A second expert answers queue 602 between 12:00 and 13:00."],
    )


class Confirmation(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(
        default=None, max_length=MAX_TEXT, description="the evidence", examples=["No unanswered calls at lunch since."]
    )


class Reason(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=MAX_TEXT, examples=["Calls still go unanswered on Thursdays."])


class NotePublic(BaseModel):
    note: str
    by: str | None
    at: datetime
    round: int


class FailedCheckPublic(BaseModel):
    reason: str
    by: str | None
    at: datetime
    round: int = Field(description="the round that was found not effective")


class ActionPublic(BaseModel):
    id: uuid.UUID
    version: int
    form: str = Field(description="the procedure's code", examples=["SY-PR-05-00-02"])
    source_kind: SourceKind
    source_ref: str
    title: str
    description: str | None
    unit: str | None
    owner: str | None
    state: State
    round: int = Field(description="1, plus one for each failed effectiveness check")
    due_on: date | None
    due_at: datetime | None = Field(description="the end of the due working day, UTC")
    overdue: bool = Field(description="in progress and past its due date, as of the time of asking")
    notes: list[NotePublic]
    what_was_done: str | None
    done_at: datetime | None
    done_by: str | None
    check_due_at: datetime | None = Field(description="from when the effectiveness check may be made")
    check_due: bool = Field(description="done and its effectiveness check due, as of the time of asking")
    failed_checks: list[FailedCheckPublic]
    closed_at: datetime | None
    cancel_reason: str | None
    opened_by: str | None
    opened_at: datetime
    updated_at: datetime


class ActionEvent(BaseModel):
    type: str = Field(description="the CloudEvents type on Kafka", examples=["crm.actions.corrective_action.done.v1"])
    title: str = Field(examples=["Done"])
    version: int
    by: str | None = Field(description="who did it; none for the deadline checker")
    at: datetime
    data: dict[str, Any]


class ActionDetail(ActionPublic):
    history: list[ActionEvent] = Field(description="every event of the action, oldest first")


class ActionPage(BaseModel):
    items: list[ActionPublic]
    total: int = Field(description="how many actions match, over all pages")
    limit: int
    offset: int


class DeadlineCheck(BaseModel):
    recorded: list[dict[str, str]] = Field(
        description="what this check recorded", examples=[[{"action_id": "…", "kind": "overdue"}]]
    )
