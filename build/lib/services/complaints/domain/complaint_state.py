"""What a complaint is at any moment, as the aggregate's steps and the read side ask it: the state the events set
(declared here, set by the @event methods of `complaint.Complaint`), whom it waits on, its deadlines, whether the
form is complete for the review, and the guards every step shares."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from services.complaints.domain.conflicts import (
    same_name,
)
from services.complaints.domain.deadlines import (
    STAGE_WAITS_ON,
    STAGES,
    Stage,
    StageDeadline,
    breach_key,
    stage_deadlines,
)
from services.complaints.domain.errors import TransitionRefused
from services.complaints.domain.vocabulary import (
    OPEN_STATES,
    Channel,
    Decision,
    HandlerKind,
    Kind,
    Outcome,
    State,
)
from shared.calendar import BusinessCalendar
from shared.errors import InvalidInput


def text_of(value: str | None, what: str, *, required: bool = True) -> str | None:
    """The text stripped; refused when `required` and empty, else None for nothing."""
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{what} is empty")
        return None
    return text


class ComplaintState:
    """The complaint's state (set only by its events) and the questions every step asks of it."""

    reference: str
    channel: Channel
    kind: Kind
    description: str
    occurred_at: datetime | None
    member_number: str | None
    complainant_name: str | None
    contact_phone: str | None
    contact_phone_raw: str | None
    contact_email: str | None
    unit: str | None
    service: str | None
    stakeholders: dict[str, Any]
    stakeholders_recorded: bool  # given at receipt, or recorded (or declared none) in the review
    stakeholders_none: bool
    confidential: bool
    call_id: str | None
    source: str | None
    source_ref: str | None
    registered_by: str | None
    received_at: datetime
    state: State
    round: int  # 1, plus one each time the complaint is reopened
    acknowledged_at: datetime | None
    complainant_erased_at: datetime | None
    reviewed_by: str | None
    handler_kind: HandlerKind | None
    handler: str | None
    handler_units: list[str]
    eligibility: str | None
    investigation: dict[str, Any] | None
    decision: Decision | None
    decision_reason: str | None
    follow_up_by: str | None
    assessment: dict[str, Any] | None
    tracking_secret_hash: str | None
    reviews: list[dict[str, Any]]  # six-monthly review meetings that discussed it
    language: str | None
    committee: dict[str, Any] | None
    committee_members_ever: list[str]
    outcome: Outcome | None
    decided_at: datetime | None
    corrective_actions: list[dict[str, Any]]
    notified_at: datetime | None
    closed_at: datetime | None
    satisfaction: dict[str, Any] | None
    documents: list[dict[str, Any]]
    breaches: list[dict[str, Any]]
    deadline_moves: list[dict[str, Any]]
    stage_started: dict[str, datetime]
    stage_done: dict[str, datetime]
    updated_at: datetime

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    def missing_for_review(self) -> list[str]:
        """What the form still lacks before the review can be marked complete."""
        missing = []
        if not self.description:
            missing.append("the description")
        if self.occurred_at is None:
            missing.append("the time of occurrence")
        if not (self.contact_phone or self.contact_email):
            missing.append("the member's contact details (phone or e-mail)")
        if self.kind != Kind.SUGGESTION and not (self.unit or self.service):
            missing.append("the unit or service concerned")
        if not self.stakeholders_recorded:
            # The conflict-of-interest rule can only protect the assignment if someone asked who is involved.
            missing.append("the stakeholders (or a declaration that there are none)")
        return missing

    def current_stage(self) -> Stage | None:
        """The stage the complaint waits in (started, not done), or None (notified, closed)."""
        for stage in reversed(STAGES):
            if stage.value in self.stage_started:
                return None if stage.value in self.stage_done else stage
        return None

    def has_breach(self, round_: int, stage: Stage | str) -> bool:
        key = breach_key(round_, stage)
        return any(b["key"] == key for b in self.breaches)

    def waiting_on(self, stage: Stage | None = None) -> dict[str, str | None]:
        """Whom the complaint waits on in a stage: a role, and the person or unit when there is one."""
        stage = stage or self.current_stage()
        if stage is None:
            return {"role": None, "person": None, "unit": None}
        role = STAGE_WAITS_ON[stage]
        if stage == Stage.ACKNOWLEDGEMENT:
            staff = self.channel in (Channel.IN_PERSON, Channel.PHONE)
            return {"role": role, "person": self.registered_by if staff else None, "unit": None}
        if stage == Stage.INVESTIGATION:
            person = self.handler if self.handler_kind == HandlerKind.PERSON else None
            unit = self.handler if self.handler_kind == HandlerKind.UNIT else None
            return {"role": role, "person": person, "unit": unit}
        if stage == Stage.DECISION and self.state == State.COMMITTEE:
            return {"role": "committee", "person": self.follow_up_by, "unit": None}
        if stage == Stage.DECISION and self.state == State.ACCEPTED:
            # Accepted, the complaint waits on whoever the SG named to follow it up to the final result.
            return {"role": role, "person": self.follow_up_by, "unit": None}
        return {"role": role, "person": None, "unit": None}

    def is_handled_by(self, person: str, unit: str | None = None) -> bool:
        if self.handler_kind == HandlerKind.PERSON:
            return same_name(self.handler, person)
        if self.handler_kind == HandlerKind.UNIT:
            return same_name(self.handler, unit)
        return False

    def is_committee_member(self, person: str) -> bool:
        return any(same_name(person, m) for m in self.committee_members_ever)

    def document(self, sha256: str) -> dict[str, Any] | None:
        return next((d for d in self.documents if d["sha256"] == sha256), None)

    def _require(self, allowed: Iterable[State], doing: str) -> None:
        allowed = set(allowed)
        if self.state not in allowed:
            names = ", ".join(s.value for s in State if s in allowed)
            raise TransitionRefused(f"cannot {doing}: the complaint is {self.state.value} (possible only when {names})")

    def _start(self, stage: Stage, at: datetime) -> None:
        self.stage_started[stage.value] = at

    def _finish(self, stage: Stage, at: datetime) -> None:
        self.stage_done.setdefault(stage.value, at)

    def _result(self, outcome: Outcome, at: datetime) -> None:
        self.state = State.DECIDED
        self.outcome = outcome
        self.decided_at = at
        self._finish(Stage.DECISION, at)
        self._start(Stage.NOTIFICATION, at)

    def on_review_agenda(self) -> bool:
        """Whether the six-monthly review meeting takes it up: undecided, or its member not satisfied."""
        undecided = self.is_open and self.state not in (State.DECIDED, State.NOTIFIED)
        unsatisfied = self.satisfaction is not None and not self.satisfaction["satisfied"]
        return undecided or unsatisfied

    def corrective_action(self, action_id: str) -> dict[str, Any]:
        for action in self.corrective_actions:
            if action["id"] == action_id:
                return action
        raise TransitionRefused(f"the complaint has no corrective action {action_id!r}")

    def deadlines(self, calendar: BusinessCalendar, hours: Mapping[Stage, float]) -> list[StageDeadline]:
        return stage_deadlines(calendar, hours, self.stage_started, self.stage_done)
