"""HTTP API of the corrective actions (SY-PR-05-00-02): lists for the SG, units and owners; the steps of an action;
the internal door through which other services open actions by their source reference."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response

from services.actions.access import (
    ActionReader,
    Coordinator,
    Internal,
    Owner,
    OwnersManager,
    Reader,
    SecretaryGeneral,
    Staff,
)
from services.actions.application import ActionRegister, AlreadyOpened
from services.actions.domain import SourceKind, State
from services.actions.index import ActionIndex, Filters
from services.actions.schemas import (
    ActionDetail,
    ActionOpen,
    ActionOpened,
    ActionPage,
    ActionPublic,
    Assignment,
    Completion,
    Confirmation,
    DeadlineCheck,
    ProgressNote,
    Reason,
)
from shared.validation import Limit, Offset


def get_register(request: Request) -> ActionRegister:
    return request.app.state.register


def get_index(request: Request) -> ActionIndex:
    return request.app.state.index


RegisterDep = Annotated[ActionRegister, Depends(get_register)]
IndexDep = Annotated[ActionIndex, Depends(get_index)]

router = APIRouter(prefix="/actions", tags=["actions"])


def _page(index: IndexDep, register: ActionRegister, principal, filters: Filters, limit: int, offset: int) -> dict:
    items, total = index.search(principal, filters, register.clock(), limit=limit, offset=offset)
    return {"items": items, "total": total, "limit": limit, "offset": offset}


@router.post(
    "",
    status_code=201,
    response_model=ActionPublic,
    summary="Open an action by hand (SG, member-relations manager); 409 if its source reference has one already",
)
def open_action(register: RegisterDep, principal: Coordinator, body: ActionOpen) -> Any:
    """Opens a corrective action (form SY-PR-05-00-02) by hand, for a problem found outside the CRM's own procedures. With an owner the action is assigned at once and falls due after the configured working days, unless a due date or a number of working days is given."""
    action_id, created = register.open_action(**body.model_dump(), by=principal.name)
    if not created:
        raise AlreadyOpened(f"an action was opened for {body.source_ref} already: {action_id}")
    return register.record(action_id)


@router.get("", response_model=ActionPage, summary="The actions the caller may see, filtered, a page at a time")
def list_actions(
    register: RegisterDep,
    index: IndexDep,
    principal: Reader,
    state: State | None = None,
    unit: str | None = Query(None, max_length=100),
    owner: str | None = Query(None, max_length=200),
    source_kind: SourceKind | None = None,
    overdue: bool | None = Query(None, description="true: only overdue; false: only those not overdue"),
    failed_check: bool | None = Query(
        None, description="true: only actions found not effective at least once; false: only the others"
    ),
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The actions the caller may see: the SG, member-relations manager and auditors see all, a unit manager the unit's, an expert their own. Filters combine; the page says how many match in total."""
    filters = Filters(
        state=state.value if state else None,
        unit=unit,
        owner=owner,
        source_kind=source_kind.value if source_kind else None,
        overdue=overdue,
        failed_check=failed_check,
    )
    return _page(index, register, principal, filters, limit, offset)


@router.get("/overdue", response_model=ActionPage, summary="Actions in progress past their due date, oldest first")
def overdue_actions(
    register: RegisterDep,
    index: IndexDep,
    principal: Reader,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Actions still in progress whose due working day has passed, the longest overdue first: the follow-up list of the SG and the member-relations manager."""
    return _page(index, register, principal, Filters(overdue=True), limit, offset)


@router.get(
    "/waiting-on-me",
    response_model=list[ActionPublic],
    summary="Actions whose next step is the caller's: to do, to judge for effectiveness, or to assign",
)
def waiting_on_me(register: RegisterDep, index: IndexDep, principal: Staff) -> Any:
    """The caller's to-do list of actions: those to carry out as owner, those whose effectiveness the caller must judge as the owner's manager, and those the caller must assign."""
    return index.waiting_on(principal, register.clock())


@router.get("/{action_id}", response_model=ActionDetail, summary="An action with its history: what, who, when")
def get_action(register: RegisterDep, _: ActionReader, action_id: uuid.UUID) -> Any:
    """An action with everything recorded on it: the problem, owner, due date, progress notes, what was done, the effectiveness checks and the full history."""
    return {**register.record(action_id), "history": register.history(action_id)}


@router.post("/{action_id}/assign", response_model=ActionPublic, summary="Give an owner and a due date, or hand over")
def assign_action(register: RegisterDep, principal: Coordinator, action_id: uuid.UUID, body: Assignment) -> Any:
    """Gives the action an owner and a due date, or hands it over to another owner. The due date is a working day of the chamber; without one it falls due after the configured working days."""
    register.assign_action(action_id, **body.model_dump(), by=principal.name)
    return register.record(action_id)


@router.post("/{action_id}/progress", response_model=ActionPublic, summary="The owner notes progress")
def note_progress(register: RegisterDep, principal: Owner, action_id: uuid.UUID, body: ProgressNote) -> Any:
    """The owner records how the work is going; notes are kept with the round they belong to."""
    register.note_progress(action_id, body.note, by=principal.name)
    return register.record(action_id)


@router.post(
    "/{action_id}/done",
    response_model=ActionPublic,
    summary="The owner marks the action done; its effectiveness check falls due after the configured working days",
)
def complete_action(register: RegisterDep, principal: Owner, action_id: uuid.UUID, body: Completion) -> Any:
    """The owner records what was done. The effectiveness check falls due after the configured number of working days, so that the manager judges the change once it has had time to work."""
    register.complete_action(action_id, body.what_was_done, by=principal.name)
    return register.record(action_id)


@router.post(
    "/{action_id}/effective",
    response_model=ActionPublic,
    summary="The owner's manager confirms it worked (once the check is due): the action is closed",
)
def confirm_effective(
    register: RegisterDep, principal: OwnersManager, action_id: uuid.UUID, body: Confirmation | None = None
) -> Any:
    """The owner's manager confirms, once the check is due, that the change worked; the action is closed. A note with the evidence is optional."""
    register.confirm_effective(action_id, body.note if body else None, by=principal.name)
    return register.record(action_id)


@router.post(
    "/{action_id}/not-effective",
    response_model=ActionPublic,
    summary="The owner's manager finds it did not work: back in progress with the reason and a new due date",
)
def reopen_action(register: RegisterDep, principal: OwnersManager, action_id: uuid.UUID, body: Reason) -> Any:
    """The owner's manager finds the change did not work: the action goes back in progress for a new round, with the reason and a new due date."""
    register.reopen_action(action_id, body.reason, by=principal.name)
    return register.record(action_id)


@router.post("/{action_id}/cancel", response_model=ActionPublic, summary="The SG cancels an action, with the reason")
def cancel_action(register: RegisterDep, principal: SecretaryGeneral, action_id: uuid.UUID, body: Reason) -> Any:
    """The Secretary General cancels an action that is no longer needed; the reason is kept."""
    register.cancel_action(action_id, body.reason, by=principal.name)
    return register.record(action_id)


# -- other services ----------------------------------------------------------------------------------------------
internal = APIRouter(prefix="/internal/actions", tags=["internal"])


@internal.post(
    "",
    status_code=201,
    response_model=ActionOpened,
    summary="Open an action for another service, idempotent by source_ref (201 the first time, 200 with its id after)",
    responses={200: {"model": ActionOpened, "description": "already opened for this source reference"}},
)
def open_for_service(register: RegisterDep, principal: Internal, response: Response, body: ActionOpen) -> Any:
    """For the CRM's other services (role service): opens the action a procedure calls for, e.g. the complaint committee's decision. The source reference makes it idempotent: the first call opens the action (201), a repeat answers the same id (200)."""
    action_id, created = register.open_action(**body.model_dump(), by=principal.name)
    if not created:
        response.status_code = 200
    return {"id": action_id, "existed": not created}


@internal.post(
    "/deadline-check",
    response_model=DeadlineCheck,
    summary="Record every due date passed and effectiveness check fallen due now (idempotent)",
)
def check_deadlines(register: RegisterDep, _: Internal) -> Any:
    """For the scheduler: records, once each, every due date that has passed and every effectiveness check that has fallen due as of now, so that they appear in the history and on the published event stream. Calling it again changes nothing."""
    recorded = register.record_deadlines(register.clock())
    return {"recorded": [{"action_id": str(aid), "kind": kind} for aid, kind in recorded]}
