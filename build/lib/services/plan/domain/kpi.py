"""Key performance indicators of the strategic plan: what measures each activity (bindings), the actuals per
activity per month, schedule adherence, the projection to year end, and the quarterly monitoring report.

The rules, in one place:
- **Actual**: the sum of what was measured in a month (events by their binding, or the unit's manual entries).
- **Miss**: a month marked X in the activity's schedule, already over, with nothing recorded.
- **Projection to year end**: what was done so far, plus, for every marked month still to come, the pace so far
  (actual ÷ marked months already over); with no marked month over yet, the plan's own pace (this year's target
  ÷ marked months) is assumed. An activity with no schedule is projected at what it has done.
- **Status**: on track when the projection reaches this year's target; at risk when it reaches at least 80% of it;
  off track below. An activity without a target this year is "no target".
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from shared.errors import InvalidInput

AT_RISK_FROM = 0.8  # a projection at or above 80% of the target is at risk, below it off track


@dataclass(frozen=True)
class Binding:
    activity: str
    kind: str  # "events" or "manual"
    indicator: str = ""
    types: tuple[str, ...] = ()
    where: dict[str, Any] = field(default_factory=dict)
    type_where: dict[str, dict[str, Any]] = field(default_factory=dict)  # a further filter for one type only
    aggregation: str = "count"
    at: str | None = None
    evidence: str | None = None

    @property
    def services(self) -> set[str]:
        """The services whose topics carry the bound events (crm.<service>.…)."""
        return {t.split(".")[1] for t in self.types}


def load_bindings(text: str) -> dict[str, Binding]:
    """The bindings of a TOML data file (services/plan/kpi_bindings.toml), checked: a mistake in the file stops
    the service at start rather than counting wrongly."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"KPI bindings: {exc}") from exc
    bindings: dict[str, Binding] = {}
    for entry in raw.get("binding", []):
        b = Binding(
            activity=str(entry["activity"]),
            kind=str(entry.get("kind", "")),
            indicator=str(entry.get("indicator", "")),
            types=tuple(entry.get("types", ())),
            where=dict(entry.get("where", {})),
            type_where={str(k): dict(v) for k, v in dict(entry.get("type_where", {})).items()},
            aggregation=str(entry.get("aggregation", "count")),
            at=entry.get("at"),
            evidence=entry.get("evidence"),
        )
        if b.kind not in ("events", "manual"):
            raise InvalidInput(f"KPI binding of {b.activity}: kind is events or manual, not {b.kind!r}")
        if b.kind == "events" and not b.types:
            raise InvalidInput(f"KPI binding of {b.activity}: name the event types that measure it")
        for t in b.types:
            parts = t.split(".")
            if len(parts) != 5 or parts[0] != "crm" or not parts[4].startswith("v"):
                raise InvalidInput(f"KPI binding of {b.activity}: {t!r} is no wire type crm.<svc>.<agg>.<event>.vN")
        stray = set(b.type_where) - set(b.types)
        if stray:
            raise InvalidInput(
                f"KPI binding of {b.activity}: type_where names {', '.join(sorted(stray))}, not in types"
            )
        how, _, name = b.aggregation.partition(":")
        if how not in ("count", "sum", "distinct") or (how != "count" and not name):
            raise InvalidInput(
                f"KPI binding of {b.activity}: aggregation {b.aggregation!r} is not count, sum:… or distinct:…"
            )
        if b.activity in bindings:
            raise InvalidInput(f"KPI binding of {b.activity}: given twice")
        bindings[b.activity] = b
    return bindings


def measure(binding: Binding, event_type: str, data: dict[str, Any], time: str) -> tuple[str, float, str | None] | None:
    """What one event adds to its activity: (month "YYYY-MM", value, distinct key), or None if it does not count."""
    if binding.kind != "events" or event_type not in binding.types:
        return None
    wanted = {**binding.where, **binding.type_where.get(event_type, {})}
    if any(data.get(k) != v for k, v in wanted.items()):
        return None
    stamp = data.get(binding.at) if binding.at else time
    if not isinstance(stamp, str) or len(stamp) < 7:
        return None
    month = stamp[:7]
    how, _, name = binding.aggregation.partition(":")
    if how == "count":
        return month, 1.0, None
    if how == "sum":
        value = data.get(name)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        return month, float(value), None
    key = data.get(name)
    return (month, 1.0, str(key)) if key is not None else None


def progress(activity: dict[str, Any], monthly: dict[int, float], year_over: int) -> dict[str, Any]:
    """An activity's year: actual per month (what is recorded so far, the running month included), misses,
    projection and status; `year_over` months are over (12 for a past year, 0 before the year)."""
    schedule = sorted(set(activity["months"]))
    target = activity["year"]
    done = sum(monthly.values())
    over = [m for m in schedule if m <= year_over]
    ahead = [m for m in schedule if m > year_over]
    misses = [m for m in over if not monthly.get(m)]
    if over:
        pace = done / len(over)
    elif schedule and target:
        pace = target / len(schedule)
    else:
        pace = 0.0
    projection = done + pace * len(ahead)
    if not target:
        status = "no target"
    elif projection >= target:
        status = "on track"
    elif projection >= AT_RISK_FROM * target:
        status = "at risk"
    else:
        status = "off track"
    planned = (target or 0) * len(over) / len(schedule) if schedule else 0
    return {
        "activity": activity["key"],
        "title": activity["title"],
        "target": activity["target"],
        "unit": activity["unit"],
        "indicator": activity["indicator"],
        "year_target": target,
        "schedule": schedule,
        "actual_by_month": {m: monthly[m] for m in sorted(monthly)},
        "actual": done,
        "planned_to_date": round(planned, 2),
        "misses": misses,
        "projection": round(projection, 2),
        "status": status,
    }


def quarterly(
    plan: dict[str, Any], actuals: dict[str, dict[int, float]], quarter: int, year_over: int
) -> list[dict[str, Any]]:
    """The quarterly monitoring report's rows, per target and responsible unit: each activity's figures for the
    quarter and for the year to the quarter's end (`year_over`: the months over now, so that the report of the
    running quarter counts no miss in a month not yet over)."""
    if not 1 <= quarter <= 4:
        raise InvalidInput(f"a quarter is 1 to 4, not {quarter}")
    first, last = 3 * quarter - 2, 3 * quarter
    upto = min(last, year_over)
    rows = []
    for activity in plan["activities"]:
        monthly = {m: v for m, v in actuals.get(activity["key"], {}).items() if m <= last}
        p = progress(activity, monthly, upto)
        p["quarter"] = quarter
        p["actual_in_quarter"] = sum(v for m, v in monthly.items() if first <= m)
        p["misses_in_quarter"] = [m for m in p["misses"] if first <= m <= last]
        rows.append(p)
    rows.sort(key=lambda r: (_order(r["target"]), r["unit"] or "", r["activity"]))
    return rows


def _order(code: str | None) -> tuple[int, ...]:
    return tuple(int(x) for x in (code or "0").split(".") if x.isdigit())
