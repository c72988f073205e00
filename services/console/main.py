"""Composition root of the staff console: the users' accounts (an event store, its index and the relay of the
store to Kafka), their sessions, the clients of the services' APIs, the pages, the users API and the static files
(htmx, the style sheet)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from pathlib import Path

import httpx
from argon2 import PasswordHasher
from fastapi import FastAPI, Request, Response
from fastapi.staticfiles import StaticFiles

from services.console.accounts import UserBook
from services.console.api import users_api
from services.console.backends import Backends, ServiceProblem
from services.console.index import UserIndex
from services.console.migration import migrate_old_users
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
from shared.auth import TokenStore
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.service import event_sourced_service
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


def build_book(settings: Settings) -> UserBook:
    """The event store of the users' accounts."""
    return UserBook(store_env(settings, "console"))


def build_index(settings: Settings, book: UserBook) -> UserIndex:
    return UserIndex(book, create_engine(settings.local_db_url("console_index")))


def build_directory(
    settings: Settings,
    clock: Clock = system_clock,
    hasher: PasswordHasher | None = None,
    *,
    tokens: TokenStore | None = None,
    book: UserBook | None = None,
) -> UserDirectory:
    """The users over their event store and its index (the CLI builds its own; the service passes its own)."""
    book = book or build_book(settings)
    index = build_index(settings, book)
    return UserDirectory(
        settings.local_db_url("console"),
        tokens or TokenStore(settings.auth_db_url),
        settings.console,
        clock,
        hasher,
        book=book,
        names=index.names,
    )


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    clients: Mapping[str, httpx.Client] | None = None,
    hasher: PasswordHasher | None = None,
    relay: bool | None = None,
) -> FastAPI:
    """`clients` replaces the HTTP clients of the services (tests pass clients of the real services in-process);
    `hasher` a cheaper argon2 for tests; `relay=False` keeps the accounts' store off Kafka."""
    backends = Backends(settings, clients)

    book = build_book(settings)
    index = build_index(settings, book)

    async def close_backends(stop: asyncio.Event) -> None:
        await stop.wait()
        backends.close()

    app = event_sourced_service(
        "console",
        settings,
        book,
        index.follower,
        title="CRM staff console",
        description=DESCRIPTION,
        relay=relay,
        background=lambda stop: [close_backends(stop)],
    )
    directory = UserDirectory(
        settings.local_db_url("console"),
        app.state.tokens,
        settings.console,
        clock,
        hasher,
        book=book,
        names=index.names,
    )
    migrate_old_users(directory)  # an install from before the accounts were event-sourced: once
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
