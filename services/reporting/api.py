"""HTTP API of the reporting service: unanswered-call queues with deadlines, end-of-day lists, breaches,
escalations and per-unit call figures, read from the processors' read models."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from services.reporting.readmodel import ReadModel
from shared.auth import READERS, Principal, Role, require
from shared.calendar import BusinessCalendar
from shared.settings import Organisation
from shared.validation import SaneDate, window


def get_readmodel(request: Request) -> ReadModel:
    return request.app.state.readmodel


ReadModelDep = Annotated[ReadModel, Depends(get_readmodel)]
Reader = Annotated[Principal, Depends(require(*READERS))]


class UnansweredItem(BaseModel):
    call_id: str
    unit: str | None
    expert: str | None
    caller: str | None
    member_id: str | None
    contact_phone: str | None
    contact_name: str | None
    subject: str | None
    automatic: bool | None
    received_at: datetime | None
    registered_at: datetime
    callback_due: datetime
    callback_due_local: str
    working_seconds_left: float
    state: str
    callback_attempts: int | None
    called_back_at: datetime | None
    outcome: str | None
    callback_delay_working_seconds: float | None
    breached: bool
    breached_at: datetime | None


class EndOfDayEntry(BaseModel):
    unit: str
    day: date
    day_local: str
    manager: str | None
    produced_at: datetime
    count: int


class EndOfDayList(EndOfDayEntry):
    items: list[dict[str, Any]]


class UnitFigures(BaseModel):
    unit: str
    offered: int
    answered: int
    unanswered: int
    open: int
    breaches: int
    escalations: int
    answer_rate: float | None


def _view(item: dict[str, Any], calendar: BusinessCalendar, now: datetime) -> dict[str, Any]:
    due = item["callback_due"]
    left = 0.0
    # A deadline stored before dates were bounded (year 500, 9999) is shown as it is, never counted day by day.
    if item["state"] == "open" and window.problem(due, now) is None:
        left = calendar.working_time_between(now, due).total_seconds()
    return {
        **item,
        "callback_due_local": calendar.format(due),
        "working_seconds_left": left,
        "breached": item.get("breached_at") is not None,
    }


def _scope(
    principal: Principal, organisation: Organisation, unit: str | None, expert: str | None
) -> tuple[str | None, str | None]:
    """Experts see their own queue, unit managers their unit's; member relations, the SG and auditors see all."""
    if principal.role == Role.EXPERT:
        if expert not in (None, principal.name):
            raise HTTPException(403, "an expert sees only his or her own queue")
        return unit, principal.name
    if principal.role == Role.UNIT_MANAGER:
        if unit not in (None, principal.unit):
            raise HTTPException(403, "a unit manager sees only his or her own unit")
        return principal.unit, expert
    return unit, expert


router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/unanswered", response_model=list[UnansweredItem], summary="Unanswered calls with their callback deadline")
def unanswered(
    request: Request,
    readmodel: ReadModelDep,
    principal: Reader,
    unit: str | None = None,
    expert: str | None = None,
    state: Literal["open", "called_back", "all"] = "open",
    breached: bool | None = None,
) -> Any:
    organisation: Organisation = request.app.state.settings.organisation
    if unit and not organisation.has_unit(unit):
        raise HTTPException(404, f"no unit {unit!r}")
    unit, expert = _scope(principal, organisation, unit, expert)
    now = request.app.state.clock()
    items = readmodel.unanswered_items(
        unit=unit, expert=expert, state=None if state == "all" else state, breached=breached
    )
    return [_view(i, readmodel.calendar, now) for i in items]


@router.get("/end-of-day", response_model=list[EndOfDayEntry], summary="End-of-day lists produced so far")
def end_of_day_index(request: Request, readmodel: ReadModelDep, principal: Reader, unit: str | None = None) -> Any:
    unit, _ = _scope(principal, request.app.state.settings.organisation, unit, None)
    return [
        {**e, "day_local": readmodel.calendar.format_date(date.fromisoformat(e["day"]))}
        for e in readmodel.end_of_day_index(unit)
    ]


CSV_COLUMNS = [
    "call_id",
    "caller",
    "contact_phone",
    "contact_name",
    "member_id",
    "subject",
    "expert",
    "registered_at",
    "callback_due",
    "callback_due_local",
    "automatic",
]


@router.get(
    "/end-of-day/{unit}/{day}",
    response_model=EndOfDayList,
    summary="A unit's end-of-day list of unanswered calls, as JSON or CSV (format=csv or Accept: text/csv)",
    responses={200: {"content": {"text/csv": {}}}},
)
def end_of_day_list(
    request: Request,
    readmodel: ReadModelDep,
    principal: Reader,
    unit: str,
    day: SaneDate,
    format: Literal["json", "csv"] | None = Query(None),
) -> Any:
    organisation: Organisation = request.app.state.settings.organisation
    if not organisation.has_unit(unit):
        raise HTTPException(404, f"no unit {unit!r}")
    _scope(principal, organisation, unit, None)
    found = readmodel.end_of_day_list(unit, day.isoformat())
    if found is None:
        raise HTTPException(
            404, f"no end-of-day list for {unit} on {day} (not yet produced, or nothing was left unanswered)"
        )
    wants_csv = format == "csv" or (format is None and "text/csv" in request.headers.get("accept", ""))
    if wants_csv:
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=CSV_COLUMNS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(found["items"])
        return Response(
            "\ufeff" + buffer.getvalue(),  # BOM: spreadsheet programs then read Persian and Turkish text correctly
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="unanswered-{unit}-{day}.csv"'},
        )
    return {
        **found,
        "day_local": readmodel.calendar.format_date(day),
        "count": len(found["items"]),
    }


@router.get("/escalations", summary="Units escalated to the SG for repeated non-answer, with their corrective actions")
def list_escalations(
    readmodel: ReadModelDep,
    _: Annotated[Principal, Depends(require(Role.MR_MANAGER, Role.SG, Role.AUDITOR, Role.ADMIN, Role.UNIT_MANAGER))],
    unit: str | None = None,
) -> list[dict[str, Any]]:
    return readmodel.escalation_list(unit)


@router.get("/units", response_model=list[UnitFigures], summary="Calls offered, answered and left unanswered per unit")
def unit_figures(readmodel: ReadModelDep, _: Reader) -> Any:
    return unit_figure_rows(readmodel)


def unit_figure_rows(readmodel: ReadModel) -> list[dict[str, Any]]:
    counts = {r["unit"]: r for r in readmodel.unit_counts()}
    gauges = {r["unit"]: r for r in readmodel.unit_gauges()}
    escalated = dict(readmodel.escalation_counts())
    rows = []
    for unit in sorted(set(counts) | set(gauges) | set(escalated)):
        c = counts.get(unit, {})
        g = gauges.get(unit, {})
        offered = int(c.get("offered") or 0)
        answered = int(c.get("answered") or 0)
        rows.append(
            {
                "unit": unit,
                "offered": offered,
                "answered": answered,
                "unanswered": int(c.get("unanswered") or 0),
                "open": int(g.get("open") or 0),
                "breaches": int(g.get("breaches") or 0),
                "escalations": escalated.get(unit, 0),
                "answer_rate": round(answered / offered, 4) if offered else None,
            }
        )
    return rows
