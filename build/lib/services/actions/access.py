"""Who may do what with corrective actions: pure rules over a principal and an action's record, and the FastAPI
dependencies that apply them.

The SG and the member-relations manager open and assign actions and see them all; the owner records progress and
marks the action done; the owner's manager (the manager of the action's unit, or the SG) confirms it effective or
finds it not effective; the SG alone cancels; the auditor reads everything and changes nothing; another CRM service
(role `service`) only opens actions through the internal door, keyed by its source reference.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from shared.auth import Principal, Role, require

SEE_ALL = frozenset({Role.SG, Role.MR_MANAGER, Role.AUDITOR})
COORDINATORS = (Role.SG, Role.MR_MANAGER)
READERS = (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.AUDITOR)
STAFF = (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG)

Action = Mapping[str, Any]


# -- rules (pure) ----------------------------------------------------------------------------------------------
def sees_all(p: Principal) -> bool:
    return p.role in SEE_ALL


def is_owner(p: Principal, action: Action) -> bool:
    return p.role in STAFF and action.get("owner") is not None and action["owner"] == p.name


def manages_unit_of(p: Principal, action: Action) -> bool:
    return p.role == Role.UNIT_MANAGER and bool(p.unit) and p.unit == action.get("unit")


def may_see(p: Principal, action: Action) -> bool:
    return sees_all(p) or manages_unit_of(p, action) or is_owner(p, action)


def may_coordinate(p: Principal) -> bool:
    """Open an action by hand and assign (or hand over) one."""
    return p.role in COORDINATORS


def may_work_on(p: Principal, action: Action) -> bool:
    """Record progress and mark done: the owner only, who answers for the action."""
    return is_owner(p, action)


def may_judge_effectiveness(p: Principal, action: Action) -> bool:
    """Confirm effective or reopen: the owner's manager, never the owner judging his or her own work."""
    if action.get("owner") == p.name:
        return False
    return p.role == Role.SG or manages_unit_of(p, action)


def may_cancel(p: Principal) -> bool:
    return p.role == Role.SG


def visibility(p: Principal) -> dict[str, str] | None:
    """What a list shows the principal: None for everything, otherwise the unit managed and/or the owner name
    (an action matching either is shown)."""
    if sees_all(p):
        return None
    scope = {"owner": p.name}
    if p.role == Role.UNIT_MANAGER and p.unit:
        scope["unit"] = p.unit
    return scope


# -- FastAPI dependencies --------------------------------------------------------------------------------------
Reader = Annotated[Principal, Depends(require(*READERS))]
Coordinator = Annotated[Principal, Depends(require(*COORDINATORS))]
Staff = Annotated[Principal, Depends(require(*STAFF))]
SecretaryGeneral = Annotated[Principal, Depends(require(Role.SG))]
Internal = Annotated[Principal, Depends(require(Role.SERVICE))]


def _action_rule(rule: Callable[[Principal, Action], bool], refusal: str, roles: tuple[Role, ...]):
    """A dependency that loads the action of the path (404 if unknown) and lets the principal through only when
    the rule allows it (403 saying why)."""

    # A default rather than an Annotated hint: annotations are strings here, resolved in the module's globals,
    # where `roles` does not exist.
    def check(request: Request, action_id: uuid.UUID, principal: Principal = Depends(require(*roles))) -> Principal:  # noqa: B008
        record = request.app.state.register.record(action_id)
        if not rule(principal, record):
            raise HTTPException(403, refusal.format(name=principal.name, **record))
        return principal

    return check


ActionReader = Annotated[
    Principal,
    Depends(
        _action_rule(may_see, "{name} sees only the actions he or she owns or whose unit he or she manages", READERS)
    ),
]
Owner = Annotated[
    Principal,
    Depends(_action_rule(may_work_on, "only the owner ({owner}) records progress and marks the action done", STAFF)),
]
OwnersManager = Annotated[
    Principal,
    Depends(
        _action_rule(
            may_judge_effectiveness,
            "only the manager of unit {unit} or the SG judges whether the action was effective",
            (Role.UNIT_MANAGER, Role.SG),
        )
    ),
]
