"""The chamber's calendar configuration: weekly working hours as "HH:MM-HH:MM" intervals, the country whose public
holidays apply, the time zone, half-day closings, the presets for Iran and Turkey and the schedules an admin can
put in force. shared/calendar.py does the working-time arithmetic over it."""

from __future__ import annotations

import datetime as _dt
import re
import zoneinfo
from itertools import pairwise
from typing import Literal

import holidays
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

UTC = _dt.UTC

WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")

# A day that is closed for this long in a row means the configuration cannot produce working time (for example
# every working weekday disabled); searching further would only spin. Ten years is far beyond any real closure.
_MAX_CLOSED_DAYS = 3660

_TIME_RE = re.compile(r"^(\d{2}):(\d{2})$")
_MINUTES_PER_DAY = 24 * 60

# Name reported for a date the chamber closed itself (closed_dates) when it is not also a public holiday.
CHAMBER_HOLIDAY_NAME = "Chamber holiday"


def _parse_clock(text: str, *, allow_24: bool) -> int:
    """'HH:MM' -> minutes after midnight. '24:00' is accepted only as the end of an interval (midnight)."""
    m = _TIME_RE.match(text.strip())
    if not m:
        raise ValueError(f"time {text!r} is not in HH:MM form")
    hh, mm = int(m.group(1)), int(m.group(2))
    if hh == 24 and mm == 0 and allow_24:
        return _MINUTES_PER_DAY
    if hh > 23 or mm > 59:
        raise ValueError(f"time {text!r} is not a valid time of day")
    return hh * 60 + mm


def _parse_interval(text: str) -> tuple[int, int]:
    """'HH:MM-HH:MM' -> (start, end) in minutes after midnight, end > start."""
    if not isinstance(text, str) or text.count("-") != 1:
        raise ValueError(f"working interval {text!r} is not in HH:MM-HH:MM form")
    start_text, end_text = text.split("-")
    try:
        start = _parse_clock(start_text, allow_24=False)
        end = _parse_clock(end_text, allow_24=True)
    except ValueError as exc:
        raise ValueError(f"working interval {text!r}: {exc}") from None
    if end <= start:
        raise ValueError(f"working interval {text!r} ends at or before it starts")
    return start, end


def _format_clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


class CalendarConfig(BaseModel):
    """How one chamber works: where (time zone, country's public holidays), when (hours per weekday), and the
    exceptions it declares. Embedded in the application's settings; frozen so a calendar built from it cannot
    silently go stale."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    # ISO 3166 code understood by the `holidays` package ("IR", "TR", ...); "" means no public holidays at all.
    country: str = "IR"
    timezone: str = "Asia/Tehran"
    # Weekday name -> working intervals "HH:MM-HH:MM" (end may be "24:00"). Missing or empty means closed.
    hours: dict[str, list[str]] = Field(
        default_factory=lambda: {
            "saturday": ["08:00-16:00"],
            "sunday": ["08:00-16:00"],
            "monday": ["08:00-16:00"],
            "tuesday": ["08:00-16:00"],
            "wednesday": ["08:00-16:00"],
            "thursday": ["08:00-12:00"],
        }
    )
    # Extra holidays the chamber declares (e.g. a closure announced by the province).
    closed_dates: list[_dt.date] = Field(default_factory=list)
    # Public holidays the chamber nevertheless works. This lifts the holiday only: the weekday's hours still apply.
    open_dates: list[_dt.date] = Field(default_factory=list)
    # Some countries have official half-day holidays (Turkey: the afternoons before Republic Day and the Eids,
    # "from 1pm"). On such a date work stops at this time; None treats them as ordinary working days.
    half_day_closing: str | None = "13:00"
    calendar_display: Literal["solar_hijri", "gregorian"] = "solar_hijri"

    @field_validator("country")
    @classmethod
    def _known_country(cls, value: str) -> str:
        value = value.strip().upper()
        if value and value not in holidays.list_supported_countries():
            raise ValueError(
                f"unknown country {value!r} for public holidays: use an ISO code known to the holidays package "
                f"(e.g. 'IR' or 'TR'), or '' for no public holidays"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r}: use an IANA name such as 'Asia/Tehran'") from None
        return value

    @field_validator("hours")
    @classmethod
    def _valid_hours(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return normalise_hours(value)

    @field_validator("half_day_closing")
    @classmethod
    def _valid_half_day_closing(cls, value: str | None) -> str | None:
        if value is None:
            return None
        try:
            return _format_clock(_parse_clock(value, allow_24=False))
        except ValueError as exc:
            raise ValueError(f"half_day_closing: {exc}") from None

    @model_validator(mode="after")
    def _overrides_do_not_conflict(self) -> CalendarConfig:
        both = sorted(set(self.closed_dates) & set(self.open_dates))
        if both:
            raise ValueError("dates cannot be both closed and open: " + ", ".join(d.isoformat() for d in both))
        return self


def normalise_hours(value: dict[str, list[str]]) -> dict[str, list[str]]:
    """Weekday name -> working intervals, checked and in canonical form (ValueError says what is wrong)."""
    normalised: dict[str, list[str]] = {}
    for raw_name, intervals in value.items():
        name = raw_name.strip().lower()
        if name not in WEEKDAYS:
            raise ValueError(f"unknown weekday {raw_name!r} in hours: use one of {', '.join(WEEKDAYS)}")
        if name in normalised:
            raise ValueError(f"weekday {name!r} appears more than once in hours")
        parsed = sorted(_parse_interval(text) for text in intervals)
        for (s1, e1), (s2, e2) in pairwise(parsed):
            if s2 < e1:  # touching intervals (12:00-13:00, 13:00-14:00) are allowed
                raise ValueError(
                    f"working intervals on {name} overlap: "
                    f"{_format_clock(s1)}-{_format_clock(e1)} and {_format_clock(s2)}-{_format_clock(e2)}"
                )
        # Stored in a canonical form so equal configurations compare equal.
        normalised[name] = [f"{_format_clock(s)}-{_format_clock(e)}" for s, e in parsed]
    return normalised


IRAN = CalendarConfig(
    country="IR",
    timezone="Asia/Tehran",
    hours={
        "saturday": ["08:00-16:00"],
        "sunday": ["08:00-16:00"],
        "monday": ["08:00-16:00"],
        "tuesday": ["08:00-16:00"],
        "wednesday": ["08:00-16:00"],
        "thursday": ["08:00-12:00"],  # half day; Friday is the weekend
    },
    calendar_display="solar_hijri",
)

TURKEY = CalendarConfig(
    country="TR",
    timezone="Europe/Istanbul",
    hours={
        day: ["08:30-12:30", "13:30-17:30"]  # lunch break 12:30-13:30; Saturday and Sunday closed
        for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
    },
    calendar_display="gregorian",
)

_PRESETS = {"IR": IRAN, "TR": TURKEY}

# Weekly hours an admin can put in force from a date (`crm calendar schedule --from DATE --preset NAME`), each with
# where it comes from. The seeds (SY-PR-...) fix no working hours, so none of these is the procedure's: the chamber
# chooses, and `crm calendar show` says which schedule is in force from when.
SCHEDULE_PRESETS: dict[str, tuple[dict[str, list[str]], str]] = {
    "ir-chamber": (
        dict(IRAN.hours),
        "the CRM's default for an Iranian chamber: Sat-Wed 08:00-16:00, Thu 08:00-12:00 (an assumption, not a "
        "published rule; the chamber confirms or replaces it)",
    ),
    "ir-public-offices": (
        {day: ["08:00-14:00"] for day in ("saturday", "sunday", "monday", "tuesday", "wednesday")},
        "Iranian public offices' usual hours, Sat-Wed 08:00-14:00 with Thursday closed (government decisions on "
        "office hours, as reported in the press; confirm against the year's circular)",
    ),
    "ir-summer": (
        {day: ["06:00-13:00"] for day in ("saturday", "sunday", "monday", "tuesday", "wednesday")},
        "Iranian public offices' summer hours used in recent years to save power, Sat-Wed 06:00-13:00 with Thursday "
        "closed (set each year by the government's circular; enter its dates with --from)",
    ),
    "tr-public-offices": (
        dict(TURKEY.hours),
        "Turkish public offices: Mon-Fri 08:30-12:30 and 13:30-17:30 (Devlet Memurlari Kanunu 657, art. 100, and "
        "the working-hours regulation)",
    ),
}

# Why the chamber closes on a day it normally works; the procedures' deadlines skip such days.
CLOSURE_REASONS = ("heat", "pollution", "mourning", "holiday", "other")
