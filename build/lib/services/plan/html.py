"""The printable monitoring report of the strategic plan, in Turkish (Gregorian dates) or Persian (right to left,
Solar Hijri dates, Persian digits): the quarterly report per target and responsible unit, the risk register and
the costs planned against spent. Rendered from templates/plan_report.html.j2 with autoescape, so text read from the
plan's file or typed into the register is printed as text, never as markup."""

from __future__ import annotations

import html
import json
from collections import Counter
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import jdatetime
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from shared.errors import InvalidInput

LANGUAGES = ("tr", "fa")
STATUSES = ("on track", "at risk", "off track", "no target")
FONTS = {
    "fa": '"Vazirmatn", "Vazir", "Sahel", "Noto Naskh Arabic", "Tahoma", sans-serif',
    "tr": '"Segoe UI", "Noto Sans", "DejaVu Sans", Arial, sans-serif',
}
PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
LOCALES = Path(__file__).with_name("locales")


def _escaped(value: Any) -> Any:
    if value is None:
        return Markup("")
    if hasattr(value, "__html__"):
        return value
    if isinstance(value, float):
        value = f"{value:g}" if value == int(value) else f"{value:.2f}"
    return Markup(html.escape(str(value), quote=True))


def _persian(value: Any) -> Any:
    escaped = _escaped(value)
    return escaped if hasattr(value, "__html__") else Markup(str(escaped).translate(PERSIAN_DIGITS))


def _money(value: float) -> str:
    return f"{value:,.0f}".replace(",", ".")  # Turkish grouping, as the plan writes 13.000


@cache
def _environment(lang: str) -> Environment:
    env = Environment(
        loader=PackageLoader("services.plan", "templates"),
        autoescape=True,
        finalize=_persian if lang == "fa" else _escaped,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    return env


@cache
def words(lang: str) -> dict[str, Any]:
    if lang not in LANGUAGES:
        raise InvalidInput(f"the report is printed in {' or '.join(LANGUAGES)}, not {lang!r}")
    return json.loads((LOCALES / f"{lang}.json").read_text(encoding="utf-8"))


def local_date(day: date, lang: str) -> str:
    """Solar Hijri (YYYY/MM/DD) in Persian, Gregorian (DD.MM.YYYY) in Turkish."""
    if lang == "fa":
        return jdatetime.date.fromgregorian(date=day).strftime("%Y/%m/%d")
    return day.strftime("%d.%m.%Y")


def quarter_days(year: int, quarter: int) -> tuple[date, date]:
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
    return first, date.fromordinal(last.toordinal() - 1)


def render_plan_report(
    quarterly: dict[str, Any],
    risks: list[dict[str, Any]],
    costs: list[dict[str, Any]],
    *,
    lang: str,
    generated: datetime,
) -> str:
    L = words(lang)
    rows = [a for g in quarterly["groups"] for a in g["activities"]]
    first, last = quarter_days(quarterly["year"], quarterly["quarter"])
    counts = Counter(a["status"] for a in rows)
    report = {
        **quarterly,
        "period_local": f"{local_date(first, lang)} – {local_date(last, lang)}",
        "generated_local": local_date(generated.date(), lang),
        "counts": {s: counts.get(s, 0) for s in STATUSES},
        "misses_total": sum(len(a["misses"]) for a in rows),
        "risks": risks,
        "costs": costs,
    }
    return (
        _environment(lang)
        .get_template("plan_report.html.j2")
        .render(L=L, r=report, lang=lang, font=Markup(FONTS[lang]), statuses=STATUSES)
    )
