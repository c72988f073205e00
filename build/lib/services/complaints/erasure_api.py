"""Erasing a complainant's personal data at their request (KVKK; Iran's rules), over HTTP: operators only."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.complaints import access
from services.complaints.deps import DeskDep, respond
from services.complaints.schemas import ComplaintPublic

router = APIRouter(prefix="/complaints", tags=["complaints"])


class ComplainantErasure(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "written request of the complainant, 1405/09/05"}]},
    )
    reason: str = Field(
        description="why the complainant is erased (their request and its date); kept in the audit trail",
        min_length=1,
        max_length=2000,
    )


@router.post(
    "/{complaint_id}/complainant-erasure",
    response_model=ComplaintPublic,
    summary="Erase the complainant's name and contact details at their request (final)",
)
def erase_complainant(
    desk: DeskDep, principal: access.Eraser, complaint_id: uuid.UUID, body: ComplainantErasure
) -> Any:
    """Deletes the key that seals the complainant's name, phone numbers and e-mail: they read [erased] from then on
    in every API, report and export, while the complaint, its handling and every figure stay. The erasure (who,
    when, why) is kept in the complaint's history. 409 when already erased."""
    desk.erase_complainant(complaint_id, body.reason, by=principal.name)
    return respond(desk, complaint_id)
