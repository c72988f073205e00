"""The initial assessment of ISO 10002 (§8.4 "initial assessment of complaints"): how severe, how urgent and how
complex the complaint is, and whether it needs immediate action; from them a priority that orders the queues.
Pure functions: the aggregate records the result with the reasons as an event."""

from __future__ import annotations

from enum import StrEnum


class Level(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


class Priority(StrEnum):
    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"


# Queue order: the lower, the earlier. A complaint not yet assessed waits as a medium one, so that assessing it
# can only move it forward or back, never hide it behind everything else.
PRIORITY_RANK = {Priority.CRITICAL: 1, Priority.HIGH: 2, Priority.MEDIUM: 3, Priority.LOW: 4}
UNASSESSED_RANK = PRIORITY_RANK[Priority.MEDIUM]


def priority(severity: Level, urgency: Level, complexity: Level, immediate_action: bool) -> Priority:
    """Immediate action, or a complaint both severe and urgent, is critical; either severe or urgent is high; a
    medium one of them (or a complex matter, which takes longer to handle and so must start sooner) is medium."""
    if immediate_action or (severity == Level.HIGH and urgency == Level.HIGH):
        return Priority.CRITICAL
    if Level.HIGH in (severity, urgency):
        return Priority.HIGH
    if Level.MEDIUM in (severity, urgency) or complexity == Level.HIGH:
        return Priority.MEDIUM
    return Priority.LOW
