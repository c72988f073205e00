"""Why the procedure refuses a command on a complaint."""

from __future__ import annotations

from shared.problems import DomainError


class TransitionRefused(DomainError):
    """The complaint is not at a step of the procedure where this can happen."""


class ConflictOfInterest(TransitionRefused):
    """The proposed handler is a stakeholder of the complaint (DOMAIN.md §3 step 3)."""

    def __init__(self, message: str, reasons: list[str]):
        super().__init__(message)
        self.reasons = reasons
