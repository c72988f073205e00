"""Composition root of the staff console: the users and their sessions, the clients of the services' APIs, the
pages, the users API and the static files (htmx, the style sheet)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from services.console.api import users_api
from services.console.backends import Backends, ServiceProblem
from services.console.oidc import oidc
from services.console.pages import pages
from services.console.users import UserDirectory
from services.console.web import (
    Console,
    CsrfRefused,
    LoginRequired,
    PageForbidden,
    login_redirect,
    problem_text,
    render,
)
from shared.clock import Clock, system_clock
from shared.service import create_service_app
from shared.settings import Settings

STATIC = Path(__file__).with_name("static")
DESCRIPTION = """The staff console: experts, managers, the member-relations manager and the SG work in a browser, in
Persian, Turkish or English. Staff log in with a user name and password (argon2id hashes, server-side sessions,
CSRF tokens on every form, lock-out after repeated failures) or through the chamber's OpenID Connect provider;
every action is sent to the service that owns it with a bearer token minted for the person, so it is the same
audited command as through the API. The JSON API here manages the users (admins) and their recorded history."""

# What a browser may load on a console page: only the console's own files; no frames of it elsewhere.
SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
    "form-action 'self'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def build_directory(
    settings: Settings, clock: Clock = system_clock, hasher: PasswordHasher | None = None
) -> UserDirectory:
    from shared.auth import TokenStore

    return UserDirectory(
        settings.local_db_url("console"), TokenStore(settings.auth_db_url), settings.console, clock, hasher
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    clients: Mapping[str, httpx.Client] | None = None,
    hasher: PasswordHasher | None = None,
) -> FastAPI:
    """`clients` replaces the HTTP clients of the services (tests pass clients of the real services in-process);
    `hasher` a cheaper argon2 for tests."""
    backends = Backends(settings, clients)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            backends.close()

    app = create_service_app("console", settings, title="CRM staff console", description=DESCRIPTION, lifespan=lifespan)
    directory = UserDirectory(settings.local_db_url("console"), app.state.tokens, settings.console, clock, hasher)
    app.state.console = Console(settings, directory, backends)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(users_api)
    app.include_router(oidc)
    app.include_router(pages)

    @app.middleware("http")
    async def _headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        response = await call_next(request)
        if not request.url.path.startswith(("/docs", "/redoc")):
            for name, value in SECURITY_HEADERS.items():
                response.headers.setdefault(name, value)
        if response.headers.get("content-type", "").startswith("text/html"):
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        if request.headers.get("HX-Request"):
            return Response(status_code=401, headers={"HX-Redirect": "/login"})
        return login_redirect(exc.next_url)

    @app.exception_handler(PageForbidden)
    async def _forbidden(request: Request, exc: PageForbidden) -> Response:
        error = problem_text(ServiceProblem(403, "", request.url.path, "console"), exc.session.user.language)
        return render(request, exc.session, "error.html.j2", 403, error=error)

    @app.exception_handler(CsrfRefused)
    async def _csrf(request: Request, exc: CsrfRefused) -> Response:
        from services.console.locales import words

        language = exc.session.user.language if exc.session else "fa"
        error = {"status": 403, "title": words(language)["csrf"], "detail": ""}
        return render(request, exc.session, "error.html.j2", 403, error=error)

    return app
