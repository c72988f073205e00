"""The console's pages: login and password, My work, calls, complaints, members, surveys, desks, plan and reports,
and the admin's page of users. Every read and every command goes to the service that owns it, with the session's
bearer token; a refusal is shown next to the form in the person's language."""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console import locales
from services.console.backends import ServiceProblem
from services.console.users import LANGUAGES, BadCredentials, LockedOut, Session
from services.console.web import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    checked_form,
    console,
    first,
    form_of,
    page_session,
    problem_text,
    render,
    safe_next,
    see_other,
    set_cookie,
)
from shared.auth import Role
from shared.errors import DomainError

pages = APIRouter(include_in_schema=False)


def call(request: Request, session: Session, service: str, method: str, path: str, **kwargs: Any) -> Any:
    reply = console(request).backends.call(
        service, method, path, session.token, language=session.user.language, **kwargs
    )
    return reply.body


def get(request: Request, session: Session, service: str, path: str, **params: Any) -> Any:
    return call(request, session, service, "GET", path, params=params)


def quietly(request: Request, session: Session, service: str, path: str, **params: Any) -> Any:
    """A read whose refusal (a role that has no such list) only means there is nothing to show."""
    try:
        return get(request, session, service, path, **params)
    except ServiceProblem as problem:
        if problem.status in (401, 403, 404):
            return None
        raise


# --------------------------------------------------------------------------------------------------- login, logout


@pages.get("/")
def home() -> RedirectResponse:
    return see_other("/work")


@pages.get("/login")
def login_page(request: Request) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    language = request.query_params.get("lang") or "fa"
    response = render(
        request,
        None,
        "login.html.j2",
        language=language if language in LANGUAGES else "fa",
        csrf=token,
        next=safe_next(request.query_params.get("next")),
        oidc=bool(console(request).settings.console.oidc_issuer),
        message=None,
    )
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@pages.post("/login")
async def login(request: Request) -> Response:
    form = await form_of(request)
    state = console(request)
    language = first(form, "lang", "fa")
    language = language if language in LANGUAGES else "fa"
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    next_url = safe_next(first(form, "next"))

    def again(message: str, status: int) -> HTMLResponse:
        token = secrets.token_urlsafe(32)
        response = render(
            request,
            None,
            "login.html.j2",
            status,
            language=language,
            csrf=token,
            next=next_url,
            oidc=bool(state.settings.console.oidc_issuer),
            message=message,
        )
        set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response

    words = locales.words(language)
    if not cookie or not secrets.compare_digest(first(form, "csrf"), cookie):
        return again(words["csrf"], 403)
    try:
        user = state.directory.authenticate(first(form, "user_name"), first(form, "password"))
    except LockedOut:
        return again(words["locked"], 429)
    except BadCredentials:
        return again(words["bad_login"], 401)
    session = state.directory.open_session(user)
    response = see_other(next_url)
    set_cookie(request, response, COOKIE, session.id, max_age=int(state.settings.console.session_hours * 3600))
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@pages.post("/logout")
async def logout(request: Request) -> Response:
    session, _ = await checked_form(request, "my_work")
    console(request).directory.close_session(session)
    response = see_other("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


@pages.get("/password")
def password_page(request: Request) -> HTMLResponse:
    session = page_session(request, "my_work")
    return render(request, session, "password.html.j2", message=None)


@pages.post("/password")
async def change_password(request: Request) -> HTMLResponse:
    session, form = await checked_form(request, "my_work")
    words = locales.words(session.user.language)
    new = first(form, "new_password")
    if new != first(form, "new_password_again"):
        return render(
            request,
            session,
            "password.html.j2",
            422,
            message=None,
            error=_local_error(422, words["passwords_differ"], session),
        )
    try:
        console(request).directory.change_own_password(session, first(form, "old_password"), new)
    except LockedOut:
        return render(
            request, session, "password.html.j2", 429, message=None, error=_local_error(429, words["locked"], session)
        )
    except BadCredentials:
        return render(
            request,
            session,
            "password.html.j2",
            401,
            message=None,
            error=_local_error(401, words["bad_login"], session),
        )
    except DomainError as exc:
        return render(
            request,
            session,
            "password.html.j2",
            exc.status,
            message=None,
            error=_local_error(exc.status, str(exc), session),
        )
    return render(request, session, "password.html.j2", message=words["password_changed"])


def _local_error(status: int, detail: str, session: Session) -> dict[str, Any]:
    return problem_text(ServiceProblem(status, "", detail, "console"), session.user.language)


@pages.post("/language")
async def set_language(request: Request) -> Response:
    session, form = await checked_form(request, "my_work")
    language = first(form, "language")
    if language in LANGUAGES:
        console(request).directory.change(session.user.name, by=session.user.name, language=language)
    return see_other(safe_next(first(form, "back")))


@pages.post("/role")
async def switch_role(request: Request) -> Response:
    """Act in another of one's roles: a new session (and token) for it, the old one ended."""
    session, form = await checked_form(request, "my_work")
    state = console(request)
    try:
        role = Role(first(form, "role"))
    except ValueError:
        return see_other("/work")
    if role not in session.user.roles or role == session.role:
        return see_other("/work")
    new = state.directory.open_session(session.user, role)
    state.directory.close_session(session)
    response = see_other("/work")
    set_cookie(request, response, COOKIE, new.id, max_age=int(state.settings.console.session_hours * 3600))
    return response


# ------------------------------------------------------------------------------------------------------- my work


def _left(request: Request, due: str | None) -> float | None:
    if not due:
        return None
    calendar = console(request).settings.business_calendar
    try:
        moment = datetime.fromisoformat(due)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return calendar.working_time_between(console(request).directory.clock(), moment).total_seconds()


def _calls_work(request: Request, session: Session) -> list[dict[str, Any]]:
    items = []
    queue = quietly(request, session, "calls", "/queues/experts/me") or []
    if session.role == Role.UNIT_MANAGER and session.user.unit:
        # The unit's manager calls back the unit's unanswered calls, whichever expert missed them.
        queue = [*queue, *(quietly(request, session, "calls", f"/queues/units/{session.user.unit}") or [])]
    seen: set[str] = set()
    for c in queue:
        if c["id"] in seen:
            continue
        seen.add(c["id"])
        mr_follow_up = c.get("follow_up_due") and not c.get("callback_due")
        items.append(
            {
                "kind": "queue_mr" if mr_follow_up else "queue_callback",
                "title": c.get("member_name") or c.get("contact_name") or c.get("caller") or "",
                "detail": c.get("subject") or "",
                "href": f"/calls/{c['id']}",
                "due": c.get("due"),
                "left": c.get("working_seconds_left"),
            }
        )
    return items


def _complaints_work(request: Request, session: Session) -> list[dict[str, Any]]:
    return [
        {
            "kind": "queue_complaint",
            "title": c.get("reference", ""),
            "detail": c.get("stage") or c.get("state") or "",
            "href": f"/complaints/{c['id']}",
            "due": c.get("due_at"),
            "left": _left(request, c.get("due_at")),
        }
        for c in quietly(request, session, "complaints", "/complaints/waiting-on-me") or []
    ]


def _survey_work(request: Request, session: Session) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if session.role not in (Role.EXPERT, Role.MR_MANAGER):
        return items
    for survey in quietly(request, session, "surveys", "/surveys") or []:
        if survey.get("stage") != "running":
            continue
        rows = quietly(request, session, "surveys", f"/surveys/{survey['id']}/call-list", status="pending", limit=20)
        for row in rows or []:
            items.append(
                {
                    "kind": "queue_survey",
                    "title": row["membership_number"],
                    "detail": survey.get("title") or "",
                    "href": f"/surveys/{survey['id']}",
                    "due": row.get("next_attempt_at"),
                    "left": _left(request, row.get("next_attempt_at")),
                }
            )
    return items


def _desk_work(request: Request, session: Session) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    if session.role not in (Role.MS_EXPERT, Role.MS_MANAGER):
        return items
    for desk in quietly(request, session, "desks", "/desks", stage="archived") or []:
        due = (quietly(request, session, "desks", f"/desks/{desk['id']}") or {}).get("follow_up_due_at")
        items.append(
            {
                "kind": "queue_desk",
                "title": desk.get("agency", ""),
                "detail": desk.get("place", ""),
                "href": f"/desks/{desk['id']}",
                "due": due,
                "left": _left(request, due),
            }
        )
    return items


def gather_work(request: Request, session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The person's queue from every service that keeps one, most urgent first, and the refusals of the services
    that could not answer (the rest of the queue is still shown)."""
    items: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    for source in (_calls_work, _complaints_work, _survey_work, _desk_work):
        try:
            items.extend(source(request, session))
        except ServiceProblem as problem:
            errors.append(problem_text(problem, session.user.language))
    far = float("inf")
    items.sort(key=lambda i: i["left"] if i["left"] is not None else far)
    return items, errors


@pages.get("/work")
def my_work(request: Request) -> HTMLResponse:
    session = page_session(request, "my_work")
    items, errors = gather_work(request, session)
    return render(request, session, "work.html.j2", items=items, error=errors[0] if errors else None)


# --------------------------------------------------------------------------------------------------------- calls

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


@pages.get("/calls")
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
        return render(request, session, "error.html.j2", 404, error=_local_error(404, call_id, session))
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


@pages.get("/calls/{call_id}")
def call_page(request: Request, call_id: str) -> HTMLResponse:
    session = page_session(request, "calls")
    return _call_page(request, session, call_id)


@pages.post("/calls/{call_id}/{step}")
async def call_step(request: Request, call_id: str, step: str) -> Response:
    session, form = await checked_form(request, "calls")
    if step not in CALL_STEPS:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, step, session))
    body = {k: first(form, k) for k in CALL_STEPS[step] if first(form, k)}
    try:
        call(request, session, "calls", "POST", f"/calls/{uuid.UUID(call_id)}/{step}", json=body)
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, call_id, session))
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
        return _call_page(request, session, call_id, error, problem.status, values=body)
    return see_other(f"/calls/{call_id}?saved=1")


@pages.get("/units")
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


@pages.get("/end-of-day")
def end_of_day_page(request: Request) -> HTMLResponse:
    session = page_session(request, "end_of_day")
    error, lists = None, None
    try:
        lists = get(request, session, "reporting", "/reports/end-of-day")
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
    return render(request, session, "end_of_day.html.j2", lists=lists, error=error)


@pages.get("/wallboard")
def wallboard_page(request: Request) -> HTMLResponse:
    session = page_session(request, "wallboard")
    error, board = None, None
    try:
        board = get(request, session, "reporting", "/reports/calls/wallboard")
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
    partial = bool(request.headers.get("HX-Request"))  # htmx refreshing the board in place
    template = "wallboard_part.html.j2" if partial else "wallboard.html.j2"
    return render(request, session, template, board=board, error=error, partial=partial)


# ---------------------------------------------------------------------------------------------------- complaints

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


@pages.get("/complaints")
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
        return render(request, session, "error.html.j2", 404, error=_local_error(404, complaint_id, session))
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


@pages.get("/complaints/{complaint_id}")
def complaint_page(request: Request, complaint_id: str) -> HTMLResponse:
    session = page_session(request, "complaints")
    return _complaint_page(request, session, complaint_id)


@pages.post("/complaints")
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


@pages.post("/complaints/{complaint_id}/{step:path}")
async def complaint_step(request: Request, complaint_id: str, step: str) -> Response:
    session, form = await checked_form(request, "complaints")
    action = step.removeprefix("corrective-actions/").removesuffix("/done")
    if step.startswith("corrective-actions/") and step.endswith("/done") and "/" not in action:
        body: dict[str, Any] = {"note": first(form, "note")} if first(form, "note") else {}
    elif step not in COMPLAINT_STEPS:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, step, session))
    else:
        body = complaint_body(step, form)
    try:
        call(request, session, "complaints", "POST", f"/complaints/{uuid.UUID(complaint_id)}/{step}", json=body or None)
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, complaint_id, session))
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
        return _complaint_page(request, session, complaint_id, error, problem.status, values=body)
    return see_other(f"/complaints/{complaint_id}?saved=1")


# ------------------------------------------------------------------------------------------------------- members


@pages.get("/members")
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


@pages.get("/members/{number}")
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
        surveys=surveys,
    )


# ------------------------------------------------------------------------------- surveys, desks, plan, reports


@pages.get("/surveys")
def surveys_page(request: Request) -> HTMLResponse:
    session = page_session(request, "surveys")
    error, surveys = None, None
    try:
        surveys = get(request, session, "surveys", "/surveys")
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
    return render(request, session, "surveys.html.j2", surveys=surveys, survey=None, rows=None, error=error)


@pages.get("/surveys/{survey_id}")
def survey_page(request: Request, survey_id: str) -> HTMLResponse:
    session = page_session(request, "surveys")
    try:
        sid = uuid.UUID(survey_id)
        survey = get(request, session, "surveys", f"/surveys/{sid}")
        rows = quietly(request, session, "surveys", f"/surveys/{sid}/call-list", limit=100)
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, survey_id, session))
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    return render(request, session, "surveys.html.j2", surveys=None, survey=survey, rows=rows)


@pages.post("/surveys/{survey_id}/contacts/{number}/not-reached")
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


@pages.get("/surveys/{survey_id}/contacts/{number}")
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
        return render(request, session, "error.html.j2", 404, error=_local_error(404, survey_id, session))
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


@pages.post("/surveys/{survey_id}/contacts/{number}/response")
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
        return render(request, session, "error.html.j2", 404, error=_local_error(404, survey_id, session))
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
        return _contact_page(request, session, survey_id, number, error, problem.status)
    return see_other(f"/surveys/{survey_id}?saved=1")


@pages.get("/desks")
def desks_page(request: Request) -> HTMLResponse:
    session = page_session(request, "desks")
    error, desks = None, None
    try:
        desks = get(request, session, "desks", "/desks")
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
    return render(request, session, "desks.html.j2", desks=desks, error=error)


@pages.get("/desks/{desk_id}")
def desk_page(request: Request, desk_id: str) -> HTMLResponse:
    """A desk's schedule: its problem forms in slot order with the waiting list, attendance, decisions and
    follow-ups (each recorded here through the desks API), and the printable final list for the agency."""
    session = page_session(request, "desks")
    return _desk_page(request, session, desk_id)


def _desk_page(request: Request, session: Session, desk_id: str, error: Any = None, status: int = 200) -> HTMLResponse:
    try:
        desk = get(request, session, "desks", f"/desks/{uuid.UUID(desk_id)}")
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, desk_id, session))
    except ServiceProblem as problem:
        return render(
            request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language)
        )
    forms = sorted(desk.get("forms", []), key=lambda f: (f.get("slot_start") is None, f.get("slot_start") or ""))
    return render(request, session, "desk.html.j2", status, desk=desk, forms=forms, error=error)


def _decision(form: Any) -> dict[str, Any]:
    return {"decision": first(form, "decision")}


def _follow_up(form: Any) -> dict[str, Any]:
    return {"carried_out": first(form, "carried_out") == "yes", "result": first(form, "result")}


# The steps of a problem form recorded from the desk's page: step -> the JSON body made from the form
DESK_STEPS: dict[str, Callable[[Any], dict[str, Any]]] = {"decision": _decision, "follow-up": _follow_up}


@pages.post("/desks/{desk_id}/forms/{number}/{step}")
async def desk_step(request: Request, desk_id: str, number: str, step: str) -> Response:
    """The agency's decision on a problem form, or the follow-up call's result, sent to the desks service as the
    person's own command (the service checks the order of the steps and the role)."""
    session, form = await checked_form(request, "desks")
    if step not in DESK_STEPS:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, step, session))
    try:
        path = f"/desks/{uuid.UUID(desk_id)}/registrations/{quote(number, safe='')}/{step}"
        call(request, session, "desks", "POST", path, json=DESK_STEPS[step](form))
    except ValueError:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, desk_id, session))
    except ServiceProblem as problem:
        error = problem_text(problem, session.user.language)
        return _desk_page(request, session, desk_id, error, problem.status)
    return see_other(f"/desks/{desk_id}?saved=1#form-{number}")


@pages.get("/plan")
def plan_page(request: Request) -> HTMLResponse:
    session = page_session(request, "plan")
    error, progress = None, None
    try:
        progress = get(request, session, "plan", "/plan/progress")
    except ServiceProblem as problem:
        if problem.status != 404:  # no plan imported yet: an empty page, not an error
            error = problem_text(problem, session.user.language)
    return render(request, session, "plan.html.j2", progress=progress, error=error)


@pages.get("/reports")
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


@pages.get("/documents/{name}")
def document(request: Request, name: str) -> Response:
    session = page_session(request, "my_work")
    if name not in DOCUMENTS:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, name, session))
    service, template = DOCUMENTS[name]
    params = dict(request.query_params)
    try:
        path = template.format(**{k: quote(params.pop(k), safe="") for k in _placeholders(template)})
    except KeyError as missing:
        return render(request, session, "error.html.j2", 422, error=_local_error(422, f"{missing} is needed", session))
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


# --------------------------------------------------------------------------------------------------------- users


@pages.get("/admin/users")
def users_page(request: Request) -> HTMLResponse:
    session = page_session(request, "users")
    return _users(request, session)


def _users(request: Request, session: Session, error: Any = None, status: int = 200) -> HTMLResponse:
    directory = console(request).directory
    return render(
        request,
        session,
        "users.html.j2",
        status,
        users=directory.all(),
        all_roles=[r.value for r in Role if r not in (Role.TELEPHONY, Role.MONITORING, Role.SERVICE)],
        error=error,
    )


@pages.post("/admin/users")
async def add_user(request: Request) -> Response:
    session, form = await checked_form(request, "users")
    try:
        console(request).directory.add(
            first(form, "name"),
            form.get("roles", []),
            by=session.user.name,
            password=first(form, "password") or None,
            unit=first(form, "unit") or None,
            language=first(form, "language") or "fa",
            email=first(form, "email") or None,
            phone=first(form, "phone") or None,
        )
    except DomainError as exc:
        return _users(request, session, _local_error(exc.status, str(exc), session), exc.status)
    return see_other("/admin/users?saved=1")


@pages.post("/admin/users/{name}")
async def change_user(request: Request, name: str) -> Response:
    session, form = await checked_form(request, "users")
    directory = console(request).directory
    action = first(form, "action")
    try:
        if action == "roles":
            directory.change(name, by=session.user.name, roles=form.get("roles", []), unit=first(form, "unit") or None)
        elif action in ("disable", "enable"):
            directory.set_disabled(name, action == "disable", by=session.user.name)
        elif action == "password":
            directory.set_password(name, first(form, "password"), by=session.user.name)
        else:
            return _users(request, session, _local_error(422, f"unknown action {action!r}", session), 422)
    except DomainError as exc:
        return _users(request, session, _local_error(exc.status, str(exc), session), exc.status)
    return see_other("/admin/users?saved=1")


# ------------------------------------------------------------------------------------------------------- mailbox

# The two folders of the notifications service: e-mails by address, SMS by phone number.
BOXES = {"mail": "/mailbox", "sms": "/sms-outbox"}


def _mail_error(request: Request, session: Session, problem: ServiceProblem) -> HTMLResponse:
    return render(request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language))


@pages.get("/mailbox")
def mailbox(request: Request) -> HTMLResponse:
    """The boxes the person may read, as the notifications service decides with the person's own token: staff
    their own address and number, admins, the auditor, the SG and the member-relations manager every box."""
    session = page_session(request, "mailbox")
    try:
        boxes = {kind: get(request, session, "notifications", path) for kind, path in BOXES.items()}
    except ServiceProblem as problem:
        return _mail_error(request, session, problem)
    return render(request, session, "mailbox.html.j2", boxes=boxes, box=None, messages=None, message=None)


@pages.get("/mailbox/{kind}/{address}")
def mailbox_box(request: Request, kind: str, address: str) -> HTMLResponse:
    session = page_session(request, "mailbox")
    if kind not in BOXES:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, kind, session))
    try:
        found = get(request, session, "notifications", f"{BOXES[kind]}/{quote(address, safe='@+')}")
    except ServiceProblem as problem:
        return _mail_error(request, session, problem)
    box = {"kind": kind, "address": address}
    return render(request, session, "mailbox.html.j2", boxes=None, box=box, messages=found, message=None)


@pages.get("/mailbox/{kind}/{address}/{name}")
def mailbox_message(request: Request, kind: str, address: str, name: str) -> HTMLResponse:
    session = page_session(request, "mailbox")
    if kind not in BOXES:
        return render(request, session, "error.html.j2", 404, error=_local_error(404, kind, session))
    path = f"{BOXES[kind]}/{quote(address, safe='@+')}/{quote(name, safe='')}"
    try:
        found = get(request, session, "notifications", path)
    except ServiceProblem as problem:
        return _mail_error(request, session, problem)
    box = {"kind": kind, "address": address}
    return render(request, session, "mailbox.html.j2", boxes=None, box=box, messages=None, message=found)
