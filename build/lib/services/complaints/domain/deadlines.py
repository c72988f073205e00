"""Stage deadlines as pure functions of the times each stage started and ended (kept on the aggregate per round)
and of the chamber's business calendar; each stage starts when the one before it ends."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from shared.calendar import BusinessCalendar


class Stage(StrEnum):
    """The stages that have a deadline, in the order they follow one another."""

    ACKNOWLEDGEMENT = "acknowledgement"
    REVIEW = "review"
    ASSIGNMENT = "assignment"
    INVESTIGATION = "investigation"
    DECISION = "decision"  # until the result is known: the SG's rejection, or acceptance with or without the committee
    NOTIFICATION = "notification"


STAGES = tuple(Stage)
DEFAULT_STAGE_HOURS: dict[str, float] = {
    Stage.ACKNOWLEDGEMENT: 8,
    Stage.REVIEW: 16,
    Stage.ASSIGNMENT: 16,
    Stage.INVESTIGATION: 80,
    Stage.DECISION: 40,
    Stage.NOTIFICATION: 16,
}
# Who a stage waits on (the role; the person or unit comes from the complaint).
STAGE_WAITS_ON: dict[Stage, str] = {
    Stage.ACKNOWLEDGEMENT: "member_relations",
    Stage.REVIEW: "mr_manager",
    Stage.ASSIGNMENT: "sg",
    Stage.INVESTIGATION: "handler",
    Stage.DECISION: "sg",
    Stage.NOTIFICATION: "mr_manager",
}


@dataclass(frozen=True)
class StageDeadline:
    stage: Stage
    started_at: datetime
    due_at: datetime
    done_at: datetime | None

    def is_breached(self, now: datetime) -> bool:
        """Done after its due time, or still not done when its due time has passed."""
        if self.done_at is not None:
            return self.done_at > self.due_at
        return now > self.due_at

    def as_dict(self, now: datetime | None = None) -> dict[str, Any]:
        out: dict[str, Any] = {
            "stage": self.stage.value,
            "started_at": self.started_at,
            "due_at": self.due_at,
            "done_at": self.done_at,
        }
        if now is not None:
            out["breached"] = self.is_breached(now)
        return out


def stage_hours(overrides: Mapping[str, float] | None = None) -> dict[Stage, float]:
    """The working hours allowed for each stage: the defaults, with the chamber's overrides."""
    hours = {Stage(k): float(v) for k, v in DEFAULT_STAGE_HOURS.items()}
    for name, value in (overrides or {}).items():
        try:
            stage = Stage(name)
        except ValueError:
            raise ValueError(f"unknown complaint stage {name!r}: use one of {', '.join(STAGES)}") from None
        if value <= 0:
            raise ValueError(f"the {stage.value} stage needs a positive number of working hours")
        hours[stage] = float(value)
    return hours


def stage_due(calendar: BusinessCalendar, started_at: datetime, hours: float) -> datetime:
    return calendar.add_working_time(started_at, timedelta(hours=hours))


def stage_deadlines(
    calendar: BusinessCalendar,
    hours: Mapping[Stage, float],
    started: Mapping[str, datetime],
    done: Mapping[str, datetime],
) -> list[StageDeadline]:
    """Each stage that has started, in procedure order, with its due time in working hours."""
    out = []
    for stage in STAGES:
        start = started.get(stage.value)
        if start is None:
            continue
        out.append(StageDeadline(stage, start, stage_due(calendar, start, hours[stage]), done.get(stage.value)))
    return out


def breached(deadlines: Iterable[StageDeadline], now: datetime) -> list[StageDeadline]:
    return [d for d in deadlines if d.is_breached(now)]


def breach_key(round_: int, stage: Stage | str) -> str:
    """What makes a breach unique: the complaint (the aggregate), the round (reopenings) and the stage."""
    return f"{round_}:{Stage(stage).value}"
