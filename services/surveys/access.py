"""Who may do what with surveys: pure rules over a principal and a survey's record, and the FastAPI dependencies
that apply them.

- A unit's manager requests a project survey for his or her unit and supplies its member list.
- The SG approves or rejects a request and delegates a survey to another unit than member relations.
- The member-relations manager keeps the questionnaires, approves a member list, edits a survey's questionnaire
  and starts and closes surveys; a unit the SG delegated a survey to starts and closes that one through its manager.
- The president plans the periodic rounds and sets their timing; meetings are recorded by any of their attendees
  who chair them (the president, the SG, the member-relations manager).
- The experts of the unit that runs a survey share its call list and record attempts, answers and voiced
  dissatisfaction.
- Staff, the president and the auditor read surveys; a unit's manager or expert sees the surveys his or her unit
  requested or runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request

from shared.auth import Principal, Role, require

MEMBER_RELATIONS = "member_relations"
SEE_ALL = frozenset({Role.SG, Role.PRESIDENT, Role.MR_MANAGER, Role.AUDITOR})
READERS = (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER, Role.SG, Role.PRESIDENT, Role.AUDITOR)
QUESTIONNAIRE_KEEPERS = (Role.MR_MANAGER,)
CHAIRS = (Role.PRESIDENT, Role.SG, Role.MR_MANAGER)
RUNNERS = (Role.MR_MANAGER, Role.UNIT_MANAGER)
CALLERS = (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER)

SurveyRecord = Mapping[str, Any]


# -- rules (pure) ----------------------------------------------------------------------------------------------
def sees_all(p: Principal) -> bool:
    return p.role in SEE_ALL


def may_see(p: Principal, survey: SurveyRecord) -> bool:
    if p.role in SEE_ALL:
        return True
    if p.role in (Role.EXPERT, Role.UNIT_MANAGER) and p.unit:
        return p.unit in (survey.get("unit"), survey.get("runner"))
    return False


def may_supply_members(p: Principal, survey: SurveyRecord) -> bool:
    """The requesting unit knows who received its service: its manager supplies the list."""
    return p.role == Role.UNIT_MANAGER and bool(p.unit) and p.unit == survey.get("unit")


def may_run(p: Principal, survey: SurveyRecord) -> bool:
    """Start and close: the member-relations manager, or the manager of the unit the SG delegated the survey to."""
    runner = survey.get("runner") or MEMBER_RELATIONS
    if runner == MEMBER_RELATIONS:
        return p.role == Role.MR_MANAGER
    return p.role == Role.UNIT_MANAGER and p.unit == runner


def may_call(p: Principal, survey: SurveyRecord) -> bool:
    """Call the members and record their answers: the experts (and managers) of the unit that runs the survey."""
    runner = survey.get("runner") or MEMBER_RELATIONS
    return p.role in (Role.EXPERT, Role.UNIT_MANAGER, Role.MR_MANAGER) and p.unit == runner


def may_request(p: Principal) -> bool:
    return p.role == Role.UNIT_MANAGER and bool(p.unit)


# -- FastAPI dependencies --------------------------------------------------------------------------------------
Reader = Annotated[Principal, Depends(require(*READERS))]
QuestionnaireKeeper = Annotated[Principal, Depends(require(*QUESTIONNAIRE_KEEPERS))]
UnitManager = Annotated[Principal, Depends(require(Role.UNIT_MANAGER))]
SecretaryGeneral = Annotated[Principal, Depends(require(Role.SG))]
MemberRelationsManager = Annotated[Principal, Depends(require(Role.MR_MANAGER))]
President = Annotated[Principal, Depends(require(Role.PRESIDENT))]
Chair = Annotated[Principal, Depends(require(*CHAIRS))]
Internal = Annotated[Principal, Depends(require(Role.SERVICE))]
Evaluator = Annotated[Principal, Depends(require(Role.MR_MANAGER, Role.SG))]


def _survey_rule(rule: Callable[[Principal, SurveyRecord], bool], refusal: str, roles: tuple[Role, ...]):
    """A dependency that loads the survey of the path (404 if unknown) and lets the principal through only when
    the rule allows it (403 saying who may)."""

    # A default rather than an Annotated hint: annotations are strings here, resolved in the module's globals,
    # where `roles` does not exist.
    def check(request: Request, survey_id: uuid.UUID, principal: Principal = Depends(require(*roles))) -> Principal:  # noqa: B008
        # The survey as the office keeps it between requests (read here, never changed): no copy for each request.
        record = request.app.state.office.survey_view(survey_id).record
        if not rule(principal, record):
            raise HTTPException(403, refusal.format(**record))
        return principal

    return check


SurveyReader = Annotated[
    Principal,
    Depends(_survey_rule(may_see, "a unit sees only the surveys it requested or runs", READERS)),
]
ListSupplier = Annotated[
    Principal,
    Depends(
        _survey_rule(
            may_supply_members,
            "only the manager of the requesting unit ({unit}) supplies the list",
            (Role.UNIT_MANAGER,),
        )
    ),
]
Runner = Annotated[
    Principal,
    Depends(
        _survey_rule(
            may_run, "only the manager of the unit that runs the survey ({runner}) starts and closes it", RUNNERS
        )
    ),
]
CALL_REFUSAL = "only the staff of the unit that runs the survey ({runner}) call its members"
Caller = Annotated[Principal, Depends(_survey_rule(may_call, CALL_REFUSAL, CALLERS))]
# The role alone, for a handler that reads the survey itself in its worker thread and applies `check_caller` to it
# there: the busiest request (an answer) then reads the survey's version once and hands off to a thread once.
CallerRole = Annotated[Principal, Depends(require(*CALLERS))]


def check_caller(principal: Principal, survey: SurveyRecord) -> None:
    """The `Caller` rule on a survey the handler has read: 403 unless the principal may call its members."""
    if not may_call(principal, survey):
        raise HTTPException(403, CALL_REFUSAL.format(**survey))
