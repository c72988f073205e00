"""The surveys API while a survey runs: the experts' call list, each member's contact, attempts, answers by phone
and dissatisfaction voiced in the call."""

from __future__ import annotations

import asyncio
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi import APIRouter, Request, Response

from services.surveys.access import Caller, CallerRole, check_caller
from services.surveys.application import SurveyOffice
from services.surveys.calllist import CallList
from services.surveys.deps import CallsDep, MemberNumber, OfficeDep
from services.surveys.domain import Stage, Status
from services.surveys.schemas import (
    Attempt,
    CallListEntry,
    ContactPublic,
    Dissatisfaction,
    PhoneResponse,
)
from shared.paging import Limit, Offset, paged
from shared.problems import DomainError

router = APIRouter(prefix="/surveys", tags=["surveys"])

# The threads that record answers by phone: as many as requests an expert team keeps in flight, each waiting its
# turn in the store's group commit (shared/group_commit.py) while the others' saves are written.
ANSWER_THREADS = ThreadPoolExecutor(max_workers=32, thread_name_prefix="survey-answers")


# -- running: the call list, attempts, answers -------------------------------------------------------------------
@router.get(
    "/{survey_id}/call-list",
    response_model=list[CallListEntry],
    summary="The call list: who is still to be reached, attempts left, the line to use, who is calling whom",
)
def call_list(
    calls: CallsDep,
    _: Caller,
    survey_id: uuid.UUID,
    response: Response,
    status: Status | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """The member-relations experts' call list for the telephone survey, filtered by status."""
    items, total = calls.rows(str(survey_id), status=status.value if status else None, limit=limit, offset=offset)
    return paged(response, items, total)


@router.post(
    "/{survey_id}/call-list/next",
    response_model=CallListEntry,
    summary="Take the next member to call, held for the caller a few minutes (204 when nobody is due now)",
    responses={204: {"description": "nobody is due for a call now"}},
)
def claim_next(office: OfficeDep, calls: CallsDep, principal: Caller, survey_id: uuid.UUID) -> Any:
    """Hands the caller the next member due a call and holds him for a few minutes for that caller only."""
    if office.survey_view(survey_id).stage != Stage.RUNNING:
        raise DomainError("the survey is not running: nobody is to be called")
    taken = calls.claim_next(str(survey_id), principal.name)
    return taken if taken is not None else Response(status_code=204)


@router.get(
    "/{survey_id}/contacts/{membership_number}",
    response_model=ContactPublic,
    summary="Where a member of the survey stands: attempts, the line to use next, answers",
)
def get_contact(office: OfficeDep, _: Caller, survey_id: uuid.UUID, membership_number: MemberNumber) -> Any:
    """One member's record in the survey: the attempts made, the line to use next and any answers."""
    return office.contact(survey_id, membership_number)


@router.post(
    "/{survey_id}/contacts/{membership_number}/attempts",
    response_model=ContactPublic,
    summary="Record a call that brought no answers; the last attempt allowed marks the member not reached",
)
def record_attempt(
    office: OfficeDep,
    calls: CallsDep,
    principal: Caller,
    survey_id: uuid.UUID,
    membership_number: MemberNumber,
    body: Attempt,
) -> Any:
    """A call that brought no answers (no answer, busy, unreachable, wrong number, declined), from the line used."""
    calls.check_free_for(str(survey_id), membership_number, principal.name)
    return office.record_attempt(
        survey_id, membership_number, line=body.line.value, outcome=body.outcome.value, by=principal.name
    )


@router.post(
    "/{survey_id}/contacts/{membership_number}/response",
    response_model=ContactPublic,
    summary="Record the answers given by phone, the new services introduced, and any dissatisfaction voiced",
)
async def record_response(
    request: Request,
    principal: CallerRole,
    survey_id: uuid.UUID,
    membership_number: MemberNumber,
    body: PhoneResponse,
) -> Any:
    """The member's answers by phone; a voiced dissatisfaction opens a complaint naming the member."""
    # The office and the call list straight from the app rather than as dependencies: FastAPI's work per
    # dependency was a good part of the busiest request's (a round asks 30,000 members).
    office: SurveyOffice = request.app.state.office
    calls: CallList = request.app.state.calls

    def record() -> dict[str, Any]:
        # 404 when unknown; the survey's version and the member's contact read once, together, for the whole step
        survey, contact = office.survey_and_contact(survey_id, membership_number)
        check_caller(principal, survey.record)
        calls.check_free_for(str(survey_id), membership_number, principal.name)
        return office.record_response(
            survey_id,
            membership_number,
            answers=body.answers,
            channel="phone",
            line=body.line.value,
            services_introduced=body.services_introduced,
            dissatisfaction=body.dissatisfaction,
            by=principal.name,
            known=(survey, contact),
        )

    # One hand-off to a worker thread for the whole step (the access check on the survey included), and the answer
    # serialised here rather than in a second one; to a pool of the answers' own, which costs the event loop less
    # per hand-off than the framework's thread pool.
    return await asyncio.get_running_loop().run_in_executor(ANSWER_THREADS, record)


@router.post(
    "/{survey_id}/contacts/{membership_number}/not-reached",
    response_model=ContactPublic,
    summary="Stop calling a member: only once the required attempts are made",
)
def give_up(
    office: OfficeDep, calls: CallsDep, principal: Caller, survey_id: uuid.UUID, membership_number: MemberNumber
) -> Any:
    """Marks the member not reached; refused (409) until the required call attempts have been made."""
    calls.check_free_for(str(survey_id), membership_number, principal.name)
    return office.give_up(survey_id, membership_number, by=principal.name)


@router.post(
    "/{survey_id}/contacts/{membership_number}/dissatisfaction",
    response_model=ContactPublic,
    summary="Record dissatisfaction the member voiced during the call: a complaint naming the member is opened",
)
def record_dissatisfaction(
    office: OfficeDep, principal: Caller, survey_id: uuid.UUID, membership_number: MemberNumber, body: Dissatisfaction
) -> Any:
    """A dissatisfaction voiced during the call is passed on as a complaint naming the member."""
    return office.record_dissatisfaction(survey_id, membership_number, body.note, by=principal.name)


# -- scores and thresholds -----------------------------------------------------------------------------------------
