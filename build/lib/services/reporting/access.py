"""Who may read which report, scoped by the caller's unit and person as the procedures assign it.

Calls (docs/procedures.md#calls): member relations (its manager, and its own experts and manager), the SG, auditors and
operators see every unit; a unit's manager sees the unit's lists; a unit's expert sees the unit's end-of-day lists
and, of the unanswered calls, his or her own queue (every expert's queue is personal, member relations' too).

Complaints (docs/procedures.md#complaints): the reports go to the member-relations manager, the SG, auditors and operators. A
confidential complaint is counted in every figure and listed only to the roles entitled to confidential records,
shared/auth.CONFIDENTIAL_READERS: the same entitlement the complaints service applies, named once in shared/.

The rules are pure; the dependencies at the end apply them to a request, so handlers never decide access.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Request

from shared.auth import CONFIDENTIAL_READERS, READERS, Principal, Role, forbid, require

SEE_ALL = (Role.MR_MANAGER, Role.SG, Role.AUDITOR, Role.ADMIN)
UNIT_BOUND = (Role.EXPERT, Role.UNIT_MANAGER)
ESCALATION_READERS = (Role.MR_MANAGER, Role.SG, Role.AUDITOR, Role.ADMIN, Role.UNIT_MANAGER)
# The six-monthly report goes to the SG and the president; the president reads confidential ones counted only.
COMPLAINT_REPORT_READERS = (Role.MR_MANAGER, Role.SG, Role.PRESIDENT, Role.AUDITOR, Role.ADMIN)
# SY-PR-05-00-02 as the procedure assigns it: the member-relations manager reviews an escalation and reports it to
# the SG; the SG decides on the corrective action.
ESCALATION_REVIEWERS = (Role.MR_MANAGER,)
CORRECTIVE_ACTION_OPENERS = (Role.SG,)
# The member-relations manager's list of calls member relations answered and still owe an outcome.
FOLLOW_UP_READERS = (Role.MR_MANAGER, Role.SG, Role.AUDITOR, Role.ADMIN)


class Refused(Exception):
    """A rule said no; the message says who may."""


@dataclass(frozen=True)
class Scope:
    unit: str | None
    expert: str | None


# -- the rules -----------------------------------------------------------------------------------------------------
def sees_all_units(principal: Principal, member_relations_unit: str) -> bool:
    return principal.role in SEE_ALL or (principal.role in UNIT_BOUND and principal.unit == member_relations_unit)


def _own_unit(principal: Principal, unit: str | None) -> str:
    if principal.unit is None or unit not in (None, principal.unit):
        who = "an expert" if principal.role == Role.EXPERT else "a unit manager"
        raise Refused(f"{who} sees only his or her own unit")
    return principal.unit


def unanswered_scope(principal: Principal, member_relations_unit: str, unit: str | None, expert: str | None) -> Scope:
    """The unit and expert the unanswered-call report is narrowed to for this principal."""
    if principal.role == Role.EXPERT:
        if expert not in (None, principal.name):
            raise Refused("an expert sees only his or her own queue")
        if not sees_all_units(principal, member_relations_unit):
            unit = _own_unit(principal, unit)
        return Scope(unit, principal.name)
    if sees_all_units(principal, member_relations_unit):
        return Scope(unit, expert)
    return Scope(_own_unit(principal, unit), expert)


def unit_scope(principal: Principal, member_relations_unit: str, unit: str | None) -> str | None:
    """The unit a per-unit list (end-of-day lists, escalations) is narrowed to; None for all units."""
    if sees_all_units(principal, member_relations_unit):
        return unit
    return _own_unit(principal, unit)


def check_unit(principal: Principal, member_relations_unit: str, unit: str) -> None:
    """Raises `forbid` when the principal may not see this unit's records."""
    _apply(unit_scope, principal, member_relations_unit, unit)


def may_see_confidential(principal: Principal) -> bool:
    return principal.role in CONFIDENTIAL_READERS


# -- the dependencies ----------------------------------------------------------------------------------------------
Reader = Annotated[Principal, Depends(require(*READERS))]
_EscalationReader = Annotated[Principal, Depends(require(*ESCALATION_READERS))]
ComplaintReportReader = Annotated[Principal, Depends(require(*COMPLAINT_REPORT_READERS))]
FollowUpReader = Annotated[Principal, Depends(require(*FOLLOW_UP_READERS))]
EscalationReviewer = Annotated[Principal, Depends(require(*ESCALATION_REVIEWERS))]
CorrectiveActionOpener = Annotated[Principal, Depends(require(*CORRECTIVE_ACTION_OPENERS))]


def _member_relations_unit(request: Request) -> str:
    return request.app.state.settings.organisation.member_relations_unit


def _apply(rule: Callable[..., Any], *args: Any) -> Any:
    try:
        return rule(*args)
    except Refused as refused:
        raise forbid(str(refused)) from None


def unanswered_reader(request: Request, principal: Reader, unit: str | None = None, expert: str | None = None) -> Scope:
    return _apply(unanswered_scope, principal, _member_relations_unit(request), unit, expert)


def end_of_day_reader(request: Request, principal: Reader, unit: str | None = None) -> Scope:
    return Scope(_apply(unit_scope, principal, _member_relations_unit(request), unit), None)


def escalation_reader(request: Request, principal: _EscalationReader, unit: str | None = None) -> Scope:
    return Scope(_apply(unit_scope, principal, _member_relations_unit(request), unit), None)


def escalation_unit_reader(principal: _EscalationReader) -> Principal:
    """Who may read one escalation; the handler then applies `unit_scope` to the escalation's unit."""
    return principal


def unit_list_reader(request: Request, principal: Reader, unit: str) -> Principal:
    _apply(unit_scope, principal, _member_relations_unit(request), unit)
    return principal


def confidential_sight(principal: ComplaintReportReader) -> bool:
    return may_see_confidential(principal)


UnansweredScope = Annotated[Scope, Depends(unanswered_reader)]
EndOfDayScope = Annotated[Scope, Depends(end_of_day_reader)]
EscalationScope = Annotated[Scope, Depends(escalation_reader)]
UnitListReader = Annotated[Principal, Depends(unit_list_reader)]
EscalationUnitReader = Annotated[Principal, Depends(escalation_unit_reader)]
# Whether the complaint reports may list confidential complaints for this reader (they are always counted).
ConfidentialSight = Annotated[bool, Depends(confidential_sight)]
