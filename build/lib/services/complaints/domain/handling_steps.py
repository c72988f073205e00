"""Assignment and investigation, with their rules: the handler who is no stakeholder (the conflict-of-interest
rule, refusals kept for the audit), the handler's investigation report and the SG's decision on it."""

from __future__ import annotations

import copy
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.complaints.domain.complaint_state import ComplaintState, text_of
from services.complaints.domain.conflicts import (
    UnitsOf,
    check_handler,
    same_name,
)
from services.complaints.domain.errors import ConflictOfInterest, TransitionRefused
from services.complaints.domain.vocabulary import (
    Decision,
    HandlerKind,
    State,
)
from shared.errors import InvalidInput


class HandlingSteps(ComplaintState):
    """Steps of `Complaint` (which mixes this class in): rules first, then the event. The @event methods must stay
    on `Complaint` itself, where the store finds their stored topics; they are declared here for the type checker."""

    if TYPE_CHECKING:

        def _assignment_refused(
            self, handler_kind: str, handler: str, reasons: list[str], by: str, at: datetime
        ) -> None: ...

        def _decided(
            self, decision: str, reason: str | None, by: str, at: datetime, follow_up_by: str | None = None
        ) -> None: ...

        def _handler_assigned(
            self,
            handler_kind: str,
            handler: str,
            handler_units: list[str],
            eligibility: str,
            stakeholders: dict[str, Any],
            reassigned_from: str | None,
            round: int,
            by: str,
            at: datetime,
        ) -> None: ...

        def _investigation_reported(
            self, circumstances: str, root_causes: str, consequences: str, actions_taken: str, by: str, at: datetime
        ) -> None: ...

    def assign_handler(
        self, *, handler_kind: HandlerKind | str, handler: str, units_of: UnitsOf, by: str, at: datetime
    ) -> str:
        """Assign (or reassign, before the report) a handler; refused with the reasons when the handler is a
        stakeholder. Returns the reason the handler is eligible, which the event keeps for the audit."""
        self._require({State.REFERRED, State.ASSIGNED}, "assign a handler")
        kind = self._handler_kind(handler_kind)
        name = text_of(handler, "the handler")
        if self.state == State.ASSIGNED and same_name(name, self.handler) and kind == self.handler_kind:
            raise TransitionRefused(f"{name} is already the handler")
        refused, eligible = check_handler(
            kind, name, self.stakeholders, units_of, concerned_unit=self.unit, text=self.description
        )
        if refused:
            raise ConflictOfInterest(
                f"{name} may not handle this complaint (conflict of interest): {'; '.join(refused)}", refused
            )
        eligibility = f"{kind.value} {name} is eligible: " + "; ".join(eligible)
        units = sorted(units_of(name)) if kind == HandlerKind.PERSON else [name]
        self._handler_assigned(
            handler_kind=kind.value,
            handler=name,
            handler_units=units,
            eligibility=eligibility,
            stakeholders=copy.deepcopy(self.stakeholders),
            reassigned_from=self.handler if self.state == State.ASSIGNED else None,
            round=self.round,
            by=by,
            at=at,
        )
        return eligibility

    def _handler_kind(self, handler_kind: HandlerKind | str) -> HandlerKind:
        try:
            return HandlerKind(handler_kind)
        except ValueError:
            raise InvalidInput(f"a handler is a person or a unit, not {handler_kind!r}") from None

    def refuse_assignment(
        self, *, handler_kind: HandlerKind | str, handler: str, reasons: list[str], by: str, at: datetime
    ) -> None:
        """Keep the refused assignment for the audit (the application records it when the rule refuses)."""
        self._assignment_refused(
            handler_kind=self._handler_kind(handler_kind).value,
            handler=handler.strip(),
            reasons=list(reasons),
            by=by,
            at=at,
        )

    def report_investigation(
        self,
        *,
        circumstances: str,
        root_causes: str,
        consequences: str,
        actions_taken: str,
        by: str,
        by_unit: str | None,
        at: datetime,
    ) -> None:
        self._require({State.ASSIGNED}, "file the investigation report")
        if not self.is_handled_by(by, by_unit):
            raise TransitionRefused(f"only the assigned handler ({self.handler}) files the investigation report")
        self._investigation_reported(
            circumstances=text_of(circumstances, "the circumstances"),
            root_causes=text_of(root_causes, "the root causes"),
            consequences=text_of(consequences, "the consequences"),
            actions_taken=text_of(actions_taken, "the actions taken"),
            by=by,
            at=at,
        )

    def decide(
        self, *, decision: Decision | str, reason: str | None, by: str, at: datetime, follow_up_by: str | None = None
    ) -> None:
        """The SG accepts or rejects; an accepted complaint is followed up to its final result by the SG or the
        representative named here."""
        self._require({State.INVESTIGATED}, "decide on the complaint")
        try:
            decision = Decision(decision)
        except ValueError:
            raise InvalidInput(f"the SG accepts or rejects a complaint, not {decision!r}") from None
        text = (reason or "").strip() or None
        if decision == Decision.REJECTED and not text:
            raise InvalidInput("give the reason the complaint is rejected")
        follower = None if decision == Decision.REJECTED else (follow_up_by or "").strip() or by
        self._decided(decision=decision.value, reason=text, follow_up_by=follower, by=by, at=at)
