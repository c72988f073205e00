"""The call-centre report's weeks and months in the chamber's calendar, and the report of each one that has closed.

A week runs Saturday to Friday in Iran and Monday to Sunday elsewhere; a month is a Solar Hijri month where the
chamber shows Solar Hijri dates (Iran), a Gregorian one otherwise. A period closes at local midnight after its last
day. When the processor's clock passes that moment, the period's figures (the same as GET /reports/calls/stats for
it) are recorded once as `crm.reporting.call_centre_report.produced.v1`, and the notifications service mails them to
the SG and the president. A period without a single call offered produces no report (the chamber was closed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import jdatetime

from services.reporting import stats
from shared.calendar import BusinessCalendar

SERVICE_LEVEL_SECONDS = 20
UNIT_FIGURES = ("offered", "answered", "abandoned", "service_level", "callback_compliance")


def week_bounds(anchor: date, country: str) -> tuple[date, date]:
    """(first day, the day after the last) of the chamber's week holding `anchor`."""
    first_weekday = 5 if country == "IR" else 0
    first = anchor - timedelta(days=(anchor.weekday() - first_weekday) % 7)
    return first, first + timedelta(days=7)


def month_bounds(anchor: date, solar_hijri: bool) -> tuple[date, date]:
    """(first day, the day after the last) of the chamber's month holding `anchor`."""
    if solar_hijri:
        j = jdatetime.date.fromgregorian(date=anchor)
        first = jdatetime.date(j.year, j.month, 1).togregorian()
        following = jdatetime.date(j.year + (j.month == 12), j.month % 12 + 1, 1).togregorian()
        return first, following
    first = anchor.replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1)


def bounds(period: str, anchor: date, calendar: BusinessCalendar) -> tuple[date, date]:
    if period == "week":
        return week_bounds(anchor, calendar.config.country)
    return month_bounds(anchor, calendar.config.calendar_display == "solar_hijri")


def midnight(d: date, calendar: BusinessCalendar) -> datetime:
    return datetime.combine(d, time(0), tzinfo=calendar.tz).astimezone(UTC)


def last_closed(period: str, now: datetime, calendar: BusinessCalendar) -> tuple[date, date]:
    """The latest week or month that has ended by `now` (local midnight after its last day)."""
    today = now.astimezone(calendar.tz).date()
    current_first, _ = bounds(period, today, calendar)
    return bounds(period, current_first - timedelta(days=1), calendar)


def report_of(
    period: str, first: date, after: date, readmodel: Any, calendar: BusinessCalendar, now: datetime
) -> dict[str, Any] | None:
    """The report of a closed period: its days, the chamber's figures, each unit's, and where to read them in full."""
    begin, finish = midnight(first, calendar), midnight(after, calendar)
    facts = readmodel.call_facts_between(begin, finish, None)
    if not facts:
        return None
    callbacks = readmodel.callbacks_registered_between(begin, finish, None)
    total = stats.figures(facts, callbacks, service_level_seconds=SERVICE_LEVEL_SECONDS, now=now)
    units = [
        {"unit": row["group"], **{k: row.get(k) for k in UNIT_FIGURES}}
        for row in stats.grouped(facts, callbacks, "unit", service_level_seconds=SERVICE_LEVEL_SECONDS, now=now)
    ]
    last = after - timedelta(days=1)
    return {
        "period": period,
        "first_day": first.isoformat(),
        "last_day": last.isoformat(),
        "first_day_local": calendar.format_date(first),
        "last_day_local": calendar.format_date(last),
        "figures": total,
        "units": units,
        "link": f"/reports/calls/stats?period={period}&day={first.isoformat()}",
    }
