"""The ratio of problems solved to problems raised at the desks of a week or a month, as reported to the SG and the
president: the report and its reissues are the history of what was reported when."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.desks.domain.vocabulary import DESK_NAMESPACE


class Period(StrEnum):
    WEEK = "week"
    MONTH = "month"


def report_id(period: str, start: date) -> uuid.UUID:
    return uuid.uuid5(DESK_NAMESPACE, f"ratio:{period}:{start.isoformat()}")


class RatioReport(Aggregate):
    """The ratio of problems solved to problems raised at the desks of one week or month, as reported to the SG and
    the president. Issuing it again records the figures again only when they have changed (follow-ups come in
    after the period), so the events are the history of what was reported when."""

    # Stored as `services.desks.domain:RatioReport.*` since before the domain became a package: the store finds
    # the class by that topic, so the module name stays.
    __module__ = "services.desks.domain"

    @event("Issued")
    def __init__(self, *, period: str, start: str, end: str, figures: dict[str, Any], by: str | None, at: datetime):
        self.period = period
        self.start = start
        self.end = end
        self.figures = figures
        self.issued_by = by
        self.issued_at = at

    @classmethod
    def create_id(cls, *, period: str, start: str, **_: object) -> uuid.UUID:
        return report_id(period, date.fromisoformat(start))

    def reissue(self, figures: dict[str, Any], *, by: str | None, at: datetime) -> bool:
        if figures == self.figures:
            return False
        self._reissued(figures=figures, by=by, at=at)
        return True

    @event("Reissued")
    def _reissued(self, figures: dict[str, Any], by: str | None, at: datetime) -> None:
        self.figures = figures
        self.issued_by = by
        self.issued_at = at
