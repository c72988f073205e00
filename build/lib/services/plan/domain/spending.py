"""Costs of the strategic plan, planned against spent. Each activity's cost line gives its four-year and this year's
planned cost and the months it is spent in (the X marks of the cost line, else the activity's own); the accounting
unit (Muhasebe) records what was spent against an activity, one entry per voucher, with its month.

- **Spending entry**: one per activity and voucher reference; recording the same voucher again with another amount
  corrects it (an event each time, so what was claimed, by whom and when stays on record).
- **Planned to date**: this year's planned cost × the marked cost months already over ÷ the marked cost months (all
  of it once the year is over; none before its first marked month).
- **Per target**: the planned cost of the year is the sum of its activities' yearly cost lines (the rows, not the
  stated total, which the cross-check compares); spent is the sum of its activities' entries in the year.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.plan.domain.manual import check_month
from services.plan.domain.risk import clean, required
from shared.errors import InvalidInput

SPENDING_NAMESPACE = uuid.UUID("9a3e51c7-0b2d-4e86-a4f1-6c58d2e7b913")
MAX_AMOUNT = 10**12


def spending_id(activity: str, reference: str) -> uuid.UUID:
    return uuid.uuid5(SPENDING_NAMESPACE, f"spending:{activity}:{' '.join(reference.split()).casefold()}")


def check_amount(amount: Any) -> float:
    if isinstance(amount, bool) or not isinstance(amount, int | float) or not 0 < amount <= MAX_AMOUNT:
        raise InvalidInput(f"an amount spent is above 0 and at most {MAX_AMOUNT}, not {amount!r}")
    return float(amount)


class Spending(Aggregate):
    @staticmethod
    def create_id(activity: str, reference: str, **_: Any) -> uuid.UUID:
        return spending_id(activity, reference)

    @classmethod
    def record(
        cls, *, activity: str, month: str, amount: float, reference: str, note: str | None, by: str, at: datetime
    ) -> Spending:
        return cls(
            activity=activity,
            month=check_month(month),
            amount=check_amount(amount),
            reference=required(reference, "the voucher's reference"),
            note=clean(note, "the note"),
            by=by,
            at=at,
        )

    @event("Recorded")
    def __init__(
        self, activity: str, month: str, amount: float, reference: str, note: str | None, by: str, at: datetime
    ) -> None:
        self.activity = activity
        self.month = month
        self.amount = amount
        self.reference = reference
        self.note = note
        self.by = by

    def correct(self, *, month: str, amount: float, note: str | None, by: str, at: datetime) -> bool:
        month, amount, note = check_month(month), check_amount(amount), clean(note, "the note")
        if (month, amount, note) == (self.month, self.amount, self.note):
            return False
        self._corrected(month, amount, note, by, at)
        return True

    @event("Corrected")
    def _corrected(self, month: str, amount: float, note: str | None, by: str, at: datetime) -> None:
        self.month = month
        self.amount = amount
        self.note = note
        self.by = by


def planned_to_date(cost: dict[str, Any] | None, months: list[int], year_over: int) -> float:
    if not cost or not cost.get("year"):
        return 0.0
    marked = sorted(set(cost.get("months") or months))
    if not marked:
        return float(cost["year"]) if year_over >= 12 else 0.0
    return float(cost["year"]) * len([m for m in marked if m <= year_over]) / len(marked)


def cost_report(content: dict[str, Any], spent: dict[str, dict[int, float]], year_over: int) -> list[dict[str, Any]]:
    """Per target, planned against spent this year, with each activity's line: planned for the year, planned to
    date, spent, remaining (planned − spent) and the share spent."""
    rows: dict[str | None, list[dict[str, Any]]] = defaultdict(list)
    for a in content["activities"]:
        cost = a.get("cost") or {}
        done = sum(spent.get(a["key"], {}).values())
        planned = float(cost.get("year") or 0)
        rows[a["target"]].append(
            {
                "activity": a["key"],
                "title": a["title"],
                "unit": a["unit"],
                "planned_four_year": float(cost.get("four_year") or 0),
                "planned_year": planned,
                "planned_to_date": round(planned_to_date(cost, a["months"], year_over), 2),
                "spent": done,
                "remaining": round(planned - done, 2),
                "share_spent": round(done / planned, 4) if planned else None,
                "spent_by_month": {m: v for m, v in sorted(spent.get(a["key"], {}).items())},
            }
        )
    out = []
    for target in content["targets"]:
        items = rows.get(target["code"], [])
        planned = sum(r["planned_year"] for r in items)
        done = sum(r["spent"] for r in items)
        out.append(
            {
                "target": target["code"],
                "title": target["title"],
                "planned_year": planned,
                "planned_to_date": round(sum(r["planned_to_date"] for r in items), 2),
                "spent": done,
                "remaining": round(planned - done, 2),
                "share_spent": round(done / planned, 4) if planned else None,
                "activities": items,
            }
        )
    return out
