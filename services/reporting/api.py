"""HTTP API of the reporting service: unanswered-call queues with deadlines, end-of-day lists, breaches,
escalations and per-unit call figures, read from the processors' read models."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from services.reporting import access
from services.reporting.oversight import Oversight
from services.reporting.readmodel import ReadModel
from shared.calendar import BusinessCalendar
from shared.organisation import Organisation
from shared.paging import page
from shared.validation import Limit, Offset, check_day, window


def get_readmodel(request: Request) -> ReadModel:
    readmodel: ReadModel = request.app.state.readmodel
    readmodel.refresh_calendar()  # a closure the processor applied counts here too, without a restart
    return readmodel


ReadModelDep = Annotated[ReadModel, Depends(get_readmodel)]
Reader = access.Reader


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
    detected_at: datetime | None = None


class EndOfDayEntry(BaseModel):
    unit: str
    day: date
    day_local: str
    manager: str | None
    produced_at: datetime
    count: int
    # Asked of the notifier (the event a notifier consumes); None: not sent, the unit has no manager on file.
    delivery_requested_to: str | None = None
    delivery_requested_at: datetime | None = None


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


def _day(readmodel: ReadModel, text: str, where: str) -> date:
    """A day as staff write it: ISO or Solar Hijri (1405/09/05)."""
    try:
        return check_day(readmodel.calendar.parse_date(text))
    except ValueError as exc:
        raise HTTPException(422, f"{where}: {exc}") from None


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


router = APIRouter(prefix="/reports", tags=["reports"])


@router.get("/unanswered", response_model=list[UnansweredItem], summary="Unanswered calls with their callback deadline")
def unanswered(
    request: Request,
    response: Response,
    readmodel: ReadModelDep,
    scope: access.UnansweredScope,
    state: Literal["open", "following_up", "called_back", "all"] = "open",
    breached: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    organisation: Organisation = request.app.state.settings.organisation
    if scope.unit and not organisation.has_unit(scope.unit):
        raise HTTPException(404, f"no unit {scope.unit!r}")
    now = request.app.state.clock()
    items = readmodel.unanswered_items(
        unit=scope.unit, expert=scope.expert, state=None if state == "all" else state, breached=breached
    )
    return [_view(i, readmodel.calendar, now) for i in page(response, items, limit, offset)]


@router.get("/end-of-day", response_model=list[EndOfDayEntry], summary="End-of-day lists produced so far")
def end_of_day_index(
    response: Response,
    readmodel: ReadModelDep,
    scope: access.EndOfDayScope,
    day: str | None = Query(None, description="one day: ISO (2026-11-26) or Solar Hijri (1405/09/05)"),
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    entries = readmodel.end_of_day_index(scope.unit)
    if day is not None:
        wanted = _day(readmodel, day, "query.day").isoformat()
        entries = [e for e in entries if e["day"] == wanted]
    return [
        {**e, "day_local": readmodel.calendar.format_date(date.fromisoformat(e["day"]))}
        for e in page(response, entries, limit, offset)
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
    _: access.UnitListReader,
    unit: str,
    day_text: Annotated[str, Path(alias="day", description="the day: ISO (2026-11-26)")],
    format: Literal["json", "csv"] | None = Query(None),
) -> Any:
    day = _day(readmodel, day_text, "path.day")
    organisation: Organisation = request.app.state.settings.organisation
    if not organisation.has_unit(unit):
        raise HTTPException(404, f"no unit {unit!r}")
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


class FollowUpItem(BaseModel):
    call_id: str
    expert: str | None
    opened_at: datetime | None
    due: datetime
    due_local: str
    working_seconds_left: float
    state: str
    outcome: str | None
    closed_at: datetime | None
    breached: bool
    breached_at: datetime | None
    detected_at: datetime | None


@router.get(
    "/member-relations/follow-ups",
    response_model=list[FollowUpItem],
    summary="Calls member relations answered that still owe (or owed) an outcome, the earliest deadline first",
)
def member_relations_follow_ups(
    request: Request,
    readmodel: ReadModelDep,
    _: access.FollowUpReader,
    response: Response,
    expert: str | None = None,
    state: Literal["open", "closed", "all"] = "open",
    breached: bool | None = None,
    limit: Limit = 100,
    offset: Offset = 0,
) -> Any:
    now = request.app.state.clock()
    calendar = readmodel.calendar
    items = readmodel.follow_up_items(expert=expert, state=None if state == "all" else state, breached=breached)
    items = page(response, items, limit, offset)
    return [
        {
            **i,
            "due_local": calendar.format(i["due"]),
            "working_seconds_left": calendar.working_time_between(now, i["due"]).total_seconds()
            if i["state"] == "open"
            else 0.0,
            "breached": i.get("breached_at") is not None,
        }
        for i in items
    ]


@router.get("/escalations", summary="Units escalated to the SG for repeated non-answer, with their corrective actions")
def list_escalations(
    readmodel: ReadModelDep,
    response: Response,
    scope: access.EscalationScope,
    limit: Limit = 100,
    offset: Offset = 0,
) -> list[dict[str, Any]]:
    return page(response, readmodel.escalation_list(scope.unit), limit, offset)


@router.get("/units", response_model=list[UnitFigures], summary="Calls offered, answered and left unanswered per unit")
def unit_figures(readmodel: ReadModelDep, response: Response, _: Reader, limit: Limit = 100, offset: Offset = 0) -> Any:
    return page(response, unit_figure_rows(readmodel), limit, offset)


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


# -- escalations of repeated non-answer: review, report to the SG, corrective action (SY-PR-05-00-02) -----------
class EscalationAcceptance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(min_length=1, max_length=2000, description="what the review found", examples=["Lunch cover"])


class EscalationDismissal(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(
        min_length=1, max_length=2000, description="why no action is needed", examples=["PBX outage that day"]
    )


class EscalationReport(BaseModel):
    model_config = ConfigDict(extra="forbid")


class CorrectiveActionDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str | None = Field(default=None, min_length=1, max_length=300, description="what is to be fixed")
    description: str | None = Field(default=None, min_length=1, max_length=4000)
    owner: str | None = Field(
        default=None, min_length=1, max_length=200, description="who answers for it; the unit's manager if omitted"
    )


class EscalationPublic(BaseModel):
    id: str
    unit: str
    raised_at: datetime
    call_ids: list[str]
    status: Literal["raised", "accepted", "dismissed", "reported", "action_requested", "action_opened"]
    review_note: str | None
    reviewed_by: str | None
    reported_by: str | None
    corrective_action_id: str | None


def get_oversight(request: Request) -> Oversight:
    return request.app.state.oversight


OversightDep = Annotated[Oversight, Depends(get_oversight)]


def _escalation(oversight: Oversight, escalation_id: uuid.UUID) -> dict[str, Any]:
    e = oversight.escalation(escalation_id)
    return {
        "id": str(e.id),
        "unit": e.unit,
        "raised_at": e.raised_at,
        "call_ids": e.call_ids,
        "status": e.status,
        "review_note": e.review_note,
        "reviewed_by": e.reviewed_by,
        "reported_by": e.reported_by,
        "corrective_action_id": e.corrective_action_id,
    }


@router.get("/escalations/{escalation_id}", response_model=EscalationPublic, summary="One escalation and its step")
def get_escalation(
    request: Request, oversight: OversightDep, principal: access.EscalationUnitReader, escalation_id: uuid.UUID
) -> Any:
    found = _escalation(oversight, escalation_id)
    access.check_unit(principal, request.app.state.settings.organisation.member_relations_unit, found["unit"])
    return found


@router.post(
    "/escalations/{escalation_id}/accept",
    response_model=EscalationPublic,
    summary="The member-relations manager accepts the escalation after review, with a note",
)
def accept_escalation(
    request: Request,
    oversight: OversightDep,
    principal: access.EscalationReviewer,
    escalation_id: uuid.UUID,
    body: EscalationAcceptance,
) -> Any:
    oversight.accept_escalation(escalation_id, note=body.note, by=principal.name, at=request.app.state.clock())
    return _escalation(oversight, escalation_id)


@router.post(
    "/escalations/{escalation_id}/dismiss",
    response_model=EscalationPublic,
    summary="The member-relations manager dismisses the escalation after review, with the reason: it is closed",
)
def dismiss_escalation(
    request: Request,
    oversight: OversightDep,
    principal: access.EscalationReviewer,
    escalation_id: uuid.UUID,
    body: EscalationDismissal,
) -> Any:
    oversight.dismiss_escalation(escalation_id, reason=body.reason, by=principal.name, at=request.app.state.clock())
    return _escalation(oversight, escalation_id)


@router.post(
    "/escalations/{escalation_id}/report",
    response_model=EscalationPublic,
    summary="The member-relations manager reports an accepted escalation to the SG",
)
def report_escalation(
    request: Request,
    oversight: OversightDep,
    principal: access.EscalationReviewer,
    escalation_id: uuid.UUID,
    body: EscalationReport | None = None,
) -> Any:
    oversight.report_escalation(escalation_id, by=principal.name, at=request.app.state.clock())
    return _escalation(oversight, escalation_id)


@router.post(
    "/escalations/{escalation_id}/corrective-action",
    status_code=202,
    response_model=EscalationPublic,
    summary="The SG opens the corrective action for a reported escalation; the actions service opens it shortly "
    "(source_ref escalation:<id>) and its id then shows here",
)
def open_corrective_action(
    request: Request,
    oversight: OversightDep,
    principal: access.CorrectiveActionOpener,
    escalation_id: uuid.UUID,
    body: CorrectiveActionDecision,
) -> Any:
    organisation: Organisation = request.app.state.settings.organisation
    unit = oversight.escalation(escalation_id).unit
    owner = body.owner or next((u.manager or None for u in organisation.units if u.id == unit), None)
    oversight.request_corrective_action(
        escalation_id,
        title=body.title,
        description=body.description,
        owner=owner,
        by=principal.name,
        at=request.app.state.clock(),
    )
    return _escalation(oversight, escalation_id)
