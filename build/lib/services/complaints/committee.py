"""The complaint committee's part of ComplaintDesk (docs/procedures.md#complaint-decision-and-committee): its meeting arranged by the
member-relations manager for an accepted complaint with its members from the configuration, or forgone by the SG; its decision with the corrective actions it
defines (SY-PR-05-00-02), and their completion."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from services.complaints.domain import Complaint
from services.complaints.inputs import aware, clean_text
from shared.calendar import BusinessCalendar
from shared.clock import Clock
from shared.organisation import Organisation

if TYPE_CHECKING:
    from shared.settings import ComplaintSettings


class ComplaintCommittee:
    """The committee's commands of ComplaintDesk."""

    calendar: BusinessCalendar
    clock: Clock
    config: ComplaintSettings
    organisation: Organisation

    if TYPE_CHECKING:

        def _command(self, complaint_id: uuid.UUID | str, action: Callable[[Complaint], Any]) -> Any: ...

    def convene_committee(
        self,
        complaint_id: uuid.UUID | str,
        *,
        subject: str,
        variable_members: Iterable[str] = (),
        meeting_at: datetime | None = None,
        sg_representative: str | None = None,
        by: str,
    ) -> None:
        """The member-relations manager (or the SG) arranges the meeting. Fixed members, those standing for the SG,
        the administrative assistant and the quorum come from the configuration; variable members per subject;
        and, as the procedure has it, the manager of the unit concerned. A representative named for this meeting
        stands for the SG besides those configured."""

        def act(c: Complaint) -> None:
            unit = next((u for u in self.organisation.units if c.unit and u.id == c.unit), None)
            standing = list(self.config.committee_sg)
            if sg_representative and sg_representative.strip():
                standing.append(sg_representative.strip())
            c.convene_committee(
                subject=clean_text(subject) or "",
                fixed_members=list(self.config.committee_fixed_members),
                variable_members=list(variable_members),
                unit_manager=unit.manager if unit and unit.manager else None,
                assistant=self.config.committee_assistant,
                sg_members=standing,
                quorum=self.config.committee_quorum,
                quorum_needs_sg=self.config.committee_quorum_needs_sg,
                meeting_at=aware(meeting_at, self.calendar),
                by=by,
                at=self.clock(),
            )

        self._command(complaint_id, act)

    def forgo_committee(self, complaint_id: uuid.UUID | str, *, reason: str | None, by: str) -> None:
        self._command(complaint_id, lambda c: c.forgo_committee(reason=clean_text(reason), by=by, at=self.clock()))

    def record_committee_decision(
        self,
        complaint_id: uuid.UUID | str,
        *,
        attendees: Iterable[str],
        decision: str,
        reasoning: str,
        corrective_actions: Iterable[Mapping[str, Any]] = (),
        held_at: datetime | None = None,
        minutes: str | None = None,
        by: str,
    ) -> list[dict[str, Any]]:
        return self._command(
            complaint_id,
            lambda c: c.record_committee_decision(
                attendees=list(attendees),
                decision=decision,
                reasoning=clean_text(reasoning) or "",
                minutes=clean_text(minutes),
                corrective_actions=[dict(a) for a in corrective_actions],
                held_at=aware(held_at, self.calendar) or self.clock(),
                by=by,
                at=self.clock(),
            ),
        )

    def record_action_opened(self, complaint_id: uuid.UUID | str, action_id: str, actions_id: str) -> bool:
        """The actions service's id of a corrective action the committee defined (the outbox records it)."""
        return self._command(
            complaint_id, lambda c: c.record_action_opened(action_id=action_id, actions_id=actions_id, at=self.clock())
        )

    def complete_corrective_action(
        self, complaint_id: uuid.UUID | str, action_id: str, *, by: str, note: str | None = None
    ) -> None:
        self._command(
            complaint_id,
            lambda c: c.complete_corrective_action(action_id=action_id, note=clean_text(note), by=by, at=self.clock()),
        )
