"""The admin's page of users, and the mailbox of the mail and SMS the services sent."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from services.console.backends import ServiceProblem
from services.console.page_common import get, local_error
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
from shared.auth import Role
from shared.errors import DomainError

router = APIRouter(include_in_schema=False)


@router.get("/admin/users")
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


@router.post("/admin/users")
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
        return _users(request, session, local_error(exc.status, str(exc), session), exc.status)
    return see_other("/admin/users?saved=1")


@router.post("/admin/users/{name}")
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
            return _users(request, session, local_error(422, f"unknown action {action!r}", session), 422)
    except DomainError as exc:
        return _users(request, session, local_error(exc.status, str(exc), session), exc.status)
    return see_other("/admin/users?saved=1")


# The two folders of the notifications service: e-mails by address, SMS by phone number.
BOXES = {"mail": "/mailbox", "sms": "/sms-outbox"}


def _mail_error(request: Request, session: Session, problem: ServiceProblem) -> HTMLResponse:
    return render(request, session, "error.html.j2", problem.status, error=problem_text(problem, session.user.language))


@router.get("/mailbox")
def mailbox(request: Request) -> HTMLResponse:
    """The boxes the person may read, as the notifications service decides with the person's own token: staff
    their own address and number, admins, the auditor, the SG and the member-relations manager every box."""
    session = page_session(request, "mailbox")
    try:
        boxes = {kind: get(request, session, "notifications", path) for kind, path in BOXES.items()}
    except ServiceProblem as problem:
        return _mail_error(request, session, problem)
    return render(request, session, "mailbox.html.j2", boxes=boxes, box=None, messages=None, message=None)


@router.get("/mailbox/{kind}/{address}")
def mailbox_box(request: Request, kind: str, address: str) -> HTMLResponse:
    session = page_session(request, "mailbox")
    if kind not in BOXES:
        return render(request, session, "error.html.j2", 404, error=local_error(404, kind, session))
    try:
        found = get(request, session, "notifications", f"{BOXES[kind]}/{quote(address, safe='@+')}")
    except ServiceProblem as problem:
        return _mail_error(request, session, problem)
    box = {"kind": kind, "address": address}
    return render(request, session, "mailbox.html.j2", boxes=None, box=box, messages=found, message=None)


@router.get("/mailbox/{kind}/{address}/{name}")
def mailbox_message(request: Request, kind: str, address: str, name: str) -> HTMLResponse:
    session = page_session(request, "mailbox")
    if kind not in BOXES:
        return render(request, session, "error.html.j2", 404, error=local_error(404, kind, session))
    path = f"{BOXES[kind]}/{quote(address, safe='@+')}/{quote(name, safe='')}"
    try:
        found = get(request, session, "notifications", path)
    except ServiceProblem as problem:
        return _mail_error(request, session, problem)
    box = {"kind": kind, "address": address}
    return render(request, session, "mailbox.html.j2", boxes=None, box=box, messages=None, message=found)
