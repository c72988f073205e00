"""What the complaints service's routers share: the desk and index of the running app, and the public shape of a
complaint (with whether its current stage is overdue now)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request

from services.complaints.application import ComplaintDesk
from services.complaints.index import ComplaintIndex


# Async on purpose: FastAPI runs a plain `def` dependency in the thread pool, a hop to a thread and back per
# dependency and request for an attribute lookup (bench/command_api.py).
async def get_desk(request: Request) -> ComplaintDesk:
    return request.app.state.desk


async def get_index(request: Request) -> ComplaintIndex:
    return request.app.state.index


DeskDep = Annotated[ComplaintDesk, Depends(get_desk)]
IndexDep = Annotated[ComplaintIndex, Depends(get_index)]


def public_view(desk: ComplaintDesk, view: dict[str, Any]) -> dict[str, Any]:
    due = view.get("due_at")
    if isinstance(due, str):
        due = datetime.fromisoformat(due)
    return {**view, "overdue": bool(due and desk.clock() > due)}


def respond(desk: ComplaintDesk, complaint_id: uuid.UUID) -> dict[str, Any]:
    return public_view(desk, desk.view(complaint_id))
