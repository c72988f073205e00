"""Who may do what to which complaint (docs/procedures.md#complaint-confidentiality, ISO 10002's confidentiality principle).

Roles follow the procedure: member-relations experts register and acknowledge, the member-relations manager
reviews, refers, notifies and closes; the SG assigns and decides; the handler files the investigation; members of a
complaint's committee record its decision; a corrective action is marked done by its owner or those who oversee it;
auditors read everything and change nothing; other services open complaints only through the internal door.

Who may know a complaint exists: the member-relations manager, the SG and auditors see every complaint (the roles
shared/auth.CONFIDENTIAL_READERS names for every service); the people involved see theirs; member-relations experts
and operators see the others unless they are confidential. A complaint the caller may not know is 404, never 403.

The rules are pure functions of the principal and the complaint's facts; the dependencies at the end apply them to
a request, so handlers never decide access themselves. The index applies `may_see` in SQL (index._visible).
"""

# No `from __future__ import annotations` here: _seeing's dependency names its gate in an annotation, which FastAPI
# must see as an object, not as a string it would resolve in the module's globals.
import uuid
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import Depends, Request

from services.complaints.application import ComplaintDesk, ComplaintNotFound
from services.complaints.domain import Complaint, HandlerKind
from shared.auth import CONFIDENTIAL_READERS, READERS, STAFF, Principal, Role, forbid, require

SEE_ALL = CONFIDENTIAL_READERS


# -- the rules -----------------------------------------------------------------------------------------------------
def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b and a.strip().casefold() == b.strip().casefold())


def is_involved(principal: Principal, view: Mapping[str, Any]) -> bool:
    """The principal has a part in this complaint: its handler (the person, or staff of the handling unit), a
    member of one of its committees, the SG's representative following it up, or the expert who registered it."""
    handler = view.get("handler") or {}
    if handler.get("kind") == HandlerKind.PERSON and _same(handler.get("name"), principal.name):
        return True
    if (
        handler.get("kind") == HandlerKind.UNIT
        and principal.role in (Role.UNIT_MANAGER, Role.EXPERT)
        and _same(handler.get("name"), principal.unit)
    ):
        return True
    if any(_same(m, principal.name) for m in view.get("committee_members") or []):
        return True
    if _same(view.get("follow_up_by"), principal.name):  # follows it up for the SG
        return True
    return _same(view.get("registered_by"), principal.name)


def may_see(principal: Principal, view: Mapping[str, Any], member_relations_unit: str) -> bool:
    """The member-relations manager, the SG and auditors see every complaint; the people involved see theirs.
    Member-relations experts and operators see the others unless they are confidential; a confidential complaint
    is hidden from everybody else."""
    if principal.role in SEE_ALL or is_involved(principal, view):
        return True
    if view.get("confidential"):
        return False
    if principal.role == Role.ADMIN:
        return True
    return principal.role == Role.EXPERT and principal.unit == member_relations_unit


def speaks_for_member_relations(principal: Principal, member_relations_unit: str) -> bool:
    """Registering and acknowledging are member relations' work: its manager and its own experts, not a unit's."""
    return principal.role == Role.MR_MANAGER or (
        principal.role == Role.EXPERT and principal.unit == member_relations_unit
    )


def may_file_investigation(principal: Principal, handler_kind: str | None, handler: str | None) -> bool:
    """Only the assigned handler: the person, or for a unit its manager."""
    if handler_kind == HandlerKind.PERSON:
        return _same(handler, principal.name)
    if handler_kind == HandlerKind.UNIT:
        return principal.role == Role.UNIT_MANAGER and _same(handler, principal.unit)
    return False


def may_record_committee_decision(principal: Principal, members: Sequence[str]) -> bool:
    """The SG, the member-relations manager who arranged the meeting, or one of its members (the assistant who
    keeps the minutes is one), whatever their role."""
    return principal.role in (Role.SG, Role.MR_MANAGER) or any(_same(principal.name, m) for m in members)


def may_complete_action(principal: Principal, owner: str | None, committee_member: bool) -> bool:
    """The action's owner (a person, or the manager of the owning unit), the SG, the member-relations manager or a
    member of the complaint's committee."""
    return (
        principal.role in (Role.SG, Role.MR_MANAGER)
        or committee_member
        or principal.name == owner
        or (principal.role == Role.UNIT_MANAGER and principal.unit == owner)
    )


# -- the dependencies ----------------------------------------------------------------------------------------------
async def _desk(request: Request) -> ComplaintDesk:  # async: no thread hop for an attribute
    return request.app.state.desk


Desk = Annotated[ComplaintDesk, Depends(_desk)]

# One gate per role set, made once, so that FastAPI checks a token once per request however many dependencies use it.
_viewer = require(*READERS, Role.COMMITTEE)
_mr_or_expert = require(Role.EXPERT, Role.MR_MANAGER)
_mr_manager = require(Role.MR_MANAGER)
_sg = require(Role.SG)
_reviewer = require(Role.MR_MANAGER, Role.SG)
_staff = require(*STAFF)
_committee_recorder = require(*STAFF, Role.COMMITTEE)
_action_keeper = require(*STAFF, Role.COMMITTEE)
_historian = require(Role.AUDITOR, Role.MR_MANAGER, Role.SG)
_internal = require(Role.SERVICE, Role.ADMIN)
_eraser = require(Role.ADMIN)  # erasing a person's data for good is the operator's, on a request the chamber accepted


def visible(desk: ComplaintDesk, principal: Principal, complaint_id: uuid.UUID) -> Complaint:
    """The complaint, if the principal may know it exists; 404 otherwise (never 403: that would tell)."""
    complaint = desk.get_complaint(complaint_id)
    if not may_see(principal, desk.summary(complaint), desk.organisation.member_relations_unit):
        raise ComplaintNotFound(f"no complaint with id {complaint_id}")
    return complaint


def _seeing(gate):
    """The role gate, then: the complaint of the path must be one the principal may know exists."""

    def dependency(principal: Annotated[Principal, Depends(gate)], desk: Desk, complaint_id: uuid.UUID) -> Principal:
        visible(desk, principal, complaint_id)
        return principal

    return dependency


def registrar(principal: Annotated[Principal, Depends(_mr_or_expert)], desk: Desk) -> Principal:
    if not speaks_for_member_relations(principal, desk.organisation.member_relations_unit):
        raise forbid(
            "member-relations experts register complaints; a unit passes a member's complaint to member relations"
        )
    return principal


def acknowledger(principal: Annotated[Principal, Depends(_mr_or_expert)], desk: Desk, complaint_id: uuid.UUID):
    visible(desk, principal, complaint_id)
    if not speaks_for_member_relations(principal, desk.organisation.member_relations_unit):
        raise forbid("member relations acknowledges complaints to the member")
    return principal


def investigator(principal: Annotated[Principal, Depends(_staff)], desk: Desk, complaint_id: uuid.UUID) -> Principal:
    complaint = visible(desk, principal, complaint_id)
    if not may_file_investigation(principal, complaint.handler_kind, complaint.handler):
        raise forbid("only the assigned handler (for a unit, its manager) files the investigation report")
    return principal


def committee_recorder(
    principal: Annotated[Principal, Depends(_committee_recorder)], desk: Desk, complaint_id: uuid.UUID
) -> Principal:
    complaint = visible(desk, principal, complaint_id)
    committee = complaint.committee or {}
    if not may_record_committee_decision(principal, [*committee.get("members", []), *committee.get("sg_members", [])]):
        raise forbid("only a member of this complaint's committee records its decision")
    return principal


def action_keeper(
    principal: Annotated[Principal, Depends(_action_keeper)], desk: Desk, complaint_id: uuid.UUID, action_id: str
) -> Principal:
    complaint = visible(desk, principal, complaint_id)
    owner = complaint.corrective_action(action_id)["owner"]
    if not may_complete_action(principal, owner, complaint.is_committee_member(principal.name)):
        raise forbid(
            f"corrective action {action_id} is {owner}'s; its owner, the SG or the member-relations manager marks it done"
        )
    return principal


Viewer = Annotated[Principal, Depends(_viewer)]
WaitingOnMe = Annotated[Principal, Depends(_action_keeper)]
Registrar = Annotated[Principal, Depends(registrar)]
Internal = Annotated[Principal, Depends(_internal)]
Eraser = Annotated[Principal, Depends(_eraser)]
# On a complaint of the path: the role, and that the principal may know the complaint exists.
ViewerOf = Annotated[Principal, Depends(_seeing(_viewer))]
HistorianOf = Annotated[Principal, Depends(_seeing(_historian))]
MrManagerOf = Annotated[Principal, Depends(_seeing(_mr_manager))]
ReviewerOf = Annotated[Principal, Depends(_seeing(_reviewer))]
SecretaryGeneralOf = Annotated[Principal, Depends(_seeing(_sg))]
StaffOf = Annotated[Principal, Depends(_seeing(_staff))]
Acknowledger = Annotated[Principal, Depends(acknowledger)]
Investigator = Annotated[Principal, Depends(investigator)]
CommitteeRecorder = Annotated[Principal, Depends(committee_recorder)]
ActionKeeper = Annotated[Principal, Depends(action_keeper)]
