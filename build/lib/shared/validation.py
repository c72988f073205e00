"""Input rules every service shares: no control characters in text, dates in a sane window, bounded paging and
bounded PBX ids. Written once here so that every way in (JSON, forms, query strings, CSV, PBX files) refuses the
same things with the same words.

Why: PostgreSQL refuses NUL in text, so a NUL accepted by the API on SQLite stops a PostgreSQL projection at that
event for ever; other control characters break CSV exports and terminals. Dates centuries away overflow the
Solar Hijri conversion and the time-zone arithmetic of every report that shows them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any

from fastapi import Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, Field

# C0 controls but tab, line feed and carriage return (free text keeps its lines), DEL, and the C1 controls.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f]")

# The PBX's ids of calls and events: the webhook always allowed 200 characters; AMI and queue_log get the same.
MAX_PBX_ID = 200

# Paging: a page is at most 1000 rows and the offset stays far below what SQLite's and PostgreSQL's 64-bit
# integers hold (a 20-digit offset used to overflow the driver: 500).
MAX_PAGE = 1000
MAX_OFFSET = 1_000_000


def control_character(value: str, *, multiline: bool = True) -> int | None:
    """The index of the first forbidden control character in `value`, or None."""
    match = (_CONTROL if multiline else _CONTROL_OR_BREAK).search(value)
    return match.start() if match else None


def describe_control(value: str, index: int) -> str:
    return f"contains the control character U+{ord(value[index]):04X} at position {index + 1}"


def check_text(value: str, *, multiline: bool = True) -> str:
    index = control_character(value, multiline=multiline)
    if index is not None:
        raise ValueError(describe_control(value, index))
    return value


def _single_line(value: str) -> str:
    return check_text(value, multiline=False)


PbxId = Annotated[str, Field(min_length=1, max_length=MAX_PBX_ID), AfterValidator(_single_line)]


def control_characters_in(data: Any, loc: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """(location, message) of every string, key included, of parsed JSON that holds a control character."""
    stack: list[tuple[tuple[Any, ...], Any]] = [(loc, data)]
    while stack:
        where, value = stack.pop()
        if isinstance(value, str):
            index = control_character(value)
            if index is not None:
                yield where, describe_control(value, index)
        elif isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and (index := control_character(key, multiline=False)) is not None:
                    yield (*where, key), "the name " + describe_control(key, index)
                stack.append(((*where, key), item))
        elif isinstance(value, list):
            stack.extend(((*where, n), item) for n, item in enumerate(value))


def _error(loc: tuple[Any, ...], message: str) -> dict[str, Any]:
    return {"type": "control_character", "loc": loc, "msg": message, "input": None}


async def refuse_control_characters(request: Request) -> None:
    """An application-wide dependency: query, path and JSON body text with control characters is a 422 before any
    handler sees it (routes that read their own bodies, CSV files and PBX files check their own, line by line)."""
    errors = []
    for key, value in request.query_params.multi_items():
        for text in (key, value):
            if (index := control_character(text, multiline=False)) is not None:
                errors.append(_error(("query", key), describe_control(text, index)))
                break
    for key, value in request.path_params.items():
        if isinstance(value, str) and (index := control_character(value, multiline=False)) is not None:
            errors.append(_error(("path", key), describe_control(value, index)))
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    # Only bodies FastAPI parses for the route; a route that reads its own body (uploads, the public form, which
    # counts every attempt against its rate limit first) checks what it reads.
    parsed_by_fastapi = getattr(request.scope.get("route"), "body_field", None) is not None
    if parsed_by_fastapi and (media == "application/json" or media.endswith("+json")):
        body = await request.body()
        if body:
            try:
                data = await request.json()
            except (ValueError, RecursionError):
                data = None  # the route's own parsing reports it
            errors.extend(_error(loc, msg) for loc, msg in control_characters_in(data, ("body",)))
    if errors:
        raise RequestValidationError(errors)


# -- dates ---------------------------------------------------------------------------------------------------------


@dataclass
class DateWindow:
    """The dates the CRM accepts: from `earliest` to `years_ahead` years after now (the chamber's records begin
    long after 2000; a PBX clock reset to 1970 or a typo of a year must not enter the stores)."""

    earliest: date = date(2000, 1, 1)
    years_ahead: int = 2

    def bounds(self, now: datetime | None = None) -> tuple[datetime, datetime]:
        now = now or datetime.now(UTC)
        lo = datetime(self.earliest.year, self.earliest.month, self.earliest.day, tzinfo=UTC)
        return lo, now + timedelta(days=366 * self.years_ahead)

    def problem(self, value: datetime, now: datetime | None = None) -> str | None:
        """Why `value` is outside the window, or None when it is inside."""
        lo, hi = self.bounds(now)
        try:
            aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
            inside = lo <= aware <= hi
        except (OverflowError, ValueError):
            inside = False
        if inside:
            return None
        return f"{value.isoformat()} is outside the accepted dates ({lo:%Y-%m-%d} to {hi:%Y-%m-%d})"

    def check(self, value: datetime, now: datetime | None = None) -> datetime:
        reason = self.problem(value, now)
        if reason:
            raise ValueError(reason)
        return value


# Set from the settings by each service's composition root (`configure`); the default suits tests and tools.
window = DateWindow()


def configure(earliest: date, years_ahead: int) -> None:
    window.earliest = earliest
    window.years_ahead = years_ahead


def _sane(value: datetime) -> datetime:
    return window.check(value)


def check_day(value: date) -> date:
    """The day itself, or ValueError when it lies outside the accepted dates."""
    window.check(datetime(value.year, value.month, value.day, 12, tzinfo=UTC))
    return value


_sane_date = check_day


SaneDatetime = Annotated[datetime, AfterValidator(_sane)]
SaneDate = Annotated[date, AfterValidator(_sane_date)]

# -- paging --------------------------------------------------------------------------------------------------------

Limit = Annotated[int, Query(ge=1, le=MAX_PAGE, description=f"at most {MAX_PAGE} rows")]
Offset = Annotated[int, Query(ge=0, le=MAX_OFFSET, description=f"rows to skip, at most {MAX_OFFSET}")]
