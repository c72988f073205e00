"""The complaints pages: the list, registering a complaint, a complaint's page and its steps."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console import locales
from services.console.backends import ServiceProblem
from services.console.page_common import call, get, local_error, quietly
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


COMPLAINT_STEPS = {
    "acknowledge": ("method", "note"),
    "review-complete": (),
    "refer": ("note",),
    "assign": ("handler_kind", "handler"),
    "investigation": ("circumstances", "root_causes", "consequences", "actions_taken"),
    "decision": ("decision", "reason"),
    "committee": ("subject", "variable_members"),
    "committee/not-needed": (),
    "committee/decision": ("attendees", "decision", "reasoning", "minutes"),
    "notify": ("method", "message"),
    "close": (),
}
COMPLAINT_FORMS = {
    "received": ("acknowledge",),
    "acknowledged": ("review-complete",),
    "reviewed": ("refer",),
    "referred": ("assign",),
    "assigned": ("investigation",),
    "investigated": ("decision",),
    "accepted": ("committee", "committee/not-needed"),
    "committee": ("committee/decision",),
    "decided": ("notify",),
    "notified": ("close",),
}


@router.get("/complaints")
def complaints_page(request: Request) -> HTMLResponse:
    session = page_session(request, "complaints")
    q = request.query_params
    criteria = {k: q.get(k, "") for k in ("reference", "state", "member_number")}
    error, results, waiting = None, None, None
    try:
        waiting = quietly(request, session, "complaints", "/complaints/waiting-on-me")
        results = get(request, session, "complaints", "/complaints", limit=50, **criteria)
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
    return render(
        request, session, "complaints.html.j2", criteria=criteria, results=results, waiting=waiting, error=error
    )


def _complaint_page(
    request: Request,
    session: Session,
    complaint_id: str,
    error: Any = None,
    status: int = 200,
    values: dict[str, str] | None = None,
) -> HTMLResponse:
    try:
        cid = uuid.UUID(complaint_id)
        record = get(request, session, "complaints", f"/complaints/{cid}")
        form = quietly(request, session, "complaints", f"/complaints/{cid}/form")
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, complaint_id, session))
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    printable = f"/documents/complaint-form?complaint_id={cid}"
    return render(
        request,
        session,
        "complaint.html.j2",
        status,
        complaint=record,
        steps=[
            {**s, "title": locales.complaint_step(session.user.language, s.get("event"), s.get("title", ""))}
            for s in (form or {}).get("steps", [])
        ],
        forms=COMPLAINT_FORMS.get(record.get("state", ""), ()) if _mine(record, session) else (),
        waiting=record.get("waiting_on") or {},
        printable=printable,
        error=error,
        values=values or {},
    )


def _mine(record: dict[str, Any], session: Session) -> bool:
    """Whether the complaint's next step is this person's (then its form is shown); the service decides anyway."""
    waiting = record.get("waiting_on") or {}
    role, person = waiting.get("role"), waiting.get("person")
    if person:
        return bool(person == session.user.name)
    return role is None or role == session.role.value


@router.get("/complaints/{complaint_id}")
def complaint_page(request: Request, complaint_id: str) -> HTMLResponse:
    session = page_session(request, "complaints")
    return _complaint_page(request, session, complaint_id)


@router.post("/complaints")
async def register_complaint(request: Request) -> Response:
    session, form = await checked_form(request, "complaints")
    body: dict[str, Any] = {
        "channel": first(form, "channel") or "in_person",
        "kind": first(form, "kind") or "complaint",
        "description": first(form, "description"),
        "complainant_name": first(form, "complainant_name"),
        "phone": first(form, "phone") or None,
        "member_number": first(form, "member_number") or None,
        "unit": first(form, "unit") or None,
    }
    try:
        created = call(request, session, "complaints", "POST", "/complaints", json=body)
    except ServiceProblem as problem:
        q = request.query_params
        return render(
            request,
            session,
            "complaints.html.j2",
            problem.status,
            criteria={k: q.get(k, "") for k in ("reference", "state", "member_number")},
            results=None,
            waiting=None,
            error=problem_text(problem, session.user.language),
        )
    return see_other(f"/complaints/{created['id']}?saved=1")


LISTS = ("variable_members", "attendees")


def complaint_body(step: str, form: dict[str, list[str]]) -> dict[str, Any]:
    """The JSON a complaint step takes, from its form: names listed with commas become lists, and the committee's
    decision carries the corrective action written on the form."""
    body: dict[str, Any] = {}
    for key in COMPLAINT_STEPS[step]:
        value = first(form, key)
        if value:
            body[key] = [v.strip() for v in value.split(",") if v.strip()] if key in LISTS else value
    if step == "committee/decision" and first(form, "action_description"):
        body["corrective_actions"] = [
            {
                "description": first(form, "action_description"),
                "owner": first(form, "action_owner"),
                "due": first(form, "action_due"),
            }
        ]
    return body


@router.post("/complaints/{complaint_id}/{step:path}")
async def complaint_step(request: Request, complaint_id: str, step: str) -> Response:
    session, form = await checked_form(request, "complaints")
    action = step.removeprefix("corrective-actions/").removesuffix("/done")
    if step.startswith("corrective-actions/") and step.endswith("/done") and "/" not in action:
        body: dict[str, Any] = {"note": first(form, "note")} if first(form, "note") else {}
    elif step not in COMPLAINT_STEPS:
        return render(request, session, "error.html.j2", 404, error=local_error(404, step, session))
    else:
        body = complaint_body(step, form)
    try:
        call(request, session, "complaints", "POST", f"/complaints/{uuid.UUID(complaint_id)}/{step}", json=body or None)
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, complaint_id, session))
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
        return _complaint_page(request, session, complaint_id, error, problem.status, values=body)
    return see_other(f"/complaints/{complaint_id}?saved=1")
