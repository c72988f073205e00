"""HTTP API of the chamber's calendar (services/calls/calendar.py): what is in force, and the closures and
schedules an admin enters at run time. `crm calendar ...` calls these endpoints."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from services.calls import access
from shared.calendar import CLOSURE_REASONS, SCHEDULE_PRESETS
from shared.errors import InvalidInput
from shared.validation import check_day

router = APIRouter(prefix="/calendar", tags=["calendar"])


def _within_window(day: date, where: str) -> date:
    try:
        return check_day(day)
    except ValueError as exc:
        raise InvalidInput(f"{where}: {exc}") from None


class ClosureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    day: date = Field(description="the day the chamber is closed", examples=["2026-12-02"])
    reason: Literal["heat", "pollution", "mourning", "holiday", "other"] = Field(examples=["pollution"])
    note: str | None = Field(default=None, max_length=500, examples=["Tehran province closed offices"])


class ScheduleIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    effective_from: date = Field(description="the first day these hours apply", examples=["2027-06-06"])
    hours: dict[str, list[str]] | None = Field(
        default=None,
        description="weekday -> working intervals HH:MM-HH:MM; a weekday left out is closed",
        examples=[{"saturday": ["06:00-13:00"], "sunday": ["06:00-13:00"]}],
    )
    preset: str | None = Field(default=None, description="a named schedule instead of hours", examples=["ir-summer"])


class ChangePublic(BaseModel):
    kind: Literal["schedule", "closure"]
    effective_from: date | None = None
    hours: dict[str, list[str]] | None = None
    preset: str | None = None
    day: date | None = None
    reason: str | None = None
    note: str | None = None
    by: str
    at: datetime


def _default(request: Request) -> dict[str, Any]:
    settings = request.app.state.settings
    config = request.app.state.centre.calendar.config
    chosen = "CRM_CALENDAR" if settings.calendar is not None else f"the {settings.chamber} preset (CRM_CHAMBER)"
    return {
        "chosen_by": chosen,
        "country": config.country,
        "timezone": config.timezone,
        "hours": config.hours,
        "display": config.calendar_display,
    }


@router.get("", summary="The calendar in force: the configured default, the dated schedules, the closures, presets")
def show_calendar(request: Request, _: access.Reader) -> dict[str, Any]:
    centre = request.app.state.centre
    changes = centre.calendar_changes()
    return {
        "default": _default(request),
        "schedules": [c for c in changes if c["kind"] == "schedule"],
        "closures": [c for c in changes if c["kind"] == "closure"],
        "presets": {name: {"hours": hours, "source": source} for name, (hours, source) in SCHEDULE_PRESETS.items()},
        "closure_reasons": list(CLOSURE_REASONS),
    }


@router.post(
    "/closures",
    status_code=201,
    response_model=ChangePublic,
    summary="Close the chamber on a day (heat, pollution, mourning); open deadlines it touches move shortly after",
)
def close_day(request: Request, principal: access.CalendarKeeper, body: ClosureIn) -> Any:
    _within_window(body.day, "day")
    return request.app.state.centre.close_day(day=body.day, reason=body.reason, note=body.note, by=principal.name)


@router.post(
    "/schedules",
    status_code=201,
    response_model=ChangePublic,
    summary="Put weekly working hours (or a preset) in force from a date; open deadlines move shortly after",
)
def set_schedule(request: Request, principal: access.CalendarKeeper, body: ScheduleIn) -> Any:
    _within_window(body.effective_from, "effective_from")
    return request.app.state.centre.set_schedule(
        effective_from=body.effective_from, hours=body.hours, preset=body.preset, by=principal.name
    )
