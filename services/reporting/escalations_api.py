"""Escalations of repeated non-answer over HTTP: one escalation, its review by the member-relations manager, the
report to the SG and the SG's corrective action (SY-PR-05-00-02)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from services.reporting import access
from services.reporting.oversight import Escalation, EscalationNotFound, Oversight
from shared.as_of import AsOfText, aggregate_as_of, as_of_moment
from shared.organisation import Organisation

router = APIRouter(prefix="/reports", tags=["reports"])


# -- escalations of repeated non-answer: review, report to the SG, corrective action (SY-PR-05-00-02) -----------
class EscalationAcceptance(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"note": "Lunch cover: the unit's only expert was away from 12:00 to 14:00 all week"}]
        },
    )
    note: str = Field(min_length=1, max_length=2000, description="what the review found", examples=["Lunch cover"])


class EscalationDismissal(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"reason": "PBX outage that day: the calls never reached the unit"}]},
    )
    reason: str = Field(
        min_length=1, max_length=2000, description="why no action is needed", examples=["PBX outage that day"]
    )


class EscalationReport(BaseModel):
    """Nothing to fill in: the report carries the escalation and the review note as they stand."""

    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{}]})


class CorrectiveActionDecision(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "title": "Cover the certificates desk's phone over lunch",
                    "description": "Arrange a rota so that a second expert answers the unit's line from 12:00 to 14:00.",
                    "owner": "n.karimi",
                },
                {},
            ]
        },
    )
    title: str | None = Field(default=None, min_length=1, max_length=300, description="what is to be fixed")
    description: str | None = Field(
        default=None,
        min_length=1,
        max_length=4000,
        description="what is to be done and why; the escalated calls are described if omitted",
    )
    owner: str | None = Field(
        default=None, min_length=1, max_length=200, description="who answers for it; the unit's manager if omitted"
    )


class EscalationPublic(BaseModel):
    id: str = Field(description="the escalation's record id")
    unit: str = Field(description="code of the unit escalated for repeatedly leaving calls unanswered")
    raised_at: datetime = Field(description="when the escalation was raised (UTC)")
    call_ids: list[str] = Field(description="record ids of the unanswered calls that led to it")
    status: Literal["raised", "accepted", "dismissed", "reported", "action_requested", "action_opened"] = Field(
        description="its step: raised (awaiting the member-relations manager's review), accepted or dismissed after "
        "review, reported to the SG, action_requested (the SG asked for a corrective action), action_opened (the "
        "actions service opened it)"
    )
    review_note: str | None = Field(description="what the review found, or why it was dismissed")
    reviewed_by: str | None = Field(description="the member-relations manager who reviewed it")
    reported_by: str | None = Field(description="who reported it to the SG")
    corrective_action_id: str | None = Field(
        description="record id of the corrective action in the actions service, once opened"
    )


def get_oversight(request: Request) -> Oversight:
    return request.app.state.oversight


OversightDep = Annotated[Oversight, Depends(get_oversight)]


def _escalation(oversight: Oversight, escalation_id: uuid.UUID, as_of: datetime | None = None) -> dict[str, Any]:
    e = oversight.escalation(escalation_id)
    if as_of is not None:
        then = aggregate_as_of(oversight, e.id, as_of)
        if not isinstance(then, Escalation):
            raise EscalationNotFound(f"the escalation {escalation_id} was not raised yet at {as_of.isoformat()}")
        e = then
    return {
        "id": str(e.id),
        "unit": e.unit,
        "raised_at": e.raised_at,
        "call_ids": e.call_ids,
        "status": e.status,
        "review_note": e.review_note,
        "reviewed_by": e.reviewed_by,
        "reported_by": e.reported_by,
        "corrective_action_id": e.corrective_action_id,
    }


@router.get(
    "/escalations/{escalation_id}",
    response_model=EscalationPublic,
    summary="One escalation and its step; as it stood at a past moment with `as_of`",
)
def get_escalation(
    request: Request,
    oversight: OversightDep,
    principal: access.EscalationUnitReader,
    escalation_id: uuid.UUID,
    as_of: AsOfText = None,
) -> Any:
    """One escalation of repeated non-answer, with the step it has reached under SY-PR-05-00-02. The
    member-relations manager, the SG, auditors and admins see any; a unit manager sees the unit's own. With
    `as_of`, the step it had reached then (404 when it was not raised yet)."""
    calendar = request.app.state.settings.business_calendar
    when = as_of_moment(as_of, calendar, request.app.state.clock())
    found = _escalation(oversight, escalation_id, when)
    access.check_unit(principal, request.app.state.settings.organisation.member_relations_unit, found["unit"])
    return found


@router.post(
    "/escalations/{escalation_id}/accept",
    response_model=EscalationPublic,
    summary="The member-relations manager accepts the escalation after review, with a note",
)
def accept_escalation(
    request: Request,
    oversight: OversightDep,
    principal: access.EscalationReviewer,
    escalation_id: uuid.UUID,
    body: EscalationAcceptance,
) -> Any:
    """The member-relations manager reviews a raised escalation and finds it warranted, noting what the review
    found; it can then be reported to the SG."""
    oversight.accept_escalation(escalation_id, note=body.note, by=principal.name, at=request.app.state.clock())
    return _escalation(oversight, escalation_id)


@router.post(
    "/escalations/{escalation_id}/dismiss",
    response_model=EscalationPublic,
    summary="The member-relations manager dismisses the escalation after review, with the reason: it is closed",
)
def dismiss_escalation(
    request: Request,
    oversight: OversightDep,
    principal: access.EscalationReviewer,
    escalation_id: uuid.UUID,
    body: EscalationDismissal,
) -> Any:
    """The member-relations manager reviews a raised escalation and finds no action needed (for instance a
    telephone outage), giving the reason; the escalation is closed."""
    oversight.dismiss_escalation(escalation_id, reason=body.reason, by=principal.name, at=request.app.state.clock())
    return _escalation(oversight, escalation_id)


@router.post(
    "/escalations/{escalation_id}/report",
    response_model=EscalationPublic,
    summary="The member-relations manager reports an accepted escalation to the SG",
)
def report_escalation(
    request: Request,
    oversight: OversightDep,
    principal: access.EscalationReviewer,
    escalation_id: uuid.UUID,
    body: EscalationReport | None = None,
) -> Any:
    """The member-relations manager reports an accepted escalation to the SG, who decides on a corrective
    action. The body may be left out."""
    oversight.report_escalation(escalation_id, by=principal.name, at=request.app.state.clock())
    return _escalation(oversight, escalation_id)


@router.post(
    "/escalations/{escalation_id}/corrective-action",
    status_code=202,
    response_model=EscalationPublic,
    summary="The SG opens the corrective action for a reported escalation; the actions service opens it shortly "
    "(source_ref escalation:<id>) and its id then shows here",
)
def open_corrective_action(
    request: Request,
    oversight: OversightDep,
    principal: access.CorrectiveActionOpener,
    escalation_id: uuid.UUID,
    body: CorrectiveActionDecision,
) -> Any:
    """The SG decides on a corrective action for a reported escalation. The request is recorded at once and the
    actions service opens the action shortly after (keyed escalation:<id>, so it is opened once); its id then
    shows on the escalation. Title, description and owner default to the unit, its calls and its manager."""
    organisation: Organisation = request.app.state.settings.organisation
    unit = oversight.escalation(escalation_id).unit
    owner = body.owner or next((u.manager or None for u in organisation.units if u.id == unit), None)
    oversight.request_corrective_action(
        escalation_id,
        title=body.title,
        description=body.description,
        owner=owner,
        by=principal.name,
        at=request.app.state.clock(),
    )
    return _escalation(oversight, escalation_id)
