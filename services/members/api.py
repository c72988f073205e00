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
from pydantic import BaseModel, ConfigDict, Field

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
    raw: str
    e164: str
    kind: Literal["mobile", "fixed", "other"]


class ContactPublic(BaseModel):
    name: str
    role: str | None
    phones: list[PhonePublic]


class MemberPublic(BaseModel):
    id: uuid.UUID
    version: int
    membership_number: str
    kind: MemberKind
    name: str
    status: Status
    is_member: bool = Field(description="only active members are members of the chamber")
    status_reason: str | None
    status_changed_at: datetime | None
    trade_group: str | None
    field_of_activity: str | None
    products: list[str]
    import_countries: list[str] = Field(description="ISO 3166 alpha-2")
    export_countries: list[str] = Field(description="ISO 3166 alpha-2")
    contacts: list[ContactPublic]
    email: str | None
    address: str | None
    preferred_language: Language | None
    registered_at: datetime
    updated_at: datetime


class ContactIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=200)
    role: str | None = Field(default=None, max_length=200)
    phones: list[Annotated[str, Field(max_length=40)]] = Field(
        default=[], max_length=20, description="as typed: Persian or Arabic digits, spaces, dashes, 00 or + prefix"
    )


class MemberFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    trade_group: str | None = Field(default=None, max_length=300, description="trade group or commission")
    field_of_activity: str | None = Field(default=None, max_length=500)
    products: list[Annotated[str, Field(max_length=300)]] = Field(
        default=[], max_length=200, description="products or services"
    )
    import_countries: list[Annotated[str, Field(max_length=100)]] = Field(
        default=[], max_length=250, description="ISO 3166 alpha-2 or alpha-3 codes, or names"
    )
    export_countries: list[Annotated[str, Field(max_length=100)]] = Field(default=[], max_length=250)
    contacts: list[ContactIn] = Field(default=[], max_length=50)
    email: str | None = Field(default=None, max_length=300)
    address: str | None = Field(default=None, max_length=1000)
    preferred_language: Language | None = None


class MemberCreate(MemberFields):
    membership_number: str = Field(min_length=1, max_length=60, description="Persian or Arabic digits accepted")
    kind: MemberKind
    name: str = Field(min_length=1, max_length=300, description="legal name (company) or full name (person)")
    status: Status = Status.ACTIVE


class MemberUpdate(MemberFields):
    """Only the fields sent change; null clears an optional one. Status changes go through suspend/reinstate/end."""

    kind: MemberKind | None = None
    name: str | None = Field(default=None, min_length=1, max_length=300)


class StatusChange(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=2000)


class Reinstatement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=2000)


class MemberEvent(BaseModel):
    type: str = Field(description="the CloudEvents type on Kafka, e.g. crm.members.member.registered.v1")
    version: int
    recorded_at: datetime
    data: dict[str, Any]


class CriteriaIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str | None = Field(default=None, max_length=300)
    number: str | None = Field(default=None, max_length=60)
    kind: MemberKind | None = None
    status: Status | None = Field(default=None, description="active unless given")
    trade_group: str | None = Field(default=None, max_length=300)
    field: str | None = Field(default=None, max_length=300)
    product: str | None = Field(default=None, max_length=300)
    country: str | None = Field(default=None, max_length=100, description="import or export partner")
    import_country: str | None = Field(default=None, max_length=100)
    export_country: str | None = Field(default=None, max_length=100)
    language: Language | None = None


class SelectionCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = Field(min_length=1, max_length=300, description="what the list is for, e.g. the session's title")
    criteria: CriteriaIn = CriteriaIn()


class SelectionPublic(BaseModel):
    id: uuid.UUID
    name: str
    criteria: dict[str, str]
    members: list[str] = Field(description="membership numbers, as resolved when the selection was taken")
    count: int
    taken_by: str | None
    taken_at: datetime


class RejectedRow(BaseModel):
    line: int | None
    membership_number: str | None
    field: str | None
    reason: str


class ImportReportPublic(BaseModel):
    rows: int
    created: int
    updated: int
    unchanged: int
    rejected_count: int
    rejected: list[RejectedRow]
    ignored_columns: list[str]


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


@router.get("/{number}", response_model=MemberPublic)
def get_member(directory: DirectoryDep, _: Reader, number: str) -> Any:
    return _public(directory, number)


@router.patch("/{number}", response_model=MemberPublic, summary="Change details; only the fields sent (null clears)")
def update_member(directory: DirectoryDep, principal: Editor, number: str, body: MemberUpdate) -> Any:
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
    directory.suspend_member(number, body.reason, by=principal.name)
    return _public(directory, number)


@router.post("/{number}/reinstate", response_model=MemberPublic, summary="Reinstate a suspended member")
def reinstate_member(
    directory: DirectoryDep, principal: StatusKeeper, number: str, body: Reinstatement | None = None
) -> Any:
    directory.reinstate_member(number, by=principal.name, note=body.note if body else None)
    return _public(directory, number)


@router.post(
    "/{number}/end", response_model=MemberPublic, summary="End a membership (final: the record no longer changes)"
)
def end_member(directory: DirectoryDep, principal: StatusKeeper, number: str, body: StatusChange) -> Any:
    directory.end_member(number, body.reason, by=principal.name)
    return _public(directory, number)


@router.get(
    "/{number}/history", response_model=list[MemberEvent], summary="Every change of the member's record, oldest first"
)
def member_history(directory: DirectoryDep, _: Historian, number: str) -> Any:
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
    selection_id = directory.take_selection(body.name, _criteria(body.criteria), by=principal.name)
    return directory.get_selection(selection_id)


@selections.get("/{selection_id}", response_model=SelectionPublic, summary="A selection as it was taken")
def get_selection(directory: DirectoryDep, _: Reader, selection_id: uuid.UUID) -> Any:
    return directory.get_selection(selection_id)


# -- telephone lookup -----------------------------------------------------------------------------------------
lookup = APIRouter(prefix="/lookup", tags=["lookup"])


class MemberRouting(BaseModel):
    """What the telephone system learns of the member behind a number: enough to route the call."""

    id: uuid.UUID
    membership_number: str
    name: str


@lookup.get(
    "/phone/{number}",
    response_model=MemberPublic | MemberRouting,
    summary="The active member owning a phone number (404 if none; 409 if several active members share it); "
    "the telephone system gets only the member's id and name",
)
def lookup_phone(directory: DirectoryDep, index: IndexDep, principal: PhoneReader, number: str) -> Any:
    e164 = normalise.phone(number, directory.region).e164
    found = index.members_with_phone(e164)
    if not found:
        raise HTTPException(404, f"no active member has the number {e164}")
    if len(found) > 1:
        raise DomainError(
            f"the number {e164} belongs to several active members: {', '.join(m['membership_number'] for m in found)}"
        )
    return access.lookup_view(principal, found[0])
