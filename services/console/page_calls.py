"""The calls pages: the list, a call's page with its next steps, the unit list, the end-of-day list and the
wall-board."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.backends import ServiceProblem
from services.console.page_common import call, get, local_error, quietly, read
from services.console.users import Session
from services.console.web import (
    checked_form,
    console,
    first,
    page_session,
    problem_text,
    render,
    see_other,
)
from shared.auth import Role

router = APIRouter(include_in_schema=False)


CALL_STEPS = {
    "route": ("unit",),
    "answer": ("expert",),
    "unit-not-answered": (),
    "transfer-to-member-relations": (),
    "subject": ("subject", "contact_name"),
    "transfer": ("expert",),
    "unanswered": (),
    "callback": ("outcome", "note", "referred_to"),
    "resolve": ("note",),
}
# state -> the steps whose forms the call's page offers
CALL_FORMS = {
    "ringing": ("route",),
    "queued": ("answer", "unit-not-answered"),
    "unit_not_answered": ("transfer-to-member-relations",),
    "with_member_relations": ("subject", "transfer", "unanswered", "resolve"),
    "transferred": ("answer", "unanswered"),
    "unanswered": ("callback",),
    "called_back": ("callback",),
}


@router.get("/calls")
def calls_page(request: Request) -> HTMLResponse:
    session = page_session(request, "calls")
    q = request.query_params
    criteria = {k: q.get(k, "") for k in ("number", "member_id", "state", "day")}
    results, error = None, None
    if any(criteria.values()):
        try:
            results = get(request, session, "calls", "/calls", limit=100, **criteria)
        except ServiceProblem as problem:
            error = problem_text(problem, session.user.language)
    return render(request, session, "calls.html.j2", criteria=criteria, results=results, error=error)


def _call_page(
    request: Request,
    session: Session,
    call_id: str,
    error: Any = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        record = get(request, session, "calls", f"/calls/{uuid.UUID(call_id)}")
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, call_id, session))
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    forms = tuple(f for f in CALL_FORMS.get(record.get("state", ""), ()) if _may_offer(f, record, session))
    return render(
        request,
        session,
        "call.html.j2",
        status,
        call=record,
        forms=forms,
        fields=CALL_STEPS,
        error=error,
        values=values or {},
        units=[u.id for u in console(request).settings.organisation.units],
    )


MEMBER_RELATIONS_STEPS = {"transfer-to-member-relations", "subject", "transfer", "unanswered", "resolve"}


def _may_offer(step: str, record: dict[str, Any], session: Session) -> bool:
    """Whether the call's page shows this step's form to the person: member relations' steps to member relations,
    the callback to the expert who owes it and the unit's manager. The calls service decides anyway."""
    if step in MEMBER_RELATIONS_STEPS:
        return session.role == Role.MR_MANAGER or (
            session.role == Role.EXPERT and session.user.unit == "member_relations"
        )
    if step == "callback":
        return record.get("assigned_expert") == session.user.name or (
            session.role == Role.UNIT_MANAGER and record.get("unit") == session.user.unit
        )
    return True


@router.get("/calls/{call_id}")
def call_page(request: Request, call_id: str) -> HTMLResponse:
    session = page_session(request, "calls")
    return _call_page(request, session, call_id)


@router.post("/calls/{call_id}/{step}")
async def call_step(request: Request, call_id: str, step: str) -> Response:
    session, form = await checked_form(request, "calls")
    if step not in CALL_STEPS:
        return render(request, session, "error.html.j2", 404, error=local_error(404, step, session))
    body = {k: first(form, k) for k in CALL_STEPS[step] if first(form, k)}
    try:
        call(request, session, "calls", "POST", f"/calls/{uuid.UUID(call_id)}/{step}", json=body)
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, call_id, session))
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
        return _call_page(request, session, call_id, error, problem.status, values=body)
    return see_other(f"/calls/{call_id}?saved=1")


@router.get("/units")
def units_page(request: Request) -> HTMLResponse:
    session = page_session(request, "units")
    error, figures, queue = None, None, None
    unit = request.query_params.get("unit") or session.user.unit or ""
    try:
        figures = get(request, session, "reporting", "/reports/units")
        if unit:
            queue = quietly(request, session, "calls", f"/queues/units/{unit}")
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
    return render(request, session, "units.html.j2", figures=figures, queue=queue, unit=unit, error=error)


@router.get("/end-of-day")
def end_of_day_page(request: Request) -> HTMLResponse:
    session = page_session(request, "end_of_day")
    lists, error = read(request, session, "reporting", "/reports/end-of-day")
    return render(request, session, "end_of_day.html.j2", lists=lists, error=error)


@router.get("/wallboard")
def wallboard_page(request: Request) -> HTMLResponse:
    session = page_session(request, "wallboard")
    board, error = read(request, session, "reporting", "/reports/calls/wallboard")
    partial = bool(request.headers.get("HX-Request"))  # htmx refreshing the board in place
    template = "wallboard_part.html.j2" if partial else "wallboard.html.j2"
    return render(request, session, template, board=board, error=error, partial=partial)
