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
    plan_id: str = Field(
        description="the strategic plan's id in the CRM: the same for every version of the chamber's plan"
    )
    version: int = Field(description="the version in force after the import")
    created: bool = Field(description="false when the file reads as the version in force: nothing was recorded")
    findings: list[Finding] = Field(
        description="the cross-check of the file as read: stated totals that disagree with their rows, duplicate or misplaced codes, unreadable lines; empty when the file is consistent"
    )


class VersionPublic(BaseModel):
    number: int = Field(
        description="the version's number, 1 for the first import, one up with each import that changed the plan"
    )
    digest: str = Field(description="fingerprint of the plan as read (not of the file's bytes)")
    source_name: str | None = Field(
        description="the name of the imported file, as given by whoever imported it (e.g. Stratejik Plan 2024-2027.tsv); null when none was given"
    )
    by: str = Field(description="who imported this version: the SG, the member-relations manager or an operator")
    at: datetime = Field(
        description="when the version was imported, with its UTC offset (e.g. 2026-10-04T09:30:00+03:30)"
    )
    year: int | None = Field(description="the year of the 'this year' targets (the '2024 HEDEFİ' column)")
    aims: int = Field(description="how many aims (AMAÇ) the version has")
    targets: int = Field(description="how many targets (HEDEF) the version has, over all its aims")
    activities: int = Field(description="how many activities (FAALİYET) the version has, over all its targets")
    in_force: bool = Field(
        description="whether this is the version every unit is measured against now (the latest import)"
    )


class VersionDetail(VersionPublic):
    content: dict[str, Any] = Field(description="aims, targets with their stated totals, activities as read")


class HistoryEntry(BaseModel):
    type: str = Field(
        description="the event's wire type, e.g. crm.plan.strategic_plan.imported.v1 (an import made a new version)"
    )
    version: int = Field(description="the event's number in the plan's own history, 1 for the first import")
    recorded_at: datetime = Field(description="when the event was recorded, with its UTC offset")
    data: dict[str, Any] = Field(
        description="what the event recorded (who imported, the file's name, the fingerprint), without the plan's content: GET the version for that"
    )


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
            "examples": [
                {
                    "process": "BİLGİ, DANIŞMANLIK VE DESTEK",
                    "title": "Cevapsız kalan çağrılar",
                    "area": "Üye ilişkileri",
                    "effect": "Üye memnuniyetsizliği",
                    "probability": 3,
                    "severity": 4,
                }
            ]
        },
    )
    process: str = Field(min_length=1, max_length=300, description="the process whose card lists the risk")
    title: str = Field(min_length=1, max_length=MAX_TEXT, description="the risk (RİSKLER)")
    probability: Scale = Field(description="O: 1 almost impossible … 5 weekly or daily")
    severity: Scale = Field(description="Ş: 1 notification suffices … 5 member loss")


class RiskScore(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"probability": 2, "severity": 4, "reason": "SMS duyuruları"}]}
    )
    probability: Scale = Field(description="O: 1 almost impossible … 5 weekly or daily")
    severity: Scale = Field(description="Ş: 1 notification suffices … 5 member loss")
    reason: str | None = Field(None, max_length=MAX_TEXT, description="why the score changes")


class RiskRevision(RiskTexts):
    """Texts to change; a text left out (or null) stays as it is."""

    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"control_record": "Denetim kayıtları, 2026"}]}
    )


class RiskActionRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"measure": "Üyelere teşvikler hakkında seminer", "unit": "member_relations"}]},
    )
    measure: str = Field(min_length=1, max_length=MAX_TEXT, description="the measure the action carries out")
    unit: str | None = Field(None, max_length=100, description="the unit that will own the action")


class ScoreEntry(BaseModel):
    probability: int = Field(description="O, the probability: 1 almost impossible … 5 weekly or daily")
    severity: int = Field(description="Ş, the severity: 1 notification suffices … 5 member loss")
    score: int = Field(description="R = O × Ş")
    band: int = Field(description="1 unacceptable (20-25), 2 significant (13-19), 3 notable (8-12), 4 acceptable")
    name: str = Field(description="the band's name as the process card writes it (e.g. Kabul edilemez risk)")
    at: datetime = Field(description="when the risk was given this score, with its UTC offset")
    by: str = Field(description="who scored it: the SG or the member-relations manager, or the card import")
    reason: str | None = Field(description="why the score changed (e.g. SMS duyuruları); null for the first score")


class RiskPublic(BaseModel):
    id: str = Field(description="the risk's id in the CRM, used in the risk's own addresses")
    version: int = Field(description="how many times the risk was recorded, scored or revised; one up with each change")
    process: str = Field(
        description="the process whose card lists the risk (PROSES, e.g. BİLGİ, DANIŞMANLIK VE DESTEK)"
    )
    title: str = Field(description="the risk as the process card states it (RİSKLER)")
    area: str | None = Field(
        description="RİSK BÖLGESİ: where in the chamber's work the risk lies (e.g. Üye ilişkileri); null when not stated"
    )
    effect: str | None = Field(
        description="ETKİ: what follows if the risk happens (e.g. Üye memnuniyetsizliği); null when not stated"
    )
    current_measures: str | None = Field(
        description="MEVCUT ÖNLEMLER: the measures already in place; null when none are stated"
    )
    planned_measures: str | None = Field(
        description="ALINACAK ÖNLEMLER (FIRSATLAR): the measures still to take; null when none are stated"
    )
    control_record: str | None = Field(
        description="KONTROL UYGULAMA VE ÖNLEMLER: the record that shows the control is applied; null when none is stated"
    )
    probability: int = Field(description="O, the current probability: 1 almost impossible … 5 weekly or daily")
    severity: int = Field(description="Ş, the current severity: 1 notification suffices … 5 member loss")
    score: int = Field(description="R = O × Ş, the current score (1-25); the register is ordered by it, highest first")
    band: int = Field(
        description="the current score's band: 1 unacceptable (20-25), 2 significant (13-19), 3 notable (8-12), 4 acceptable"
    )
    name: str = Field(description="the band's name")
    probability_meaning: str = Field(description="what the current O means, in the process card's words")
    severity_meaning: str = Field(description="what the current Ş means, in the process card's words")
    scored_at: datetime = Field(description="when the current score was given, with its UTC offset")
    trend: str = Field(description="rising, falling or steady: the last re-scoring against the one before")
    scores: list[ScoreEntry] = Field(description="every score up to the moment asked, oldest first")
    action_requests: list[dict[str, Any]] = Field(
        description="the corrective actions asked for to carry out the risk's measures: the measure, the unit and the reference the action is opened under"
    )
    reviews: list[dict[str, Any]] = Field(
        default_factory=list,
        description="reviews prompted by the risk's signals (signal, figure, level, when, when answered) and reviews "
        "done (outcome, who, when), oldest first",
    )
    review_due: bool = Field(
        default=False, description="true while a signal has prompted a review that no review or re-scoring answered"
    )


class RiskImportOutcome(BaseModel):
    document: str | None = Field(
        description="the process card's document code as the file states it (e.g. MM-FR-02-05-01); null when the file does not state it"
    )
    registered: list[str] = Field(description="the ids of the risks the card added to the register")
    rescored: list[str] = Field(
        description="the ids of the risks whose O or Ş on the card differ from the register: re-scored"
    )
    revised: list[str] = Field(
        description="the ids of the risks whose texts (area, effect, measures, control record) on the card changed"
    )
    unchanged: list[str] = Field(
        description="the ids of the risks the card states just as the register already has them: nothing recorded"
    )
    findings: list[dict[str, Any]] = Field(
        description="lines of the card that could not be read or were not taken, each with its line and what was wrong"
    )


class ActionRequested(BaseModel):
    source_ref: str = Field(description="the reference the corrective action is opened under")


# -- KPIs -------------------------------------------------------------------------------------------------------
class ActualEntry(BaseModel):
    """A month's figure of an activity measured by hand, with its evidence document."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "activity": "F.2.1.3",
                    "month": "2026-10",
                    "value": 14,
                    "evidence": "F.12 Görüşme Formu 2026/10",
                }
            ]
        },
    )
    activity: str = Field(min_length=1, max_length=50, description="the activity's code (or key), e.g. F.2.1.3")
    month: str = Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM")
    value: float = Field(ge=0, le=1_000_000, description="the month's figure of the activity's indicator")
    evidence: str = Field(min_length=1, max_length=500, description="the evidence document: its number or name")


class ActualEntered(BaseModel):
    id: str = Field(description="the entry's id: the same for an activity and month, so entering again corrects it")
    changed: bool = Field(description="false when the same figure and evidence were entered already")


class BindingPublic(BaseModel):
    activity: str = Field(description="the activity's code (or key) in the plan, e.g. F.2.1.3")
    kind: str = Field(description="events (measured from the CRM's events) or manual (entered with evidence)")
    indicator: str = Field(description="what is counted or summed for the activity, in the chamber's words")
    types: list[str] = Field(
        description="for events: the CRM event wire types counted (e.g. crm.surveys.survey.closed.v1); empty for a manual activity"
    )
    where: dict[str, Any] = Field(
        description="for events: the conditions an event's fields must meet to count (field → value); empty when every event of the types counts"
    )
    type_where: dict[str, dict[str, Any]] = Field(
        default_factory=dict,
        description="for events: further conditions for one of the types only (wire type → field → value), e.g. a "
        "desk's minutes step counts only when the step is archived",
    )
    aggregation: str = Field(
        description="how a month's figure is made from the events: count (one per event), sum:<field> or distinct:<field> (e.g. members visited, whatever the number of visits)"
    )
    evidence: str | None = Field(
        description="for a manual activity: the evidence document expected with each figure (e.g. F.12 Görüşme Formu); null for events"
    )
