"""Call-centre statistics as a QueueMetrics user reads them, computed from the read model's per-call facts (the
events already stored: received, routed, answered, completed or hung up, registered unanswered, called back).

Definitions (the ones QueueMetrics uses, where the procedure says nothing):
- offered: incoming calls routed to a unit's queue; answered: of those, answered by anyone; abandoned: neither
  answered nor still waiting (the caller hung up or the PBX gave up).
- service level: the share of offered calls answered within `service_level_seconds` of the first ring.
- wait: first ring to answer (answered calls) or to the end (abandoned calls); talk: answer to hang-up (the
  PBX's own figure when it gives one). Average and p90 (nearest-rank) in seconds.
- abandons by hour: the chamber's local hour of the ring.
- callback compliance: of the unanswered-call records registered in the range whose deadline has passed or that
  were called back, the share called back by the deadline in force.
Pure functions over plain rows; the API picks the rows and the range.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

COLUMNS = [
    "group",
    "offered",
    "answered",
    "abandoned",
    "service_level",
    "wait_avg_seconds",
    "wait_p90_seconds",
    "talk_avg_seconds",
    "talk_p90_seconds",
    "callbacks_due",
    "callbacks_in_time",
    "callback_compliance",
]


def p90(values: Sequence[float]) -> float | None:
    """Nearest-rank 90th percentile: the value 90 % of the calls did not exceed."""
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)], 1)


def _avg(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _is_abandoned(fact: dict[str, Any]) -> bool:
    return not fact["answered"] and (fact.get("ended_at") is not None or bool(fact["unanswered"]))


def figures(
    facts: Iterable[dict[str, Any]],
    callbacks: Iterable[dict[str, Any]],
    *,
    service_level_seconds: int,
    now: datetime,
) -> dict[str, Any]:
    facts = list(facts)
    answered = [f for f in facts if f["answered"]]
    abandoned = [f for f in facts if _is_abandoned(f)]
    waits = [(f["answered_at"] - f["received_at"]).total_seconds() for f in answered if f.get("answered_at")]
    waits += [(f["ended_at"] - f["received_at"]).total_seconds() for f in abandoned if f.get("ended_at")]
    talks = [f["talk_seconds"] for f in answered if f.get("talk_seconds") is not None]
    in_level = sum(
        1
        for f in answered
        if f.get("answered_at") and (f["answered_at"] - f["received_at"]).total_seconds() <= service_level_seconds
    )
    due = [
        c
        for c in callbacks
        if c.get("called_back_at") is not None or (c.get("callback_due") is not None and c["callback_due"] <= now)
    ]
    in_time = sum(1 for c in due if c.get("called_back_at") is not None and c["called_back_at"] <= c["callback_due"])
    return {
        "offered": len(facts),
        "answered": len(answered),
        "abandoned": len(abandoned),
        "service_level": _share(in_level, len(facts)),
        "wait_avg_seconds": _avg(waits),
        "wait_p90_seconds": p90(waits),
        "talk_avg_seconds": _avg(talks),
        "talk_p90_seconds": p90(talks),
        "callbacks_due": len(due),
        "callbacks_in_time": in_time,
        "callback_compliance": _share(in_time, len(due)),
    }


def abandons_by_hour(facts: Iterable[dict[str, Any]], tz: ZoneInfo) -> dict[str, int]:
    hours = {f"{h:02d}": 0 for h in range(24)}
    for f in facts:
        if _is_abandoned(f):
            hours[f"{f['received_at'].astimezone(tz).hour:02d}"] += 1
    return hours


def grouped(
    facts: list[dict[str, Any]],
    callbacks: list[dict[str, Any]],
    by: str,
    *,
    service_level_seconds: int,
    now: datetime,
) -> list[dict[str, Any]]:
    """One row per unit or per expert (callbacks count for the expert whose queue they were in)."""
    fact_key = "unit" if by == "unit" else "expert"
    keys = sorted({f.get(fact_key) or "" for f in facts} | {c.get(fact_key) or "" for c in callbacks})
    return [
        {
            "group": key or None,
            **figures(
                [f for f in facts if (f.get(fact_key) or "") == key],
                [c for c in callbacks if (c.get(fact_key) or "") == key],
                service_level_seconds=service_level_seconds,
                now=now,
            ),
        }
        for key in keys
    ]
