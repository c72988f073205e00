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
