"""HTTP API of the specialised sessions: programme, invitees, approvals, attendance, minutes SE-FR-02-01-01,
problems about the chamber's services (complaints) and decisions followed until done."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Response

from services.desks.access import (
    DecisionStaff,
    President,
    SecretaryGeneral,
    SessionReader,
    SessionRunner,
    may_complete_decision,
)
from services.desks.api import IndexDep, OfficeDep
from services.desks.schemas import Note
from services.desks.session_schemas import (
    DecisionDone,
    Invitations,
    InviteeSelection,
    SessionAttendance,
    SessionDecision,
    SessionMinutes,
    SessionPlan,
    SessionProblem,
)
from shared.paging import Limit, Offset, paged

sessions = APIRouter(prefix="/sessions", tags=["sessions"])
Number = Annotated[str, Path(pattern=r"^[0-9]{1,4}$", description="the decision's number in the session")]


@sessions.post("", status_code=201, summary="Plan a trade group's specialised session with its topics")
def plan_session(office: OfficeDep, principal: SessionRunner, body: SessionPlan) -> Any:
    """Member relations plans a specialised session of a trade group with the topics to discuss."""
    return office.session_record(office.plan_session(**body.model_dump(), by=principal.name))


@sessions.get("", summary="Sessions by date, filtered by trade group")
def list_sessions(
    office: OfficeDep,
    index: IndexDep,
    _: SessionReader,
    response: Response,
    trade_group: str | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Specialised sessions in order of their day; filter by trade group."""
    rows, total = index.session_summaries(trade_group, office.clock(), limit=limit, offset=offset)
    return paged(response, rows, total)


@sessions.get("/{session_id}", summary="A session with its programme, lists, problems and decisions")
def get_session(office: OfficeDep, _: SessionReader, session_id: uuid.UUID) -> Any:
    """The whole record of a session: programme, invitees, attendance, problems raised, minutes SE-FR-02-01-01 and decisions."""
    return office.session_record(session_id)


@sessions.get("/{session_id}/history", summary="Every event of the session as published, oldest first")
def session_history(office: OfficeDep, _: SessionReader, session_id: uuid.UUID) -> Any:
    """Every event of the session as published to other services, oldest first, for audit."""
    return office.event_history(office.get_session(session_id).id)


@sessions.post("/{session_id}/invitees", summary="The invitees from a saved member selection, frozen as taken")
def select_invitees(office: OfficeDep, principal: SessionRunner, session_id: uuid.UUID, body: InviteeSelection) -> Any:
    """Takes the invitees from a saved selection of the member database; the list is frozen as taken, so later changes to members do not change it."""
    office.select_invitees(
        session_id,
        selection_id=body.selection_id,
        criteria=body.criteria,
        invitees=[i.model_dump() for i in body.invitees],
        by=principal.name,
    )
    return office.session_record(session_id)


@sessions.post("/{session_id}/approve", summary="The SG approves the programme (topics, invitees)")
def approve(office: OfficeDep, principal: SecretaryGeneral, session_id: uuid.UUID, body: Note | None = None) -> Any:
    """The secretary-general approves the session's programme: topics and invitees."""
    office.approve_session_by_sg(session_id, note=body.note if body else None, by=principal.name)
    return office.session_record(session_id)


@sessions.post("/{session_id}/ratify", summary="The president ratifies the programme the SG approved")
def ratify(office: OfficeDep, principal: President, session_id: uuid.UUID, body: Note | None = None) -> Any:
    """The president ratifies the programme the secretary-general approved; invitations may go out from here."""
    office.ratify_session(session_id, note=body.note if body else None, by=principal.name)
    return office.session_record(session_id)


@sessions.post("/{session_id}/invitations", summary="Record the invitations sent (after ratification)")
def invitations(office: OfficeDep, principal: SessionRunner, session_id: uuid.UUID, body: Invitations) -> Any:
    """Records the day the invitations went out, after ratification."""
    office.record_invitations(session_id, on=body.on, by=principal.name)
    return office.session_record(session_id)


@sessions.post("/{session_id}/attendance", summary="Record which invitees came")
def attendance(office: OfficeDep, principal: SessionRunner, session_id: uuid.UUID, body: SessionAttendance) -> Any:
    """Records which invitees came to the session, by member id."""
    office.record_session_attendance(session_id, attended=body.attended, by=principal.name)
    return office.session_record(session_id)


@sessions.post(
    "/{session_id}/problems",
    status_code=201,
    summary="Record a problem raised; one about the chamber's own services opens a complaint",
)
def raise_problem(office: OfficeDep, principal: SessionRunner, session_id: uuid.UUID, body: SessionProblem) -> Any:
    """Records a problem a member raised at the session; one about the chamber's own services opens a complaint."""
    number = office.raise_session_problem(session_id, **body.model_dump(), by=principal.name)
    return next(p for p in office.session_record(session_id)["problems"] if p["number"] == number)


@sessions.post("/{session_id}/minutes", summary="Archive minutes SE-FR-02-01-01 with the invitee and attendance lists")
def archive_minutes(office: OfficeDep, principal: SessionRunner, session_id: uuid.UUID, body: SessionMinutes) -> Any:
    """Archives the session's minutes SE-FR-02-01-01 together with the invitee and attendance lists."""
    office.archive_session_minutes(session_id, summary=body.summary, by=principal.name)
    return office.session_record(session_id)


@sessions.post("/{session_id}/decisions", status_code=201, summary="Record a decision with its owner and due date")
def take_decision(office: OfficeDep, principal: SessionRunner, session_id: uuid.UUID, body: SessionDecision) -> Any:
    """Records a decision of the session with the staff member who carries it out and its due working day."""
    number = office.take_session_decision(session_id, **body.model_dump(), by=principal.name)
    return next(d for d in office.session_record(session_id)["decisions"] if d["number"] == number)


@sessions.post(
    "/{session_id}/decisions/{number}/done", summary="The decision's owner (or member relations) marks it done"
)
def complete_decision(
    office: OfficeDep, principal: DecisionStaff, session_id: uuid.UUID, number: Number, body: DecisionDone
) -> Any:
    """The decision's owner, or member relations, marks it done with a note of what was done."""
    owner = office.get_session(session_id).decision(number)["owner"]
    if not may_complete_decision(principal, owner):
        raise HTTPException(403, f"only the decision's owner ({owner}) or member relations marks it done")
    office.complete_session_decision(session_id, number, note=body.note, by=principal.name)
    return office.session_record(session_id)
