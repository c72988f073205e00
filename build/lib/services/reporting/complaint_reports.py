"""The complaint reports (docs/procedures.md#reports): open complaints by stage, the six-monthly aggregate report for the
SG and the president with the agenda of the review meeting, and the yearly input to the management review
(SY-PR-10-00-02), as plain data, CSV tables and a printable HTML document in Persian or Turkish.

Pure functions over the rows of the complaints read model: the caller gives the time (`now`), the calendar and
whether the reader may see confidential complaints. A confidential complaint is counted in every figure but never
listed (agenda, corrective actions, open complaints) to a reader who may not see it.

The periods: the Iranian chamber reports on Solar Hijri half-years (Farvardin–Shahrivar, Mehr–Esfand) and years,
the Turkish chamber on Gregorian ones (January–June, July–December). A period runs from local midnight of its
first day to local midnight after its last day. Figures about a period are as of its end, or as of now while it
runs, so a past period's report reads the same whenever it is produced.
"""

from __future__ import annotations

import csv
import io
import statistics
from datetime import UTC, datetime
from typing import Any

from services.reporting.complaint_figures import figures, headline, visibility, working_hours
from services.reporting.complaint_html import render_html
from services.reporting.complaint_record import OPEN_STAGES, WAITS_ON
from services.reporting.complaints import ComplaintData
from services.reporting.periods import SIX_MONTHLY, YEARLY, Period, half_year, year_period
from services.reporting.report_locale import Locale
from shared.calendar import BusinessCalendar
from shared.organisation import Organisation
from shared.problems import InvalidInput

__all__ = [
    "SIX_MONTHLY",
    "YEARLY",
    "Period",
    "build_report",
    "half_year",
    "open_report",
    "render_html",
    "to_csv",
    "year_period",
]

MANAGEMENT_REVIEW = "SY-PR-10-00-02"


def _period_view(period: Period, locale: Locale) -> dict[str, Any]:
    return {
        "calendar": "solar_hijri" if period.chamber == "IR" else "gregorian",
        "year": period.year,
        "half": period.half,
        "label": locale.period_label(period),
        "start": period.start,
        "end": period.end,
        "first_day": period.first_day,
        "last_day": period.last_day,
        "first_day_local": locale.date(period.first_day),
        "last_day_local": locale.date(period.last_day),
    }


def build_report(
    data: ComplaintData,
    period: Period,
    *,
    now: datetime,
    calendar: BusinessCalendar,
    organisation: Organisation | None = None,
    show_confidential: bool,
) -> dict[str, Any]:
    """The six-monthly aggregate report, or the yearly input to the management review (with its halves and the
    year before), as plain data."""
    locale = Locale(period.chamber, calendar, organisation)
    as_of = min(now.astimezone(UTC), period.end)
    report = {
        "report": period.report,
        "title": locale[f"title_{period.report}"],
        "audience": locale[f"audience_{period.report}"],
        "form": MANAGEMENT_REVIEW if period.report == YEARLY else None,
        "chamber": period.chamber,
        "language": locale.lang,
        "period": _period_view(period, locale),
        "generated_at": now.astimezone(UTC),
        "generated_at_local": locale.moment(now),
        "as_of": as_of,
        # At the period's end: its last day, to its end (rather than midnight of the next one).
        "as_of_local": locale.date(period.last_day) if as_of == period.end else locale.moment(as_of),
        "confidential_listed": show_confidential,
        **figures(
            data,
            period.start,
            period.end,
            as_of=as_of,
            calendar=calendar,
            locale=locale,
            show_confidential=show_confidential,
        ),
    }
    if period.report == YEARLY:
        halves = []
        for half in period.halves():
            h_as_of = min(as_of, half.end)
            f = figures(
                data, half.start, half.end, as_of=h_as_of, calendar=calendar, locale=locale, show_confidential=False
            )
            halves.append({"half": half.half, "label": locale[f"half_short_{half.half}"], **headline(f)})
        previous = period.previous_year()
        prev = figures(
            data,
            previous.start,
            previous.end,
            as_of=previous.end,
            calendar=calendar,
            locale=locale,
            show_confidential=False,
        )
        report["halves"] = halves
        report["previous_year"] = {"year": previous.year, **headline(prev)}
        report["this_year"] = {"year": period.year, **headline(report)}
    return report


def open_report(
    rows: list[dict[str, Any]],
    *,
    now: datetime,
    calendar: BusinessCalendar,
    chamber: str,
    organisation: Organisation | None = None,
    show_confidential: bool,
) -> dict[str, Any]:
    """Open complaints by the stage they wait in, the oldest waiting first, with working hours waited so far."""
    locale = Locale(chamber, calendar, organisation)
    visible = visibility(show_confidential)
    stages, items, withheld = [], [], 0
    for stage in OPEN_STAGES:
        waiting = sorted(
            (r for r in rows if r["stage"] == stage and r["stage_since"] is not None),
            key=lambda r: (r["stage_since"], r["complaint_id"]),
        )
        hours = [calendar.working_time_between(r["stage_since"], now).total_seconds() for r in waiting]
        oldest = None
        if waiting:
            first = waiting[0]
            oldest = {
                "since": first["stage_since"],
                "since_local": locale.moment(first["stage_since"]),
                "waiting_working_hours": working_hours(hours[0]),
                # A confidential complaint is counted; who it is stays hidden from those who may not know.
                "complaint_id": first["complaint_id"] if visible(first) else None,
                "reference": first["reference"] if visible(first) else None,
                "confidential": bool(first["confidential"]),
            }
        stages.append(
            {
                "stage": stage,
                "label": locale.value(stage),
                "waiting_on": WAITS_ON[stage],
                "count": len(waiting),
                "mean_waiting_working_hours": working_hours(statistics.fmean(hours)) if hours else None,
                "oldest": oldest,
            }
        )
        for r, seconds in zip(waiting, hours, strict=True):
            if not visible(r):
                withheld += 1
                continue
            items.append(
                {
                    "complaint_id": r["complaint_id"],
                    "reference": r["reference"],
                    "kind": r["kind"],
                    "channel": r["channel"],
                    "unit": r["unit"],
                    "state": r["state"],
                    "stage": stage,
                    "waiting_on": _waiting_on(r, stage),
                    "round": r["round"],
                    "received_at": r["received_at"],
                    "received_at_local": locale.moment(r["received_at"]),
                    "stage_since": r["stage_since"],
                    "stage_since_local": locale.moment(r["stage_since"]),
                    "waiting_working_hours": working_hours(seconds),
                    "breaches": r["breaches"],
                    "confidential": bool(r["confidential"]),
                }
            )
    items.sort(key=lambda i: (-(i["waiting_working_hours"] or 0), i["stage_since"], i["complaint_id"]))
    return {
        "as_of": now.astimezone(UTC),
        "as_of_local": locale.moment(now),
        "total": len(rows),
        "stages": stages,
        "withheld": withheld,
        "items": items,
    }


def _waiting_on(row: dict[str, Any], stage: str) -> dict[str, str | None]:
    if stage == "decision" and row["state"] == "committee":
        return {"role": "committee", "person": None, "unit": None}
    if stage == "investigation":
        person = row["handler"] if row["handler_kind"] == "person" else None
        unit = row["handler"] if row["handler_kind"] == "unit" else None
        return {"role": "handler", "person": person, "unit": unit}
    return {"role": WAITS_ON[stage], "person": None, "unit": None}


# -- CSV -------------------------------------------------------------------------------------------------------
FIGURE_COLUMNS = ["section", "key", "label", "value"]
AGENDA_COLUMNS = [
    "reference",
    "kind",
    "channel",
    "unit",
    "received_at",
    "received_at_local",
    "round",
    "reasons",
    "stage",
    "current_state",
    "outcome",
    "satisfaction_score",
    "open_working_hours",
    "complainant",
    "member_number",
    "summary",
]
ACTION_COLUMNS = [
    "reference",
    "action_id",
    "description",
    "owner",
    "due",
    "due_local",
    "status",
    "defined_at_local",
    "done_at_local",
]
CSV_TABLES = ("figures", "agenda", "actions")


def figure_rows(report: dict[str, Any]) -> list[dict[str, Any]]:
    """The report's figures as one long table: section, key, label, value."""
    rows: list[dict[str, Any]] = []

    def add(section: str, key: str, label: str, value: Any) -> None:
        rows.append({"section": section, "key": key, "label": label, "value": "" if value is None else value})

    received = report["received"]
    add("received", "total", "", received["total"])
    add("received", "confidential", "", received["confidential"])
    for section in ("by_kind", "by_channel", "by_unit"):
        for item in received[section]:
            add(f"received_{section}", item["key"], item["label"], item["count"])
    for item in report["outcomes"]["by_outcome"]:
        add("outcome", item["key"], item["label"], item["count"])
    add("closed", "total", "", report["closed"])
    for key, value in report["resolution"].items():
        add("resolution", key, "", value)
    for stage in report["stages"]:
        for key in ("count", "mean_working_hours", "median_working_hours", "max_working_hours", "breaches"):
            add(f"stage_{key}", stage["stage"], stage["label"], stage[key])
    for key, value in report["satisfaction"].items():
        add("satisfaction", key, "", value)
    for key in ("total", "open", "overdue", "done"):
        add("corrective_actions", key, "", report["corrective_actions"][key])
    add("agenda", "count", "", report["agenda"]["count"])
    for half in report.get("halves", []):
        for key, value in half.items():
            if key not in ("half", "label"):
                add(f"half_{half['half']}", key, half["label"], value)
    for name in ("this_year", "previous_year"):
        if name in report:
            for key, value in report[name].items():
                if key != "year":
                    add(name, key, str(report[name]["year"]), value)
    return rows


def to_csv(report: dict[str, Any], table: str = "figures") -> str:
    """One table of the report as CSV, with a BOM so that spreadsheet programs read Persian and Turkish text."""
    if table == "figures":
        columns, rows = FIGURE_COLUMNS, figure_rows(report)
    elif table == "agenda":
        columns = AGENDA_COLUMNS
        rows = [
            {**i, "received_at": i["received_at"].isoformat(), "reasons": "|".join(i["reasons"])}
            for i in report["agenda"]["items"]
        ]
    elif table == "actions":
        columns, rows = ACTION_COLUMNS, report["corrective_actions"]["items"]
    else:
        raise InvalidInput(f"table {table!r} is not one of {', '.join(CSV_TABLES)}")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, extrasaction="ignore", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return "\ufeff" + buffer.getvalue()
