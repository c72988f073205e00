"""Who may do what with service desks: member services run them, its manager approves the planning form, the SG
and the president follow them, the auditor reads everything and changes nothing; another CRM service (role
`service`) only triggers the deadline check."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from shared.auth import Principal, Role, require

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
