"""The figures of the complaint reports, as pure functions over the rows of the complaints read model: what was
received, decided and closed in a period, how long it took in working hours, the members' satisfaction, corrective
actions, and the agenda of the review meeting. Figures about a period are as of its end, or as of now while it
runs, so a past period's report reads the same whenever it is produced."""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

from services.reporting.complaint_record import CHANNELS, CLOSING, KINDS, OUTCOMES, STAGES
from services.reporting.complaints import ComplaintData
from services.reporting.report_locale import NO_UNIT, Locale
from shared.calendar import BusinessCalendar


def _in(t: datetime | None, start: datetime, end: datetime) -> bool:
    return t is not None and start <= t < end


def working_hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _stats(values: list[float]) -> dict[str, Any]:
    """Count, mean, median and maximum of durations given in seconds, in working hours."""
    if not values:
        return {"count": 0, "mean_working_hours": None, "median_working_hours": None, "max_working_hours": None}
    return {
        "count": len(values),
        "mean_working_hours": working_hours(statistics.fmean(values)),
        "median_working_hours": working_hours(statistics.median(values)),
        "max_working_hours": working_hours(max(values)),
    }


def _breakdown(counts: Counter, keys: Iterable[str], label: Callable[[str], str]) -> list[dict[str, Any]]:
    """Every known key (zeros too, so a reader sees what did not happen), then the others by count."""
    total = sum(counts.values())
    ordered = list(keys)
    # The rest by count; "no unit" last, whatever its count, as readers expect it under the named units.
    ordered += sorted((k for k in counts if k not in ordered), key=lambda k: (k == NO_UNIT, -counts[k], str(k)))
    return [
        {
            "key": k,
            "label": label(k),
            "count": counts.get(k, 0),
            "share": round(counts.get(k, 0) / total, 4) if total else None,
        }
        for k in ordered
    ]


def visibility(show_confidential: bool) -> Callable[[dict[str, Any]], bool]:
    return lambda f: show_confidential or not f.get("confidential")


def figures(
    data: ComplaintData,
    start: datetime,
    end: datetime,
    *,
    as_of: datetime,
    calendar: BusinessCalendar,
    locale: Locale,
    show_confidential: bool,
) -> dict[str, Any]:
    """The aggregate figures of [start, end) as of `as_of`, and the lists a reader may see."""
    by_id = {f["complaint_id"]: f for f in data.facts}
    received = [f for f in data.facts if _in(f["received_at"], start, end)]
    rounds_of: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(data.rounds, key=lambda r: (r["complaint_id"], r["round"])):
        rounds_of.setdefault(r["complaint_id"], []).append(r)
    stages_of: dict[str, list[dict[str, Any]]] = {}
    for s in data.stages:
        stages_of.setdefault(s["complaint_id"], []).append(s)

    # The result told in the period: the last one of each complaint (a reopened complaint is counted once).
    outcome_of: dict[str, str] = {}
    closed_at: dict[str, datetime] = {}
    for cid, rs in rounds_of.items():
        for r in rs:
            if _in(r["decided_at"], start, end) and r["outcome"]:
                outcome_of[cid] = r["outcome"]
            if _in(r["closed_at"], start, end):
                closed_at[cid] = r["closed_at"]
    resolution = [
        calendar.working_time_between(by_id[cid]["received_at"], at).total_seconds()
        for cid, at in closed_at.items()
        if cid in by_id and by_id[cid]["received_at"] is not None
    ]

    stage_seconds: dict[str, list[float]] = {s: [] for s in STAGES}
    for s in data.stages:
        if _in(s["done_at"], start, end) and s["working_seconds"] is not None:
            stage_seconds.setdefault(s["stage"], []).append(s["working_seconds"])
    breach_counts = Counter(b["stage"] for b in data.breaches if _in(b["at"], start, end))
    stages = [
        {"stage": stage, "label": locale.value(stage), **_stats(values), "breaches": breach_counts.get(stage, 0)}
        for stage, values in stage_seconds.items()
    ]

    answers = [r for r in data.rounds if _in(r["satisfaction_at"], start, end)]
    scores = [r["satisfaction_score"] for r in answers if r["satisfaction_score"] is not None]
    satisfied = sum(1 for r in answers if r["satisfied"])
    satisfaction = {
        "recorded": len(answers),
        "satisfied": satisfied,
        "not_satisfied": len(answers) - satisfied,
        "mean_score": round(statistics.fmean(scores), 2) if scores else None,
        "satisfied_rate": round(satisfied / len(answers), 4) if answers else None,
    }

    visible = visibility(show_confidential)
    # Overdue: not done by the end of its due date (at the period's end, midnight after its last day).
    today = as_of.astimezone(calendar.tz).date()
    action_items, withheld_actions = [], 0
    status_counts: Counter = Counter()
    for a in sorted(data.actions, key=lambda a: (a["defined_at"] or start, a["complaint_id"], a["action_id"])):
        if a["defined_at"] is None or a["defined_at"] >= end or (a["done_at"] is not None and a["done_at"] < start):
            continue  # defined after the period, or done before it began
        done = a["done_at"] is not None and a["done_at"] <= as_of
        due = date.fromisoformat(a["due"]) if a["due"] else None
        status = "done" if done else ("overdue" if due is not None and due < today else "open")
        status_counts[status] += 1
        complaint = by_id.get(a["complaint_id"], {})
        if not visible(complaint):
            withheld_actions += 1
            continue
        action_items.append(
            {
                "complaint_id": a["complaint_id"],
                "reference": complaint.get("reference"),
                "action_id": a["action_id"],
                "description": a["description"],
                "owner": a["owner"],
                "due": a["due"],
                "due_local": locale.date(due),
                "status": status,
                "defined_at": a["defined_at"],
                "defined_at_local": locale.moment(a["defined_at"], with_time=False),
                "done_at": a["done_at"] if done else None,
                "done_at_local": locale.moment(a["done_at"], with_time=False) if done else "",
            }
        )

    agenda, withheld_agenda = [], 0
    for f in sorted(data.facts, key=lambda f: (f["received_at"] or end, f["complaint_id"])):
        if f["received_at"] is None or f["received_at"] >= end or f["received_at"] > as_of:
            continue
        rs = rounds_of.get(f["complaint_id"], [])
        current = next((r for r in reversed(rs) if r["started_at"] is not None and r["started_at"] <= as_of), None)
        reasons = []
        if current is not None and (current["decided_at"] is None or current["decided_at"] > as_of):
            reasons.append("undecided")
        if any(r["satisfied"] is False and _in(r["satisfaction_at"], start, end) for r in rs):
            reasons.append("not_satisfied")
        if not reasons:
            continue
        if not visible(f):
            withheld_agenda += 1
            continue
        score = next(
            (
                r["satisfaction_score"]
                for r in reversed(rs)
                if r["satisfied"] is False and _in(r["satisfaction_at"], start, end)
            ),
            None,
        )
        open_seconds = (
            calendar.working_time_between(current["started_at"], as_of).total_seconds()
            if "undecided" in reasons and current
            else None
        )
        agenda.append(
            {
                "complaint_id": f["complaint_id"],
                "reference": f["reference"],
                "kind": f["kind"],
                "channel": f["channel"],
                "unit": f["unit"],
                "received_at": f["received_at"],
                "received_at_local": locale.moment(f["received_at"], with_time=False),
                "round": current["round"] if current else f["round"],
                "reasons": reasons,
                "stage": _stage_at(stages_of.get(f["complaint_id"], []), current, as_of),  # where it waited then
                "current_state": f["state"],  # and where it is now, for the meeting
                "outcome": f["outcome"],
                "satisfaction_score": score,
                "open_working_hours": working_hours(open_seconds),
                "complainant": f["complainant_name"],
                "member_number": f["member_number"],
                "summary": f["summary"],
                "confidential": bool(f["confidential"]),
            }
        )

    return {
        "received": {
            "total": len(received),
            "confidential": sum(1 for f in received if f["confidential"]),
            "by_kind": _breakdown(Counter(f["kind"] for f in received), KINDS, locale.value),
            "by_channel": _breakdown(Counter(f["channel"] for f in received), CHANNELS, locale.value),
            "by_unit": _breakdown(Counter(f["unit"] or NO_UNIT for f in received), [], locale.unit),
        },
        "outcomes": {
            "total": len(outcome_of),
            "by_outcome": _breakdown(Counter(outcome_of.values()), OUTCOMES, locale.value),
        },
        "closed": len(closed_at),
        "resolution": _stats(resolution),
        "stages": stages,
        "satisfaction": satisfaction,
        "corrective_actions": {
            "total": sum(status_counts.values()),
            "open": status_counts["open"],
            "overdue": status_counts["overdue"],
            "done": status_counts["done"],
            "withheld": withheld_actions,
            "items": action_items,
        },
        "agenda": {"count": len(agenda) + withheld_agenda, "withheld": withheld_agenda, "items": agenda},
    }


def _stage_at(stages: list[dict[str, Any]], round_: dict[str, Any] | None, at: datetime) -> str | None:
    """The stage a complaint waited in at a time, from its stage times (None: closed, or not yet received)."""
    if round_ is None or (round_["closed_at"] is not None and round_["closed_at"] <= at):
        return None
    waiting = {
        s["stage"]
        for s in stages
        if s["round"] == round_["round"] and s["started_at"] <= at and (s["done_at"] is None or s["done_at"] > at)
    }
    for stage in reversed(STAGES):
        if stage in waiting:
            return stage
    return CLOSING if round_["notified_at"] is not None and round_["notified_at"] <= at else None


def headline(f: dict[str, Any]) -> dict[str, Any]:
    return {
        "received": f["received"]["total"],
        "decided": f["outcomes"]["total"],
        "closed": f["closed"],
        "mean_resolution_working_hours": f["resolution"]["mean_working_hours"],
        "median_resolution_working_hours": f["resolution"]["median_working_hours"],
        "satisfied_rate": f["satisfaction"]["satisfied_rate"],
        "breaches": sum(s["breaches"] for s in f["stages"]),
    }
