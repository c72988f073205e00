"""Problem details for the complainant, in the complainant's language: the public endpoints (the website form and
tracking) answer their refusals as problem+json whose `title` and `detail` are in Persian, Turkish or English, as
the form's choice or `Accept-Language` asks (else the chamber's language). The machine-readable parts (`status`,
`errors` with their field paths and types) stay as they are, so a website can still point at the field.

The rules refuse in English (the staff's API and the logs read them that way); this module knows the public
refusals by their English wording and says them again from `locales/<lang>.json` (`problems`), with their figures.
A refusal it does not know is told by a sentence per status in the same language, never left in English."""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import Any

from fastapi import Request, Response
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.complaints.tracking import PERSIAN_DIGITS, chamber_language, choose_language, texts
from shared.problems import PROBLEM_JSON

# English wording of a public refusal -> its key under `problems.details` in the locales; named groups are the
# figures the translation repeats.
KNOWN: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), key)
    for pattern, key in (
        (r"^name: ", "name_missing"),
        (r"^phone or email: ", "contact_missing"),
        (r"is not a phone number", "bad_phone"),
        (r"is not an e-mail address", "bad_email"),
        (r"^unknown unit", "unknown_unit"),
        (r"^description: at most (?P<limit>\d+) characters", "description_too_long"),
        (r"^attachments: at most (?P<limit>\d+) files", "too_many_files"),
        (r"data is not base64", "bad_attachment"),
        (r"may be at most (?P<limit>\d+(?:\.\d+)? ?[KMG]i?B)", "too_large"),
        (r"are not accepted|not one of the accepted types|but its content is", "file_type"),
        (r"document is empty", "empty_file"),
        (r"time of occurrence is in the future", "future"),
        (r"is not JSON", "not_json"),
        (r"send the form as", "media_type"),
        (r"try again in (?P<seconds>\d+) seconds", "too_many"),
        (r"not UTF-8", "not_utf8"),
        (r"multipart body could not be read", "bad_multipart"),
    )
)
# The locales' names for the fields of the public form and of tracking, by the last name in an error's path.
FIELD_NAMES = ("body",)


def requested_language(request: Request) -> str:
    """The language the requester reads: the one the handler settled on (the form's choice), else the best of
    Accept-Language, else the chamber's."""
    chosen = getattr(request.state, "language", None)
    if chosen:
        return str(chosen)
    desk = request.app.state.desk
    return choose_language(None, request.headers.get("accept-language"), chamber_language(desk.region))


def _field(loc: list[Any]) -> str | None:
    names = [p for p in loc if isinstance(p, str) and p != "body"]
    return names[0] if names else None


def _figures(language: str, text: str) -> str:
    return text.translate(PERSIAN_DIGITS) if language == "fa" else text


def localise_problem(body: Mapping[str, Any], language: str) -> dict[str, Any]:
    """The problem with its title and detail in `language`; English problems are returned as they are."""
    out = dict(body)
    if language == "en":
        return out
    words = texts(language)["problems"]
    status = str(body.get("status"))
    out["title"] = words["titles"].get(status, words["titles"]["default"])
    detail = str(body.get("detail") or "")
    errors = body.get("errors")
    translated: str | None = None
    if detail and detail in (texts(lang)["not_found"] for lang in ("fa", "tr", "en")):
        translated = texts(language)["not_found"]
    elif status == "422" and isinstance(errors, list) and errors:
        names = []
        for e in errors:
            name = _field(list(e.get("loc", [])))
            label = words["fields"].get(name or "body", name or words["fields"]["body"])
            if label not in names:
                names.append(label)
        translated = words["fields_invalid"].format(fields=words["comma"].join(names))
    else:
        for pattern, key in KNOWN:
            match = pattern.search(detail)
            if match:
                translated = words["details"][key].format(**match.groupdict())
                break
    if translated is None:
        translated = words["generic"].get(status, words["generic"]["default"])
    out["detail"] = _figures(language, translated)
    return out


def localised_response(response: Response, language: str) -> Response:
    if response.headers.get("content-type") != PROBLEM_JSON:
        response.headers["Content-Language"] = language
        return response
    body = localise_problem(json.loads(bytes(response.body)), language)
    headers = {k: v for k, v in response.headers.items() if k.lower() not in ("content-length", "content-type")}
    headers["Content-Language"] = language
    return JSONResponse(body, status_code=response.status_code, media_type=PROBLEM_JSON, headers=headers)


def _handler_for(request: Request, exc: Exception) -> Callable[[Request, Exception], Awaitable[Response]] | None:
    handlers = request.app.exception_handlers
    if isinstance(exc, StarletteHTTPException) and exc.status_code in handlers:
        return handlers[exc.status_code]
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


class LocalisedProblems(APIRoute):
    """A route whose refusals (raised or returned as problem+json) reach the requester in his or her language."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def localised(request: Request) -> Response:
            try:
                response = await handler(request)
            except Exception as exc:
                render = _handler_for(request, exc)
                if render is None:
                    raise
                response = await render(request, exc)
            return localised_response(response, requested_language(request))

        return localised
