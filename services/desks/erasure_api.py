"""Erasing a desk's registrant who named no member, at their request, over HTTP: operators only
(services/desks/erasure.py). The desk and the form's number name whom; neither is personal."""

from __future__ import annotations

import uuid
from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.desks.access import Eraser
from services.desks.api import FormNumber, OfficeDep
from services.desks.erasure import RegistrantErasure, erasure_id

router = APIRouter(prefix="/desks", tags=["desks"])


class RegistrantErasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"reason": "request of 1405/09/08"}]})
    reason: str = Field(
        description="why the person is erased (their request and its date); kept in the audit trail",
        min_length=1,
        max_length=2000,
    )


class RegistrantErased(BaseModel):
    subject: str = Field(description="the registrant's key subject: how the erasure names them")
    erased_at: datetime = Field(description="when the erasure was recorded")


@router.post(
    "/{desk_id}/registrations/{number}/registrant-erasure",
    response_model=RegistrantErased,
    summary="Erase a registrant's data at the person's request (final): name, company, phone and problem",
)
def erase_registrant(
    office: OfficeDep, principal: Eraser, desk_id: uuid.UUID, number: FormNumber, body: RegistrantErasureIn
) -> RegistrantErased:
    """Deletes the key that seals what the registrant of this form typed on it: the name, company, phone and
    problem read [erased] from then on in every API, index, list and export, and so do the slot reminders and
    messages to them, while the form, its slot, the agency's decision and every count stay. The erasure (who, when,
    why) is recorded naming the desk and the form. 404 for no such form, 422 for an empty reason, 409 when already
    erased or when the form names a member (erased with the member: `POST /members/{number}/erasure`)."""
    subject = office.erase_registrant(desk_id, number, body.reason, by=principal.name)
    erasure: RegistrantErasure = office.repository.get(erasure_id(str(desk_id), number))
    return RegistrantErased(subject=subject, erased_at=erasure.at)
