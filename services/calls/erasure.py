"""Erasing a caller who is not a known member, at their request (`crm privacy erase --caller`).

The caller's key (services/calls/privacy.py) is deleted, so their number, name, the subjects taken down and the
notes on their calls read [erased] from then on; the erasure is recorded as an event of its own, naming the
caller only by the hash that names their key. A member's calls are erased with the member (members service).
"""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

ERASURE_NAMESPACE = uuid.UUID("3f1d4f0e-7f55-4c2f-9a53-0c8d2b7e6a14")


class CallerErasure(Aggregate):
    @event("Recorded")
    def __init__(self, *, subject: str, reason: str, by: str | None, at: datetime):
        self.subject = subject
        self.reason = reason
        self.by = by
        self.at = at

    @classmethod
    def create_id(cls, *, subject: str, **_: object) -> uuid.UUID:
        return erasure_id(subject)


def erasure_id(subject: str) -> uuid.UUID:
    """One erasure per caller: erasing them twice is detectable."""
    return uuid.uuid5(ERASURE_NAMESPACE, f"caller-erasure:{subject}")
