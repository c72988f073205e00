"""The risk register's watch on its signals: each configured signal's figure now (events in its window, or its
activity's status), and a review prompted on the linked risk when the figure reaches the level. Run after each
batch the KPI consumer stores and on the plan service's tick, with the office's (injected) clock; a prompt already
open is not repeated, so running it again records nothing."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta
from typing import Any

from services.plan.application import PlanNotFound, PlanOffice
from services.plan.domain.signals import Signal
from services.plan.index import PlanIndex
from services.plan.reports import progress_report

log = logging.getLogger(__name__)


class SignalWatch:
    def __init__(self, office: PlanOffice, index: PlanIndex, signals: dict[str, Signal]):
        self.office = office
        self.index = index
        self.signals = signals

    def status(self) -> list[dict[str, Any]]:
        """Every signal with its figure now, its level, its risk (None when not in the register) and whether a
        review it prompted is open."""
        now = self.office.clock()
        statuses: dict[str, str] = {}
        if any(s.activity for s in self.signals.values()):
            try:
                report = progress_report(self.office, self.index, now.year)
                statuses = {r["activity"]: r["status"] for r in report["activities"]}
            except PlanNotFound:
                pass
        out = []
        for s in sorted(self.signals.values(), key=lambda s: s.key):
            if s.activity:
                status = statuses.get(s.activity)
                figure, level = (1.0 if status in s.statuses else 0.0), 1.0
                detail = f"{s.activity} is {status or 'not in the plan in force'} this year"
            else:
                since = (now - timedelta(days=s.window_days)).astimezone(UTC).isoformat()
                figure, level = float(self.index.signal_count(s.key, since)), s.level
                detail = f"{int(figure)} events of {', '.join(s.types)} in the last {s.window_days} days"
            risk = self.office.risks.find(s.risk_id)
            out.append(
                {
                    "key": s.key,
                    "process": s.process,
                    "risk": s.risk,
                    "risk_id": str(risk.id) if risk else None,
                    "types": list(s.types),
                    "activity": s.activity,
                    "window_days": None if s.activity else s.window_days,
                    "figure": figure,
                    "level": level,
                    "reached": figure >= level,
                    "detail": detail,
                    "review_open": bool(risk and any(p["signal"] == s.key for p in risk.open_prompts)),
                }
            )
        return out

    def evaluate(self) -> list[str]:
        """Prompt a review of each linked risk whose signal reached its level; the keys of the signals that did."""
        prompted = []
        now = self.office.clock()
        for row in self.status():
            if not row["reached"] or row["risk_id"] is None or row["review_open"]:
                continue
            risk = self.office.risks.get(row["risk_id"])
            if risk.prompt_review(
                signal=row["key"], figure=row["figure"], level=row["level"], detail=row["detail"], at=now
            ):
                self.office.save_or_conflict(risk, what=f"the risk {risk.title!r}")
                prompted.append(row["key"])
                log.info("risk %s: review prompted by %s (%s)", risk.title, row["key"], row["detail"])
        return prompted
