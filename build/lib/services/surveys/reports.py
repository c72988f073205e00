"""The surveys' reports, computed from the responses: the weekly summary's figures, the final report (statistics
per question, breakdowns, rates, strengths and weaknesses, suggested corrective actions, the satisfaction trend
round over round) as JSON, CSV and an SVG chart. Pure functions over plain data: the API and the tests call them
without a store."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from datetime import date, timedelta
from html import escape
from typing import Any

from services.surveys.domain import survey_stats
from shared.calendar import BusinessCalendar

BEST_WORST = 3


def week_end_weekday(calendar: BusinessCalendar) -> int:
    """The weekday that closes the chamber's working week: the last open day before its weekly rest (Thursday in
    Iran, Friday in Turkey)."""
    open_days = {d for d in range(7) if calendar.config.hours.get(_NAMES[d])}
    ends = [d for d in sorted(open_days) if (d + 1) % 7 not in open_days]
    return ends[0] if ends else 6


_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


def week_due(calendar: BusinessCalendar, now: Any) -> date | None:
    """The last working week that has ended by `now`: the date its closing weekday falls on, once that day is over
    (its working hours ended, or the day itself if it is a holiday)."""
    today = calendar.working_day_of(now)
    weekday = week_end_weekday(calendar)
    day = today - timedelta(days=(today.weekday() - weekday) % 7)
    end = calendar.end_of_working_day(day)
    if end is not None and now < end:
        day -= timedelta(days=7)
    return day


def rates(asked: int, responded: int, declined: int, not_reached: int) -> dict[str, Any]:
    reached = responded + declined
    return {
        "asked": asked,
        "responded": responded,
        "declined": declined,
        "not_reached": not_reached,
        "response_rate": round(responded / asked * 100, 2) if asked else None,
        "reach_rate": round(reached / asked * 100, 2) if asked else None,
    }


def weekly_figures(
    questions: list[dict[str, Any]],
    responses: list[dict[str, Any]],
    asked: int,
    new_complaints: list[str],
    *,
    stats: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """`stats`: the responses' scores when the caller has computed them already."""
    if stats is None:
        stats = survey_stats(questions, (r["answers"] for r in responses))
    return {
        "responses": len(responses),
        "asked": asked,
        "response_rate": round(len(responses) / asked * 100, 2) if asked else None,
        "overall": stats["overall"],
        "questions": {q["key"]: q.get("percentage") for q in stats["questions"] if q.get("scored")},
        "new_complaints": len(new_complaints),
        "complaint_refs": new_complaints,
    }


def _breakdown(questions: list[dict[str, Any]], groups: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    out = {}
    for name, members in sorted(groups.items()):
        stats = survey_stats(questions, (r["answers"] for r in members))
        out[name] = {
            "responses": stats["responses"],
            "overall": stats["overall"],
            "questions": {q["key"]: q.get("percentage") for q in stats["questions"] if q.get("scored")},
        }
    return out


def _wording(question: dict[str, Any], lang: str) -> str:
    text = question["text"]
    return text.get(lang) or next(iter(text.values()), question["key"])


def final_report(
    *,
    survey: dict[str, Any],
    questions: list[dict[str, Any]],
    responses: list[dict[str, Any]],
    counts: dict[str, int],
    trade_groups: dict[str, str | None],
    complaints: list[str],
    trend: list[dict[str, Any]],
    threshold: float,
    lang: str = "fa",
) -> dict[str, Any]:
    stats = survey_stats(questions, (r["answers"] for r in responses))
    scored = [q for q in stats["questions"] if q.get("scored") and q.get("percentage") is not None]
    ranked = sorted(scored, key=lambda q: (-q["percentage"], q["key"]))
    by_key = {q["key"]: q for q in questions}
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    by_trade: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in responses:
        by_channel[r["channel"]].append(r)
        by_trade[trade_groups.get(r["membership_number"]) or "unknown"].append(r)
    text_keys = [q["key"] for q in questions if q["kind"] == "text"]
    comments = [r["answers"][k] for r in responses for k in text_keys if r["answers"].get(k)]
    suggestions = [
        {
            "question": q["key"],
            "percentage": q["percentage"],
            "suggestion": (
                f"Open a corrective action on “{_wording(by_key[q['key']], lang)}”: {q['percentage']:g}% "
                f"against the threshold of {threshold:g}%."
            ),
        }
        for q in sorted(scored, key=lambda q: q["percentage"])
        if q["percentage"] < threshold
    ]
    return {
        "survey": survey,
        "questions": stats["questions"],
        "overall": stats["overall"],
        "rates": rates(
            survey.get("members_asked", 0),
            len(responses),
            counts.get("declined", 0),
            counts.get("not_reached", 0),
        ),
        "by_channel": _breakdown(questions, by_channel),
        "by_trade_group": _breakdown(questions, by_trade),
        "by_unit": _breakdown(questions, {survey["unit"]: responses}),
        "strengths": [q["key"] for q in ranked[:BEST_WORST]],
        "weaknesses": [q["key"] for q in reversed(ranked[-BEST_WORST:])] if ranked else [],
        "suggested_actions": suggestions,
        "comments": comments[:50],
        "complaints": complaints,
        "trend": trend,
    }


def report_csv(report: dict[str, Any]) -> str:
    """One row per question: its statistics and distribution; then the trend, one row per round."""
    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["question", "kind", "n", "mean", "sd", "percentage", "distribution"])
    for q in report["questions"]:
        dist = " ".join(f"{k}:{v}" for k, v in q["distribution"].items())
        w.writerow([q["key"], q["kind"], q["n"], q.get("mean"), q.get("sd"), q.get("percentage"), dist])
    w.writerow(["overall", "", "", "", "", report["overall"], ""])
    if report["trend"]:
        w.writerow([])
        keys = sorted({k for r in report["trend"] for k in r["questions"]})
        w.writerow(["round", "overall", *keys])
        for r in report["trend"]:
            w.writerow([r["period"], r["overall"], *(r["questions"].get(k) for k in keys)])
    return out.getvalue()


def trend_svg(trend: list[dict[str, Any]], width: int = 640, height: int = 320) -> str:
    """The satisfaction trend as a line chart: the overall score (bold) and each question, round over round, on a
    0-100% axis."""
    pad_l, pad_r, pad_t, pad_b = 44, 110, 16, 36
    plot_w, plot_h = width - pad_l - pad_r, height - pad_t - pad_b
    rounds = [r["period"] for r in trend]
    keys = sorted({k for r in trend for k in r["questions"]})
    colours = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f"]

    def x(i: int) -> float:
        return pad_l + (plot_w * i / (len(rounds) - 1) if len(rounds) > 1 else plot_w / 2)

    def y(pct: float) -> float:
        return pad_t + plot_h * (1 - pct / 100)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="sans-serif" font-size="11" role="img" aria-label="satisfaction trend">',
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#fff"/>',
    ]
    for pct in (0, 25, 50, 75, 100):
        parts.append(
            f'<line x1="{pad_l}" y1="{y(pct):.1f}" x2="{pad_l + plot_w}" y2="{y(pct):.1f}" stroke="#e3e6ea"/>'
            f'<text x="{pad_l - 6}" y="{y(pct) + 4:.1f}" text-anchor="end">{pct}%</text>'
        )
    for i, name in enumerate(rounds):
        parts.append(f'<text x="{x(i):.1f}" y="{height - 12}" text-anchor="middle">{escape(name)}</text>')

    def line(values: list[float | None], colour: str, label: str, bold: bool, row: int) -> None:
        points = [(x(i), y(v)) for i, v in enumerate(values) if v is not None]
        if not points:
            return
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        width_ = 3 if bold else 1.5
        parts.append(f'<polyline fill="none" stroke="{colour}" stroke-width="{width_}" points="{path}"/>')
        parts.extend(f'<circle cx="{px:.1f}" cy="{py:.1f}" r="2.5" fill="{colour}"/>' for px, py in points)
        ly = pad_t + 14 * row
        parts.append(
            f'<line x1="{pad_l + plot_w + 10}" y1="{ly}" x2="{pad_l + plot_w + 24}" y2="{ly}" stroke="{colour}" '
            f'stroke-width="{width_}"/><text x="{pad_l + plot_w + 28}" y="{ly + 4}">{escape(label)}</text>'
        )

    line([r["overall"] for r in trend], "#111", "overall", True, 0)
    for n, key in enumerate(keys):
        line([r["questions"].get(key) for r in trend], colours[n % len(colours)], key, False, n + 1)
    parts.append("</svg>")
    return "".join(parts)
