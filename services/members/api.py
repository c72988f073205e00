"""HTTP API of the member database (form ME-FR-03-01-01): members, their history, imports, selections and the
telephone lookup."""

from __future__ import annotations

import uuid
from datetime import datetime
from email import policy
from email.parser import BytesParser
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from services.members import access, normalise
from services.members.application import MemberDirectory, member_record
from services.members.criteria import Criteria
from services.members.csv_import import import_csv_bytes
from services.members.domain import MemberKind, Status
from services.members.index import MemberIndex
from shared.http import read_body
from shared.problems import DomainError, InvalidInput
from shared.validation import Limit, Offset

MAX_UPLOAD_BYTES = 50 * 1024 * 1024
Language = Literal["fa", "tr", "en", "ar"]


def get_directory(request: Request) -> MemberDirectory:
    return request.app.state.directory


def get_index(request: Request) -> MemberIndex:
    return request.app.state.index


DirectoryDep = Annotated[MemberDirectory, Depends(get_directory)]
IndexDep = Annotated[MemberIndex, Depends(get_index)]

Reader = access.Reader
Editor = access.Editor
StatusKeeper = access.StatusKeeper
Importer = access.Importer
Historian = access.Historian
Selector = access.Selector
PhoneReader = access.PhoneReader


# -- schemas --------------------------------------------------------------------------------------------------
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


def _criteria(model: BaseModel) -> Criteria:
    values = model.model_dump(mode="json", exclude_none=True)
    return Criteria.from_dict(values).normalised()


def _public(directory: MemberDirectory, number: str) -> dict[str, Any]:
    return member_record(directory.get_member(number))


# -- members --------------------------------------------------------------------------------------------------
router = APIRouter(prefix="/members", tags=["members"])


@router.post(
    "",
    status_code=201,
    response_model=MemberPublic,
    summary="Register a member (409 if the membership number is taken)",
)
def register_member(directory: DirectoryDep, principal: Editor, body: MemberCreate) -> Any:
    """Enters a new member from the membership form (ME-FR-03-01-01). Staff of member relations and the membership unit may register; the membership number must be new, and phone numbers are kept both as typed and in international form."""
    details = body.model_dump(mode="json", exclude={"membership_number", "status"})
    number = directory.register_member(body.membership_number, details, status=body.status.value, by=principal.name)
    return _public(directory, number)


@router.get(
    "",
    response_model=list[MemberPublic],
    summary="Search members; text matches Persian, Arabic and Turkish spellings alike",
)
def search_members(
    index: IndexDep,
    _: Reader,
    response: Response,
    name: str | None = Query(
        None, max_length=300, description="part of the legal or full name, or of a contact person's name"
    ),
    number: str | None = Query(None, max_length=60, description="membership number"),
    field: str | None = Query(None, max_length=300, description="part of the field of activity"),
    product: str | None = Query(None, max_length=300, description="part of a product or service"),
    country: str | None = Query(None, max_length=100, description="import or export partner: alpha-2, alpha-3 or name"),
    import_country: str | None = Query(None, max_length=100),
    export_country: str | None = Query(None, max_length=100),
    trade_group: str | None = Query(None, max_length=300),
    status: Status | None = None,
    kind: MemberKind | None = None,
    language: Language | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Finds members by any mix of criteria; each text criterion matches a part of the field, with Persian, Arabic and Turkish spellings of the same letters treated alike. The header X-Total-Count gives the number of matches before paging."""
    criteria = Criteria(
        name=name,
        number=number,
        field=field,
        product=product,
        country=country,
        import_country=import_country,
        export_country=export_country,
        trade_group=trade_group,
        status=status.value if status else None,
        kind=kind.value if kind else None,
        language=language,
    ).normalised()
    response.headers["X-Total-Count"] = str(index.count(criteria))
    return index.search(criteria, limit=limit, offset=offset)


@router.post(
    "/import",
    response_model=ImportReportPublic,
    summary="Import members from a CSV file (multipart field `file`, or a text/csv body); idempotent",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "multipart/form-data": {
                    "schema": {
                        "type": "object",
                        "properties": {"file": {"type": "string", "format": "binary"}},
                        "required": ["file"],
                    }
                },
                "text/csv": {"schema": {"type": "string"}},
            },
        }
    },
)
async def import_members(request: Request, principal: Importer) -> Any:
    """Reads a CSV export of the member database and enters or updates each row by its membership number. Running the same file again changes nothing; the answer counts what was created, updated, unchanged and rejected, with the reason for each rejected row."""
    data = await _uploaded_file(request)
    directory: MemberDirectory = request.app.state.directory
    report = await run_in_threadpool(import_csv_bytes, directory, data, by=principal.name)
    return report.as_dict()


async def _uploaded_file(request: Request) -> bytes:
    content_type = request.headers.get("content-type", "")
    body = await read_body(request, MAX_UPLOAD_BYTES, f"the file is larger than {MAX_UPLOAD_BYTES // (1024 * 1024)} MB")
    if content_type.startswith("multipart/form-data"):
        # The standard library reads multipart bodies well enough for one uploaded file.
        message = BytesParser(policy=policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        if not message.is_multipart():
            raise InvalidInput("the multipart body could not be read (boundary missing?)")
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == "file":
                payload = part.get_payload(decode=True)
                return payload if isinstance(payload, bytes) else b""
        raise InvalidInput("send the CSV file in the multipart field named `file`")
    if content_type.split(";")[0].strip() in ("text/csv", "text/plain", "application/octet-stream"):
        return body
    raise HTTPException(415, "send the CSV file as multipart/form-data (field `file`) or as a text/csv body")


@router.get("/{number}", response_model=MemberPublic, summary="A member's record by membership number")
def get_member(directory: DirectoryDep, _: Reader, number: str) -> Any:
    """The member's current record, by membership number (Persian or Arabic digits accepted)."""
    return _public(directory, number)


@router.patch("/{number}", response_model=MemberPublic, summary="Change details; only the fields sent (null clears)")
def update_member(directory: DirectoryDep, principal: Editor, number: str, body: MemberUpdate) -> Any:
    """Changes the member's details. Only the fields sent change; null clears an optional field. Name and kind cannot be cleared, and the status changes only through suspend, reinstate and end."""
    details = body.model_dump(mode="json", exclude_unset=True)
    for required in ("name", "kind"):
        if required in details and details[required] is None:
            raise InvalidInput(f"{required} cannot be cleared")
    directory.update_member(number, details, by=principal.name)
    return _public(directory, number)


@router.post(
    "/{number}/suspend", response_model=MemberPublic, summary="Suspend an active member (not a member until reinstated)"
)
def suspend_member(directory: DirectoryDep, principal: StatusKeeper, number: str, body: StatusChange) -> Any:
    """Suspends an active membership, e.g. for unpaid dues; the member is no longer treated as a member until reinstated. The reason is kept in the history."""
    directory.suspend_member(number, body.reason, by=principal.name)
    return _public(directory, number)


@router.post("/{number}/reinstate", response_model=MemberPublic, summary="Reinstate a suspended member")
def reinstate_member(
    directory: DirectoryDep, principal: StatusKeeper, number: str, body: Reinstatement | None = None
) -> Any:
    """Makes a suspended membership active again; the body with a note is optional."""
    directory.reinstate_member(number, by=principal.name, note=body.note if body else None)
    return _public(directory, number)


@router.post(
    "/{number}/end", response_model=MemberPublic, summary="End a membership (final: the record no longer changes)"
)
def end_member(directory: DirectoryDep, principal: StatusKeeper, number: str, body: StatusChange) -> Any:
    """Ends a membership for good: an ended record no longer changes. The reason is kept in the history."""
    directory.end_member(number, body.reason, by=principal.name)
    return _public(directory, number)


@router.get(
    "/{number}/history", response_model=list[MemberEvent], summary="Every change of the member's record, oldest first"
)
def member_history(directory: DirectoryDep, _: Historian, number: str) -> Any:
    """Every recorded change of the member's record, oldest first, as it was published to the other services."""
    return directory.history(number)


# -- selections -----------------------------------------------------------------------------------------------
selections = APIRouter(prefix="/selections", tags=["selections"])


@selections.post(
    "",
    status_code=201,
    response_model=SelectionPublic,
    summary="Take a list of members by criteria (e.g. the invitees of a specialised session), frozen as of now",
)
def take_selection(directory: DirectoryDep, principal: Selector, body: SelectionCreate) -> Any:
    """Takes the list of members matching the criteria as of now, e.g. the invitees of a specialised session, and keeps it unchanged so that later changes to members do not alter who was invited."""
    selection_id = directory.take_selection(body.name, _criteria(body.criteria), by=principal.name)
    return directory.get_selection(selection_id)


@selections.get("/{selection_id}", response_model=SelectionPublic, summary="A selection as it was taken")
def get_selection(directory: DirectoryDep, _: Reader, selection_id: uuid.UUID) -> Any:
    """A selection exactly as it was taken, with the membership numbers it resolved to then."""
    return directory.get_selection(selection_id)


# -- telephone lookup -----------------------------------------------------------------------------------------
lookup = APIRouter(prefix="/lookup", tags=["lookup"])


class MemberRouting(BaseModel):
    """What the telephone system learns of the member behind a number: enough to route the call."""

    id: uuid.UUID = Field(description="the member's record id in the CRM")
    membership_number: str = Field(description="the chamber's membership number")
    name: str = Field(description="legal name or full name, for the agent's screen")


@lookup.get(
    "/phone/{number}",
    response_model=MemberPublic | MemberRouting,
    summary="The active member owning a phone number (404 if none; 409 if several active members share it); "
    "the telephone system gets only the member's id and name",
)
def lookup_phone(directory: DirectoryDep, index: IndexDep, principal: PhoneReader, number: str) -> Any:
    """Tells the telephone system and the call agents whose number is calling: the active member with this number, in any written form. The telephone system sees only the member's id, number and name; staff see the full record."""
    e164 = normalise.phone(number, directory.region).e164
    found = index.members_with_phone(e164)
    if not found:
        raise HTTPException(404, f"no active member has the number {e164}")
    if len(found) > 1:
        raise DomainError(
            f"the number {e164} belongs to several active members: {', '.join(m['membership_number'] for m in found)}"
        )
    return access.lookup_view(principal, found[0])
