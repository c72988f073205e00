"""A figure entered by hand for an activity the CRM does not measure: one per activity and month, with the
evidence document the plan names (e.g. F.12 Görüşme Formu for member visits). Entering it again corrects it;
each entry is an event, so what was claimed, by whom and when stays on record."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.errors import InvalidInput

MANUAL_NAMESPACE = uuid.UUID("4f1c9a2e-7d35-4b80-b6e2-19c8d0a5f374")
_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def manual_id(activity: str, month: str) -> uuid.UUID:
    return uuid.uuid5(MANUAL_NAMESPACE, f"actual:{activity}:{month}")


def check_month(month: str) -> str:
    if not _MONTH.match(month):
        raise InvalidInput(f"a month is written YYYY-MM, not {month!r}")
    return month


class ManualActual(Aggregate):
    @staticmethod
    def create_id(activity: str, month: str, **_: Any) -> uuid.UUID:
        return manual_id(activity, month)

    @event("Entered")
    def __init__(self, activity: str, month: str, value: float, evidence: str, by: str, at: datetime) -> None:
        self.activity = activity
        self.month = month
        self.value = value
        self.evidence = evidence
        self.by = by

    def correct(self, value: float, evidence: str, by: str, at: datetime) -> bool:
        if (value, evidence) == (self.value, self.evidence):
            return False
        self._corrected(value, evidence, by, at)
        return True

    @event("Corrected")
    def _corrected(self, value: float, evidence: str, by: str, at: datetime) -> None:
        self.value = value
        self.evidence = evidence
        self.by = by
