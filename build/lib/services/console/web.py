"""What every console page shares: the session from its cookie, the CSRF check of every form, rendering a template
in the person's language, and turning a service's problem+json into a message next to the form."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from functools import cache
from typing import Any
from urllib.parse import parse_qs, quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import ChainableUndefined, Environment, PackageLoader
from markupsafe import Markup

from services.console import access, locales
from services.console.backends import Backends, ServiceProblem
from services.console.users import Session, UserDirectory
from shared.auth import Role
from shared.http import read_body
from shared.settings import Settings

COOKIE = "crm_session"
LOGIN_CSRF_COOKIE = "crm_login_csrf"
MAX_FORM = 64 * 1024


@dataclass
class Console:
    settings: Settings
    directory: UserDirectory
    backends: Backends


class LoginRequired(Exception):
    def __init__(self, next_url: str):
        self.next_url = next_url


class PageForbidden(Exception):
    def __init__(self, session: Session):
        self.session = session


class CsrfRefused(Exception):
    def __init__(self, session: Session | None):
        self.session = session


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("services.console", "templates"),
        autoescape=True,
        undefined=ChainableUndefined,  # a field a service leaves out shows nothing rather than failing the page
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["HREFS"] = access.HREFS
    env.globals["LANGUAGES"] = locales.NAMES
    return env


def console(request: Request) -> Console:
    state: Console = request.app.state.console
    return state


def secure(request: Request) -> bool:
    return request.url.scheme == "https" or console(request).settings.console.secure_cookies == "always"


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=secure(request), path="/")


def session_of(request: Request) -> Session | None:
    return console(request).directory.session(request.cookies.get(COOKIE))


def page_session(request: Request, page: str) -> Session:
    """The logged-in person, allowed to see `page`; otherwise a redirect to the login page or a 403 page."""
    session = session_of(request)
    if session is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    if not access.may_see(session.role, page):
        raise PageForbidden(session)
    return session


async def form_of(request: Request) -> dict[str, list[str]]:
    body = await read_body(request, MAX_FORM, f"a form may send at most {MAX_FORM // 1024} KiB")
    try:
        return parse_qs(body.decode("utf-8"), keep_blank_values=True, max_num_fields=200)
    except (UnicodeDecodeError, ValueError):
        return {}


def first(form: dict[str, list[str]], key: str, default: str = "") -> str:
    return (form.get(key) or [default])[0].strip()


async def checked_form(request: Request, page: str) -> tuple[Session, dict[str, list[str]]]:
    """The session and the form of a POST whose CSRF token is the session's own; otherwise CsrfRefused."""
    session = page_session(request, page)
    form = await form_of(request)
    if not secrets.compare_digest(first(form, "csrf"), session.csrf):
        raise CsrfRefused(session)
    return session, form


def render(
    request: Request,
    session: Session | None,
    template: str,
    status: int = 200,
    *,
    language: str | None = None,
    **context: Any,
) -> HTMLResponse:
    state = console(request)
    lang = language or (session.user.language if session else "fa")
    tz = state.settings.business_calendar.tz
    html = (
        environment()
        .get_template(template)
        .render(
            L=locales.words(lang),
            lang=lang,
            dir=locales.direction(lang),
            session=session,
            menu=access.menu(session.role) if session else [],
            roles=[r.value for r in session.user.roles] if session else [],
            when=lambda v, with_time=True: _isolated(locales.when(v, lang, tz, with_time)),
            num=lambda v: locales.digits(v, lang),
            duration=lambda s: locales.duration(s, lang),
            label=lambda kind, value: locales.label(lang, kind, value),
            unit_name=lambda unit: _unit_name(state.settings, unit, lang),
            path=request.url.path,
            saved=request.query_params.get("saved") == "1",
            **{"error": None, "values": {}, **context},
        )
    )
    return HTMLResponse(html, status_code=status)


def _unit_name(settings: Any, unit: str | None, language: str) -> str:
    """A unit as the organisation file names it (its local name on Persian pages), or its id if it is not there."""
    found = next((u for u in settings.organisation.units if u.id == unit), None) if unit else None
    if found is None:
        return unit or ""
    return (found.name_local or found.name) if language == "fa" else found.name


def _isolated(text: str) -> Markup | str:
    """A date and time kept left to right inside a Persian sentence, so that the time does not jump before the day."""
    return Markup('<bdi dir="ltr">{}</bdi>').format(text) if text else ""


def problem_text(problem: ServiceProblem, language: str) -> dict[str, Any]:
    """What the person is shown: the kind of refusal in their language, and the service's own reason."""
    words = locales.words(language)
    key = f"error_{problem.status}" if f"error_{problem.status}" in words else "error_other"
    return {"status": problem.status, "title": words[key], "detail": problem.detail}


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def login_redirect(next_url: str) -> RedirectResponse:
    return see_other(f"/login?next={quote(next_url, safe='')}")


def safe_next(target: str | None) -> str:
    """Only a path of this site: never another host after login."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/work"
    return target


def role_of(session: Session) -> Role:
    return session.role
