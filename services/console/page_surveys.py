"""The pages of surveys (contacts and their answers), plan KPIs, reports and their documents."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import quote

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

router = APIRouter(include_in_schema=False)


@router.get("/surveys")
def surveys_page(request: Request) -> HTMLResponse:
    session = page_session(request, "surveys")
    surveys, error = read(request, session, "surveys", "/surveys")
    return render(request, session, "surveys.html.j2", surveys=surveys, survey=None, rows=None, error=error)


@router.get("/surveys/{survey_id}")
def survey_page(request: Request, survey_id: str) -> HTMLResponse:
    session = page_session(request, "surveys")
    try:
        sid = uuid.UUID(survey_id)
        survey = get(request, session, "surveys", f"/surveys/{sid}")
        rows = quietly(request, session, "surveys", f"/surveys/{sid}/call-list", limit=100)
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, survey_id, session))
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    return render(request, session, "surveys.html.j2", surveys=None, survey=survey, rows=rows)


@router.post("/surveys/{survey_id}/contacts/{number}/not-reached")
async def survey_not_reached(request: Request, survey_id: str, number: str) -> Response:
    session, form = await checked_form(request, "surveys")
    try:
        call(
            request,
            session,
            "surveys",
            "POST",
            f"/surveys/{uuid.UUID(survey_id)}/contacts/{number}/attempts",
            json={"line": first(form, "line") or "mobile", "outcome": first(form, "outcome") or "no_answer"},
        )
    except (ValueError, ServiceProblem) as exc:
        problem = exc if isinstance(exc, ServiceProblem) else ServiceProblem(404, "", survey_id, "console")
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    return see_other(f"/surveys/{survey_id}?saved=1")


def _question_text(question: dict[str, Any], language: str) -> str:
    texts = question.get("text") or {}
    return str(texts.get(language) or next(iter(texts.values()), None) or question.get("key", ""))


@router.get("/surveys/{survey_id}/contacts/{number}")
def contact_page(request: Request, survey_id: str, number: str) -> HTMLResponse:
    session = page_session(request, "surveys")
    return _contact_page(request, session, survey_id, number)


def _contact_page(
    request: Request, session: Session, survey_id: str, number: str, error: Any = None, status: int = 200
) -> HTMLResponse:
    try:
        sid = uuid.UUID(survey_id)
        survey = get(request, session, "surveys", f"/surveys/{sid}")
        contact = get(request, session, "surveys", f"/surveys/{sid}/contacts/{number}")
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, survey_id, session))
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    questions = [
        {**q, "label": _question_text(q, session.user.language), "kind": q.get("kind") or "scale"}
        for q in survey.get("questions", [])
    ]
    return render(
        request,
        session,
        "contact.html.j2",
        status,
        survey=survey,
        contact=contact,
        number=number,
        questions=questions,
        error=error,
    )


def _answer(kind: str, text: str) -> int | bool | str | None:
    """A form's answer as the survey API takes it: a scale point or a choice number, yes/no, or text."""
    if text == "":
        return None
    if kind == "yes_no":
        return text == "yes"
    if kind in ("scale", "choice"):
        return int(text) if text.isdigit() else text  # anything else: the service says why it is refused
    return text


@router.post("/surveys/{survey_id}/contacts/{number}/response")
async def survey_response(request: Request, survey_id: str, number: str) -> Response:
    """The answers the member gave during the call, recorded by the expert making it."""
    session, form = await checked_form(request, "surveys")
    try:
        sid = uuid.UUID(survey_id)
        survey = get(request, session, "surveys", f"/surveys/{sid}")
        answers = {
            q["key"]: _answer(q.get("kind") or "scale", first(form, f"q_{q['key']}"))
            for q in survey.get("questions", [])
        }
        services = [s.strip() for s in first(form, "services_introduced").split(",") if s.strip()]
        call(
            request,
            session,
            "surveys",
            "POST",
            f"/surveys/{sid}/contacts/{number}/response",
            json={
                "line": first(form, "line") or "mobile",
                "answers": {k: v for k, v in answers.items() if v is not None},
                "services_introduced": services,
                "dissatisfaction": first(form, "dissatisfaction") or None,
            },
        )
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=local_error(404, survey_id, session))
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
        return _contact_page(request, session, survey_id, number, error, problem.status)
    return see_other(f"/surveys/{survey_id}?saved=1")


@router.get("/plan")
def plan_page(request: Request) -> HTMLResponse:
    session = page_session(request, "plan")
    error, progress = None, None
    try:
        progress = get(request, session, "plan", "/plan/progress")
    except ServiceProblem as problem:
        if problem.status != 404:  # no plan imported yet: an empty page, not an error
            error = problem_text(problem, session.user.language)
    return render(request, session, "plan.html.j2", progress=progress, error=error)


@router.get("/reports")
def reports_page(request: Request) -> HTMLResponse:
    session = page_session(request, "reports")
    q = request.query_params
    return render(
        request,
        session,
        "reports.html.j2",
        as_of=q.get("as_of", ""),
        year=q.get("year", ""),
        unit=q.get("unit") or session.user.unit or "",
    )


# The documents the reports page opens through the console (so the person's own token is used, not a bare link
# the browser could not authenticate): name -> (service, path; {placeholders} come from the query).
DOCUMENTS = {
    "units": ("reporting", "/reports/units"),
    "unanswered": ("reporting", "/reports/unanswered"),
    "end-of-day": ("reporting", "/reports/end-of-day/{unit}/{day}"),
    "call-stats": ("reporting", "/reports/calls/stats"),
    "complaints-open": ("reporting", "/reports/complaints/open"),
    "complaints-six-monthly": ("reporting", "/reports/complaints/six-monthly"),
    "complaints-yearly": ("reporting", "/reports/complaints/yearly"),
    "complaints-export": ("complaints", "/complaints/export"),
    "complaint-form": ("complaints", "/complaints/{complaint_id}/form/print"),
    "plan-quarterly": ("plan", "/plan/reports/quarterly"),
    "desks-ratio": ("desks", "/desks/reports/ratio"),
    "desk-final-list": ("desks", "/desks/{desk_id}/final-list"),
}
# A printable page of a service is shown as it is, with its own inline style and no script at all.
DOCUMENT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'none'"


@router.get("/documents/{name}")
def document(request: Request, name: str) -> Response:
    session = page_session(request, "my_work")
    if name not in DOCUMENTS:
        return render(request, session, "error.html.j2", 404, error=local_error(404, name, session))
    service, template = DOCUMENTS[name]
    params = dict(request.query_params)
    try:
        path = template.format(**{k: quote(params.pop(k), safe="") for k in _placeholders(template)})
    except KeyError as missing:
        return render(request, session, "error.html.j2", 422, error=local_error(422, f"{missing} is needed", session))
    try:
        reply = console(request).backends.fetch(service, path, session.token, params, session.user.language)
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    headers = {"Content-Security-Policy": DOCUMENT_POLICY}
    if "content-disposition" in reply.headers:
        headers["Content-Disposition"] = reply.headers["content-disposition"]
    return Response(reply.content, media_type=reply.headers.get("content-type"), headers=headers)


def _placeholders(template: str) -> list[str]:
    return [part.split("}")[0] for part in template.split("{")[1:]]
