"""Logging in and out, changing one's password, and switching language and role."""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console import locales
from services.console.page_common import local_error
from services.console.users import LANGUAGES, BadCredentials, LockedOut
from services.console.web import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    checked_form,
    console,
    first,
    form_of,
    page_session,
    render,
    safe_next,
    see_other,
    set_cookie,
)
from shared.auth import Role
from shared.errors import DomainError

router = APIRouter(include_in_schema=False)


@router.get("/")
def home() -> RedirectResponse:
    return see_other("/work")


@router.get("/login")
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


@router.post("/login")
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


@router.post("/logout")
async def logout(request: Request) -> Response:
    session, _ = await checked_form(request, "my_work")
    console(request).directory.close_session(session)
    response = see_other("/login")
    response.delete_cookie(COOKIE, path="/")
    return response


@router.get("/password")
def password_page(request: Request) -> HTMLResponse:
    session = page_session(request, "my_work")
    return render(request, session, "password.html.j2", message=None)


@router.post("/password")
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
            error=local_error(422, words["passwords_differ"], session),
        )
    try:
        console(request).directory.change_own_password(session, first(form, "old_password"), new)
    except LockedOut:
        return render(
            request, session, "password.html.j2", 429, message=None, error=local_error(429, words["locked"], session)
        )
    except BadCredentials:
        return render(
            request,
            session,
            "password.html.j2",
            401,
            message=None,
            error=local_error(401, words["bad_login"], session),
        )
    except DomainError as exc:
        return render(
            request,
            session,
            "password.html.j2",
            exc.status,
            message=None,
            error=local_error(exc.status, str(exc), session),
        )
    return render(request, session, "password.html.j2", message=words["password_changed"])


@router.post("/language")
async def set_language(request: Request) -> Response:
    session, form = await checked_form(request, "my_work")
    language = first(form, "language")
    if language in LANGUAGES:
        console(request).directory.change(session.user.name, by=session.user.name, language=language)
    return see_other(safe_next(first(form, "back")))


@router.post("/role")
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
