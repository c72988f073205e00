"""From the SG's assignment to closing: the handler (conflict-of-interest rule), the investigation report, the SG's
decision, the committee with its corrective actions, the notification of the member, closing, satisfaction,
reopening, and confidentiality at any step."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter

from services.complaints import access
from services.complaints.deps import DeskDep, respond
from services.complaints.schemas import (
    Assignment,
    CommitteeConvening,
    CommitteeDecisionIn,
    ComplaintPublic,
    ConfidentialityIn,
    DecisionIn,
    InvestigationReport,
    Note,
    NotificationIn,
    Reason,
    Reopening,
    SatisfactionIn,
)
from shared.auth import Role

router = APIRouter(prefix="/complaints", tags=["complaints"])


@router.post(
    "/{complaint_id}/assign",
    response_model=ComplaintPublic,
    summary="The SG assigns a handler who is no stakeholder (409 with the reasons otherwise, kept for the audit)",
)
def assign_handler(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: Assignment
) -> Any:
    """The Secretary General names a person or a unit to investigate. A stakeholder of the complaint cannot handle it: the answer is then 409 with the reasons, and the refusal is kept for the audit."""
    desk.assign_handler(complaint_id, handler_kind=body.handler_kind, handler=body.handler, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/investigation",
    response_model=ComplaintPublic,
    summary="The handler files the investigation report",
)
def file_investigation(
    desk: DeskDep, principal: access.Investigator, complaint_id: uuid.UUID, body: InvestigationReport
) -> Any:
    """The handler reports the circumstances, the root causes, the consequences and what was already done; the report goes to the SG for a decision."""
    desk.file_investigation(
        complaint_id,
        by=principal.name,
        by_unit=principal.unit if principal.role == Role.UNIT_MANAGER else None,
        circumstances=body.circumstances,
        root_causes=body.root_causes,
        consequences=body.consequences,
        actions_taken=body.actions_taken,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/decision", response_model=ComplaintPublic, summary="The SG accepts or rejects the complaint"
)
def decide_complaint(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: DecisionIn
) -> Any:
    """The Secretary General accepts the complaint as founded or rejects it (a reason is required to reject). An accepted complaint then goes to the committee or is settled without it."""
    desk.decide_complaint(
        complaint_id, decision=body.decision, reason=body.reason, follow_up_by=body.follow_up_by, by=principal.name
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee",
    response_model=ComplaintPublic,
    summary="The member-relations manager (or the SG) arranges the committee's meeting (accepted complaints)",
)
def convene_committee(
    desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: CommitteeConvening
) -> Any:
    """The Secretary General convenes the complaint committee for an accepted complaint: its standing members and any added for this case, with the subject and meeting time."""
    desk.convene_committee(
        complaint_id,
        subject=body.subject,
        variable_members=body.variable_members,
        meeting_at=body.meeting_at,
        sg_representative=body.sg_representative,
        by=principal.name,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee/not-needed",
    response_model=ComplaintPublic,
    summary="The SG accepts without convening the committee",
)
def forgo_committee(
    desk: DeskDep, principal: access.SecretaryGeneralOf, complaint_id: uuid.UUID, body: Reason | None = None
) -> Any:
    """The Secretary General settles an accepted complaint without convening the committee, giving the reason."""
    desk.forgo_committee(complaint_id, reason=body.reason if body else None, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/committee/decision",
    response_model=ComplaintPublic,
    summary="The committee's minutes: attendees (a quorum), accept/reject/settle, corrective actions (the SG, the member-relations manager or a member of this committee)",
)
def record_committee_decision(
    desk: DeskDep, principal: access.CommitteeRecorder, complaint_id: uuid.UUID, body: CommitteeDecisionIn
) -> Any:
    """Minutes the committee's meeting: who attended, the decision (accept, reject or settle), the reasons and any corrective actions with owner and due date. The SG or a member of this committee may record it."""
    desk.record_committee_decision(
        complaint_id,
        attendees=body.attendees,
        decision=body.decision,
        reasoning=body.reasoning,
        corrective_actions=[a.model_dump() for a in body.corrective_actions],
        held_at=body.held_at,
        minutes=body.minutes,
        by=principal.name,
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/corrective-actions/{action_id}/done",
    response_model=ComplaintPublic,
    summary="A corrective action is done (its owner, the SG, the member-relations manager or a committee member)",
)
def complete_corrective_action(
    desk: DeskDep, principal: access.ActionKeeper, complaint_id: uuid.UUID, action_id: str, body: Note | None = None
) -> Any:
    """Records a corrective action the committee decided as done, with an optional note on what was done."""
    desk.complete_corrective_action(complaint_id, action_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/notify",
    response_model=ComplaintPublic,
    summary="The member-relations manager tells the member the result",
)
def notify_member(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: NotificationIn) -> Any:
    """The member-relations manager records what the complainant was told of the result; closing is possible once this is done."""
    desk.notify_member(complaint_id, method=body.method, message=body.message, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/close", response_model=ComplaintPublic, summary="Close the complaint (after the member was told)"
)
def close_complaint(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Note | None = None
) -> Any:
    """Closes the complaint after the complainant was told the result; the satisfaction question follows."""
    desk.close_complaint(complaint_id, by=principal.name, note=body.note if body else None)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/satisfaction",
    response_model=ComplaintPublic,
    summary="The member's satisfaction with the handling (1-5, or satisfied or not)",
)
def record_satisfaction(
    desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: SatisfactionIn
) -> Any:
    """Records how satisfied the complainant is with the handling: a score from 1 to 5, a yes or no, or both, with their own words."""
    desk.record_satisfaction(
        complaint_id, by=principal.name, score=body.score, satisfied=body.satisfied, comment=body.comment
    )
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/reopen",
    response_model=ComplaintPublic,
    summary="Reopen a closed complaint whose member is not satisfied",
)
def reopen_complaint(desk: DeskDep, principal: access.MrManagerOf, complaint_id: uuid.UUID, body: Reopening) -> Any:
    """Reopens a closed complaint whose complainant is not satisfied; a new round starts with its own deadlines."""
    desk.reopen_complaint(complaint_id, reason=body.reason, by=principal.name)
    return respond(desk, complaint_id)


@router.post(
    "/{complaint_id}/confidentiality",
    response_model=ComplaintPublic,
    summary="Mark the complaint confidential, or lift it",
)
def set_confidentiality(
    desk: DeskDep, principal: access.ReviewerOf, complaint_id: uuid.UUID, body: ConfidentialityIn
) -> Any:
    """Hides the complainant's identity from staff not entitled to it, or shows it again; the reason is kept."""
    desk.set_confidentiality(complaint_id, confidential=body.confidential, reason=body.reason, by=principal.name)
    return respond(desk, complaint_id)
