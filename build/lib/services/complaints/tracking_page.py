"""The complainant's tracking page on the chamber's website (ISO 10002: the complainant can follow the complaint),
as HTML for a person with a browser and no login: a form asks for the tracking reference and the secret given at
submission, and the answer shows the stage and the dates, in Persian right to left with Persian digits, in Turkish
or in English. The secret travels in the form's body (POST), never in the address, so it stays out of access logs
and browser history; attempts are counted per address by the same limiter as the JSON tracking endpoint.
Rendered from templates/tracking.html.j2 with the words of locales/<lang>.json; nothing is shown that the JSON
tracking answer does not show (no internal notes, names or reasons)."""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined

from services.complaints.application import ComplaintDesk
from services.complaints.domain import complaint_id_for_reference
from services.complaints.public import client_address, get_tracking_limiter, read_body
from services.complaints.public_problems import LocalisedProblems
from services.complaints.tracking import (
    LANGUAGES,
    PERSIAN_DIGITS,
    chamber_language,
    choose_language,
    opens,
    public_status,
    texts,
)
from shared.ratelimit import RateLimiter
from shared.settings import ComplaintSettings

# A person types two short codes: anything longer is not a tracking request.
MAX_FORM_BYTES = 2048
SECURITY_HEADERS = {
    "Cache-Control": "no-store",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
}

tracking_page = APIRouter(prefix="/public/complaints/track", tags=["public"], route_class=LocalisedProblems)


@cache
def _template() -> Any:
    env = Environment(
        loader=PackageLoader("services.complaints", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env.get_template("tracking.html.j2")


def render_page(
    language: str,
    *,
    status: dict[str, Any] | None = None,
    message: str | None = None,
    reference: str = "",
) -> str:
    t = texts(language)

    def local(text: str) -> str:
        return text.translate(PERSIAN_DIGITS) if language == "fa" else text

    return str(
        _template().render(
            t=t,
            p=t["page"],
            lang=language,
            dir="rtl" if language == "fa" else "ltr",
            languages=LANGUAGES,
            status=status,
            message=message,
            reference=reference,
            local=local,
        )
    )


def _page(html: str, status_code: int = 200, headers: dict[str, str] | None = None) -> HTMLResponse:
    return HTMLResponse(html, status_code=status_code, headers={**SECURITY_HEADERS, **(headers or {})})


def _language(request: Request, choice: str | None) -> str:
    desk: ComplaintDesk = request.app.state.desk
    return choose_language(choice, request.headers.get("accept-language"), chamber_language(desk.region))


@tracking_page.get(
    "/page",
    response_class=HTMLResponse,
    summary="The complainant's tracking page (no login): a form for the reference and the secret",
)
def tracking_form(
    request: Request,
    lang: Annotated[str | None, Query(description="fa, tr or en; default: Accept-Language, else the chamber's")] = None,
) -> HTMLResponse:
    """The page the chamber's website links to: the complainant enters the tracking reference and the secret given at submission, and sends them to the same address (POST). In Persian it reads right to left."""
    return _page(render_page(_language(request, lang)))


@tracking_page.post(
    "/page",
    response_class=HTMLResponse,
    summary="The complainant's tracking page (no login): the stage and dates for a reference and secret",
    responses={
        404: {"description": "no message with this reference and secret (a page saying so)"},
        413: {"description": "too large"},
        422: {"description": "the reference or the secret is missing (a page saying so)"},
        429: {"description": "too many attempts from this address (a page saying so)"},
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "reference": {"type": "string", "description": "the tracking reference"},
                            "secret": {"type": "string", "description": "the secret given with it"},
                            "language": {"type": "string", "description": "fa, tr or en"},
                        },
                        "required": ["reference", "secret"],
                    },
                    "example": {"reference": "CMP-7K2Q-M4XD", "secret": "q8ZfT3nW5rXc", "language": "fa"},
                }
            },
        }
    },
)
async def tracking_answer(
    request: Request, limiter: Annotated[RateLimiter, Depends(get_tracking_limiter)]
) -> HTMLResponse:
    """The form's answer: where the complaint stands and the dates of the steps taken, in the complainant's language. A wrong reference or secret gets one page for both, so neither tells whether the other was right; attempts are limited per address like the website form."""
    desk: ComplaintDesk = request.app.state.desk
    config: ComplaintSettings = request.app.state.complaint_settings
    wait = limiter.hit(client_address(request, config))
    body = await read_body(request, MAX_FORM_BYTES, "the tracking form")
    try:
        fields = {k: v[0] for k, v in parse_qs(body.decode("utf-8"), max_num_fields=10).items()}
    except (UnicodeDecodeError, ValueError):
        fields = {}
    choice = fields.get("language")
    asked = _language(request, choice)
    request.state.language = asked
    page = texts(asked)["page"]
    reference = fields.get("reference", "").strip().upper()[:20]
    if wait is not None:
        seconds = max(1, int(wait.total_seconds() + 0.999))
        message = page["too_many"].format(seconds=seconds)
        return _page(render_page(asked, message=message, reference=reference), 429, {"Retry-After": str(seconds)})
    secret = fields.get("secret", "").strip()
    if not reference or not secret:
        return _page(render_page(asked, message=page["missing"], reference=reference), 422)
    try:
        complaint = desk.find_complaint(complaint_id_for_reference(reference))
    except ValueError:
        complaint = None
    if complaint is None or not opens(complaint, secret):
        return _page(render_page(asked, message=texts(asked)["not_found"], reference=reference), 404)
    language = choice if choice in LANGUAGES else complaint.language or asked
    return _page(render_page(language, status=public_status(complaint, language, desk.calendar)))
