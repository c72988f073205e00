"""The KPI read side of the plan: each activity's progress this year and the quarterly monitoring report per
target and responsible unit (JSON, CSV), from the plan in force and the actuals of the index. The rules are
services/plan/domain/kpi.py's."""

from __future__ import annotations

import csv
import io
from datetime import datetime
from typing import Any

from services.plan.application import PlanOffice
from services.plan.domain.kpi import progress, quarterly
from services.plan.domain.spending import cost_report
from services.plan.index import PlanIndex

CSV_COLUMNS = (
    "target",
    "unit",
    "activity",
    "title",
    "indicator",
    "binding",
    "year_target",
    "planned_to_date",
    "actual_in_quarter",
    "actual",
    "misses_in_quarter",
    "misses",
    "projection",
    "status",
    "cost_year",
    "spent",
)


def months_over(now: datetime, year: int) -> int:
    """How many months of `year` are over at `now`: the running month is not, so it counts no miss yet."""
    if year < now.year:
        return 12
    if year > now.year:
        return 0
    return now.month - 1


def _binding(office: PlanOffice, key: str) -> str | None:
    b = office.bindings.get(key)
    return b.kind if b else None


def progress_report(office: PlanOffice, index: PlanIndex, year: int, as_of: datetime | None = None) -> dict[str, Any]:
    """With `as_of`: the plan in force then, the actuals known by then, and the months over by then."""
    plan = office.version(as_of=as_of)
    actuals = index.actuals(year, as_of)
    over = months_over(as_of or office.clock(), year)
    rows = [
        {**progress(a, actuals.get(a["key"], {}), over), "binding": _binding(office, a["key"])}
        for a in plan["content"]["activities"]
    ]
    return {"year": year, "plan_version": plan["number"], "months_over": over, "activities": rows}


def quarterly_report(
    office: PlanOffice,
    index: PlanIndex,
    year: int,
    quarter: int,
    unit: str | None = None,
    as_of: datetime | None = None,
) -> dict[str, Any]:
    """Per target, per responsible unit: the activities' figures for the quarter and the year to its end; with
    `as_of`, as they stood then."""
    plan = office.version(as_of=as_of)
    rows = quarterly(plan["content"], index.actuals(year, as_of), quarter, months_over(as_of or office.clock(), year))
    costs = {a["key"]: (a.get("cost") or {}).get("year") or 0 for a in plan["content"]["activities"]}
    spent = index.spent(year, as_of)
    groups: dict[tuple[str | None, str | None], list[dict[str, Any]]] = {}
    for row in rows:
        if unit is not None and row["unit"] != unit:
            continue
        row["binding"] = _binding(office, row["activity"])
        row["cost_year"] = float(costs.get(row["activity"], 0))
        row["spent"] = sum(v for m, v in spent.get(row["activity"], {}).items() if m <= 3 * quarter)
        groups.setdefault((row["target"], row["unit"]), []).append(row)
    return {
        "year": year,
        "quarter": quarter,
        "plan_version": plan["number"],
        "groups": [
            {
                "target": target,
                "unit": unit_,
                "activities": items,
                "misses_in_quarter": sum(len(r["misses_in_quarter"]) for r in items),
                "off_track": sum(1 for r in items if r["status"] == "off track"),
                "cost_year": sum(r["cost_year"] for r in items),
                "spent": sum(r["spent"] for r in items),
            }
            for (target, unit_), items in groups.items()
        ],
    }


def quarterly_csv(report: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for group in report["groups"]:
        for row in group["activities"]:
            writer.writerow(
                [
                    " ".join(str(m) for m in row[c]) if isinstance(row[c], list) else ("" if row[c] is None else row[c])
                    for c in CSV_COLUMNS
                ]
            )
    return out.getvalue()


def cost_report_of(office: PlanOffice, index: PlanIndex, year: int) -> dict[str, Any]:
    """Costs planned against spent in `year`, per target and activity of the plan in force."""
    plan = office.version()
    over = months_over(office.clock(), year)
    targets = cost_report(plan["content"], index.spent(year), over)
    return {"year": year, "plan_version": plan["number"], "months_over": over, "targets": targets}
