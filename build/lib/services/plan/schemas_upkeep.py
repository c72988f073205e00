"""Bodies and answers of the plan's upkeep: spending against activities and the costs report, the risk signals
and reviews, the yearly revision task."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class SpendingEntry(BaseModel):
    """What was spent on an activity of the plan, by voucher."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activity": "F.2.1.1",
                    "month": "2026-10",
                    "amount": 450,
                    "reference": "MHS-2026/311",
                    "note": "survey printing",
                }
            ]
        },
    )
    activity: str = Field(min_length=1, max_length=50, description="the activity's code (or key), e.g. F.2.1.1")
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="the month of the spending, YYYY-MM")
    amount: float = Field(gt=0, le=10**12, description="the amount spent, in the plan's currency (TL in the seed)")
    reference: str = Field(
        min_length=1, max_length=200, description="the voucher's reference; the same again corrects that entry"
    )
    note: str | None = Field(None, max_length=2000, description="what the spending was for, optional")


class SpendingRecorded(BaseModel):
    id: str = Field(description="the spending entry's id")
    changed: bool = Field(description="false when the voucher was recorded already with the same figures")


class CostActivity(BaseModel):
    activity: str = Field(description="the activity's code (or key)")
    title: str = Field(description="the activity as the plan states it")
    unit: str | None = Field(description="the responsible unit")
    planned_four_year: float = Field(description="the cost line's four-year figure")
    planned_year: float = Field(description="the cost line's figure for this year")
    planned_to_date: float = Field(description="this year's cost × marked cost months over ÷ marked cost months")
    spent: float = Field(description="spent on the activity in the year, all vouchers")
    remaining: float = Field(description="planned for the year − spent (negative when overspent)")
    share_spent: float | None = Field(description="spent ÷ planned for the year; null without a planned cost")
    spent_by_month: dict[int, float] = Field(description="spent per month (1-12)")


class CostTarget(BaseModel):
    target: str = Field(description="the target's code, e.g. 2.1")
    title: str = Field(description="the target as the plan states it")
    planned_year: float = Field(description="the sum of its activities' yearly cost lines")
    planned_to_date: float = Field(description="the sum of its activities' planned cost to date")
    spent: float = Field(description="spent on its activities in the year")
    remaining: float = Field(description="planned − spent")
    share_spent: float | None = Field(description="spent ÷ planned; null without a planned cost")
    activities: list[CostActivity] = Field(description="each activity's costs")


class CostReport(BaseModel):
    year: int = Field(description="the calendar year reported")
    plan_version: int = Field(description="the plan version the costs are read from")
    months_over: int = Field(description="months of the year already over")
    targets: list[CostTarget] = Field(description="per target, in the plan's order")


class SignalStatus(BaseModel):
    key: str = Field(description="the signal's name in the signals file")
    process: str = Field(description="the process of the risk it signals")
    risk: str = Field(description="the risk it signals, as the register words it")
    risk_id: str | None = Field(description="the risk's id; null when the register does not hold that risk")
    types: list[str] = Field(description="the event types counted; empty for an indicator")
    activity: str | None = Field(description="the plan activity whose status signals the risk; null for events")
    window_days: int | None = Field(description="the days counted up to now; null for an indicator")
    figure: float = Field(description="events in the window, or 1 when the activity's status is one that signals")
    level: float = Field(description="the figure at which a review is prompted")
    reached: bool = Field(description="figure ≥ level")
    detail: str = Field(description="the figure in words")
    review_open: bool = Field(description="a review this signal prompted is not answered yet")


class RiskReview(BaseModel):
    """The risk reviewed with its score kept (re-score it instead when the score changes)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"outcome": "Member losses are seasonal; the measures hold."}]},
    )
    outcome: str = Field(min_length=1, max_length=2000, description="what the review concluded")


class RevisionCompletion(BaseModel):
    """What the year's revision of the plan and of the risk register changed."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"note": "SWOT of 2027 done; targets 1.3 and 2.1 revised; P.2.3 re-scored"}]},
    )
    note: str = Field(min_length=1, max_length=2000, description="what was revised, and the decisions taken")


class RevisionPublic(BaseModel):
    year: int = Field(description="the year of the revision")
    opens_on: str = Field(description="the day the task opened (YYYY-MM-DD)")
    due_on: str = Field(description="the day it is due (YYYY-MM-DD)")
    state: str = Field(description="open, overdue or done")
    opened_at: datetime = Field(description="when the task was opened, with its UTC offset")
    overdue_at: datetime | None = Field(description="when it was found overdue; null if never")
    done: dict[str, Any] | None = Field(
        description="the record of the revision: note, plan version in force, risks re-scored or reviewed since "
        "the task opened, who, when and whether late; null while not done"
    )
