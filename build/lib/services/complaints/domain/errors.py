"""Why the procedure refuses a command on a complaint."""

from __future__ import annotations

from shared.errors import DomainError


class TransitionRefused(DomainError):
    """The complaint is not at a step of the procedure where this can happen."""


class ConflictOfInterest(TransitionRefused):
    """The proposed handler is a stakeholder of the complaint (docs/procedures.md#complaint-assignment)."""

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons
