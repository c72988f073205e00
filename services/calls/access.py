"""Who may do what to which call, scoped by the caller's unit and person as the procedure assigns it (docs/procedures.md#calls).

The telephone system only ingests. Member relations (its experts and the member-relations manager), the SG,
auditors and operators see every call; member relations takes the subject down, makes the second attempt and
registers the call unanswered. A unit's manager sees and works on the unit's calls; a unit's expert sees the
unit's calls and his or her own queue, and records only his or her own answers and callbacks.

The rules are pure functions of the principal, the organisation and the call's facts; the dependencies at the end
apply them to a request, so handlers never decide access themselves.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Query, Request

from services.calls.application import CallCentre
from services.calls.domain import Call
from shared.auth import READERS, Principal, Role, forbid, require
from shared.organisation import Organisation

TELEPHONY = (Role.TELEPHONY, Role.ADMIN)
STAFF = (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.ADMIN)
# Roles that may take a member-relations step at all; an expert must also belong to member relations.
MEMBER_RELATIONS = (Role.EXPERT, Role.MR_MANAGER, Role.ADMIN)
CALLBACK = (Role.UNIT_MANAGER, Role.EXPERT, Role.MR_MANAGER)
REJECTIONS = (Role.ADMIN, Role.AUDITOR, Role.MR_MANAGER)
OWN_QUEUE = (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER)
# Roles whose sight is limited to their unit (unless the unit is member relations).
UNIT_BOUND = (Role.EXPERT, Role.UNIT_MANAGER)


# -- the rules -----------------------------------------------------------------------------------------------------
def is_member_relations(principal: Principal, organisation: Organisation) -> bool:
    """Member relations' own staff: the manager and the experts (and any manager) of the member-relations unit."""
    return principal.role == Role.MR_MANAGER or (
        principal.role in UNIT_BOUND and principal.unit == organisation.member_relations_unit
    )


def sees_all_calls(principal: Principal, organisation: Organisation) -> bool:
    return principal.role in (Role.SG, Role.AUDITOR, Role.ADMIN) or is_member_relations(principal, organisation)


def may_take_member_relations_step(principal: Principal, organisation: Organisation) -> bool:
    """Registering a call by hand, taking the subject down, the second attempt, registering it unanswered,
    resolving it: member relations' work (the Member Communication Center's procedure)."""
    return principal.role == Role.ADMIN or is_member_relations(principal, organisation)


def _people_of(call: Mapping[str, Any]) -> set[str]:
    return {
        p
        for p in (call.get("answered_by"), call.get("assigned_expert"), call.get("transferred_to"))
        if p  # a call not yet routed or answered has none
    }


def may_read_call(principal: Principal, organisation: Organisation, call: Mapping[str, Any]) -> bool:
    if principal.role not in READERS:
        return False
    if sees_all_calls(principal, organisation):
        return True
    return call.get("unit") == principal.unit or principal.name in _people_of(call)


def may_work_on_call(principal: Principal, organisation: Organisation, call: Mapping[str, Any]) -> bool:
    """Routing, recording an answer or the unit's silence: member relations, the SG and operators on any call; a
    unit's staff on calls routed to their unit."""
    if principal.role not in STAFF:
        return False
    if sees_all_calls(principal, organisation):
        return True
    return principal.role in UNIT_BOUND and call.get("unit") is not None and call.get("unit") == principal.unit


def may_record_answer_by(principal: Principal, organisation: Organisation, expert: str) -> bool:
    """An expert records only his or her own answer; a unit manager that of the unit's experts (or his own)."""
    if principal.role == Role.EXPERT and not is_member_relations(principal, organisation):
        return expert == principal.name
    if principal.role == Role.UNIT_MANAGER and not is_member_relations(principal, organisation):
        return expert == principal.name or organisation.unit_of_expert(expert) == principal.unit
    return True


def may_record_callback(principal: Principal, call: Mapping[str, Any]) -> bool:
    """The unit's manager or the expert whose queue holds the call records the callback; member relations' manager
    may record any."""
    if principal.role == Role.MR_MANAGER:
        return True
    if principal.role == Role.UNIT_MANAGER:
        return principal.unit == call.get("unit")
    if principal.role == Role.EXPERT:
        return principal.name == call.get("assigned_expert")
    return False


@dataclass(frozen=True)
class SearchScope:
    unit: str | None
    expert: str | None


def search_scope(
    principal: Principal, organisation: Organisation, unit: str | None, expert: str | None
) -> SearchScope | None:
    """The filters a search runs with for this principal, or None if the asked unit or expert is out of sight."""
    if sees_all_calls(principal, organisation):
        return SearchScope(unit, expert)
    if principal.role not in UNIT_BOUND or principal.unit is None:
        return None
    if unit not in (None, principal.unit):
        return None
    if principal.role == Role.EXPERT and expert not in (None, principal.name):
        return None
    if (
        principal.role == Role.UNIT_MANAGER
        and expert not in (None, principal.name)
        and organisation.unit_of_expert(expert) != principal.unit
    ):
        return None
    return SearchScope(principal.unit, expert)


def may_see_expert_queue(principal: Principal, organisation: Organisation, expert: str) -> bool:
    """The queue (cartable) is personal: every expert, member relations' too, sees only his or her own."""
    if principal.role not in READERS:
        return False
    if principal.role == Role.EXPERT:
        return principal.name == expert
    if principal.name == expert or sees_all_calls(principal, organisation):
        return True
    if principal.role == Role.UNIT_MANAGER:
        return organisation.unit_of_expert(expert) == principal.unit
    return False


def may_see_unit_queue(principal: Principal, organisation: Organisation, unit: str) -> bool:
    if sees_all_calls(principal, organisation):
        return principal.role in READERS
    return principal.role in UNIT_BOUND and principal.unit == unit


# -- the dependencies ----------------------------------------------------------------------------------------------
async def _centre(request: Request) -> CallCentre:
    return request.app.state.centre


Centre = Annotated[CallCentre, Depends(_centre)]
Telephony = Annotated[Principal, Depends(require(*TELEPHONY))]
Reader = Annotated[Principal, Depends(require(*READERS))]
RejectionReader = Annotated[Principal, Depends(require(*REJECTIONS))]
QueueOwner = Annotated[Principal, Depends(require(*OWN_QUEUE))]
_Staff = Annotated[Principal, Depends(require(*STAFF))]
_MemberRelationsRole = Annotated[Principal, Depends(require(*MEMBER_RELATIONS))]
_CallbackRole = Annotated[Principal, Depends(require(*CALLBACK))]
# The chamber's calendar: every reader sees it; operators (admin) enter closures and schedules.
CalendarKeeper = Annotated[Principal, Depends(require(Role.ADMIN))]
# Other CRM services (a survey's contact attempts) record outgoing calls through the internal door only.
Internal = Annotated[Principal, Depends(require(Role.SERVICE, Role.ADMIN))]
# Erasing a caller's data for good is the operator's, on a request the chamber accepted (as for members).
Eraser = Annotated[Principal, Depends(require(Role.ADMIN))]


# The rules below are `async`: they only look at the principal and the loaded call, and FastAPI runs every plain
# `def` dependency in the thread pool, a hop to a thread and back per rule and request. The load is a `def` (it
# reads the store).
def loaded_call(centre: Centre, call_id: uuid.UUID) -> Call:
    """The call a request is about, loaded once (404 for an unknown id): FastAPI resolves a dependency once per
    request, so the access rule and the command share this load instead of reading the store twice."""
    return centre.get_call(call_id)


LoadedCall = Annotated[Call, Depends(loaded_call)]


def _summary(call: Call) -> dict[str, Any]:
    return {
        "unit": call.unit,
        "answered_by": call.answered_by,
        "assigned_expert": call.assigned_expert,
        "transferred_to": call.transferred_to,
    }


async def call_reader(principal: Reader, centre: Centre, call: LoadedCall) -> Principal:
    if not may_read_call(principal, centre.organisation, _summary(call)):
        raise forbid("this call belongs to another unit; its staff, member relations, the SG and auditors see it")
    return principal


async def call_worker(principal: _Staff, centre: Centre, call: LoadedCall) -> Principal:
    if not may_work_on_call(principal, centre.organisation, _summary(call)):
        raise forbid("only the staff of the call's unit, member relations and the SG work on this call")
    return principal


async def member_relations_staff(principal: _MemberRelationsRole, centre: Centre) -> Principal:
    if not may_take_member_relations_step(principal, centre.organisation):
        raise forbid("this step is member relations' work: its experts and the member-relations manager")
    return principal


async def callback_recorder(principal: _CallbackRole, call: LoadedCall) -> Principal:
    summary = _summary(call)
    if not may_record_callback(principal, summary):
        if principal.role == Role.EXPERT:
            raise forbid("an expert records callbacks only for the calls in his or her own queue")
        raise forbid(f"only the manager of unit {summary['unit']!r} records callbacks for its calls")
    return principal


async def searcher(
    principal: Reader,
    centre: Centre,
    unit: Annotated[str | None, Query(description="the call's destination unit")] = None,
    expert: Annotated[str | None, Query(description="the expert the unanswered call is assigned to")] = None,
) -> SearchScope:
    scope = search_scope(principal, centre.organisation, unit, expert)
    if scope is None:
        raise forbid("a unit's staff search their unit's calls, and an expert his or her own queue")
    return scope


async def expert_queue_reader(principal: Reader, centre: Centre, expert: str) -> Principal:
    if not may_see_expert_queue(principal, centre.organisation, expert):
        if principal.role == Role.EXPERT:
            raise forbid("an expert sees only his or her own queue")
        raise forbid("a unit manager sees the queues of his or her own unit's experts")
    return principal


async def unit_queue_reader(principal: Reader, centre: Centre, unit: str) -> Principal:
    if not centre.organisation.has_unit(unit):
        return principal  # the handler answers 404 for a unit that does not exist
    if not may_see_unit_queue(principal, centre.organisation, unit):
        raise forbid(f"only staff of unit {unit!r}, member relations, the SG and auditors see its list")
    return principal


CallReader = Annotated[Principal, Depends(call_reader)]
CallWorker = Annotated[Principal, Depends(call_worker)]
MemberRelationsStaff = Annotated[Principal, Depends(member_relations_staff)]
CallbackRecorder = Annotated[Principal, Depends(callback_recorder)]
Search = Annotated[SearchScope, Depends(searcher)]
ExpertQueueReader = Annotated[Principal, Depends(expert_queue_reader)]
UnitQueueReader = Annotated[Principal, Depends(unit_queue_reader)]
