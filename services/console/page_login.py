"""Logging in and out, changing one's password, and switching language and role."""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.console import choices, locales
from services.console.page_common import local_error
from services.console.users import LANGUAGES, BadCredentials, LockedOut, Session
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
from shared.notification_choices import CHANNELS

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
    """The person's own account: the password, and the optional messages and the channel each comes by."""
    session = page_session(request, "my_work")
    message = (
        locales.words(session.user.language)["notifications_saved"] if request.query_params.get("chosen") else None
    )
    return _account(request, session, message=message)


def _account(request: Request, session: Session, status: int = 200, **context: Any) -> HTMLResponse:
    state = console(request)
    person = next((p for p in state.settings.organisation.people if p.name == session.user.name), None)
    return render(
        request,
        session,
        "password.html.j2",
        status,
        notify_kinds=choices.offered(session.user, state.settings),
        notify_now=choices.current(session.user, bool(person and person.queue_mail)),
        channels=CHANNELS,
        **{"message": None, **context},
    )


@router.post("/account/notifications")
async def choose_notifications(request: Request) -> Response:
    session, form = await checked_form(request, "my_work")
    state = console(request)
    kinds = choices.offered(session.user, state.settings)
    try:
        choices.choose(
            state.directory,
            session.user.name,
            {kind: first(form, kind) for kind in kinds},
            by=session.user.name,
            kinds=kinds,
        )
    except DomainError as exc:
        return _account(request, session, exc.status, error=local_error(exc.status, str(exc), session))
    return see_other("/password?chosen=1")


@router.post("/password")
async def change_password(request: Request) -> HTMLResponse:
    session, form = await checked_form(request, "my_work")
    words = locales.words(session.user.language)
    new = first(form, "new_password")
    if new != first(form, "new_password_again"):
        return _account(request, session, 422, error=local_error(422, words["passwords_differ"], session))
    try:
        console(request).directory.change_own_password(session, first(form, "old_password"), new)
    except LockedOut:
        return _account(request, session, 429, error=local_error(429, words["locked"], session))
    except BadCredentials:
        return _account(request, session, 401, error=local_error(401, words["bad_login"], session))
    except DomainError as exc:
        return _account(request, session, exc.status, error=local_error(exc.status, str(exc), session))
    return _account(request, session, message=words["password_changed"])


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
