"""The weekly summary as a report for the SG and the president: JSON (the recorded figures with each question's
wording), CSV for a spreadsheet, and a printable HTML page (A4) in Persian, right to left with Persian digits and Solar
Hijri dates, or in Turkish (or English), left to right. Rendered from templates/weekly_summary.html.j2 with the words of
locales/<lang>.json; the survey's own texts are printed as text, never as markup."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from functools import cache
from importlib import resources
from typing import Any

import jdatetime
from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

LANGUAGES = ("fa", "tr", "en")
FORM_CODE = "ME-FR-02-01-01"
PERSIAN_DIGITS = str.maketrans("0123456789.", "۰۱۲۳۴۵۶۷۸۹٫")
FONTS = {
    "fa": '"Vazirmatn", "Vazir", "Noto Sans Arabic", "Tahoma", "Noto Sans", "DejaVu Sans", sans-serif',
    "tr": '"Noto Sans", "DejaVu Sans", Arial, sans-serif',
    "en": '"Noto Sans", "DejaVu Sans", Arial, sans-serif',
}


@cache
def texts(lang: str) -> dict[str, Any]:
    raw = resources.files("services.surveys").joinpath("locales", f"{lang}.json").read_text("utf-8")
    found: dict[str, Any] = json.loads(raw)
    return found


@cache
def _environment() -> Environment:
    return Environment(
        loader=PackageLoader("services.surveys", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def _wording(question: dict[str, Any], lang: str) -> str:
    text = question.get("text") or {}
    return text.get(lang) or next(iter(text.values()), question["key"])


def complaint_kind(source_ref: str) -> tuple[str, str | None]:
    """(member|question|overall, the member's number or the question's key) from surveys:<survey>:<kind>:<x>:..."""
    parts = source_ref.split(":")
    kind = parts[2] if len(parts) > 2 else "member"
    if kind == "overall":
        return kind, None
    return (kind if kind in ("member", "question") else "member"), parts[3] if len(parts) > 3 else None


def weekly_report(
    *,
    survey: dict[str, Any],
    summary: dict[str, Any],
    questions: list[dict[str, Any]],
    question_threshold: float,
    overall_threshold: float | None,
    lang: str = "fa",
) -> dict[str, Any]:
    """The recorded summary of one week with what a reader needs beside the figures: the survey, each scored
    question's wording and whether it is under its threshold, and what each new complaint was opened for."""
    by_key = {q["key"]: q for q in questions}
    rows = []
    for key, score in summary["questions"].items():
        rows.append(
            {
                "key": key,
                "wording": _wording(by_key[key], lang) if key in by_key else key,
                "percentage": score,
                "below": score is not None and score < question_threshold,
            }
        )
    complaints = []
    for ref in summary["complaint_refs"]:
        kind, detail = complaint_kind(ref)
        if kind == "question" and detail in by_key:
            detail = _wording(by_key[detail], lang)
        complaints.append({"source_ref": ref, "kind": kind, "detail": detail})
    overall = summary["overall"]
    return {
        "survey_id": survey["id"],
        "kind": survey["kind"],
        "subject": survey["subject"] or survey["period"],
        "period": survey["period"],
        "week_ending": summary["week_ending"],
        "recorded_at": summary["at"],
        "responses": summary["responses"],
        "asked": summary["asked"],
        "response_rate": summary["response_rate"],
        "overall": overall,
        "overall_below": overall is not None and overall_threshold is not None and overall < overall_threshold,
        "question_threshold": question_threshold,
        "overall_threshold": overall_threshold,
        "questions": rows,
        "new_complaints": summary["new_complaints"],
        "complaints": complaints,
        "lang": lang,
    }


def weekly_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["survey", report["subject"]])
    w.writerow(["week_ending", report["week_ending"]])
    for key in ("responses", "asked", "response_rate", "overall", "new_complaints"):
        w.writerow([key, "" if report[key] is None else report[key]])
    w.writerow([])
    w.writerow(["question", "wording", "percentage", "below_threshold"])
    for q in report["questions"]:
        w.writerow([q["key"], q["wording"], "" if q["percentage"] is None else q["percentage"], q["below"]])
    w.writerow([])
    w.writerow(["complaint", "kind", "detail"])
    for c in report["complaints"]:
        w.writerow([c["source_ref"], c["kind"], c["detail"] or ""])
    return out.getvalue()


def _date(value: date, lang: str) -> str:
    if lang == "fa":
        return jdatetime.date.fromgregorian(date=value).strftime("%Y/%m/%d").translate(PERSIAN_DIGITS)
    return value.strftime("%d.%m.%Y") if lang == "tr" else value.isoformat()


def weekly_html(report: dict[str, Any], *, recorded_local: datetime) -> str:
    """The printable page; `recorded_local` is when the summary was recorded, in the chamber's time zone."""
    lang = report["lang"]
    t = texts(lang)

    def number(value: float | int | None, percent: bool = False) -> str:
        if value is None:
            return t["not_yet"]
        if lang == "fa":  # ۴۲٫۸٪
            return (f"{value:g}٪" if percent else str(value)).translate(PERSIAN_DIGITS)
        if lang == "tr":  # %42,8
            return f"%{value:g}".replace(".", ",") if percent else str(value)
        return f"{value:g}%" if percent else str(value)

    def digits(text: str | None) -> str | None:
        return text.translate(PERSIAN_DIGITS) if text and lang == "fa" else text

    clock = recorded_local.strftime("%H:%M")
    return (
        _environment()
        .get_template("weekly_summary.html.j2")
        .render(
            t=t,
            lang=lang,
            dir="rtl" if lang == "fa" else "ltr",
            font=Markup(FONTS[lang]),  # a constant of this module: a font list, not escaped inside <style>
            subject=report["subject"],
            kind=t[report["kind"]],
            week_ending=_date(date.fromisoformat(report["week_ending"]), lang),
            recorded_at=_date(recorded_local.date(), lang)
            + " "
            + (clock.translate(PERSIAN_DIGITS) if lang == "fa" else clock),
            form_code=FORM_CODE,
            responses=number(report["responses"]),
            asked=number(report["asked"]),
            response_rate=number(report["response_rate"], True),
            overall=number(report["overall"], True),
            overall_below=report["overall_below"],
            new_complaints=number(report["new_complaints"]),
            questions=[
                {
                    "wording": q["wording"],
                    "score": number(q["percentage"], True),
                    "below": q["below"],
                    "threshold": number(report["question_threshold"], True),
                }
                for q in report["questions"]
            ],
            complaints=[
                {"kind": t["complaint_kinds"][c["kind"]], "detail": digits(c["detail"])} for c in report["complaints"]
            ],
        )
    )
