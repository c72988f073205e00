"""The call-centre statistics a QueueMetrics user expects (services/reporting/stats.py), for a day, week, month or
any range of the chamber's calendar, as JSON or CSV; and the live wall-board of calls waiting now, per queue."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request
from fastapi.responses import Response

from services.reporting import access, call_periods, stats
from services.reporting.api import _day
from services.reporting.as_of import ReadModelDep, now_of

router = APIRouter(prefix="/reports/calls", tags=["reports"])

# A call that rang this long ago and is still neither answered nor ended is a PBX that never said how it ended,
# not a caller still on hold: the wall-board leaves it out.
WALLBOARD_HORIZON = timedelta(hours=2)


def _range(request: Request, readmodel, period: str, day: str | None, start: str | None, end: str | None):
    if period == "range":
        if start is None or end is None:
            raise HTTPException(422, "a range needs both from and to (days, inclusive)")
        first, last = _day(readmodel, start, "query.from"), _day(readmodel, end, "query.to")
        if last < first:
            raise HTTPException(422, "query.to: the range ends before it starts")
        if (last - first).days > 400:
            raise HTTPException(422, "query.to: at most 400 days at a time")
        return first, last + timedelta(days=1)
    if day is None:
        raise HTTPException(422, f"a {period} needs day= (ISO 2026-11-26 or Solar Hijri 1405/09/05)")
    anchor = _day(readmodel, day, "query.day")
    chamber = request.app.state.settings.chamber
    if period == "day":
        return anchor, anchor + timedelta(days=1)
    if period == "week":  # the chamber's week: Saturday to Friday in Iran, Monday to Sunday in Turkey
        return call_periods.week_bounds(anchor, chamber)
    return call_periods.month_bounds(anchor, chamber == "IR")  # the Solar Hijri month in Iran


def _instant(d: date, calendar) -> datetime:
    return datetime.combine(d, time(0), tzinfo=calendar.tz).astimezone(UTC)


@router.get(
    "/stats",
    summary="Offered, answered, abandoned, service level, wait and talk (average, p90), abandons by hour and callback "
    "compliance, per unit or per expert, for a day, week, month or range; JSON or CSV (format=csv)",
    responses={200: {"content": {"text/csv": {}}}},
)
def call_stats(
    request: Request,
    readmodel: ReadModelDep,
    scope: access.EndOfDayScope,
    period: Literal["day", "week", "month", "range"] = "day",
    day: str | None = Query(None, description="a day in the period: ISO or Solar Hijri"),
    start: str | None = Query(None, alias="from", description="first day of a range"),
    end: str | None = Query(None, alias="to", description="last day of a range (inclusive)"),
    by: Literal["unit", "expert"] = "unit",
    service_level_seconds: int = Query(20, ge=1, le=3600),
    format: Literal["json", "csv"] = "json",
) -> Any:
    """Call statistics for the period in the chamber's calendar: calls offered, answered and abandoned, the share
    answered within the service level, wait and talk times (average and 90th percentile), abandons by hour of the
    day and how many callbacks were made in time, per unit or per expert. A unit manager sees the unit's own."""
    first, after = _range(request, readmodel, period, day, start, end)
    calendar = readmodel.calendar
    begin, finish = _instant(first, calendar), _instant(after, calendar)
    facts = readmodel.call_facts_between(begin, finish, scope.unit)
    callbacks = readmodel.callbacks_registered_between(begin, finish, scope.unit)
    if by == "expert":  # a callback counts for the expert whose queue it was in
        callbacks = [{**c, "expert": c.get("expert")} for c in callbacks]
    now = now_of(request)
    rows = stats.grouped(facts, callbacks, by, service_level_seconds=service_level_seconds, now=now)
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=stats.COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
        return Response(
            "\ufeff" + buffer.getvalue(),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="call-stats-{by}-{first}-{after}.csv"'},
        )
    return {
        "from": first.isoformat(),
        "to": (after - timedelta(days=1)).isoformat(),
        "from_local": calendar.format_date(first),
        "to_local": calendar.format_date(after - timedelta(days=1)),
        "by": by,
        "service_level_seconds": service_level_seconds,
        "total": stats.figures(facts, callbacks, service_level_seconds=service_level_seconds, now=now),
        "groups": rows,
        "abandons_by_hour": stats.abandons_by_hour(facts, calendar.tz),
    }


@router.get("/wallboard", summary="Calls waiting in each queue now, and how long the longest has waited")
def wallboard(request: Request, readmodel: ReadModelDep, scope: access.EndOfDayScope) -> Any:
    """What a wallboard shows: the calls ringing or queued now, per queue and unit, and how long the longest has
    waited in seconds. A unit manager sees the unit's own queues."""
    # In UTC: SQLite compares stored UTC times as text, and a Tehran-zoned instant would be 3.5 hours off.
    now = now_of(request).astimezone(UTC)
    waiting = [
        f for f in readmodel.waiting_now(now - WALLBOARD_HORIZON) if scope.unit is None or f["unit"] == scope.unit
    ]
    queues: dict[tuple[str | None, str | None], list[float]] = {}
    for f in waiting:
        queues.setdefault((f.get("queue"), f["unit"]), []).append(max(0.0, (now - f["received_at"]).total_seconds()))
    return {
        "at": now,
        "waiting": len(waiting),
        "queues": [
            {"queue": q, "unit": u, "waiting": len(w), "longest_wait_seconds": round(max(w), 1)}
            for (q, u), w in sorted(queues.items(), key=lambda item: (item[0][0] or "", item[0][1] or ""))
        ],
    }
