"""The public registration page of the service desks: a member picks an open desk and describes the problem on
form MM-FR-02-05-01, without logging in. Server-rendered HTML in the chamber's language (Persian right to left, or
Turkish), a plain form post, no script.

Protection, as on the public complaint form: a rate limit per client address (counted on every attempt), a
honeypot field that people never see and robots fill (they get a confirmation that registers nothing), a bounded
body and bounded fields. What a member types is shown back escaped, never as markup.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from services.desks.application import DeskOffice
from services.desks.domain import Channel, Desk, Stage
from shared.calendar import BusinessCalendar
from shared.errors import DomainError
from shared.http import read_body
from shared.locales import load_words
from shared.ratelimit import RateLimiter
from shared.validation import control_character

MAX_BODY = 32 * 1024
HONEYPOT = "homepage"
FIELDS = {"member_name": 200, "company": 300, "member_id": 100, "phone": 40, "problem": 4000}

LOCALES: dict[str, Any] = load_words(__file__, "public_page")  # locales/public_page.<language>.json


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("services.desks", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def locale_of(calendar: BusinessCalendar) -> dict[str, Any]:
    return LOCALES["fa" if calendar.config.calendar_display == "solar_hijri" else "tr"]


def _page(calendar: BusinessCalendar, status: int = 200, **context: Any) -> HTMLResponse:
    defaults: dict[str, Any] = {
        "desks": [],
        "desk": None,
        "error": None,
        "message": None,
        "values": dict.fromkeys(FIELDS, ""),
    }
    html = _environment().get_template("public.html.j2").render(L=locale_of(calendar), **{**defaults, **context})
    return HTMLResponse(html, status_code=status)


def _open(desk: Desk, office: DeskOffice) -> bool:
    return desk.stage in (Stage.APPROVED, Stage.ANNOUNCED) and office.clock() < desk.starts_at


def _shown(desk: Desk, calendar: BusinessCalendar) -> dict[str, Any]:
    agencies = locale_of(calendar)["agencies"]
    return {
        "id": str(desk.id),
        "agency": agencies.get(desk.agency, desk.agency),
        "when": calendar.format(desk.starts_at),
        "place": desk.place,
    }


def _open_desk(office: DeskOffice, desk_id: str) -> Desk | None:
    try:
        desk = office.find_desk(uuid.UUID(desk_id))
    except ValueError:
        return None
    return desk if desk is not None and _open(desk, office) else None


def _client(request: Request) -> str:
    # uvicorn sets the peer from X-Forwarded-For only for the proxies in CRM_TRUSTED_PROXIES (services/cli.py).
    return request.client.host if request.client else "unknown"


public = APIRouter(prefix="/public/desks", tags=["public"])


@public.get("", response_class=HTMLResponse, summary="The desks open for registration (no login)")
def open_desks(request: Request) -> HTMLResponse:
    """The page on the chamber's website listing the desks open for registration; no login."""
    office: DeskOffice = request.app.state.office
    desks = [_shown(d, office.calendar) for d in office.desks() if _open(d, office)]
    return _page(office.calendar, view="list", desks=desks)


@public.get("/{desk_id}", response_class=HTMLResponse, summary="A desk's registration form (no login)")
def registration_form(request: Request, desk_id: str) -> HTMLResponse:
    """The public registration form of one open desk; no login."""
    office: DeskOffice = request.app.state.office
    desk = _open_desk(office, desk_id)
    if desk is None:
        return _page(office.calendar, 404, view="error", error=locale_of(office.calendar)["unknown"])
    return _page(office.calendar, view="form", desk=_shown(desk, office.calendar))


@public.post(
    "/{desk_id}",
    response_class=HTMLResponse,
    status_code=201,
    summary="Register on a desk from the public page: a slot, or the waiting list (form post, no login)",
    responses={404: {}, 409: {}, 413: {}, 415: {}, 422: {}, 429: {}},
)
async def register_publicly(request: Request, desk_id: str) -> HTMLResponse:
    """A member registers a problem on an open desk from the website form (form post, no login, rate limited per client): a slot, or the waiting list."""
    office: DeskOffice = request.app.state.office
    calendar = office.calendar
    L = locale_of(calendar)
    limiter: RateLimiter = request.app.state.public_limiter
    if limiter.hit(_client(request)) is not None:
        return _page(calendar, 429, view="error", error=L["too_many"])
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/x-www-form-urlencoded":
        return _page(calendar, 415, view="error", error=L["required"])
    body = await read_body(request, MAX_BODY, f"the form may be at most {MAX_BODY // 1024} KiB")
    try:
        raw = parse_qs(body.decode("utf-8"), max_num_fields=20)
    except (UnicodeDecodeError, ValueError):
        return _page(calendar, 422, view="error", error=L["required"])
    values = {name: (raw.get(name) or [""])[0].strip() for name in FIELDS}
    desk = _open_desk(office, desk_id)
    if desk is None:
        return _page(calendar, 404, view="error", error=L["unknown"])
    shown = _shown(desk, calendar)

    def refuse(reason: str) -> HTMLResponse:
        return _page(calendar, 422, view="form", desk=shown, error=L[reason], values=values)

    if any(len(values[name]) > limit for name, limit in FIELDS.items()):
        return refuse("too_long")
    if any(control_character(v) is not None for v in values.values()):
        return refuse("control")
    if not (values["member_name"] and values["phone"] and values["problem"]):
        return refuse("required")
    if (raw.get(HONEYPOT) or [""])[0]:
        # A robot: it is thanked like a person and learns nothing; nothing is recorded.
        return _page(calendar, 201, view="done", message=L["waiting"].format(position=1, number="—"))
    try:
        number = office.register_member(
            desk.id,
            member_name=values["member_name"],
            company=values["company"] or None,
            member_id=values["member_id"] or None,
            phone=values["phone"],
            language=L["lang"],
            channel=Channel.PUBLIC_PAGE.value,
            problem=values["problem"],
            by="public page",
        )
    except DomainError:
        return _page(calendar, 409, view="error", error=L["closed"])
    form = next(f for f in office.record(desk.id)["forms"] if f["number"] == number)
    if form["slot_start"] is not None:
        message = L["scheduled"].format(number=number, time=calendar.format(form["slot_start"]))
    else:
        message = L["waiting"].format(number=number, position=form["waiting_position"])
    return _page(calendar, 201, view="done", message=message)


def limiter(office: DeskOffice, limit: int, window_seconds: float) -> RateLimiter:
    return RateLimiter(limit, timedelta(seconds=window_seconds), office.clock)
