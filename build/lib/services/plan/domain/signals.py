"""What signals each risk of the register: event streams of the CRM (e.g. members ended for the risk of member
loss, escalations of repeated non-answers for the risk of unanswered calls) counted over a window, or an indicator
of the plan (an activity's status, e.g. off track). A signal at or above its configured level prompts a review of
its risk (an event on the risk); a review or a re-scoring answers it, and the signal may prompt again after.

The links are a data file (services/plan/risk_signals.toml, CRM_PLAN__SIGNALS_FILE for the chamber's own):
  [[signal]]
  key         = a name of the signal (kept with each prompt)
  process     = the risk's process and `risk` its wording, as in the register (the card's PROSES and RİSKLER)
  then either events:
    types       = wire types counted; `where` / `type_where` filter them as the KPI bindings do
    window_days = the window counted, up to now; level = the count that prompts a review
  or an indicator:
    activity    = a plan activity; statuses = its statuses that prompt a review (default ["off track"])
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from typing import Any

from services.plan.domain.risk import risk_id
from shared.errors import InvalidInput

STATUSES = ("on track", "at risk", "off track", "no target")


@dataclass(frozen=True)
class Signal:
    key: str
    process: str
    risk: str
    types: tuple[str, ...] = ()
    where: dict[str, Any] = field(default_factory=dict)
    type_where: dict[str, dict[str, Any]] = field(default_factory=dict)
    window_days: int = 30
    level: float = 1
    activity: str | None = None
    statuses: tuple[str, ...] = ("off track",)

    @property
    def risk_id(self):
        return risk_id(self.process, self.risk)

    @property
    def services(self) -> set[str]:
        return {t.split(".")[1] for t in self.types}

    def matches(self, event_type: str, data: dict[str, Any]) -> bool:
        if event_type not in self.types:
            return False
        wanted = {**self.where, **self.type_where.get(event_type, {})}
        return all(data.get(k) == v for k, v in wanted.items())


def load_signals(text: str) -> dict[str, Signal]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise InvalidInput(f"risk signals: {exc}") from exc
    found: dict[str, Signal] = {}
    for entry in raw.get("signal", []):
        try:
            s = Signal(
                key=str(entry["key"]),
                process=str(entry["process"]),
                risk=str(entry["risk"]),
                types=tuple(entry.get("types", ())),
                where=dict(entry.get("where", {})),
                type_where={str(k): dict(v) for k, v in dict(entry.get("type_where", {})).items()},
                window_days=int(entry.get("window_days", 30)),
                level=float(entry.get("level", 1)),
                activity=entry.get("activity"),
                statuses=tuple(entry.get("statuses", ("off track",))),
            )
        except KeyError as exc:
            raise InvalidInput(f"risk signal {entry.get('key', '?')}: give its {exc.args[0]}") from None
        if bool(s.types) == bool(s.activity):
            raise InvalidInput(f"risk signal {s.key}: name either event types or an activity, one of the two")
        for t in s.types:
            parts = t.split(".")
            if len(parts) != 5 or parts[0] != "crm" or not parts[4].startswith("v"):
                raise InvalidInput(f"risk signal {s.key}: {t!r} is no wire type crm.<svc>.<agg>.<event>.vN")
        if set(s.type_where) - set(s.types):
            raise InvalidInput(f"risk signal {s.key}: type_where names a type not in types")
        if not 1 <= s.window_days <= 366 or s.level <= 0:
            raise InvalidInput(f"risk signal {s.key}: window_days is 1 to 366 and level above 0")
        if set(s.statuses) - set(STATUSES):
            raise InvalidInput(f"risk signal {s.key}: statuses are among {', '.join(STATUSES)}")
        if s.key in found:
            raise InvalidInput(f"risk signal {s.key}: given twice")
        found[s.key] = s
    return found
