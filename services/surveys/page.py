"""The page a member opens from his or her one-time link: no login, one small server-rendered form that works on a
phone, in Persian (right to left) or Turkish (or English), answerable once while the survey runs.

Every link that does not resolve answers the same 404 page: a guessed link learns nothing about which exist.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from services.surveys.application import SurveyOffice
from services.surveys.domain import LANGUAGES, ContactRefused, QuestionKind, Stage, Status
from services.surveys.links import LinkKeeper
from shared.errors import InvalidInput
from shared.locales import load_words

FONTS = {
    "fa": '"Vazirmatn", "Vazir", "Sahel", "Noto Sans Arabic", "Tahoma", "Noto Sans", "DejaVu Sans", sans-serif',
    "tr": '"Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif',
    "en": '"Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif',
}
WORDS = load_words(__file__, "link_page")  # locales/link_page.<language>.json
HEADERS = {
    "Cache-Control": "private, no-store",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the link is the member's key: it must not leak to other sites
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'",
}

public = APIRouter(prefix="/s", tags=["online link"])


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("services.surveys", "templates"),
        autoescape=select_autoescape(["j2", "html"]),
        undefined=StrictUndefined,
    )


def _in(texts: dict[str, str] | str, lang: str) -> str:
    if isinstance(texts, str):
        return texts
    return texts.get(lang) or next(iter(texts.values()), "")


def _question_view(q: dict[str, Any], lang: str) -> dict[str, Any]:
    view: dict[str, Any] = {"key": q["key"], "kind": q["kind"], "label": _in(q["text"], lang)}
    if q["kind"] == QuestionKind.SCALE:
        labels = (q.get("labels") or {}).get(lang)
        view["points"] = [
            {"value": p, "label": labels[p - 1] if labels else str(p)} for p in range(1, q["scale_max"] + 1)
        ]
        view["labelled"] = bool(labels)
    elif q["kind"] == QuestionKind.CHOICE:
        view["choices"] = [_in(c, lang) for c in q["choices"]]
    return view


def _language(request: Request, lang: str | None, office: SurveyOffice, number: str | None) -> str:
    if lang in LANGUAGES:
        return lang
    preferred = office.roster_language(number) if number else None
    if preferred in LANGUAGES:
        return preferred
    return "tr" if request.app.state.settings.chamber == "TR" else "fa"


def _page(lang: str, state: str, status: int, **context: Any) -> HTMLResponse:
    words = WORDS[lang]
    body = (
        _env()
        .get_template("survey_page.html.j2")
        .render(
            lang=lang,
            t=words,
            font=FONTS[lang],
            state=state,
            subject=context.get("subject", ""),
            questions=context.get("questions", []),
            error=context.get("error"),
            message=words.get(state, ""),
        )
    )
    return HTMLResponse(body, status_code=status, headers=HEADERS)


def expired(office: SurveyOffice, survey: Any, now: datetime) -> bool:
    """The link works while the survey runs; a periodic round's also only until the end of its last day."""
    if survey.stage != Stage.RUNNING:
        return True
    if survey.ends_on:
        last = datetime.fromisoformat(survey.ends_on).date()
        return office.calendar.working_day_of(now) > last
    return False


def _resolve(request: Request, token: str):
    keeper: LinkKeeper = request.app.state.links
    office: SurveyOffice = request.app.state.office
    found = keeper.resolve(token) if len(token) <= 100 else None
    return office, found


def form_answers(questions: list[dict[str, Any]], form: dict[str, list[str]]) -> dict[str, Any]:
    """The posted form as answers: radio values as numbers and yes/no as booleans, empty fields left out."""
    answers: dict[str, Any] = {}
    for q in questions:
        raw = (form.get(q["key"]) or [""])[0].strip()
        if not raw:
            continue
        if q["kind"] in (QuestionKind.SCALE, QuestionKind.CHOICE):
            if not raw.isdigit():
                raise InvalidInput(f"question {q['key']}: not one of the options")
            answers[q["key"]] = int(raw)
        elif q["kind"] == QuestionKind.YES_NO:
            if raw not in ("yes", "no"):
                raise InvalidInput(f"question {q['key']}: not one of the options")
            answers[q["key"]] = raw == "yes"
        else:
            answers[q["key"]] = raw
    return answers


@public.get("/{token}", response_class=HTMLResponse, summary="The member's survey page (no login; the link is the key)")
def open_link(request: Request, token: str, lang: str | None = Query(None, pattern="^(fa|tr|en)$")) -> HTMLResponse:
    """The page a member opens from his SMS or e-mail link, in Persian, Turkish or English."""
    office, found = _resolve(request, token)
    if found is None:
        return _page(_language(request, lang, office, None), "unknown", 404)
    survey_id, number = found
    language = _language(request, lang, office, number)
    survey = office.survey_view(survey_id)
    if expired(office, survey, office.clock()):
        return _page(language, "expired", 410)
    contact = office.find_contact(survey_id, number)
    if contact is not None and contact.status != Status.PENDING:
        return _page(language, "answered", 409)
    questions = [_question_view(q, language) for q in office.questions_of(survey_id)]
    return _page(language, "form", 200, subject=survey.subject, questions=questions)


@public.post(
    "/{token}",
    response_class=HTMLResponse,
    summary="Send the answers (form-encoded); once only, while the survey runs",
    openapi_extra={"requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {"type": "object"}}}}},
)
async def answer_link(
    request: Request, token: str, lang: str | None = Query(None, pattern="^(fa|tr|en)$")
) -> HTMLResponse:
    """The member's answers from the survey page; a link answers once and only while the survey runs."""
    office, found = _resolve(request, token)
    if found is None:
        return _page(_language(request, lang, office, None), "unknown", 404)
    survey_id, number = found
    language = _language(request, lang, office, number)
    survey = office.survey_view(survey_id)
    if expired(office, survey, office.clock()):
        return _page(language, "expired", 410)
    questions = office.questions_of(survey_id)
    views = [_question_view(q, language) for q in questions]
    try:
        form = parse_qs((await request.body()).decode("utf-8"), keep_blank_values=True, max_num_fields=200)
        answers = form_answers(questions, form)
        if not answers:
            return _page(language, "form", 422, subject=survey.subject, questions=views, error=WORDS[language]["empty"])
        office.record_response(survey_id, number, answers=answers, channel="link", by=None)
    except ContactRefused:
        return _page(language, "answered", 409)
    except (InvalidInput, UnicodeDecodeError, ValueError):
        return _page(language, "form", 422, subject=survey.subject, questions=views, error=WORDS[language]["invalid"])
    return _page(language, "thanks", 200)
