"""Who may do what with service desks and specialised sessions: member services run desks, its manager approves
the planning form; member relations (the member communication centre) run sessions, whose programme the SG approves
and the president ratifies; a decision's owner marks it done; the SG and the president follow everything, the
auditor reads everything and changes nothing; another CRM service (role `service`) only triggers the deadline
check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException

from shared.auth import STAFF, Principal, Role, require

# Member services: the expert plans and runs a desk; the manager can stand in for the expert.
RUNNERS = (Role.MS_EXPERT, Role.MS_MANAGER)
APPROVERS = (Role.MS_MANAGER,)
READERS = (*RUNNERS, Role.SG, Role.PRESIDENT, Role.AUDITOR)


def may_run(p: Principal) -> bool:
    return p.role in RUNNERS


def may_approve_plan(p: Principal) -> bool:
    """The registrants planning form MM-FR-01-05-01 is approved by the member-services manager only."""
    return p.role in APPROVERS


def may_read(p: Principal) -> bool:
    return p.role in READERS


Reader = Annotated[Principal, Depends(require(*READERS))]
Runner = Annotated[Principal, Depends(require(*RUNNERS))]
Approver = Annotated[Principal, Depends(require(*APPROVERS))]
Internal = Annotated[Principal, Depends(require(Role.SERVICE))]
# Erasing a registrant's data for good is the operator's, on a request the chamber accepted (as a member's).
Eraser = Annotated[Principal, Depends(require(Role.ADMIN))]


# -- specialised sessions ---------------------------------------------------------------------------------------
MEMBER_RELATIONS_UNIT = "member_relations"
SESSION_READERS = (Role.EXPERT, Role.MR_MANAGER, Role.SG, Role.PRESIDENT, Role.AUDITOR)


def may_run_sessions(p: Principal) -> bool:
    """The member communication centre: its manager, and its own experts (not every unit's)."""
    return p.role == Role.MR_MANAGER or (p.role == Role.EXPERT and p.unit == MEMBER_RELATIONS_UNIT)


def _session_runner(principal: Annotated[Principal, Depends(require(Role.EXPERT, Role.MR_MANAGER))]) -> Principal:
    if not may_run_sessions(principal):
        raise HTTPException(403, "specialised sessions are run by member relations")
    return principal


SessionReader = Annotated[Principal, Depends(require(*SESSION_READERS))]
SessionRunner = Annotated[Principal, Depends(_session_runner)]
SecretaryGeneral = Annotated[Principal, Depends(require(Role.SG))]
President = Annotated[Principal, Depends(require(Role.PRESIDENT))]
# Whoever owns a decision marks it done: staff of any unit, checked against the decision itself in the handler.
DecisionStaff = Annotated[Principal, Depends(require(*STAFF, Role.MS_EXPERT, Role.MS_MANAGER))]


def may_complete_decision(p: Principal, owner: str) -> bool:
    return p.name == owner or may_run_sessions(p)
