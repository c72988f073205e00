"""PlanOffice: the strategic plan's imports, versions and cross-check over the plan service's event store."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError

from services.plan.contract import CONTRACT
from services.plan.domain import DEFAULT_PLAN, StrategicPlan, cross_check, digest, parse_plan, plan_id
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.problems import InvalidInput, NotFound

# How an export is decoded: UTF-8 as the seed is; a sheet saved by a Turkish Windows spreadsheet is Windows-1254.
ENCODINGS = ("utf-8-sig", "cp1254")


class PlanNotFound(NotFound):
    pass


@dataclass(frozen=True)
class ImportResult:
    plan_id: uuid.UUID
    version: int
    created: bool  # False: the file reads as the version in force, and nothing was recorded
    findings: list[dict[str, Any]]

    def summary(self) -> dict[str, Any]:
        return {
            "plan_id": str(self.plan_id),
            "version": self.version,
            "created": self.created,
            "findings": self.findings,
        }


def decode(data: bytes) -> str:
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise InvalidInput("the file is neither UTF-8 nor Windows-1254 text")


def version_meta(version: dict[str, Any]) -> dict[str, Any]:
    content = version["content"]
    return {
        "number": version["number"],
        "digest": version["digest"],
        "source_name": version["source_name"],
        "by": version["by"],
        "at": version["at"],
        "year": content.get("year"),
        "aims": len(content["aims"]),
        "targets": len(content["targets"]),
        "activities": len(content["activities"]),
    }


class PlanOffice(CrmApplication):
    service: ClassVar[str] = "plan"
    contract: ClassVar[EventContract] = CONTRACT

    def __init__(self, env: dict[str, Any] | None = None, *, clock: Clock = system_clock):
        super().__init__(env)
        self.clock = clock

    # -- commands ----------------------------------------------------------------------------------------------
    def import_plan(
        self, data: bytes | str, *, by: str, source_name: str | None = None, key: str = DEFAULT_PLAN
    ) -> ImportResult:
        """Read the plan's export and record it as a new version unless it reads as the version in force. A file
        that holds no plan at all is refused (422) and nothing is recorded; its irregularities are not."""
        text = decode(data) if isinstance(data, bytes) else data
        content = parse_plan(text)
        fingerprint = digest(content)
        plan = self.find_plan(key)
        if plan is None:
            plan = StrategicPlan(key, content, fingerprint, source_name, by, self.clock())
            created = True
        else:
            created = plan.revise(content, fingerprint, source_name, by, self.clock())
        if created:
            self.save_or_conflict(plan, what=f"the strategic plan {key!r}")
        return ImportResult(plan.id, plan.current["number"], created, cross_check(content))

    # -- queries -----------------------------------------------------------------------------------------------
    def find_plan(self, key: str = DEFAULT_PLAN) -> StrategicPlan | None:
        try:
            found: StrategicPlan = self.repository.get(plan_id(key))
        except AggregateNotFoundError:
            return None
        return found if isinstance(found, StrategicPlan) else None

    def get_plan(self, key: str = DEFAULT_PLAN) -> StrategicPlan:
        found = self.find_plan(key)
        if found is None:
            raise PlanNotFound(f"no strategic plan {key!r} has been imported")
        return found

    def version(self, number: int | None = None, key: str = DEFAULT_PLAN) -> dict[str, Any]:
        """A version of the plan (the one in force when `number` is None): its facts and what it holds."""
        plan = self.get_plan(key)
        if number is None:
            chosen = plan.current
        elif 1 <= number <= len(plan.versions):
            chosen = plan.versions[number - 1]
        else:
            raise PlanNotFound(f"the strategic plan {key!r} has no version {number}")
        return {**version_meta(chosen), "in_force": chosen is plan.current, "content": chosen["content"]}

    def versions(self, key: str = DEFAULT_PLAN) -> list[dict[str, Any]]:
        plan = self.get_plan(key)
        return [{**version_meta(v), "in_force": v is plan.current} for v in plan.versions]

    def check(self, number: int | None = None, key: str = DEFAULT_PLAN) -> list[dict[str, Any]]:
        return cross_check(self.version(number, key)["content"])

    def history(self, key: str = DEFAULT_PLAN) -> list[dict[str, Any]]:
        """The plan's events, oldest first, without the plan's content (GET a version for that)."""
        out = []
        for e in self.event_history(self.get_plan(key).id):
            data = {k: v for k, v in e["data"].items() if k != "content"}
            out.append({**e, "data": data})
        return out
