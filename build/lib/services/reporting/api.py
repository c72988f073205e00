"""HTTP API of the reporting service: unanswered-call queues with deadlines, end-of-day lists, breaches,
escalations and per-unit call figures, read from the processors' read models."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from services.reporting import access
from services.reporting.as_of import ReadModelDep, now_of
from services.reporting.readmodel import ReadModel
from shared.calendar import BusinessCalendar
from shared.organisation import Organisation
from shared.paging import page
from shared.validation import Limit, Offset, check_day, window

Reader = access.Reader


class UnansweredItem(BaseModel):
    call_id: str = Field(description="the call's record id in the calls service")
    unit: str | None = Field(description="code of the unit that owes the callback")
    expert: str | None = Field(description="user name of the expert assigned the callback")
    caller: str | None = Field(description="the calling number in international form (+98…)")
    member_id: str | None = Field(description="record id of the member recognised by the number; null when none was")
    contact_phone: str | None = Field(description="the number to call back on, as the caller gave it")
    contact_name: str | None = Field(description="who to call back")
    subject: str | None = Field(description="what the caller wanted, as member relations took it down")
    automatic: bool | None = Field(
        description="true when the telephone system registered the call itself (nobody took a subject down)"
    )
    received_at: datetime | None = Field(description="when the call rang (UTC)")
    registered_at: datetime = Field(description="when it was registered for a callback (UTC)")
    callback_due: datetime = Field(
        description="the callback deadline (UTC): by default 24 working hours after registration"
    )
    callback_due_local: str = Field(
        description="the deadline in the chamber's calendar and time zone (Solar Hijri in Iran)"
    )
    working_seconds_left: float = Field(
        description="working time left before the deadline, in seconds; negative when late"
    )
    state: str = Field(description="open (callback owed), following_up (reached, outcome still owed) or called_back")
    callback_attempts: int | None = Field(description="how many callbacks were recorded, reached or not")
    called_back_at: datetime | None = Field(description="when the member was reached (UTC)")
    outcome: str | None = Field(description="the last callback's outcome: resolved, follow_up, referred or not_reached")
    callback_delay_working_seconds: float | None = Field(
        description="working seconds from registration to the member being reached"
    )
    breached: bool = Field(description="true when the callback deadline passed before the member was reached")
    breached_at: datetime | None = Field(description="when the deadline passed, if it did (UTC)")
    detected_at: datetime | None = Field(
        default=None, description="when the reporting service noticed the breach (UTC)"
    )


class EndOfDayEntry(BaseModel):
    unit: str = Field(description="code of the unit the list is for")
    day: date = Field(description="the working day the list covers (Gregorian date)")
    day_local: str = Field(description="the same day in the chamber's calendar (Solar Hijri in Iran)")
    manager: str | None = Field(description="user name of the unit manager the list goes to")
    produced_at: datetime = Field(description="when the list was produced, at the end of the working day (UTC)")
    count: int = Field(description="unanswered calls on the list")
    # Asked of the notifier (the event a notifier consumes); None: not sent, the unit has no manager on file.
    delivery_requested_to: str | None = Field(
        default=None,
        description="who the notifier was asked to send the list to; null when not sent (the unit has no manager on file)",
    )
    delivery_requested_at: datetime | None = Field(
        default=None, description="when the notifier was asked to send the list (UTC)"
    )


class EndOfDayList(EndOfDayEntry):
    """The list of unanswered calls sent to a unit's manager at the end of a working day."""

    items: list[dict[str, Any]] = Field(description="the unanswered calls of the day, as on the printed list")


class UnitFigures(BaseModel):
    unit: str = Field(description="code of the chamber unit")
    offered: int = Field(description="calls routed to the unit")
    answered: int = Field(description="calls an expert of the unit answered")
    unanswered: int = Field(description="calls registered for a callback by the unit")
    open: int = Field(description="callbacks the unit still owes")
    breaches: int = Field(description="callbacks whose deadline passed before the member was reached")
    escalations: int = Field(description="times the unit was escalated to the SG for repeated non-answer")
    answer_rate: float | None = Field(
        description="answered divided by offered, 0 to 1; null before any call was offered"
    )


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
    """The unanswered calls registered for a callback, with each deadline in the chamber's calendar and the working time left: the member-relations manager sees every unit, a unit manager the unit's own. Filter by state and by breach; X-Total-Count gives the number before paging."""
    organisation: Organisation = request.app.state.settings.organisation
    if scope.unit and not organisation.has_unit(scope.unit):
        raise HTTPException(404, f"no unit {scope.unit!r}")
    now = now_of(request)
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
    """The end-of-day lists produced so far, one per unit and working day, newest first, with how many unanswered calls each holds."""
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
    """The list of a unit's unanswered calls that went to its manager at the end of a working day, as JSON or as a CSV file to print or open in a spreadsheet."""
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
    call_id: str = Field(description="the call's record id in the calls service")
    expert: str | None = Field(description="user name of the member-relations expert who took the call")
    opened_at: datetime | None = Field(description="when member relations took the call over (UTC)")
    due: datetime = Field(description="deadline for the outcome (UTC), in working time")
    due_local: str = Field(description="the deadline in the chamber's calendar and time zone (Solar Hijri in Iran)")
    working_seconds_left: float = Field(
        description="working time left before the deadline, in seconds; negative when late"
    )
    state: str = Field(description="open (outcome owed) or closed")
    outcome: str | None = Field(
        description="how the call ended: resolved by member relations, called back by the unit, and so on"
    )
    closed_at: datetime | None = Field(description="when the outcome was recorded (UTC)")
    breached: bool = Field(description="true when the deadline passed before an outcome")
    breached_at: datetime | None = Field(description="when the deadline passed, if it did (UTC)")
    detected_at: datetime | None = Field(description="when the reporting service noticed the breach (UTC)")


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
    """The calls member relations took over from a unit and whose outcome is still owed (or was owed), with each deadline and whether it was kept: the member-relations manager's follow-up list."""
    now = now_of(request)
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
    """The units escalated to the Secretary General for leaving calls unanswered again and again, with the corrective action opened for each."""
    return page(response, readmodel.escalation_list(scope.unit), limit, offset)


@router.get("/units", response_model=list[UnitFigures], summary="Calls offered, answered and left unanswered per unit")
def unit_figures(readmodel: ReadModelDep, response: Response, _: Reader, limit: Limit = 100, offset: Offset = 0) -> Any:
    """Per unit: calls offered, answered and left for a callback, callbacks still owed, deadlines breached, escalations, and the answer rate. For the managers' and the SG's monitoring."""
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
