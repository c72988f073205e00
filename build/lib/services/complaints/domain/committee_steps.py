"""The complaint committee, with its rules: the meeting arranged by the member-relations manager, its members
and quorum, the decision with its minutes and corrective actions, and the actions opened in the actions service and
done (SY-PR-05-00-02)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from services.complaints.domain.complaint_state import ComplaintState, text_of
from services.complaints.domain.conflicts import (
    distinct_names,
    same_name,
)
from services.complaints.domain.errors import TransitionRefused
from services.complaints.domain.vocabulary import (
    ActionStatus,
    Outcome,
    State,
)
from shared.errors import InvalidInput


class CommitteeSteps(ComplaintState):
    """Steps of `Complaint` (which mixes this class in): rules first, then the event. The @event methods must stay
    on `Complaint` itself, where the store finds their stored topics; they are declared here for the type checker."""

    if TYPE_CHECKING:

        def _committee_convened(
            self,
            subject: str,
            fixed_members: list[str],
            variable_members: list[str],
            members: list[str],
            meeting_at: datetime | None,
            by: str,
            at: datetime,
            # Absent from meetings arranged before the quorum rule: those decided without one.
            unit_manager: str | None = None,
            assistant: str | None = None,
            sg_members: list[str] | None = None,
            quorum: float | None = None,
            quorum_needs_sg: bool = False,
        ) -> None: ...

        def _committee_decided(
            self,
            attendees: list[str],
            decision: str,
            reasoning: str,
            corrective_actions: list[dict[str, Any]],
            held_at: datetime,
            by: str,
            at: datetime,
            minutes: str | None = None,
        ) -> None: ...

        def _committee_not_convened(self, reason: str | None, by: str, at: datetime) -> None: ...

        def _corrective_action_completed(self, action_id: str, note: str | None, by: str, at: datetime) -> None: ...

        def _corrective_action_opened(self, action_id: str, actions_id: str, at: datetime) -> None: ...

    def convene_committee(
        self,
        *,
        subject: str,
        fixed_members: list[str],
        variable_members: list[str],
        meeting_at: datetime | None,
        by: str,
        at: datetime,
        unit_manager: str | None = None,
        assistant: str | None = None,
        sg_members: list[str] | None = None,
        quorum: float = 0.5,
        quorum_needs_sg: bool = True,
    ) -> None:
        """Arrange the committee's meeting: the fixed members, the variable ones for the subject, the manager of
        the unit concerned and the administrative assistant. `sg_members` are those who stand for the SG (the SG
        and representatives); the decision needs more than `quorum` of the members present, and one of them."""
        self._require({State.ACCEPTED}, "arrange the complaint committee's meeting (only for an accepted complaint)")
        fixed = distinct_names(fixed_members)
        if not fixed:
            raise TransitionRefused("the committee's fixed members are not configured")
        standing_for_sg = distinct_names(sg_members)
        if quorum_needs_sg and not standing_for_sg:
            raise TransitionRefused("nobody is configured to stand for the SG at the committee")
        if not 0 <= quorum < 1:
            raise InvalidInput(f"the quorum is a share of the members from 0 to below 1, not {quorum!r}")
        # The SG's seat is one, whoever of those standing for the SG takes it: they are not members each.
        members = distinct_names([*fixed, *variable_members, unit_manager or "", assistant or ""])
        variable = [m for m in members if not any(same_name(m, f) for f in fixed)]
        self._committee_convened(
            subject=text_of(subject, "the committee's subject"),
            fixed_members=fixed,
            variable_members=variable,
            members=members,
            meeting_at=meeting_at,
            unit_manager=(unit_manager or "").strip() or None,
            assistant=(assistant or "").strip() or None,
            sg_members=standing_for_sg,
            quorum=float(quorum),
            quorum_needs_sg=bool(quorum_needs_sg),
            by=by,
            at=at,
        )

    def forgo_committee(self, *, reason: str | None, by: str, at: datetime) -> None:
        self._require({State.ACCEPTED}, "decide that the committee need not meet")
        self._committee_not_convened(reason=(reason or "").strip() or None, by=by, at=at)

    def record_committee_decision(
        self,
        *,
        attendees: list[str],
        decision: Outcome | str,
        reasoning: str,
        corrective_actions: list[Mapping[str, Any]],
        held_at: datetime,
        by: str,
        at: datetime,
        minutes: str | None = None,
    ) -> list[dict[str, Any]]:
        """The committee's meeting: who attended, accept/reject/settle, corrective actions. Returns the actions."""
        self._require({State.COMMITTEE}, "record the committee's decision")
        try:
            decision = Outcome(decision)
        except ValueError:
            raise InvalidInput(f"the committee accepts, rejects or settles a complaint, not {decision!r}") from None
        present = distinct_names(attendees)
        if not present:
            raise InvalidInput("the minutes record who attended the committee's meeting")
        members = self.committee["members"] if self.committee else []
        seats = [*members, *((self.committee or {}).get("sg_members") or [])]
        outsiders = [a for a in present if not any(same_name(a, m) for m in seats)]
        if outsiders:
            raise TransitionRefused(
                f"not members of this committee: {', '.join(outsiders)} (members: {', '.join(members)})"
            )
        if held_at > at:
            raise InvalidInput("the meeting cannot be recorded before it is held")
        actions = []
        number = len(self.corrective_actions)
        for i, raw in enumerate(corrective_actions):
            description = text_of(raw.get("description"), f"corrective action {i + 1}: the description")
            owner = text_of(raw.get("owner"), f"corrective action {i + 1}: the owner")
            due = raw.get("due")
            if isinstance(due, str):
                try:
                    due = date.fromisoformat(due)
                except ValueError:
                    raise InvalidInput(f"corrective action {i + 1}: due {due!r} is not a date (YYYY-MM-DD)") from None
            if not isinstance(due, date):
                raise InvalidInput(f"corrective action {i + 1}: the due date is missing")
            if due < held_at.date():
                raise InvalidInput(f"corrective action {i + 1}: due {due.isoformat()} is before the meeting")
            number += 1
            actions.append({"id": f"CA-{number}", "description": description, "owner": owner, "due": due.isoformat()})
        reasoning_text = text_of(reasoning, "the committee's reasoning")
        text_minutes = text_of(minutes, "the minutes of the meeting")
        self._check_quorum(present, members)
        self._committee_decided(
            attendees=present,
            decision=decision.value,
            reasoning=reasoning_text,
            minutes=text_minutes,
            corrective_actions=actions,
            held_at=held_at,
            by=by,
            at=at,
        )
        return actions

    def _check_quorum(self, present: list[str], members: list[str]) -> None:
        committee = self.committee or {}
        quorum = committee.get("quorum")
        if quorum is None:
            return
        if len(present) <= quorum * len(members):
            raise TransitionRefused(
                f"no quorum: {len(present)} of the {len(members)} members attended; "
                f"a decision needs more than {quorum:.0%} of them"
            )
        standing = committee.get("sg_members") or []
        if committee.get("quorum_needs_sg") and not any(same_name(p, s) for p in present for s in standing):
            raise TransitionRefused(f"no quorum: neither the SG nor a representative ({', '.join(standing)}) attended")

    def record_action_opened(self, *, action_id: str, actions_id: str, at: datetime) -> bool:
        """The actions service opened the corrective action under its own id; False when already recorded."""
        action = self.corrective_action(action_id)
        if action.get("actions_id") == actions_id:
            return False
        self._corrective_action_opened(action_id=action_id, actions_id=actions_id, at=at)
        return True

    def complete_corrective_action(self, *, action_id: str, note: str | None, by: str, at: datetime) -> None:
        action = self.corrective_action(action_id)
        if action["status"] == ActionStatus.DONE:
            raise TransitionRefused(f"corrective action {action_id} is already done")
        self._corrective_action_completed(action_id=action_id, note=(note or "").strip() or None, by=by, at=at)
