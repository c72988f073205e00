"""HTTP API of the member database (form ME-FR-03-01-01): members, their history, imports, selections and the
telephone lookup."""

from __future__ import annotations

import uuid
from email import policy
from email.parser import BytesParser
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel

from services.members import access, normalise
from services.members.application import MemberDirectory, member_record
from services.members.criteria import Criteria
from services.members.csv_import import import_csv_bytes
from services.members.domain import MemberKind, Status
from services.members.index import MemberIndex
from services.members.schemas import (
    ImportReportPublic,
    Language,
    MemberCreate,
    MemberEvent,
    MemberPublic,
    MemberRouting,
    MemberUpdate,
    Reinstatement,
    SelectionCreate,
    SelectionPublic,
    StatusChange,
)
from shared.http import read_body
from shared.problems import DomainError, InvalidInput
from shared.validation import Limit, Offset

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


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
