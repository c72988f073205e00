"""Receipt and review, the first steps of the complaint procedure: registration by staff, the acknowledgement to
the member, information added, stakeholders, the initial assessment (ISO 10002), the review marked complete and the
referral to the SG."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.complaints import access
from services.complaints.deps import DeskDep, respond
from services.complaints.schemas import (
    Acknowledgement,
    AssessmentIn,
    ComplaintCreate,
    ComplaintPublic,
    InformationAdd,
    Note,
    StakeholdersRecord,
)
from shared.problems import InvalidInput

router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.post(
    "",
    status_code=201,
    response_model=ComplaintPublic,
    summary="Register a complaint received in person or by phone (form ME-FR-01-01-01)",
)
def register_complaint(desk: DeskDep, principal: access.Registrar, body: ComplaintCreate) -> Any:
    """Registers a complaint, criticism, suggestion or reported problem received at the chamber's counter or by telephone, on form ME-FR-01-01-01. The answer carries the tracking reference to give the complainant; the deadline for acknowledging receipt starts now."""
    complaint_id = desk.register_complaint(
        channel=body.channel,
        kind=body.kind,
        description=body.description,
        by=principal.name,
        occurred_at=body.occurred_at,
        member_number=body.member_number,
        complainant_name=body.complainant_name,
        phone=body.phone,
        email=body.email,
        unit=body.unit,
        service=body.service,
        stakeholders=body.stakeholders.model_dump() if body.stakeholders else None,
        confidential=body.confidential,
        call_id=body.call_id,
    )
    return respond(desk, complaint_id)


@router.post("/{complaint_id}/acknowledge", response_model=ComplaintPublic, summary="Acknowledge receipt to the member")
def acknowledge_complaint(
    desk: DeskDep, principal: access.Acknowledger, complaint_id: uuid.UUID, body: Acknowledgement
) -> Any:
    """Records that the complainant was told the complaint was received, and how (telephone, SMS, e-mail, letter, in person). The complaint then goes to the member-relations manager for review."""
    desk.acknowledge_complaint(complaint_id, by=principal.name, method=body.method, note=body.note)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/information",
    response_model=ComplaintPublic,
    summary="The member-relations manager adds missing information",
)
def add_information(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: InformationAdd) -> Any:
    """During the review the member-relations manager completes or corrects what the form lacks, e.g. the unit concerned after a follow-up call. Only the fields sent change."""
    changes = body.model_dump(exclude_unset=True)
    note = changes.pop("note", None)
    if "kind" in changes and changes["kind"] is None:
        raise InvalidInput("kind cannot be cleared")
    desk.add_information(complaint_id, by=principal.name, changes=changes, note=note)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/stakeholders",
    response_model=ComplaintPublic,
    summary="Record the stakeholders, or declare none (before the review is complete and the handler assigned)",
)
def record_stakeholders(
    desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: StakeholdersRecord
) -> Any:
    """Records the units and persons the complaint concerns and who took part in the matter; they cannot be assigned to handle it."""
    desk.record_stakeholders(
        complaint_id,
        by=principal.name,
        units=body.units,
        persons=body.persons,
        participants=body.participants,
        complainant=body.complainant,
        none=body.none,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/assessment",
    response_model=ComplaintPublic,
    summary="The initial assessment (ISO 10002): severity, urgency, complexity, immediate action; gives the priority",
)
def assess_complaint(desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: AssessmentIn) -> Any:
    """During the review the member-relations manager assesses the complaint as ISO 10002 asks: how severe, how
    urgent and how complex it is, and whether something must be done at once. The assessment gives the
    complaint its priority, which orders the cartables."""
    desk.assess_complaint(
        complaint_id,
        severity=body.severity,
        urgency=body.urgency,
        complexity=body.complexity,
        immediate_action=body.immediate_action,
        note=body.note,
        by=principal.name,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/review-complete",
    response_model=ComplaintPublic,
    summary="Mark the review complete (the form has everything)",
)
def complete_review(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID) -> Any:
    """The member-relations manager marks the review complete: the form has what the SG needs to decide who handles it."""
    desk.complete_review(complaint_id, by=principal.name)
    return respond(desk, complaint_id)


@router.post("/{complaint_id}/refer", response_model=ComplaintPublic, summary="Refer the reviewed complaint to the SG")
def refer_complaint(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Note | None = None
) -> Any:
    """Sends the reviewed complaint to the Secretary General, who assigns a handler."""
    desk.refer_complaint(complaint_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)
