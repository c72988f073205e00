"""What the complaints API is sent at receipt and review: a complaint registered by staff or opened automatically by
another service, the stakeholders, the initial assessment, the acknowledgement and the information added."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from services.complaints.domain import (
    Kind,
    Level,
)
from shared.validation import SaneDatetime

# A person named on a form: a user name, or a name as written.
Name = Annotated[str, Field(min_length=1, max_length=200)]


class StakeholdersIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"units": ["trade"], "persons": ["s.ahmadi"], "participants": ["f.alavi"], "complainant": "رضا محمدی"}
            ]
        },
    )
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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "channel": "phone",
                    "kind": "complaint",
                    "description": "گواهی مبدا درخواستی پس از ده روز کاری هنوز صادر نشده و کسی پاسخگو نیست.",
                    "occurred_at": "2026-11-18T09:30:00+03:30",
                    "member_number": "14020153",
                    "complainant_name": "رضا محمدی",
                    "phone": "09131234567",
                    "email": "r.mohammadi@farshbafan.ir",
                    "confidential": False,
                }
            ]
        },
    )
    channel: Literal["in_person", "phone"] = Field(
        description="in_person (filled in at the chamber) or phone (taken down during a call)"
    )
    kind: Kind = Field(default=Kind.COMPLAINT, description="complaint, criticism, suggestion or reported_problem")
    description: str = Field(min_length=1, max_length=8000, description="the complaint in the complainant's words")
    occurred_at: SaneDatetime | None = Field(
        default=None, description="local time of the chamber when no zone is given"
    )
    member_number: str | None = Field(
        default=None, max_length=60, description="the complainant's membership number, when a member"
    )
    complainant_name: str | None = Field(default=None, max_length=200, description="the complainant's full name")
    phone: str | None = Field(default=None, max_length=40, description="the complainant's telephone number, as given")
    email: str | None = Field(default=None, max_length=254, description="the complainant's e-mail address")
    unit: str | None = Field(default=None, max_length=100, description="the unit concerned")
    service: str | None = Field(default=None, max_length=300, description="the service concerned")
    stakeholders: StakeholdersIn | None = Field(default=None, description="the parties concerned, when already known")
    confidential: bool = Field(
        default=False,
        description="true when the complainant asks that their identity be kept from the staff complained about",
    )
    call_id: str | None = Field(default=None, max_length=100, description="phone complaints: the call it was taken in")


class AssessmentIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "severity": "high",
                    "urgency": "high",
                    "complexity": "low",
                    "immediate_action": True,
                    "note": "محموله عضو در گمرک منتظر گواهی است؛ واحد بازرگانی امروز گواهی را صادر کند",
                }
            ]
        },
    )
    severity: Level = Field(
        description="how serious the matter is for the complainant and the chamber: low, medium or high"
    )
    urgency: Level = Field(description="how soon it must be dealt with: low, medium or high")
    complexity: Level = Field(description="how much work the investigation will take: low, medium or high")
    immediate_action: bool = Field(
        default=False, description="true when something must be done at once, before the investigation"
    )
    note: str | None = Field(default=None, max_length=4000, description="what the assessor wants kept on the form")


class Acknowledgement(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"method": "sms", "note": "کد پیگیری با پیامک برای عضو ارسال شد"}]},
    )
    method: str = Field(
        min_length=1, max_length=50, description="how the member was told: phone, sms, email, letter, in_person"
    )
    note: str | None = Field(
        default=None, max_length=2000, description="anything worth keeping about the acknowledgement"
    )


class InformationAdd(BaseModel):
    """Only the fields sent change (null clears an optional one)."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"unit": "trade", "service": "صدور گواهی مبدا", "note": "در تماس پیگیری، عضو واحد مربوط را مشخص کرد"}
            ]
        },
    )
    kind: Kind | None = Field(default=None, description="corrected kind of the submission")
    description: str | None = Field(
        default=None, min_length=1, max_length=8000, description="corrected or completed description"
    )
    occurred_at: SaneDatetime | None = Field(default=None, description="when the matter happened")
    member_number: str | None = Field(default=None, max_length=60, description="the complainant's membership number")
    complainant_name: str | None = Field(default=None, max_length=200, description="the complainant's full name")
    phone: str | None = Field(default=None, max_length=40, description="the complainant's telephone number")
    email: str | None = Field(default=None, max_length=254, description="the complainant's e-mail address")
    unit: str | None = Field(default=None, max_length=100, description="code of the unit complained about")
    service: str | None = Field(default=None, max_length=300, description="the chamber service complained about")
    note: str | None = Field(
        default=None, max_length=4000, description="where the information came from, e.g. a follow-up call"
    )


class Note(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "مدارک کامل است؛ برای تصمیم به دبیرکل ارجاع شد"}]}
    )
    note: str | None = Field(default=None, max_length=4000, description="an optional note, kept in the history")


class AutomaticComplaintIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source_ref": "surveys:response:8f1c2a:q3",
                    "source": "surveys",
                    "kind": "complaint",
                    "description": "امتیاز ۱ از ۵ به سرعت صدور کارت بازرگانی در نظرسنجی پاییز ۱۴۰۵",
                    "member_number": "14020153",
                    "complainant_name": "Mehmet Yılmaz",
                    "phone": "09141234567",
                    "unit": "trade",
                }
            ]
        },
    )
    source_ref: str = Field(
        min_length=1, max_length=300, description="unique in the source, e.g. surveys:response:<id>:q3"
    )
    source: str = Field(min_length=1, max_length=50, description="the service it comes from: surveys, desks, sessions")
    kind: Kind = Field(default=Kind.COMPLAINT, description="complaint, criticism, suggestion or reported_problem")
    description: str = Field(
        min_length=1,
        max_length=8000,
        description="what the other service found, e.g. a survey answer under the threshold",
    )
    occurred_at: SaneDatetime | None = Field(default=None, description="when it happened")
    member_number: str | None = Field(default=None, max_length=60, description="the member concerned")
    complainant_name: str | None = Field(default=None, max_length=200, description="who it is from, when a person")
    phone: str | None = Field(default=None, max_length=40, description="their telephone number")
    email: str | None = Field(default=None, max_length=254, description="their e-mail address")
    unit: str | None = Field(default=None, max_length=100, description="code of the unit concerned")
    service: str | None = Field(default=None, max_length=300, description="the chamber service concerned")
    confidential: bool = Field(default=False, description="true to hide the complainant's identity")


class AlreadyOpened(BaseModel):
    id: uuid.UUID = Field(description="the complaint already registered for this source reference")
    existed: Literal[True] = Field(description="always true: nothing new was registered")
