"""What every page of the console does to reach a service: a call with the session's bearer token and language,
a read, a read whose refusal only means there is nothing to show, and a refusal the console makes itself."""

from __future__ import annotations

from typing import Any

from fastapi import Request

from services.console.backends import ServiceProblem
from services.console.users import Session
from services.console.web import console, problem_text


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


def local_error(status: int, detail: str, session: Session) -> dict[str, Any]:
    """A refusal the console itself makes, worded like a service's, in the person's language."""
    return problem_text(ServiceProblem(status, "", detail, "console"), session.user.language)


def read(
    request: Request, session: Session, service: str, path: str, **params: Any
) -> tuple[Any, dict[str, Any] | None]:
    """A page's data from a service, or None and the service's refusal in the person's language to show instead."""
    try:
        return get(request, session, service, path, **params), None
    except ServiceProblem as problem:
        return None, problem_text(problem, session.user.language)
