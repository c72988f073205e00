"""Erasing a member's personal data at the person's request (KVKK; Iran's rules), over HTTP: operators only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.members import access
from services.members.api import DirectoryDep, _public
from services.members.schemas import MemberPublic

router = APIRouter(prefix="/members", tags=["members"])


class Erasure(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "written request of 1405/09/05 under KVKK article 7"}]},
    )
    reason: str = Field(
        description="why the person is erased (their request and its date); kept in the audit trail",
        min_length=1,
        max_length=2000,
    )


@router.post(
    "/{number}/erasure",
    response_model=MemberPublic,
    summary="Erase a member's personal data at the person's request (final): name, contacts, e-mail and address",
)
def erase_member(directory: DirectoryDep, principal: access.Eraser, number: str, body: Erasure) -> Any:
    """Deletes the key that seals the member's personal data: the name, contact persons and numbers, e-mail and
    address read [erased] from then on in every API, report, index and export, while the record, its status and
    every count stay. The erasure itself (who, when, why) is kept in the record's history. 409 when already erased."""
    directory.erase_member(number, body.reason, by=principal.name)
    return _public(directory, number)
