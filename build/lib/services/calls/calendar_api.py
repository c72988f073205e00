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
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"day": "2026-12-02", "reason": "pollution", "note": "Tehran province closed offices"}]
        },
    )
    day: date = Field(description="the day the chamber is closed", examples=["2026-12-02"])
    reason: Literal["heat", "pollution", "mourning", "holiday", "other"] = Field(
        description="why the chamber is closed: an order for heat or pollution, public mourning, a holiday, or other",
        examples=["pollution"],
    )
    note: str | None = Field(
        default=None,
        max_length=500,
        description="free text for the staff, such as who ordered the closure",
        examples=["Tehran province closed offices"],
    )


class ScheduleIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"effective_from": "2027-06-06", "hours": {"saturday": ["06:00-13:00"], "sunday": ["06:00-13:00"]}},
                {"effective_from": "2027-06-06", "preset": "ir-summer"},
            ]
        },
    )
    effective_from: date = Field(description="the first day these hours apply", examples=["2027-06-06"])
    hours: dict[str, list[str]] | None = Field(
        default=None,
        description="weekday -> working intervals HH:MM-HH:MM; a weekday left out is closed",
        examples=[{"saturday": ["06:00-13:00"], "sunday": ["06:00-13:00"]}],
    )
    preset: str | None = Field(default=None, description="a named schedule instead of hours", examples=["ir-summer"])


class ChangePublic(BaseModel):
    kind: Literal["schedule", "closure"] = Field(
        description="a schedule (weekly working hours from a date) or a closure (one day the chamber is closed)"
    )
    effective_from: date | None = Field(default=None, description="for a schedule, the first day its hours apply")
    hours: dict[str, list[str]] | None = Field(
        default=None,
        description="for a schedule, weekday -> working intervals HH:MM-HH:MM; a weekday left out is closed",
    )
    preset: str | None = Field(default=None, description="for a schedule, the named preset whose hours it took")
    day: date | None = Field(default=None, description="for a closure, the day the chamber is closed")
    reason: str | None = Field(
        default=None, description="for a closure, why: heat, pollution, mourning, holiday, other"
    )
    note: str | None = Field(default=None, description="the free text the operator entered with the change")
    by: str = Field(description="the operator who entered the change")
    at: datetime = Field(description="when the change was entered (UTC)")


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
    """The working calendar every deadline is counted on: the default the settings chose (CRM_CALENDAR or the
    chamber's preset), each dated schedule and each closure an operator entered, the named presets and the reasons
    a closure may give. Anyone signed in may read it."""
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
    """An operator records that the chamber is closed on a day, for instance when the province orders offices shut
    for heat or pollution. The day stops counting as working time, and open callback and follow-up deadlines that
    fall on or after it are recomputed and moved shortly after."""
    _within_window(body.day, "day")
    return request.app.state.centre.close_day(day=body.day, reason=body.reason, note=body.note, by=principal.name)


@router.post(
    "/schedules",
    status_code=201,
    response_model=ChangePublic,
    summary="Put weekly working hours (or a preset) in force from a date; open deadlines move shortly after",
)
def set_schedule(request: Request, principal: access.CalendarKeeper, body: ScheduleIn) -> Any:
    """An operator puts new weekly working hours in force from a date, either hour by hour or by naming a preset
    (such as the summer hours). Open deadlines are recomputed on the new hours and moved shortly after."""
    _within_window(body.effective_from, "effective_from")
    return request.app.state.centre.set_schedule(
        effective_from=body.effective_from, hours=body.hours, preset=body.preset, by=principal.name
    )
