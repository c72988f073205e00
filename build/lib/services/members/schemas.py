"""Request and response bodies of the member database's API (form ME-FR-03-01-01)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.members.domain import MemberKind, Status

Language = Literal["fa", "tr", "en", "ar"]


# -- bodies --------------------------------------------------------------------------------------------------
class PhonePublic(BaseModel):
    raw: str = Field(description="the number as it was typed on the form, digits and separators untouched")
    e164: str = Field(description="the number in international form (+98…), as the telephone system presents callers")
    kind: Literal["mobile", "fixed", "other"] = Field(
        description="mobile (09…), fixed line (area code) or other, as read from the number itself"
    )


class ContactPublic(BaseModel):
    name: str = Field(description="full name of the member's contact person")
    role: str | None = Field(
        description="the contact's position at the member, e.g. managing director; null when not given"
    )
    phones: list[PhonePublic] = Field(
        description="the contact's telephone numbers, each as typed and in international form"
    )


class MemberPublic(BaseModel):
    id: uuid.UUID = Field(description="the member's record id in the CRM; other services refer to the member by it")
    version: int = Field(description="the record's version: it rises by one with every recorded change")
    membership_number: str = Field(description="the chamber's membership number (card number), in Latin digits")
    kind: MemberKind = Field(description="company (a legal person) or person (a natural person)")
    name: str = Field(description="legal name of the company or full name of the person")
    status: Status = Field(description="active, suspended or ended membership")
    is_member: bool = Field(description="only active members are members of the chamber")
    status_reason: str | None = Field(
        description="why the membership was last suspended or ended; null while it never was"
    )
    status_changed_at: datetime | None = Field(
        description="when the status last changed (UTC); null while it never did"
    )
    trade_group: str | None = Field(description="the trade group or commission the member belongs to")
    field_of_activity: str | None = Field(description="what the member does, as written on the membership form")
    products: list[str] = Field(description="products or services the member deals in")
    import_countries: list[str] = Field(description="ISO 3166 alpha-2")
    export_countries: list[str] = Field(description="ISO 3166 alpha-2")
    contacts: list[ContactPublic] = Field(description="the member's contact persons, with their telephone numbers")
    email: str | None = Field(description="the member's e-mail address for the chamber's notices")
    address: str | None = Field(description="postal address of the member's office")
    preferred_language: Language | None = Field(description="the language the member prefers to be addressed in")
    registered_at: datetime = Field(description="when the member was entered into the CRM (UTC)")
    updated_at: datetime = Field(description="when the record last changed (UTC)")
    erased_at: datetime | None = Field(default=None, description="when the person's data was erased (UTC); else null")


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(description="full name of the contact person, e.g. Reza Mohammadi", min_length=1, max_length=200)
    role: str | None = Field(
        description="the contact's position at the member, e.g. managing director", default=None, max_length=200
    )
    phones: list[Annotated[str, Field(max_length=40)]] = Field(
        default=[], max_length=20, description="as typed: Persian or Arabic digits, spaces, dashes, 00 or + prefix"
    )


def _not_blank(value: str) -> str:
    if not value.strip():
        raise ValueError("an item of the list is blank: leave it out")
    return value


# An item of a list: a blank one is refused rather than silently dropped, which turned a list of blanks into an
# empty list that replaced the member's stored one.
Item300 = Annotated[str, Field(max_length=300), AfterValidator(_not_blank)]
Item100 = Annotated[str, Field(max_length=100), AfterValidator(_not_blank)]


class MemberFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trade_group: str | None = Field(default=None, max_length=300, description="trade group or commission")
    field_of_activity: str | None = Field(
        description="what the member does, as written on the membership form", default=None, max_length=500
    )
    products: list[Item300] = Field(default=[], max_length=200, description="products or services")
    import_countries: list[Item100] = Field(
        default=[], max_length=250, description="ISO 3166 alpha-2 or alpha-3 codes, or names"
    )
    export_countries: list[Item100] = Field(
        description="countries the member exports to: ISO 3166 alpha-2 or alpha-3 codes, or names",
        default=[],
        max_length=250,
    )
    contacts: list[ContactIn] = Field(
        description="the member's contact persons; an update replaces the whole list", default=[], max_length=50
    )
    email: str | None = Field(
        description="the member's e-mail address for the chamber's notices", default=None, max_length=300
    )
    address: str | None = Field(description="postal address of the member's office", default=None, max_length=1000)
    preferred_language: Language | None = Field(
        default=None, description="the language the member prefers to be addressed in"
    )


class MemberCreate(MemberFields):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "membership_number": "۱۴۰۲۰۱۵۳",
                    "kind": "company",
                    "name": "شرکت فرش بافان اصفهان",
                    "trade_group": "فرش دستباف",
                    "field_of_activity": "تولید و صادرات فرش دستباف",
                    "products": ["فرش دستباف", "گلیم"],
                    "export_countries": ["TR", "DE"],
                    "contacts": [
                        {"name": "رضا محمدی", "role": "مدیرعامل", "phones": ["۰۹۱۳ ۱۲۳ ۴۵۶۷", "031-32221234"]}
                    ],
                    "email": "info@farshbafan.ir",
                    "address": "اصفهان، خیابان چهارباغ عباسی، پلاک ۱۲",
                    "preferred_language": "fa",
                }
            ]
        }
    )
    membership_number: str = Field(min_length=1, max_length=60, description="Persian or Arabic digits accepted")
    kind: MemberKind = Field(description="company (a legal person) or person (a natural person)")
    name: str = Field(min_length=1, max_length=300, description="legal name (company) or full name (person)")
    status: Status = Field(
        default=Status.ACTIVE,
        description="the membership's status on entry; active unless an older record is being entered",
    )


class MemberUpdate(MemberFields):
    """Only the fields sent change; null clears an optional one. Status changes go through suspend/reinstate/end."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {"email": "sales@farshbafan.ir", "contacts": [{"name": "Mehmet Yılmaz", "phones": ["09141234567"]}]}
            ]
        }
    )

    kind: MemberKind | None = Field(default=None, description="company or person; absent leaves it as it is")
    name: str | None = Field(
        description="new legal or full name; absent leaves it as it is", default=None, min_length=1, max_length=300
    )


class StatusChange(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"reason": "حق عضویت سال ۱۴۰۴ پرداخت نشده است"}]}
    )
    reason: str = Field(
        description="why the membership is suspended or ended, as the staff member records it; kept in the history",
        min_length=1,
        max_length=2000,
    )


class Reinstatement(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"note": "حق عضویت در ۱۵ آذر ۱۴۰۴ پرداخت شد"}]}
    )
    note: str | None = Field(
        description="an optional note on why the membership is reinstated; kept in the history",
        default=None,
        max_length=2000,
    )


class MemberEvent(BaseModel):
    type: str = Field(description="the CloudEvents type on Kafka, e.g. crm.members.member.registered.v1")
    version: int = Field(description="the record's version this change produced")
    recorded_at: datetime = Field(description="when the change was recorded (UTC)")
    data: dict[str, Any] = Field(description="the change's own fields, as published on Kafka")


class CriteriaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(description="part of the member's name", default=None, max_length=300)
    number: str | None = Field(description="membership number", default=None, max_length=60)
    kind: MemberKind | None = Field(default=None, description="company or person only")
    status: Status | None = Field(default=None, description="active unless given")
    trade_group: str | None = Field(description="part of the trade group or commission", default=None, max_length=300)
    field: str | None = Field(description="part of the field of activity", default=None, max_length=300)
    product: str | None = Field(description="part of a product or service", default=None, max_length=300)
    country: str | None = Field(default=None, max_length=100, description="import or export partner")
    import_country: str | None = Field(
        description="a country the member imports from: alpha-2, alpha-3 or name", default=None, max_length=100
    )
    export_country: str | None = Field(
        description="a country the member exports to: alpha-2, alpha-3 or name", default=None, max_length=100
    )
    language: Language | None = Field(default=None, description="members who prefer this language")


class SelectionCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "name": "نشست تخصصی صادرات فرش به ترکیه",
                    "criteria": {"trade_group": "فرش دستباف", "export_country": "TR"},
                }
            ]
        },
    )
    name: str = Field(min_length=1, max_length=300, description="what the list is for, e.g. the session's title")
    criteria: CriteriaIn = Field(
        default=CriteriaIn(), description="which members to take; all active members when empty"
    )


class SelectionPublic(BaseModel):
    id: uuid.UUID = Field(description="the selection's id, to fetch it again later")
    name: str = Field(description="what the list is for, as given when it was taken")
    criteria: dict[str, str] = Field(description="the criteria the list was taken with, by name")
    members: list[str] = Field(description="membership numbers, as resolved when the selection was taken")
    count: int = Field(description="how many members the list holds")
    taken_by: str | None = Field(description="the user name of the staff member who took it")
    taken_at: datetime = Field(description="when it was taken (UTC)")


class RejectedRow(BaseModel):
    line: int | None = Field(
        description="the line of the uploaded file (1 is the header); null when the row has no line"
    )
    membership_number: str | None = Field(description="the membership number on the rejected row, when it had one")
    field: str | None = Field(description="the column that was wrong; null when the whole row was")
    reason: str = Field(description="why the row was not imported, for the person fixing the file")


class ImportReportPublic(BaseModel):
    rows: int = Field(description="data rows read from the file")
    created: int = Field(description="members entered anew")
    updated: int = Field(description="existing members whose details changed")
    unchanged: int = Field(description="rows that matched the record already held")
    rejected_count: int = Field(description="rows not imported")
    rejected: list[RejectedRow] = Field(description="each row not imported and why")
    ignored_columns: list[str] = Field(description="columns of the file the CRM does not read")


class MemberRouting(BaseModel):
    """What the telephone system learns of the member behind a number: enough to route the call."""

    id: uuid.UUID = Field(description="the member's record id in the CRM")
    membership_number: str = Field(description="the chamber's membership number")
    name: str = Field(description="legal name or full name, for the agent's screen")
