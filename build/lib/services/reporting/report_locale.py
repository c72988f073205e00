"""The chamber's language, calendar and time zone for everything a reader of the complaint reports sees. The words
are kept per language in `locales/<lang>.json`: `labels` (headings and phrases), `values` (kinds, channels,
stages, states, outcomes) and `states` (where a state's name differs from the same word as an outcome)."""

from __future__ import annotations

import json
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import jdatetime

from services.reporting.periods import Period
from shared.calendar import BusinessCalendar
from shared.organisation import Organisation

NO_UNIT = "none"


@cache
def _table(lang: str) -> dict[str, Any]:
    return json.loads(resources.files("services.reporting").joinpath("locales", f"{lang}.json").read_text("utf-8"))


class Locale:
    """The chamber's language, calendar and time zone for everything a reader sees."""

    def __init__(self, chamber: str, calendar: BusinessCalendar, organisation: Organisation | None = None):
        self.chamber = chamber
        self.lang = "fa" if chamber == "IR" else "tr"
        self.dir = "rtl" if self.lang == "fa" else "ltr"
        table = _table(self.lang)
        self.labels = table["labels"]
        self.values = table["values"]
        self.states = table["states"]
        self.calendar = calendar
        self.tz = calendar.tz
        self.units = {u.id: (u.name_local or u.name) for u in (organisation.units if organisation else [])}
        self.day_hours = calendar.working_hours_per_day()

    def __getitem__(self, key: str) -> str:
        return self.labels[key]

    def value(self, key: str | None) -> str:
        if key is None:
            return self.labels["unknown"]
        return self.values.get(key, key)

    def state(self, key: str | None) -> str:
        return self.states.get(key or "", None) or self.value(key)

    def unit(self, key: str | None) -> str:
        if key in (None, NO_UNIT):
            return self.labels["no_unit"]
        return self.units.get(key, key)

    def duration(self, working_hours: float | None) -> str:
        """Working time as a reader counts it: working days of the chamber's usual length, then hours and minutes
        (35.5 working hours on 7-hour days: 5 working days and 30 minutes), never decimal hours."""
        if working_hours is None:
            return "—"
        minutes = round(working_hours * 60)
        day = round(self.day_hours * 60)
        days, rest = divmod(minutes, day)
        hours, mins = divmod(rest, 60)
        parts = [
            self.labels[key].format(n=n)
            for key, n in (("n_working_days", days), ("n_hours", hours), ("n_minutes", mins))
            if n
        ]
        return self.labels["and"].join(parts) if parts else self.labels["n_hours"].format(n=0)

    def date(self, d: date | None) -> str:
        if d is None:
            return ""
        if self.lang == "fa":
            j = jdatetime.date.fromgregorian(date=d)
            return f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
        return f"{d.day:02d}.{d.month:02d}.{d.year:04d}"

    def moment(self, t: datetime | None, with_time: bool = True) -> str:
        if t is None:
            return ""
        local = t.astimezone(self.tz)
        text = self.date(local.date())
        return f"{text} {local.hour:02d}:{local.minute:02d}" if with_time else text

    def period_label(self, period: Period) -> str:
        key = "year" if period.half is None else f"half_{period.half}"
        return self.labels[key].format(year=period.year)
