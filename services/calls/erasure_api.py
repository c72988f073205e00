"""Erasing a caller who is not a known member at their request, over HTTP: operators only (services/calls/erasure.py).

The number goes in the body, never in the URL, so it stays out of access logs and proxies' records."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from services.calls import access
from services.calls.erasure import CallerErasure, erasure_id

router = APIRouter(prefix="/callers", tags=["calls"])


class CallerErasureIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"number": "0912 111 2233", "reason": "request by telephone, 1405/09/08"}]},
    )
    number: str = Field(min_length=1, max_length=40, description="the caller's phone number, as they give it")
    reason: str = Field(
        description="why the person is erased (their request and its date); kept in the audit trail",
        min_length=1,
        max_length=2000,
    )


class CallerErased(BaseModel):
    subject: str = Field(description="the caller's key subject, a hash of the number: how the erasure names them")
    erased_at: datetime = Field(description="when the erasure was recorded")


@router.post(
    "/erasure",
    response_model=CallerErased,
    summary="Erase a caller's data at the person's request (final): their number, names, subjects and notes",
)
def erase_caller(centre: access.Centre, principal: access.Eraser, body: CallerErasureIn) -> CallerErased:
    """Deletes the key that seals the calls of this number: the number, the name and number taken down, the
    subjects and notes read [erased] from then on in every API, index, report and export, while the calls and every
    count stay. The erasure (who, when, why) is recorded naming the caller only by the subject. 422 for a number
    that is not one, 409 when already erased. A member's calls are erased with the member
    (`POST /members/{number}/erasure`)."""
    subject = centre.erase_caller(body.number, body.reason, by=principal.name)
    erasure: CallerErasure = centre.repository.get(erasure_id(subject))
    return CallerErased(subject=subject, erased_at=erasure.at)
