"""The documents of a desk for the agency's representative: the final list as a printable page (templates/
final_list.html.j2, in the chamber's language) and as CSV, and each member's slot as an iCalendar event
(RFC 5545, written here: a VEVENT needs a dozen lines, not a library)."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined

from services.desks.domain import PROBLEM_FORM, Desk, FormState
from services.desks.views import final_list
from shared.calendar import BusinessCalendar
from shared.errors import DomainError
from shared.locales import load_words

LOCALES: dict[str, Any] = load_words(__file__, "final_list")  # locales/final_list.<language>.json
CSV_COLUMNS = ["slot", "starts_at", "ends_at", "form", "member_name", "company", "problem", "documents"]


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("services.desks", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def locale_of(calendar: BusinessCalendar) -> dict[str, str]:
    return LOCALES["fa" if calendar.config.calendar_display == "solar_hijri" else "tr"]


def final_list_html(desk: Desk, calendar: BusinessCalendar) -> str:
    rows = [
        {**r, "time": f"{calendar.format(r['starts_at'])[-5:]}–{calendar.format(r['ends_at'])[-5:]}"}
        for r in final_list(desk)
    ]
    return (
        _environment()
        .get_template("final_list.html.j2")
        .render(
            L=locale_of(calendar),
            agency=desk.agency,
            day=calendar.format(desk.starts_at, with_time=False),
            place=desk.place,
            form=PROBLEM_FORM,
            rows=rows,
        )
    )


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    # A member's own words open in a spreadsheet: a leading = + - @ would be read as a formula.
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text


def final_list_csv(desk: Desk) -> str:
    """With a BOM, so that spreadsheet programs read Persian and Turkish text."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for r in final_list(desk):
        r = {**r, "starts_at": r["starts_at"].isoformat(), "ends_at": r["ends_at"].isoformat()}
        r["documents"] = "|".join(r["documents"])
        writer.writerow([_cell(r[c]) for c in CSV_COLUMNS])
    return "\ufeff" + buffer.getvalue()


# -- iCalendar -----------------------------------------------------------------------------------------------------
def _ics_text(value: str) -> str:
    """TEXT escaping of RFC 5545 §3.3.11."""
    return (
        value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> str:
    """Lines longer than 75 octets folded with CRLF and a space (§3.1), never inside a UTF-8 character."""
    out: list[str] = []
    current, size = "", 0
    for ch in line:
        n = len(ch.encode())
        if size + n > (75 if not out else 74):
            out.append(current)
            current, size = "", 0
        current += ch
        size += n
    out.append(current)
    return "\r\n ".join(out)


def _utc(t: datetime) -> str:
    return t.strftime("%Y%m%dT%H%M%SZ")


def slot_ics(desk: Desk, number: str, now: datetime) -> str:
    """The member's slot as one VEVENT; the UID stays the same for the form, so a re-sent file updates the entry."""
    form = desk.form(number)
    if form["state"] != FormState.SCHEDULED:
        raise DomainError(f"form {number} has no slot: it is {form['state']}")
    slot = form["slot"]
    summary = f"{desk.agency} desk: {form['member_name']}"
    description = f"{PROBLEM_FORM} {number}: {form['problem']}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Chamber CRM//Service desks//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{desk.id}-{number}@desks.crm",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(desk.slot_start(slot))}",
        f"DTEND:{_utc(desk.slot_end(slot))}",
        f"SUMMARY:{_ics_text(summary)}",
        f"LOCATION:{_ics_text(desk.place)}",
        f"DESCRIPTION:{_ics_text(description)}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return "".join(_fold(line) + "\r\n" for line in lines)
