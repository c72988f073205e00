"""The service desks' pages: the list, and a desk's schedule with the steps member services record from it, each
sent to the desks service as the person's own command (the service checks the order of the steps and the role):
a member's attendance, the agency's decision and the follow-up call on each problem form, and for the desk the
minutes reviewed (the member-services manager), sent and archived, and the closing checklist MM-FR-03-05-01."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console import access
from services.console.backends import ServiceProblem
from services.console.page_common import call, get, local_error, read
from services.console.users import Session
from services.console.web import (
    checked_form,
    first,
    page_session,
    problem_text,
    render,
    see_other,
)

router = APIRouter(include_in_schema=False)


@router.get("/desks")
def desks_page(request: Request) -> HTMLResponse:
    session = page_session(request, "desks")
    desks, error = read(request, session, "desks", "/desks")
    return render(request, session, "desks.html.j2", desks=desks, error=error)


@router.get("/desks/{desk_id}")
def desk_page(request: Request, desk_id: str) -> HTMLResponse:
    """A desk's schedule: its problem forms in slot order with the waiting list, attendance, decisions and
    follow-ups, the minutes and the checklist, and the printable final list for the agency."""
    session = page_session(request, "desks")
    return _desk_page(request, session, desk_id)


def _desk_page(request: Request, session: Session, desk_id: str, error: Any = None, status: int = 200) -> HTMLResponse:
    try:
        desk = get(request, session, "desks", f"/desks/{uuid.UUID(desk_id)}")
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, desk_id, session))
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    forms = sorted(desk.get("forms", []), key=lambda f: (f.get("slot_start") is None, f.get("slot_start") or ""))
    return render(
        request,
        session,
        "desk.html.j2",
        status,
        desk=desk,
        forms=forms,
        error=error,
        runs=session.role in access.DESK_RUNNERS,
        approves=session.role in access.DESK_APPROVERS,
    )


def _note(form: Any) -> dict[str, Any]:
    return {"note": first(form, "note") or None}


# The steps of a problem form: step -> the JSON body made from the form
FORM_STEPS: dict[str, Callable[[Any], dict[str, Any]]] = {
    "attendance": lambda form: {"attended": first(form, "attended") == "yes"},
    "decision": lambda form: {"decision": first(form, "decision")},
    "follow-up": lambda form: {"carried_out": first(form, "carried_out") == "yes", "result": first(form, "result")},
}
# The steps of the desk itself: step -> (the desks API's path under the desk, the JSON body made from the form)
DESK_STEPS: dict[str, tuple[str, Callable[[Any], dict[str, Any]]]] = {
    "minutes-review": ("minutes/review", _note),
    "minutes-send": ("minutes/send", lambda form: {"to": first(form, "to"), **_note(form)}),
    "minutes-archive": ("minutes/archive", _note),
    "checklist": ("checklist", _note),
}


async def _step(
    request: Request, desk_id: str, path: str | None, body: Callable[[Any], dict[str, Any]] | None, anchor: str
) -> Response:
    session, form = await checked_form(request, "desks")
    if path is None or body is None:
        return render(request, session, "error.html.j2", 404, error=local_error(404, anchor, session))
    try:
        call(request, session, "desks", "POST", f"/desks/{uuid.UUID(desk_id)}/{path}", json=body(form))
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, desk_id, session))
    except ServiceProblem as problem:
        return _desk_page(request, session, desk_id, problem_text(problem, session.user.language), problem.status)
    return see_other(f"/desks/{desk_id}?saved=1#{anchor}")


@router.post("/desks/{desk_id}/forms/{number}/{step}")
async def form_step(request: Request, desk_id: str, number: str, step: str) -> Response:
    """A member's attendance, the agency's decision on the problem form, or the follow-up call's result."""
    path = f"registrations/{quote(number, safe='')}/{step}" if step in FORM_STEPS else None
    return await _step(request, desk_id, path, FORM_STEPS.get(step), f"form-{number}")


@router.post("/desks/{desk_id}/steps/{step}")
async def desk_step(request: Request, desk_id: str, step: str) -> Response:
    """The minutes reviewed, sent or archived, or the checklist completed (which closes the desk)."""
    path, body = DESK_STEPS.get(step, (None, None))
    return await _step(request, desk_id, path, body, "desk-steps")
