"""The members pages: the search and a member's page."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.console.backends import ServiceProblem
from services.console.page_common import get, quietly
from services.console.web import (
    page_session,
    problem_text,
    render,
)

router = APIRouter(include_in_schema=False)


@router.get("/members")
def members_page(request: Request) -> HTMLResponse:
    session = page_session(request, "members")
    q = request.query_params
    criteria = {k: q.get(k, "") for k in ("name", "number", "field")}
    results, error = None, None
    if any(criteria.values()):
        try:
            results = get(request, session, "members", "/members", limit=50, **criteria)
        except ServiceProblem as problem:
            error = problem_text(problem, session.user.language)
    return render(request, session, "members.html.j2", criteria=criteria, results=results, error=error)


@router.get("/members/{number}")
def member_page(request: Request, number: str) -> HTMLResponse:
    session = page_session(request, "members")
    try:
        member = get(request, session, "members", f"/members/{number}")
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    record_id = member.get("id")
    calls = quietly(request, session, "calls", "/calls", member_id=record_id, limit=50) if record_id else None
    complaints = quietly(request, session, "complaints", "/complaints", member_number=number, limit=50)
    # The member's problem forms at every desk (member services' list: another role reads none)
    desk_forms = quietly(request, session, "desks", "/desks/forms", member_id=record_id) if record_id else None
    surveys = [
        {"survey": s, "contact": contact}
        for s in (quietly(request, session, "surveys", "/surveys") or [])[:20]
        if (contact := quietly(request, session, "surveys", f"/surveys/{s['id']}/contacts/{number}"))
    ]
    return render(
        request,
        session,
        "member.html.j2",
        member=member,
        number=number,
        calls=calls,
        complaints=complaints,
        desk_forms=desk_forms,
        surveys=surveys,
    )
