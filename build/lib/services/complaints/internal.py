"""The internal door of the complaints service: other services open complaints (idempotent by their source
reference) and the scheduler asks for the deadline check. Role `service` only."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.complaints import access
from services.complaints.deps import DeskDep, respond
from services.complaints.schemas import AlreadyOpened, AutomaticComplaintIn, BreachCheck, ComplaintPublic

Internal = access.Internal


internal = APIRouter(prefix="/internal/complaints", tags=["internal"])


@internal.post(
    "",
    status_code=201,
    response_model=ComplaintPublic,
    summary="Open a complaint for another service, idempotent by source_ref (201 the first time, 200 with only its id after)",
    responses={200: {"model": AlreadyOpened, "description": "already opened for this source reference"}},
)
def open_automatically(desk: DeskDep, _: Internal, body: AutomaticComplaintIn) -> Any:
    """For the CRM's other services (role service): registers the complaint a procedure raises, e.g. a survey answer under the threshold or a service desk's problem form. The source reference makes it idempotent: the first call registers it (201), a repeat answers only its id (200)."""
    complaint_id, created = desk.open_automatically(
        body.source_ref,
        source=body.source,
        kind=body.kind,
        description=body.description,
        occurred_at=body.occurred_at,
        member_number=body.member_number,
        complainant_name=body.complainant_name,
        phone=body.phone,
        email=body.email,
        unit=body.unit,
        service=body.service,
        confidential=body.confidential,
    )
    if not created:
        # Any service token may knock with any source_ref: a repeat learns the id, never a (confidential) content.
        return JSONResponse({"id": str(complaint_id), "existed": True}, status_code=200)
    return respond(desk, complaint_id)


@internal.post(
    "/deadline-check", response_model=BreachCheck, summary="Record every stage deadline passed now (idempotent)"
)
def check_deadlines(desk: DeskDep, _: Internal) -> Any:
    """For the scheduler: records, once each, every stage deadline of the complaint procedure that has passed as of now, with whom the complaint was waiting on. Calling it again changes nothing."""
    recorded = desk.record_breaches(desk.clock())
    return {"recorded": [{"complaint_id": str(cid), "stage": stage.value} for cid, stage in recorded]}
