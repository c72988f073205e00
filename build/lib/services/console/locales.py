"""The console's words in Persian, Turkish and English, and dates and numbers as each language writes them.

Persian pages are right to left, with Solar Hijri dates and Persian digits; Turkish and English pages show
Gregorian dates in the chamber's time zone. A word missing from one language falls back to English.

Each language's words are kept in `locales/<lang>.json`: `words` (the console's texts), `labels` (the procedures'
states and steps, by "call_<state>", "complaint_<state>", "step_<step>"; what is missing shows as the service
names it) and `complaint_steps` (the titles of a complaint's recorded steps, by the event's name in its wire type
crm.complaints.complaint.<name>.v1 in CamelCase; a step missing there keeps the service's English title).
"""

from __future__ import annotations

import json
from datetime import datetime, tzinfo
from importlib import resources
from typing import Any

import jdatetime

PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _load(language: str) -> dict[str, dict[str, str]]:
    text = resources.files("services.console").joinpath("locales", f"{language}.json").read_text("utf-8")
    data: dict[str, dict[str, str]] = json.loads(text)
    return data


_DATA = {language: _load(language) for language in ("en", "fa", "tr")}

EN: dict[str, str] = _DATA["en"]["words"]
FA: dict[str, str] = _DATA["fa"]["words"]
TR: dict[str, str] = _DATA["tr"]["words"]
LABELS: dict[str, dict[str, str]] = {language: data["labels"] for language, data in _DATA.items()}
COMPLAINT_STEP_TITLES: dict[str, dict[str, str]] = {
    language: data["complaint_steps"] for language, data in _DATA.items() if "complaint_steps" in data
}


def label(language: str, kind: str, value: str | None) -> str:
    """A state or a step in the language, or as the service names it."""
    if value is None:
        return ""
    key = f"{kind}_{value}" if kind else value
    return LABELS.get(language, {}).get(key) or LABELS["en"].get(key) or value


WORDS = {"en": EN, "fa": {**EN, **FA}, "tr": {**EN, **TR}}
NAMES = {"fa": "فارسی", "tr": "Türkçe", "en": "English"}


def words(language: str) -> dict[str, str]:
    return WORDS.get(language, EN)


def direction(language: str) -> str:
    return "rtl" if language == "fa" else "ltr"


def digits(text: Any, language: str) -> str:
    """Numbers as the language writes them: Persian digits in Persian."""
    out = "" if text is None else str(text)
    return out.translate(PERSIAN_DIGITS) if language == "fa" else out


def when(value: str | datetime | None, language: str, tz: tzinfo, with_time: bool = True) -> str:
    """A moment in the chamber's time zone: Solar Hijri with Persian digits in Persian, Gregorian otherwise."""
    if value in (None, ""):
        return ""
    try:
        t = datetime.fromisoformat(value) if isinstance(value, str) else value
    except ValueError:
        return str(value)
    if t.tzinfo is not None:
        t = t.astimezone(tz)
    if language == "fa":
        try:
            j = jdatetime.date.fromgregorian(date=t.date())
            text = f"{j.year:04d}/{j.month:02d}/{j.day:02d}"
        except (OverflowError, ValueError):
            text = t.date().isoformat()
    else:
        text = t.date().isoformat()
    if with_time and isinstance(value, datetime | str) and (not isinstance(value, str) or "T" in value):
        text += f" {t.hour:02d}:{t.minute:02d}"
    return digits(text, language)


def duration(seconds: float | None, language: str) -> str:
    """Working time left as hours and minutes; negative (late) marked with a minus sign."""
    if seconds is None:
        return ""
    sign = "−" if seconds < 0 else ""
    minutes = int(abs(seconds) // 60)
    return digits(f"{sign}{minutes // 60}:{minutes % 60:02d}", language)


def complaint_step(language: str, event: str | None, title: str) -> str:
    """A complaint step's title in the person's language, from the step's wire type; English (and any step not
    listed) as the service says."""
    parts = (event or "").split(".")
    name = "".join(p.title() for p in parts[3].split("_")) if len(parts) == 5 else ""
    return COMPLAINT_STEP_TITLES.get(language, {}).get(name, title)
