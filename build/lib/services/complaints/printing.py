"""Form ME-FR-01-01-01 as a document to print (HTML, A4): every step with who and when, in Persian right to left
with Persian digits and Solar Hijri dates, or in Turkish left to right. Rendered from templates/form.html.j2 with
the words of locales/<lang>.json; text from the form is printed as text, never as markup."""

from __future__ import annotations

from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

from services.complaints.tracking import PERSIAN_DIGITS, texts

PRINT_LANGUAGES = ("fa", "tr")


def persian_digits(text: str) -> str:
    return text.translate(PERSIAN_DIGITS)


def value_text(value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list):
        return "، ".join(value_text(v) for v in value)
    if isinstance(value, dict):
        return "; ".join(f"{k}: {value_text(v)}" for k, v in value.items())
    return str(value)


@cache
def _environment(language: str) -> Environment:
    def finalize(value: Any) -> Any:
        # Every value the template prints passes here: in Persian its digits become Persian ones, dates and
        # references included, so the printed form reads in one script.
        if hasattr(value, "__html__"):
            return value
        text = value_text(value)
        return escape(persian_digits(text) if language == "fa" else text)

    env = Environment(
        loader=PackageLoader("services.complaints", "templates"),
        autoescape=True,
        finalize=finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return env


def render_form(form: dict[str, Any], language: str, printed_at_local: str) -> str:
    t = texts(language)
    steps = [
        {**s, "title": t["steps"].get(s["event_name"], s["title"]), "details": value_text(s["details"])}
        for s in form["steps"]
    ]
    template = _environment(language).get_template("form.html.j2")
    return template.render(
        f=form,
        t=t,
        lang=language,
        dir="rtl" if language == "fa" else "ltr",
        steps=steps,
        printed_at=printed_at_local,
        corrective_action_form="SY-PR-05-00-02",  # a value, not template text: its digits follow the language
        font=Markup(
            '"Vazirmatn", "Vazir", "Tahoma", sans-serif' if language == "fa" else '"Noto Sans", Arial, sans-serif'
        ),
    )
