"""The complaint report as a document a manager prints, rendered from templates/complaint_report.html.j2 with the
chamber's words (locales/<lang>.json). Text from the complaint form is printed as text, never as markup."""

from __future__ import annotations

import html
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from services.reporting.periods import YEARLY
from services.reporting.report_locale import Locale
from shared.calendar import BusinessCalendar
from shared.organisation import Organisation

CORRECTIVE_ACTION = "SY-PR-05-00-02"
COMPLAINT_FORM = "ME-FR-01-01-01"
FONTS = {
    "fa": '"Vazirmatn", "Vazir", "Sahel", "IRANSans", "Noto Naskh Arabic", "Tahoma", sans-serif',
    "tr": '"Segoe UI", "Noto Sans", "DejaVu Sans", "Liberation Sans", Arial, sans-serif',
}


def _escaped(value: Any) -> Any:
    # The standard library's escaping (&quot;, &#x27;) rather than markupsafe's (&#34;, &#39;): the printed
    # reports and their archived copies keep one spelling. Markup (the templates' own macros) passes as it is.
    if value is None:
        return Markup("")
    if hasattr(value, "__html__"):
        return value
    return Markup(html.escape(str(value), quote=True))


def _num(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.0f}%"


def _fill(phrase: str, **values: Any) -> Markup:
    """A phrase of the locale with markup (dates that read left to right) put in its places."""
    return Markup(html.escape(phrase, quote=True)).format(**values)


PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def _persian(value: Any) -> Any:
    # Persian reports use Persian digits throughout: every printed value, dates and references included.
    if value is None or hasattr(value, "__html__"):
        return _escaped(value)
    return _escaped(str(value).translate(PERSIAN_DIGITS))


@cache
def _environment(lang: str = "tr") -> Environment:
    env = Environment(
        loader=PackageLoader("services.reporting", "templates"),
        autoescape=True,
        finalize=_persian if lang == "fa" else _escaped,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters.update(num=_num, pct=_pct, fill=_fill)
    env.globals.update(YEARLY=YEARLY, CORRECTIVE_ACTION=CORRECTIVE_ACTION, COMPLAINT_FORM=COMPLAINT_FORM)
    return env


def render_html(report: dict[str, Any], calendar: BusinessCalendar, organisation: Organisation | None = None) -> str:
    """The report as a document a manager prints: A4, repeated table headers, no row split across pages,
    right to left in Persian with Solar Hijri dates, left to right in Turkish with Gregorian dates."""
    locale = Locale(report["chamber"], calendar, organisation)
    template = _environment(locale.lang).get_template("complaint_report.html.j2")
    return template.render(r=report, L=locale, fonts=Markup(FONTS[locale.lang]))
