"""The strategic plan as an aggregate: each import of the plan's file that reads differently from the version in
force is a new version; the versions before it stay in the plan's history (the events), so the monitoring reports
of a past quarter can still be read against the plan that held then.

Event data holds only JSON-native values: consumers read it from Kafka (crm.plan.events.v1) as JSON.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

PLAN_NAMESPACE = uuid.UUID("b7d0c3e2-5a41-4f7e-9c1d-6e2f8a4b1c37")
DEFAULT_PLAN = "strategic-plan"


def plan_id(key: str = DEFAULT_PLAN) -> uuid.UUID:
    """One plan per key: importing the same plan again finds it instead of starting a second one."""
    return uuid.uuid5(PLAN_NAMESPACE, f"plan:{key}")


def digest(content: dict[str, Any]) -> str:
    """The fingerprint of the plan as read, not of the file's bytes: saving the same sheet again with other line
    endings or trailing tabs is not a revision."""
    return hashlib.sha256(json.dumps(content, sort_keys=True, ensure_ascii=False).encode()).hexdigest()


class StrategicPlan(Aggregate):
    @staticmethod
    def create_id(key: str, **_: Any) -> uuid.UUID:
        return plan_id(key)

    @event("Imported")
    def __init__(
        self, key: str, content: dict[str, Any], digest: str, source_name: str | None, by: str, at: datetime
    ) -> None:
        self.key = key
        self.versions: list[dict[str, Any]] = []
        self._add(content, digest, source_name, by, at)

    def _add(self, content: dict[str, Any], digest: str, source_name: str | None, by: str, at: datetime) -> None:
        self.versions.append(
            {
                "number": len(self.versions) + 1,
                "digest": digest,
                "source_name": source_name,
                "by": by,
                "at": at,
                "content": content,
            }
        )

    @property
    def current(self) -> dict[str, Any]:
        return self.versions[-1]

    def reads_as(self, fingerprint: str) -> bool:
        return self.current["digest"] == fingerprint

    def revise(self, content: dict[str, Any], digest: str, source_name: str | None, by: str, at: datetime) -> bool:
        """A new version when the plan reads differently from the version in force; False (nothing recorded)
        when it reads the same, so importing a file twice changes nothing."""
        if self.reads_as(digest):
            return False
        self._revised(content, digest, source_name, by, at)
        return True

    @event("Revised")
    def _revised(self, content: dict[str, Any], digest: str, source_name: str | None, by: str, at: datetime) -> None:
        self._add(content, digest, source_name, by, at)
