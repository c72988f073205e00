"""The yearly revision of the strategic plan and of the risk register: a dated task of each year.

The plan's own activities ask for it (F.1.3.5 the yearly SWOT analysis, F.1.3.6 revising the plan after it,
F.1.5.2 revising every process's risk analysis). Each year's task opens on its opening day, is due on its due day
(both configured, CRM_PLAN__REVISION_OPENS and CRM_PLAN__REVISION_DUE, month-day), becomes overdue once the day
after it is due if not done, and is done when the SG or the member-relations manager records what was revised
(the plan's version then in force, the risks re-scored or reviewed since the task opened). A scheduled tick with
the injected clock opens and marks them; every step is an event, so running it twice records nothing more.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.plan.domain.risk import clean, required
from shared.errors import DomainError, InvalidInput

REVISION_NAMESPACE = uuid.UUID("2d8f6b14-93c7-4e5a-b0a2-7f1e4c9d3a86")
_MONTH_DAY = re.compile(r"^(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$")


def revision_id(year: int) -> uuid.UUID:
    return uuid.uuid5(REVISION_NAMESPACE, f"revision:{year}")


def day_of(year: int, month_day: str) -> date:
    """`MM-DD` of `year` (29 February in a common year is the 28th)."""
    if not _MONTH_DAY.match(month_day):
        raise InvalidInput(f"a yearly day is written MM-DD, not {month_day!r}")
    month, day = int(month_day[:2]), int(month_day[3:])
    try:
        return date(year, month, day)
    except ValueError:
        if (month, day) == (2, 29):
            return date(year, 2, 28)
        raise InvalidInput(f"{month_day} is not a day of the year") from None


class RevisionDone(DomainError):
    """The year's revision is recorded already (409)."""


class RevisionTask(Aggregate):
    @staticmethod
    def create_id(year: int, **_: Any) -> uuid.UUID:
        return revision_id(year)

    @event("Opened")
    def __init__(self, year: int, opens_on: str, due_on: str, at: datetime) -> None:
        self.year = year
        self.opens_on = opens_on
        self.due_on = due_on
        self.opened_at = at
        self.overdue_at: datetime | None = None
        self.done: dict[str, Any] | None = None

    @property
    def state(self) -> str:
        return "done" if self.done else "overdue" if self.overdue_at else "open"

    def mark_overdue(self, today: date, at: datetime) -> bool:
        if self.done or self.overdue_at or today <= date.fromisoformat(self.due_on):
            return False
        self._became_overdue(at)
        return True

    @event("BecameOverdue")
    def _became_overdue(self, at: datetime) -> None:
        self.overdue_at = at

    def complete(self, *, note: str, plan_version: int | None, risks_revisited: int, by: str, at: datetime) -> None:
        if self.done:
            raise RevisionDone(f"the revision of {self.year} was recorded on {self.done['at']:%Y-%m-%d}")
        self._completed(required(note, "what was revised"), plan_version, risks_revisited, by, at)

    @event("Completed")
    def _completed(self, note: str, plan_version: int | None, risks_revisited: int, by: str, at: datetime) -> None:
        self.done = {
            "note": clean(note, "the note"),
            "plan_version": plan_version,
            "risks_revisited": risks_revisited,
            "by": by,
            "at": at,
            "late": self.overdue_at is not None,
        }

    def view(self) -> dict[str, Any]:
        return {
            "year": self.year,
            "opens_on": self.opens_on,
            "due_on": self.due_on,
            "state": self.state,
            "opened_at": self.opened_at,
            "overdue_at": self.overdue_at,
            "done": self.done,
        }
