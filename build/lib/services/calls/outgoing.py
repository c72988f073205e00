"""The calls service's internal door for outgoing calls other services make: a survey's contact attempt is an
outgoing call of member relations (purpose `survey`, the line it was placed from, answered or not), recorded once
per source reference however often it is asked (`POST /internal/calls`, role service).

The call is recorded as it went: ringing, then answered and completed, or not reached."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from eventsourcing.persistence import IntegrityError
from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from services.calls import access
from services.calls.application import CallCentre, call_summary
from services.calls.domain import Call, Direction, Purpose, call_id_for_source
from services.calls.schemas import CallPublic


class OutgoingCallIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "source_ref": "surveys:0b9f6c1e-2d7a-5c1b-9a61-3f1c2a7e8d40:member:140500012:attempt:1",
                    "purpose": "survey",
                    "line": "fixed",
                    "membership_number": "140500012",
                    "placed_by": "z.moradi",
                    "at": "2026-11-24T07:30:00Z",
                    "reached": False,
                }
            ]
        },
    )

    source_ref: str = Field(
        min_length=3, max_length=300, description="what the call was made for; the same reference records one call"
    )
    purpose: Purpose = Field(description="why member relations called: survey, announcement or complaint_follow_up")
    line: Literal["fixed", "mobile"] = Field(
        description="the chamber's line it was placed from: fixed (one of the chamber's) or mobile (member relations')"
    )
    membership_number: str | None = Field(default=None, max_length=50, description="the member called")
    placed_by: str | None = Field(default=None, max_length=100, description="user name of the expert who called")
    at: AwareDatetime = Field(description="when the call was placed (with its time zone)")
    reached: bool = Field(description="whether the member picked up")


class OutgoingCallRecorded(BaseModel):
    id: uuid.UUID = Field(description="the call's record id in the calls service")
    existed: bool = Field(description="true when this source reference had been recorded already")


def record_outgoing(
    centre: CallCentre,
    source_ref: str,
    *,
    purpose: Purpose,
    line: str,
    member_id: str | None,
    placed_by: str | None,
    at: datetime,
    reached: bool,
) -> tuple[uuid.UUID, bool]:
    """(the call's id, whether it was recorded now); a source reference seen before records nothing."""
    call_id = call_id_for_source(source_ref)
    if centre.find_aggregate(call_id, Call) is not None:
        return call_id, False
    call = Call(
        direction=Direction.OUTGOING,
        at=at,
        caller_raw=None,
        caller=None,
        callee=None,
        member_id=member_id,
        purpose=purpose,
        placed_by=placed_by,
        pbx_call_id=None,
        pbx_event_id=None,
        line=line,
        source_ref=source_ref,
    )
    if reached:
        call.answer(placed_by, at)
    call.hang_up(at)  # answered: completed; not picked up: not reached
    try:
        centre.save(call)
    except IntegrityError:  # the same request, recorded meanwhile by another replica
        return call_id, False
    return call_id, True


internal = APIRouter(prefix="/internal/calls", tags=["internal"])


@internal.post(
    "",
    status_code=201,
    response_model=CallPublic,
    summary="Record an outgoing call another service made, idempotent by source_ref (201 the first time, 200 after)",
    responses={200: {"model": OutgoingCallRecorded, "description": "already recorded for this source reference"}},
)
def record_outgoing_call(centre: access.Centre, _: access.Internal, body: OutgoingCallIn) -> Any:
    """For the CRM's other services (role service): a survey's contact attempt by phone becomes an outgoing call of member relations the call centre knows, with its purpose and the line used. The source reference makes it idempotent."""
    call_id, created = record_outgoing(
        centre,
        body.source_ref,
        purpose=body.purpose,
        line=body.line,
        member_id=body.membership_number,
        placed_by=body.placed_by,
        at=body.at,
        reached=body.reached,
    )
    if not created:
        return JSONResponse({"id": str(call_id), "existed": True}, status_code=200)
    return call_summary(centre.get_call(call_id))
