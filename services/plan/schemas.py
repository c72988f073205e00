"""Response shapes of the plan service (the import takes the export itself as its body)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


class Finding(BaseModel):
    kind: str = Field(
        description="total_mismatch, total_missing, duplicate_code, misplaced_code, marks_on_cost_line, "
        "marks_past_december, cost_line_missing, aim_heading_repeated, unreadable_line, not_a_number"
    )
    target: str | None = Field(None, description="the target (HEDEF) concerned, e.g. 1.2")
    line: int | None = Field(None, description="the line of the file to look at")
    detail: str = Field(description="what was found, in a sentence")
    figure: str | None = Field(None, description="for a total: which one (activities_four_year, cost_year...)")
    stated: int | float | None = Field(None, description="for a total: the figure the file states")
    computed: int | float | None = Field(None, description="for a total: the sum of the target's rows")
    code: str | None = Field(None, description="for an activity: its code (or key, when the code is used twice)")


class ImportOutcome(BaseModel):
    plan_id: str
    version: int = Field(description="the version in force after the import")
    created: bool = Field(description="false when the file reads as the version in force: nothing was recorded")
    findings: list[Finding]


class VersionPublic(BaseModel):
    number: int
    digest: str = Field(description="fingerprint of the plan as read (not of the file's bytes)")
    source_name: str | None
    by: str
    at: datetime
    year: int | None = Field(description="the year of the 'this year' targets (the '2024 HEDEFİ' column)")
    aims: int
    targets: int
    activities: int
    in_force: bool


class VersionDetail(VersionPublic):
    content: dict[str, Any] = Field(description="aims, targets with their stated totals, activities as read")


class HistoryEntry(BaseModel):
    type: str
    version: int
    recorded_at: datetime
    data: dict[str, Any]
