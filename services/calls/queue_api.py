"""HTTP API of the staff's queues: the personal queue (cartable) and a unit's list of calls awaiting a callback."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from services.calls import access
from services.calls.api import CentreDep, IndexDep
from services.calls.application import CallCentre
from services.calls.index import CallIndex
from services.calls.queue_json import RenderedCalls
from services.calls.schemas import QueueItem
from shared.paging import paged
from shared.validation import Limit, Offset

queues = APIRouter(prefix="/queues", tags=["queues"])


def _queue(
    request: Request,
    centre: CallCentre,
    index: CallIndex,
    response: Response,
    unit: str | None,
    expert: str | None,
    limit: int,
    offset: int,
) -> Response:
    """A page of a queue read from the index and the member database, in the request's one thread hop, answered as
    the JSON of `list[QueueItem]` made here (services/calls/queue_json.py) rather than validated again by FastAPI."""
    rows, total = index.queue_rows(unit=unit, expert=expert, limit=limit, offset=offset)
    paged(response, rows, total)
    lookup = getattr(request.app.state, "members", None)
    rendered: RenderedCalls = request.app.state.rendered_calls
    body = rendered.page(rows, centre.calendar, centre.clock(), lookup.names_of if lookup is not None else None)
    answer = Response(body, media_type="application/json")
    answer.raw_headers.extend(response.raw_headers)  # what the page's dependencies set (the total), as FastAPI would
    return answer


@queues.get("/experts/me", response_model=list[QueueItem], summary="My personal queue (cartable) of unanswered calls")
async def my_queue(
    request: Request,
    centre: CentreDep,
    index: IndexDep,
    response: Response,
    principal: access.QueueOwner,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """The signed-in expert's personal queue (cartable): calls registered for a callback by this expert, the most urgent first (among calls due at the same moment, the one waiting longest), each with its deadline in the chamber's calendar and the working time left."""
    return await run_in_threadpool(_queue, request, centre, index, response, None, principal.name, limit, offset)


@queues.get("/experts/{expert}", response_model=list[QueueItem], summary="An expert's personal queue")
async def expert_queue(
    request: Request,
    index: IndexDep,
    centre: CentreDep,
    response: Response,
    _: access.ExpertQueueReader,
    expert: str,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """An expert's personal queue as the unit manager or member-relations manager sees it, to follow up late callbacks."""
    return await run_in_threadpool(_queue, request, centre, index, response, None, expert, limit, offset)


@queues.get("/units/{unit}", response_model=list[QueueItem], summary="A unit's unanswered calls awaiting callback")
async def unit_queue(
    request: Request,
    index: IndexDep,
    centre: CentreDep,
    response: Response,
    _: access.UnitQueueReader,
    unit: str,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    """Every call of a unit that still awaits a callback, for its manager, the most urgent first (among calls due at the same moment, the one waiting longest), with each deadline and the working time left."""
    if not centre.organisation.has_unit(unit):
        raise HTTPException(404, f"no unit {unit!r}")
    return await run_in_threadpool(_queue, request, centre, index, response, unit, None, limit, offset)
