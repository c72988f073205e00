"""Figures of the desks: registrations, no-shows, problems raised and solved, and their ratio, per desk and per
agency over a week or a month of the chamber's calendar. Pure functions over desks, so the report, its event and
the Prometheus figures count the same way.

A problem is *raised* when its member attended and the agency decided on it; it is *solved* when the follow-up
call found the decision carried out."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import jdatetime

from services.desks.domain import Desk, FormState, Period
from shared.calendar import BusinessCalendar
from shared.errors import InvalidInput


def period_bounds(calendar: BusinessCalendar, period: str, on: date) -> tuple[date, date]:
    """The first and last day of the week or month holding `on`: weeks start on Saturday in Iran and on Monday in
    Turkey; months are Solar Hijri months where the chamber shows Solar Hijri dates."""
    solar = calendar.config.calendar_display == "solar_hijri"
    if period == Period.WEEK:
        first = 5 if solar else 0  # date.weekday(): Saturday 5, Monday 0
        start = on - timedelta(days=(on.weekday() - first) % 7)
        return start, start + timedelta(days=6)
    if period == Period.MONTH:
        if solar:
            j = jdatetime.date.fromgregorian(date=on)
            start = jdatetime.date(j.year, j.month, 1).togregorian()
            nxt = jdatetime.date(j.year + (j.month == 12), j.month % 12 + 1, 1).togregorian()
        else:
            start = on.replace(day=1)
            nxt = (start + timedelta(days=32)).replace(day=1)
        return start, nxt - timedelta(days=1)
    raise InvalidInput(f"period {period!r} is not one of week, month")


def desk_figures(desk: Desk) -> dict[str, Any]:
    forms = [f for f in desk.forms.values() if f["state"] != FormState.CANCELLED]
    scheduled = [f for f in forms if f["state"] == FormState.SCHEDULED]
    raised = [f for f in scheduled if f["attended"] and f["decision"] is not None]
    solved = [f for f in raised if (f["follow_up"] or {}).get("carried_out") is True]
    followed = [f for f in raised if f["follow_up"] is not None]
    return {
        "registrations": len(forms),
        "guided_elsewhere": sum(f["state"] == FormState.GUIDED for f in forms),
        "attended": sum(f["attended"] is True for f in scheduled),
        "no_shows": sum(f["attended"] is False for f in scheduled),
        "raised": len(raised),
        "solved": len(solved),
        "followed_up": len(followed),
        "follow_ups_on_time": sum(f["follow_up"]["on_time"] for f in followed),
        "follow_ups_missed": sum(bool(f["follow_up_missed"]) for f in raised),
    }


def _add(total: dict[str, Any], figures: dict[str, Any]) -> None:
    for key, value in figures.items():
        total[key] = total.get(key, 0) + value


def _with_ratio(figures: dict[str, Any]) -> dict[str, Any]:
    raised = figures.get("raised", 0)
    return {**figures, "ratio": round(figures["solved"] / raised, 4) if raised else None}


def ratio_figures(desks: Iterable[Desk], start: date, end: date) -> dict[str, Any]:
    """Every desk held from `start` to `end` (its day), then the sums per agency and in all."""
    per_desk, per_agency, total = [], {}, {}  # type: ignore[var-annotated]
    for desk in sorted(desks, key=lambda d: d.starts_at):
        if not start.isoformat() <= desk.desk_day <= end.isoformat():
            continue
        figures = desk_figures(desk)
        per_desk.append({"desk_id": str(desk.id), "agency": desk.agency, "day": desk.desk_day, **_with_ratio(figures)})
        _add(per_agency.setdefault(desk.agency, {}), figures)
        _add(total, figures)
    zero = {k: 0 for k in ("registrations", "raised", "solved")}
    return {
        "desks": per_desk,
        "agencies": {a: _with_ratio(f) for a, f in sorted(per_agency.items())},
        "total": _with_ratio(total or {**zero}),
    }
