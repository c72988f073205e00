"""Response shapes of the plan service (the import takes the export itself as its body)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from services.plan.domain.risk import MAX_TEXT


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


# -- the risk register ------------------------------------------------------------------------------------------
Scale = Annotated[int, Field(ge=1, le=5)]


class RiskTexts(BaseModel):
    model_config = ConfigDict(extra="forbid")

    area: str | None = Field(None, max_length=MAX_TEXT, description="RİSK BÖLGESİ", examples=["Üye ilişkileri"])
    effect: str | None = Field(None, max_length=MAX_TEXT, description="ETKİ (risk sonuçları)")
    current_measures: str | None = Field(None, max_length=MAX_TEXT, description="MEVCUT ÖNLEMLER")
    planned_measures: str | None = Field(None, max_length=MAX_TEXT, description="ALINACAK ÖNLEMLER (FIRSATLAR)")
    control_record: str | None = Field(None, max_length=MAX_TEXT, description="KONTROL UYGULAMA VE ÖNLEMLER")


class RiskCreate(RiskTexts):
    """A new risk of a process, scored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "process": "BİLGİ, DANIŞMANLIK VE DESTEK",
                "title": "Cevapsız kalan çağrılar",
                "area": "Üye ilişkileri",
                "effect": "Üye memnuniyetsizliği",
                "probability": 3,
                "severity": 4,
            }
        },
    )
    process: str = Field(min_length=1, max_length=300, description="the process whose card lists the risk")
    title: str = Field(min_length=1, max_length=MAX_TEXT, description="the risk (RİSKLER)")
    probability: Scale = Field(description="O: 1 almost impossible … 5 weekly or daily")
    severity: Scale = Field(description="Ş: 1 notification suffices … 5 member loss")


class RiskScore(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"probability": 2, "severity": 4, "reason": "SMS duyuruları"}}
    )
    probability: Scale = Field(description="O: 1 almost impossible … 5 weekly or daily")
    severity: Scale = Field(description="Ş: 1 notification suffices … 5 member loss")
    reason: str | None = Field(None, max_length=MAX_TEXT, description="why the score changes")


class RiskRevision(RiskTexts):
    """Texts to change; a text left out (or null) stays as it is."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"example": {"control_record": "Denetim kayıtları, 2026"}}
    )


class RiskActionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"measure": "Üyelere teşvikler hakkında seminer", "unit": "member_relations"}},
    )
    measure: str = Field(min_length=1, max_length=MAX_TEXT, description="the measure the action carries out")
    unit: str | None = Field(None, max_length=100, description="the unit that will own the action")


class ScoreEntry(BaseModel):
    probability: int
    severity: int
    score: int = Field(description="R = O × Ş")
    band: int = Field(description="1 unacceptable (20-25), 2 significant (13-19), 3 notable (8-12), 4 acceptable")
    name: str
    at: datetime
    by: str
    reason: str | None


class RiskPublic(BaseModel):
    id: str
    version: int
    process: str
    title: str
    area: str | None
    effect: str | None
    current_measures: str | None
    planned_measures: str | None
    control_record: str | None
    probability: int
    severity: int
    score: int
    band: int
    name: str = Field(description="the band's name")
    probability_meaning: str
    severity_meaning: str
    scored_at: datetime
    trend: str = Field(description="rising, falling or steady: the last re-scoring against the one before")
    scores: list[ScoreEntry] = Field(description="every score up to the moment asked, oldest first")
    action_requests: list[dict[str, Any]]


class RiskImportOutcome(BaseModel):
    document: str | None
    registered: list[str]
    rescored: list[str]
    revised: list[str]
    unchanged: list[str]
    findings: list[dict[str, Any]]


class ActionRequested(BaseModel):
    source_ref: str = Field(description="the reference the corrective action is opened under")


# -- KPIs -------------------------------------------------------------------------------------------------------
class ActualEntry(BaseModel):
    """A month's figure of an activity measured by hand, with its evidence document."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "activity": "F.2.1.3",
                "month": "2026-10",
                "value": 14,
                "evidence": "F.12 Görüşme Formu 2026/10",
            }
        },
    )
    activity: str = Field(min_length=1, max_length=50, description="the activity's code (or key), e.g. F.2.1.3")
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    value: float = Field(ge=0, le=1_000_000, description="the month's figure of the activity's indicator")
    evidence: str = Field(min_length=1, max_length=500, description="the evidence document: its number or name")


class ActualEntered(BaseModel):
    id: str
    changed: bool = Field(description="false when the same figure and evidence were entered already")


class BindingPublic(BaseModel):
    activity: str
    kind: str = Field(description="events (measured from the CRM's events) or manual (entered with evidence)")
    indicator: str
    types: list[str]
    where: dict[str, Any]
    aggregation: str
    evidence: str | None
