"""My work: what waits for the person in every procedure their role takes part in, soonest deadline first."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from services.console.backends import ServiceProblem
from services.console.page_common import quietly
from services.console.users import Session
from services.console.web import (
    console,
    page_session,
    problem_text,
    render,
)
from shared.auth import Role

router = APIRouter(include_in_schema=False)


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


@router.get("/work")
def my_work(request: Request) -> HTMLResponse:
    session = page_session(request, "my_work")
    items, errors = gather_work(request, session)
    return render(request, session, "work.html.j2", items=items, error=errors[0] if errors else None)
