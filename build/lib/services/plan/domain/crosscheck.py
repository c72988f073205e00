"""The cross-check of a plan as read: each target's stated totals against the sums of its rows, and the codes
that are used twice or sit under another target, each finding with the line to look at.

"Toplam Faaliyet" is the sum of the activities' targets (four-year and this year's), "Toplam Maliyet" the sum of
their cost lines; an empty cell or `-` counts as nothing. A finding is reported, never corrected: the file is the
chamber's, and the responsible unit decides which figure is wrong.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Figure = Callable[[dict[str, Any]], int | float | None]

# (stated key, what it is, how to compute it from one activity)
TOTALS: tuple[tuple[str, str, Figure], ...] = (
    ("activities_four_year", "activities, four-year target", lambda a: a["four_year"]),
    ("activities_year", "activities, this year's target", lambda a: a["year"]),
    ("cost_four_year", "cost, four years", lambda a: (a["cost"] or {}).get("four_year")),
    ("cost_year", "cost, this year", lambda a: (a["cost"] or {}).get("year")),
)


def _line_of(stated: dict[str, Any], key: str) -> int | None:
    return stated.get("activities_line" if key.startswith("activities") else "cost_line")


def cross_check(plan: dict[str, Any]) -> list[dict[str, Any]]:
    """Every mismatch and irregularity of the plan, in the order of the file's lines."""
    findings: list[dict[str, Any]] = []
    activities = plan["activities"]
    for target in plan["targets"]:
        rows = [a for a in activities if a["target"] == target["code"]]
        stated = target["stated"]
        for key, what, value in TOTALS:
            computed: int | float = sum((value(a) or 0 for a in rows), 0)
            if key not in stated:
                findings.append(
                    {
                        "kind": "total_missing",
                        "target": target["code"],
                        "figure": key,
                        "detail": f"target {target['code']} states no total of {what} (computed {computed})",
                        "stated": None,
                        "computed": computed,
                        "line": target["line"],
                    }
                )
                continue
            if stated[key] != computed:
                findings.append(
                    {
                        "kind": "total_mismatch",
                        "target": target["code"],
                        "figure": key,
                        "detail": f"target {target['code']}: {what} stated {stated[key]}, rows sum to {computed}",
                        "stated": stated[key],
                        "computed": computed,
                        "line": _line_of(stated, key),
                    }
                )
    lines_of: dict[str, list[int]] = {}
    for a in activities:
        lines_of.setdefault(a["code"], []).append(a["line"])
    for a in activities:
        if len(lines_of[a["code"]]) > 1 and a["key"] != a["code"]:
            findings.append(
                {
                    "kind": "duplicate_code",
                    "target": a["target"],
                    "code": a["code"],
                    "detail": f"{a['code']} is used again (first on line {lines_of[a['code']][0]}); kept as {a['key']}",
                    "line": a["line"],
                    "lines": lines_of[a["code"]],
                }
            )
        prefix = a["code"].removeprefix("F.").rsplit(".", 1)[0]
        if a["target"] is not None and prefix != a["target"]:
            findings.append(
                {
                    "kind": "misplaced_code",
                    "target": a["target"],
                    "code": a["code"],
                    "detail": f"{a['code']} is a code of target {prefix} but stands under target {a['target']}",
                    "line": a["line"],
                }
            )
        cost = a["cost"] or {}
        if cost.get("months") or cost.get("marks_past_december"):
            used = " (read as the activity's schedule)" if a["schedule_from_cost_line"] else ""
            findings.append(
                {
                    "kind": "marks_on_cost_line",
                    "target": a["target"],
                    "code": a["key"],
                    "detail": f"{a['key']}: X marks on the cost line{used}",
                    "line": cost["line"],
                }
            )
        if a["marks_past_december"]:
            findings.append(
                {
                    "kind": "marks_past_december",
                    "target": a["target"],
                    "code": a["key"],
                    "detail": f"{a['key']}: an X right of December; unit and record read from the cells after it",
                    "line": a["line"],
                }
            )
        if a["cost"] is None:
            findings.append(
                {
                    "kind": "cost_line_missing",
                    "target": a["target"],
                    "code": a["key"],
                    "detail": f"{a['key']} has no cost line",
                    "line": a["line"],
                }
            )
    for aim in plan["aims"]:
        if len(aim["lines"]) > 1:
            findings.append(
                {
                    "kind": "aim_heading_repeated",
                    "target": None,
                    "detail": f"aim {aim['code']} is headed {len(aim['lines'])} times: " + " / ".join(aim["titles"]),
                    "line": aim["lines"][1],
                }
            )
    for problem in plan["problems"]:
        findings.append({"target": None, "detail": f"{problem['kind']}: {problem['text']}", **problem})
    findings.sort(key=lambda f: (f["line"] or 0, f["kind"]))
    return findings
