"""The complaint aggregate: one per complaint, every step of the procedure an event. Rules are checked in the
public methods; the @event bodies only set state, so replaying the history never refuses."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.complaints.domain.assessment import Level, priority
from services.complaints.domain.conflicts import (
    UnitsOf,
    check_handler,
    distinct_names,
    empty_stakeholders,
    has_stakeholders,
    normalise_stakeholders,
    same_name,
)
from services.complaints.domain.deadlines import (
    STAGE_WAITS_ON,
    STAGES,
    Stage,
    StageDeadline,
    breach_key,
    breached,
    stage_deadlines,
    stage_due,
)
from services.complaints.domain.errors import ConflictOfInterest, TransitionRefused
from services.complaints.domain.references import (
    complaint_id_for_reference,
    complaint_id_for_source,
    new_reference,
    reference_for_source,
)
from services.complaints.domain.vocabulary import (
    EDITABLE_FIELDS,
    MAX_DOCUMENTS,
    OPEN_STATES,
    ActionStatus,
    Channel,
    Decision,
    HandlerKind,
    Kind,
    Outcome,
    State,
)
from shared.calendar import BusinessCalendar
from shared.errors import InvalidInput


def _text(value: str | None, what: str, *, required: bool = True) -> str | None:
    text = (value or "").strip()
    if not text:
        if required:
            raise InvalidInput(f"{what} is empty")
        return None
    return text


class Complaint(Aggregate):
    # The store records each event under its class's topic, `<module>:Complaint.<Event>`. Complaints were stored
    # as `services.complaints.domain:Complaint.*` before the domain became a package; keeping that module name
    # keeps every stored complaint readable, and new events are recorded under the same topics as old ones.
    __module__ = "services.complaints.domain"

    @event("Received")
    def __init__(
        self,
        *,
        reference: str,
        channel: str,
        kind: str,
        description: str,
        occurred_at: datetime | None,
        member_number: str | None,
        complainant_name: str | None,
        contact_phone: str | None,
        contact_phone_raw: str | None,
        contact_email: str | None,
        unit: str | None,
        service: str | None,
        stakeholders: dict[str, Any],
        confidential: bool,
        call_id: str | None,
        source: str | None,
        source_ref: str | None,
        by: str | None,
        at: datetime,
    ):
        self.reference = reference
        self.channel = Channel(channel)
        self.kind = Kind(kind)
        self.description = description
        self.occurred_at = occurred_at
        self.member_number = member_number
        self.complainant_name = complainant_name
        self.contact_phone = contact_phone
        self.contact_phone_raw = contact_phone_raw
        self.contact_email = contact_email
        self.unit = unit
        self.service = service
        self.stakeholders = copy.deepcopy(stakeholders)
        # Stakeholders given at receipt count as recorded; otherwise the review records them or declares none.
        self.stakeholders_recorded = has_stakeholders(stakeholders)
        self.stakeholders_none = False
        self.confidential = bool(confidential)
        self.call_id = call_id
        self.source = source
        self.source_ref = source_ref
        self.registered_by = by
        self.received_at = at
        self.state = State.RECEIVED
        self.round = 1
        self.acknowledged_at: datetime | None = None
        self.reviewed_by: str | None = None
        self.handler_kind: HandlerKind | None = None
        self.handler: str | None = None
        self.handler_units: list[str] = []
        self.eligibility: str | None = None
        self.investigation: dict[str, Any] | None = None
        self.decision: Decision | None = None
        self.decision_reason: str | None = None
        self.follow_up_by: str | None = None
        self.assessment: dict[str, Any] | None = None
        self.tracking_secret_hash: str | None = None
        self.reviews: list[dict[str, Any]] = []  # six-monthly review meetings that discussed it
        self.language: str | None = None
        self.committee: dict[str, Any] | None = None
        self.committee_members_ever: list[str] = []
        self.outcome: Outcome | None = None
        self.decided_at: datetime | None = None
        self.corrective_actions: list[dict[str, Any]] = []
        self.notified_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.satisfaction: dict[str, Any] | None = None
        self.documents: list[dict[str, Any]] = []
        self.breaches: list[dict[str, Any]] = []
        self.deadline_moves: list[dict[str, Any]] = []
        self.stage_started: dict[str, datetime] = {Stage.ACKNOWLEDGEMENT.value: at}
        self.stage_done: dict[str, datetime] = {}
        self.updated_at = at

    @classmethod
    def create_id(cls, *, reference: str, source_ref: str | None = None, **_: object) -> uuid.UUID:
        return complaint_id_for_source(source_ref) if source_ref else complaint_id_for_reference(reference)

    @classmethod
    def receive(
        cls,
        *,
        channel: Channel | str,
        kind: Kind | str,
        description: str,
        at: datetime,
        by: str | None,
        occurred_at: datetime | None = None,
        member_number: str | None = None,
        complainant_name: str | None = None,
        contact_phone: str | None = None,
        contact_phone_raw: str | None = None,
        contact_email: str | None = None,
        unit: str | None = None,
        service: str | None = None,
        stakeholders: Mapping[str, Any] | None = None,
        confidential: bool = False,
        call_id: str | None = None,
        source: str | None = None,
        source_ref: str | None = None,
        reference: str | None = None,
    ) -> Complaint:
        """Rules first, then the Received event."""
        try:
            channel = Channel(channel)
        except ValueError:
            raise InvalidInput(f"channel {channel!r} is not one of {', '.join(Channel)}") from None
        try:
            kind = Kind(kind)
        except ValueError:
            raise InvalidInput(f"kind {kind!r} is not one of {', '.join(Kind)}") from None
        text = _text(description, "the description of the complaint")
        call_id = (call_id or "").strip() or None
        if channel == Channel.PHONE and not call_id:
            raise InvalidInput("a complaint taken by phone is linked to its call: give the call id")
        if channel != Channel.PHONE and call_id:
            raise InvalidInput("only a complaint taken by phone is linked to a call")
        source_ref = (source_ref or "").strip() or None
        if channel == Channel.AUTOMATIC:
            if not source_ref:
                raise InvalidInput("an automatic complaint needs the source reference that makes it unique")
            if not (source or "").strip():
                raise InvalidInput("an automatic complaint names the service it came from")
        elif source_ref:
            raise InvalidInput("only an automatic complaint has a source reference")
        if occurred_at is not None and occurred_at > at:
            raise InvalidInput("the time of occurrence is in the future")
        if reference is None:
            reference = reference_for_source(source_ref) if source_ref else new_reference()
        people = dict(stakeholders or empty_stakeholders())
        people = normalise_stakeholders(
            units=people.get("units"),
            persons=people.get("persons"),
            participants=people.get("participants"),
            complainant=people.get("complainant") or complainant_name,
        )
        return cls(
            reference=reference,
            channel=channel.value,
            kind=kind.value,
            description=text,
            occurred_at=occurred_at,
            member_number=member_number,
            complainant_name=(complainant_name or "").strip() or None,
            contact_phone=contact_phone,
            contact_phone_raw=contact_phone_raw,
            contact_email=contact_email,
            unit=unit,
            service=(service or "").strip() or None,
            stakeholders=people,
            confidential=confidential,
            call_id=call_id,
            source=(source or "").strip() or None,
            source_ref=source_ref,
            by=by,
            at=at,
        )

    # -- views -------------------------------------------------------------------------------------------------
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

    # -- rules -------------------------------------------------------------------------------------------------
    def _require(self, allowed: Iterable[State], doing: str) -> None:
        allowed = set(allowed)
        if self.state not in allowed:
            names = ", ".join(s.value for s in State if s in allowed)
            raise TransitionRefused(f"cannot {doing}: the complaint is {self.state.value} (possible only when {names})")

    def _start(self, stage: Stage, at: datetime) -> None:
        self.stage_started[stage.value] = at

    def _finish(self, stage: Stage, at: datetime) -> None:
        self.stage_done.setdefault(stage.value, at)

    # -- receipt and review ------------------------------------------------------------------------------------
    def issue_tracking(self, *, secret_hash: str, language: str, at: datetime) -> None:
        """The complainant may follow the complaint with its reference and a secret; only the secret's hash is
        kept. The language is the one the complainant wrote in, for every text shown to him or her."""
        if self.tracking_secret_hash is not None:
            raise TransitionRefused("the complaint already has its tracking secret")
        if len(secret_hash) != 64:
            raise InvalidInput("the tracking secret is kept as its SHA-256 hash")
        self._tracking_issued(secret_hash=secret_hash, language=language, at=at)

    @event("TrackingIssued")
    def _tracking_issued(self, secret_hash: str, language: str, at: datetime) -> None:
        self.tracking_secret_hash = secret_hash
        self.language = language

    def acknowledge(self, *, by: str | None, method: str, note: str | None, at: datetime) -> None:
        self._require({State.RECEIVED}, "acknowledge the complaint")
        self._acknowledged(
            by=by, method=_text(method, "how the member was told (method)"), note=(note or "").strip() or None, at=at
        )

    @event("Acknowledged")
    def _acknowledged(self, by: str | None, method: str, note: str | None, at: datetime) -> None:
        self.state = State.ACKNOWLEDGED
        self.acknowledged_at = at
        self._finish(Stage.ACKNOWLEDGEMENT, at)
        self._start(Stage.REVIEW, at)
        self.updated_at = at

    def add_information(self, *, changes: Mapping[str, Any], note: str | None, by: str, at: datetime) -> dict[str, Any]:
        """The member-relations manager completes the form; returns what changed (nothing: no event)."""
        self._require({State.RECEIVED, State.ACKNOWLEDGED}, "add information to the form")
        unknown = set(changes) - set(EDITABLE_FIELDS)
        if unknown:
            raise InvalidInput(f"these fields cannot be changed on the form: {', '.join(sorted(unknown))}")
        prepared = dict(changes)
        if "kind" in prepared:
            try:
                prepared["kind"] = Kind(prepared["kind"]).value
            except ValueError:
                raise InvalidInput(f"kind {prepared['kind']!r} is not one of {', '.join(Kind)}") from None
        if "description" in prepared:
            prepared["description"] = _text(prepared["description"], "the description of the complaint")
        occurred = prepared.get("occurred_at")
        if occurred is not None and occurred > at:
            raise InvalidInput("the time of occurrence is in the future")
        changed = {k: v for k, v in prepared.items() if getattr(self, k) != v}
        if not changed and not (note or "").strip():
            return {}
        previous = {k: getattr(self, k) for k in changed}
        previous = {k: (v.value if isinstance(v, StrEnum) else v) for k, v in previous.items()}
        self._information_added(changes=changed, previous=previous, note=(note or "").strip() or None, by=by, at=at)
        return changed

    @event("InformationAdded")
    def _information_added(
        self, changes: dict[str, Any], previous: dict[str, Any], note: str | None, by: str, at: datetime
    ) -> None:
        for name, value in changes.items():
            setattr(self, name, Kind(value) if name == "kind" else copy.deepcopy(value))
        if "complainant_name" in changes:
            # The complainant as a stakeholder follows the name on the form unless recorded otherwise.
            known = self.stakeholders.get("complainant")
            if known is None or same_name(known, previous.get("complainant_name")):
                self.stakeholders = {**self.stakeholders, "complainant": changes["complainant_name"]}
        self.updated_at = at

    def record_stakeholders(
        self,
        *,
        units: Iterable[str],
        persons: Iterable[str],
        participants: Iterable[str],
        complainant: str | None,
        by: str,
        at: datetime,
        none: bool = False,
    ) -> bool:
        """Replace the recorded stakeholders (before a handler is assigned), or declare that there are none
        besides the complainant and the unit the complaint is about; False when nothing changed. An empty list is
        not a declaration: forgetting to ask is not the same as finding nobody."""
        self._require(
            {State.RECEIVED, State.ACKNOWLEDGED, State.REVIEWED, State.REFERRED},
            "record the stakeholders (they are recorded before a handler is assigned)",
        )
        people = normalise_stakeholders(
            units=units,
            persons=persons,
            participants=participants,
            complainant=complainant or self.stakeholders.get("complainant"),
        )
        if none and has_stakeholders(people):
            raise InvalidInput("stakeholders are either listed or declared none, not both")
        if not none and not has_stakeholders(people):
            raise InvalidInput(
                "no stakeholder is listed: name the units, persons or participants, or declare that there are none"
            )
        if people == self.stakeholders and self.stakeholders_recorded and bool(none) == self.stakeholders_none:
            return False
        self._stakeholders_recorded(**people, none_declared=bool(none), by=by, at=at)
        return True

    @event("StakeholdersRecorded")
    def _stakeholders_recorded(
        self,
        units: list[str],
        persons: list[str],
        participants: list[str],
        complainant: str | None,
        by: str,
        at: datetime,
        none_declared: bool = False,  # absent from events recorded before the declaration existed
    ) -> None:
        self.stakeholders = {
            "units": list(units),
            "persons": list(persons),
            "participants": list(participants),
            "complainant": complainant,
        }
        self.stakeholders_recorded = True
        self.stakeholders_none = bool(none_declared)
        self.updated_at = at

    def assess(
        self,
        *,
        severity: Level | str,
        urgency: Level | str,
        complexity: Level | str,
        immediate_action: bool,
        note: str | None,
        by: str,
        at: datetime,
    ) -> bool:
        """The initial assessment (ISO 10002): severity, urgency, complexity, whether immediate action is needed,
        and the priority they give. It may be revised until the decision; False when nothing changed."""
        self._require(
            {State.RECEIVED, State.ACKNOWLEDGED, State.REVIEWED, State.REFERRED, State.ASSIGNED, State.INVESTIGATED},
            "assess the complaint (the initial assessment is revised at the latest before the decision)",
        )
        levels = {}
        for name, value in (("severity", severity), ("urgency", urgency), ("complexity", complexity)):
            try:
                levels[name] = Level(value)
            except ValueError:
                raise InvalidInput(f"{name} is one of {', '.join(Level)}, not {value!r}") from None
        result = priority(levels["severity"], levels["urgency"], levels["complexity"], bool(immediate_action))
        facts = {k: v.value for k, v in levels.items()} | {"immediate_action": bool(immediate_action)}
        text = (note or "").strip() or None
        if self.assessment and all(self.assessment[k] == v for k, v in facts.items()) and not text:
            return False
        self._assessed(**facts, priority=result.value, note=text, by=by, at=at)
        return True

    @event("Assessed")
    def _assessed(
        self,
        severity: str,
        urgency: str,
        complexity: str,
        immediate_action: bool,
        priority: str,
        note: str | None,
        by: str,
        at: datetime,
    ) -> None:
        self.assessment = {
            "severity": severity,
            "urgency": urgency,
            "complexity": complexity,
            "immediate_action": immediate_action,
            "priority": priority,
            "note": note,
            "by": by,
            "at": at,
        }
        self.updated_at = at

    def complete_review(self, *, by: str, at: datetime) -> None:
        if self.state == State.RECEIVED:
            raise TransitionRefused("cannot mark the review complete: acknowledge the complaint to the member first")
        self._require({State.ACKNOWLEDGED}, "mark the review complete")
        missing = self.missing_for_review()
        if missing:
            raise TransitionRefused(
                f"the form is not complete: add {', '.join(missing)} before marking the review complete"
            )
        self._review_completed(by=by, at=at)

    @event("ReviewCompleted")
    def _review_completed(self, by: str, at: datetime) -> None:
        self.state = State.REVIEWED
        self.reviewed_by = by
        self.updated_at = at

    def refer(self, *, by: str, note: str | None, at: datetime) -> None:
        if self.state in (State.RECEIVED, State.ACKNOWLEDGED):
            raise TransitionRefused(
                "cannot refer the complaint to the SG: the member-relations manager has not marked the review complete"
            )
        self._require({State.REVIEWED}, "refer the complaint to the SG")
        self._referred(by=by, note=(note or "").strip() or None, at=at)

    @event("Referred")
    def _referred(self, by: str, note: str | None, at: datetime) -> None:
        self.state = State.REFERRED
        self._finish(Stage.REVIEW, at)
        self._start(Stage.ASSIGNMENT, at)
        self.updated_at = at

    # -- assignment --------------------------------------------------------------------------------------------
    def assign_handler(
        self, *, handler_kind: HandlerKind | str, handler: str, units_of: UnitsOf, by: str, at: datetime
    ) -> str:
        """Assign (or reassign, before the report) a handler; refused with the reasons when the handler is a
        stakeholder. Returns the reason the handler is eligible, which the event keeps for the audit."""
        self._require({State.REFERRED, State.ASSIGNED}, "assign a handler")
        kind = self._handler_kind(handler_kind)
        name = _text(handler, "the handler")
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

    @event("HandlerAssigned")
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
    ) -> None:
        self.state = State.ASSIGNED
        self.handler_kind = HandlerKind(handler_kind)
        self.handler = handler
        self.handler_units = list(handler_units)
        self.eligibility = eligibility
        self._finish(Stage.ASSIGNMENT, at)
        self._start(Stage.INVESTIGATION, at)  # a new handler gets the whole investigation time
        self.updated_at = at

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

    @event("AssignmentRefused")
    def _assignment_refused(self, handler_kind: str, handler: str, reasons: list[str], by: str, at: datetime) -> None:
        self.updated_at = at

    # -- investigation and decision ----------------------------------------------------------------------------
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
            circumstances=_text(circumstances, "the circumstances"),
            root_causes=_text(root_causes, "the root causes"),
            consequences=_text(consequences, "the consequences"),
            actions_taken=_text(actions_taken, "the actions taken"),
            by=by,
            at=at,
        )

    @event("InvestigationReported")
    def _investigation_reported(
        self, circumstances: str, root_causes: str, consequences: str, actions_taken: str, by: str, at: datetime
    ) -> None:
        self.state = State.INVESTIGATED
        self.investigation = {
            "circumstances": circumstances,
            "root_causes": root_causes,
            "consequences": consequences,
            "actions_taken": actions_taken,
            "by": by,
            "at": at,
        }
        self._finish(Stage.INVESTIGATION, at)
        self._start(Stage.DECISION, at)
        self.updated_at = at

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

    @event("Decided")
    def _decided(
        self, decision: str, reason: str | None, by: str, at: datetime, follow_up_by: str | None = None
    ) -> None:
        self.decision = Decision(decision)
        self.decision_reason = reason
        if self.decision == Decision.REJECTED:
            self._result(Outcome.REJECTED, at)
        else:
            self.state = State.ACCEPTED
            # Decisions recorded before the follow-up was named were followed up by the SG who took them.
            self.follow_up_by = follow_up_by or by
        self.updated_at = at

    def _result(self, outcome: Outcome, at: datetime) -> None:
        self.state = State.DECIDED
        self.outcome = outcome
        self.decided_at = at
        self._finish(Stage.DECISION, at)
        self._start(Stage.NOTIFICATION, at)

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
            subject=_text(subject, "the committee's subject"),
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

    @event("CommitteeConvened")
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
    ) -> None:
        self.state = State.COMMITTEE
        self.committee = {
            "subject": subject,
            "fixed_members": list(fixed_members),
            "variable_members": list(variable_members),
            "members": list(members),
            "unit_manager": unit_manager,
            "assistant": assistant,
            "sg_members": list(sg_members or []),
            "quorum": quorum,
            "quorum_needs_sg": quorum_needs_sg,
            "meeting_at": meeting_at,
            "convened_by": by,
            "convened_at": at,
            "attendees": [],
            "decision": None,
            "reasoning": None,
            "minutes": None,
            "held_at": None,
        }
        self.committee_members_ever = distinct_names([*self.committee_members_ever, *members, *(sg_members or [])])
        self.updated_at = at

    def forgo_committee(self, *, reason: str | None, by: str, at: datetime) -> None:
        self._require({State.ACCEPTED}, "decide that the committee need not meet")
        self._committee_not_convened(reason=(reason or "").strip() or None, by=by, at=at)

    @event("CommitteeNotConvened")
    def _committee_not_convened(self, reason: str | None, by: str, at: datetime) -> None:
        self._result(Outcome.ACCEPTED, at)
        self.updated_at = at

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
            description = _text(raw.get("description"), f"corrective action {i + 1}: the description")
            owner = _text(raw.get("owner"), f"corrective action {i + 1}: the owner")
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
        reasoning_text = _text(reasoning, "the committee's reasoning")
        text_minutes = _text(minutes, "the minutes of the meeting")
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

    @event("CommitteeDecided")
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
    ) -> None:
        committee = self.committee or {}
        committee.update(
            {
                "attendees": list(attendees),
                "decision": decision,
                "reasoning": reasoning,
                "minutes": minutes,
                "held_at": held_at,
            }
        )
        self.committee = committee
        for action in corrective_actions:
            self.corrective_actions.append(
                {
                    **action,
                    "status": ActionStatus.OPEN.value,
                    "round": self.round,
                    "done_at": None,
                    "done_by": None,
                    "note": None,
                    "actions_id": None,
                }
            )
        self._result(Outcome(decision), at)
        self.updated_at = at

    def corrective_action(self, action_id: str) -> dict[str, Any]:
        for action in self.corrective_actions:
            if action["id"] == action_id:
                return action
        raise TransitionRefused(f"the complaint has no corrective action {action_id!r}")

    def record_action_opened(self, *, action_id: str, actions_id: str, at: datetime) -> bool:
        """The actions service opened the corrective action under its own id; False when already recorded."""
        action = self.corrective_action(action_id)
        if action.get("actions_id") == actions_id:
            return False
        self._corrective_action_opened(action_id=action_id, actions_id=actions_id, at=at)
        return True

    @event("CorrectiveActionOpened")
    def _corrective_action_opened(self, action_id: str, actions_id: str, at: datetime) -> None:
        for action in self.corrective_actions:
            if action["id"] == action_id:
                action["actions_id"] = actions_id
        self.updated_at = at

    def complete_corrective_action(self, *, action_id: str, note: str | None, by: str, at: datetime) -> None:
        action = self.corrective_action(action_id)
        if action["status"] == ActionStatus.DONE:
            raise TransitionRefused(f"corrective action {action_id} is already done")
        self._corrective_action_completed(action_id=action_id, note=(note or "").strip() or None, by=by, at=at)

    @event("CorrectiveActionCompleted")
    def _corrective_action_completed(self, action_id: str, note: str | None, by: str, at: datetime) -> None:
        for action in self.corrective_actions:
            if action["id"] == action_id:
                action.update({"status": ActionStatus.DONE.value, "done_at": at, "done_by": by, "note": note})
        self.updated_at = at

    # -- notification, closing, satisfaction, reopening --------------------------------------------------------
    def notify_member(self, *, method: str, message: str, by: str, at: datetime) -> None:
        if self.state in (State.ACCEPTED, State.COMMITTEE):
            raise TransitionRefused("cannot notify the member: the final result is not decided yet")
        self._require({State.DECIDED}, "notify the member of the result")
        self._member_notified(
            outcome=self.outcome.value if self.outcome else None,
            method=_text(method, "how the member was told (method)"),
            message=_text(message, "what the member was told"),
            by=by,
            at=at,
        )

    @event("MemberNotified")
    def _member_notified(self, outcome: str | None, method: str, message: str, by: str, at: datetime) -> None:
        self.state = State.NOTIFIED
        self.notified_at = at
        self._finish(Stage.NOTIFICATION, at)
        self.updated_at = at

    def close(self, *, note: str | None, by: str, at: datetime) -> None:
        if self.state not in (State.NOTIFIED, State.CLOSED):
            raise TransitionRefused(
                f"cannot close the complaint: the member has not been told the result (it is {self.state.value})"
            )
        self._require({State.NOTIFIED}, "close the complaint")
        self._closed(
            outcome=self.outcome.value if self.outcome else None, note=(note or "").strip() or None, by=by, at=at
        )

    @event("Closed")
    def _closed(self, outcome: str | None, note: str | None, by: str, at: datetime) -> None:
        self.state = State.CLOSED
        self.closed_at = at
        self.updated_at = at

    def record_satisfaction(
        self, *, score: int | None, satisfied: bool | None, comment: str | None, by: str, at: datetime
    ) -> None:
        """The member's satisfaction with the handling (ISO 10002): a score of 1-5, or satisfied or not. Without
        an explicit answer, a score of 4 or 5 counts as satisfied."""
        self._require(
            {State.NOTIFIED, State.CLOSED}, "record the member's satisfaction (after the member is told the result)"
        )
        if self.satisfaction is not None and self.satisfaction["round"] == self.round:
            raise TransitionRefused("the member's satisfaction with this handling is already recorded")
        if score is None and satisfied is None:
            raise InvalidInput("give a score from 1 to 5, or whether the member is satisfied")
        if score is not None and not (isinstance(score, int) and 1 <= score <= 5):
            raise InvalidInput(f"the satisfaction score is from 1 to 5, not {score!r}")
        verdict = satisfied if satisfied is not None else score >= 4
        self._satisfaction_recorded(
            score=score,
            satisfied=bool(verdict),
            comment=(comment or "").strip() or None,
            round=self.round,
            by=by,
            at=at,
        )

    @event("SatisfactionRecorded")
    def _satisfaction_recorded(
        self, score: int | None, satisfied: bool, comment: str | None, round: int, by: str, at: datetime
    ) -> None:
        self.satisfaction = {
            "score": score,
            "satisfied": satisfied,
            "comment": comment,
            "round": round,
            "by": by,
            "at": at,
        }
        self.updated_at = at

    def reopen(self, *, reason: str, by: str, at: datetime) -> None:
        """The member is not satisfied: back to review, as a new round of the procedure."""
        self._require({State.CLOSED}, "reopen the complaint")
        if self.satisfaction is None or self.satisfaction["round"] != self.round:
            raise TransitionRefused(
                "record the member's satisfaction first: a complaint is reopened when the member is not satisfied"
            )
        if self.satisfaction["satisfied"]:
            raise TransitionRefused("the member is satisfied with the handling; there is nothing to reopen")
        self._reopened(reason=_text(reason, "the reason for reopening"), round=self.round + 1, by=by, at=at)

    @event("Reopened")
    def _reopened(self, reason: str, round: int, by: str, at: datetime) -> None:
        self.round = round
        self.state = State.ACKNOWLEDGED
        self.reviewed_by = None
        self.investigation = None
        self.decision = None
        self.decision_reason = None
        self.follow_up_by = None
        self.committee = None
        self.outcome = None
        self.decided_at = None
        self.notified_at = None
        self.closed_at = None
        self.stage_started = {Stage.REVIEW.value: at}
        self.stage_done = {}
        self.updated_at = at

    def on_review_agenda(self) -> bool:
        """Whether the six-monthly review meeting takes it up: undecided, or its member not satisfied."""
        undecided = self.is_open and self.state not in (State.DECIDED, State.NOTIFIED)
        unsatisfied = self.satisfaction is not None and not self.satisfaction["satisfied"]
        return undecided or unsatisfied

    def record_review_minutes(self, *, period: str, minutes: str, by: str, at: datetime) -> None:
        """The six-monthly review meeting's minutes, kept against each complaint it discussed."""
        if not self.on_review_agenda():
            raise TransitionRefused(
                f"complaint {self.reference} is neither undecided nor with a member not satisfied: "
                "it is not on the review meeting's agenda"
            )
        self._review_minutes_recorded(period=period, minutes=_text(minutes, "the minutes"), by=by, at=at)

    @event("ReviewMinutesRecorded")
    def _review_minutes_recorded(self, period: str, minutes: str, by: str, at: datetime) -> None:
        self.reviews.append({"period": period, "minutes": minutes, "by": by, "at": at})
        self.updated_at = at

    # -- anytime -----------------------------------------------------------------------------------------------
    def set_confidentiality(self, *, confidential: bool, reason: str, by: str, at: datetime) -> bool:
        if bool(confidential) == self.confidential:
            return False
        self._confidentiality_changed(confidential=bool(confidential), reason=_text(reason, "the reason"), by=by, at=at)
        return True

    @event("ConfidentialityChanged")
    def _confidentiality_changed(self, confidential: bool, reason: str, by: str, at: datetime) -> None:
        self.confidential = confidential
        self.updated_at = at

    def attach_document(
        self, *, sha256: str, size: int, media_type: str, filename: str | None, by: str | None, at: datetime
    ) -> bool:
        """Reference a stored document on the form; the same content twice is referenced once (False)."""
        if self.state == State.CLOSED:
            raise TransitionRefused("the complaint is closed; reopen it to add documents")
        if self.document(sha256) is not None:
            return False
        if len(self.documents) >= MAX_DOCUMENTS:
            raise TransitionRefused(f"a complaint holds at most {MAX_DOCUMENTS} documents")
        self._document_attached(sha256=sha256, size=int(size), media_type=media_type, filename=filename, by=by, at=at)
        return True

    @event("DocumentAttached")
    def _document_attached(
        self, sha256: str, size: int, media_type: str, filename: str | None, by: str | None, at: datetime
    ) -> None:
        self.documents.append(
            {"sha256": sha256, "size": size, "media_type": media_type, "filename": filename, "by": by, "at": at}
        )
        self.updated_at = at

    def deadlines(self, calendar: BusinessCalendar, hours: Mapping[Stage, float]) -> list[StageDeadline]:
        return stage_deadlines(calendar, hours, self.stage_started, self.stage_done)

    def move_deadline(
        self,
        *,
        before: BusinessCalendar,
        after: BusinessCalendar,
        hours: Mapping[Stage, float],
        change: str,
        reason: str,
        at: datetime,
    ) -> Stage | None:
        """The chamber's calendar changed (`before` -> `after`, change id `change`): record the running stage's
        deadline moving from its old time to its new one, and why. Nothing when it does not move, when no stage
        runs, or when this change's move is already recorded (a redelivered change)."""
        stage = self.current_stage()
        if stage is None:
            return None
        key = f"{self.round}:{stage.value}:{change}"
        if any(m["key"] == key for m in self.deadline_moves):
            return None
        start = self.stage_started[stage.value]
        old = stage_due(before, start, hours[stage])
        new = stage_due(after, start, hours[stage])
        if old == new:
            return None
        self._deadline_moved(
            key=key,
            stage=stage.value,
            round=self.round,
            old_due=old,
            new_due=new,
            reason=_text(reason, "the reason the deadline moved"),
            change=change,
            at=at,
        )
        return stage

    @event("DeadlineMoved")
    def _deadline_moved(
        self,
        key: str,
        stage: str,
        round: int,
        old_due: datetime,
        new_due: datetime,
        reason: str,
        change: str,
        at: datetime,
    ) -> None:
        moves = getattr(self, "deadline_moves", [])
        moves.append(
            {
                "key": key,
                "stage": stage,
                "round": round,
                "old_due": old_due,
                "new_due": new_due,
                "reason": reason,
                "at": at,
            }
        )
        self.deadline_moves = moves

    def record_breaches(self, calendar: BusinessCalendar, hours: Mapping[Stage, float], now: datetime) -> list[Stage]:
        """Record each stage of this round that passed its deadline and is not yet recorded (idempotent)."""
        recorded = []
        for d in breached(self.deadlines(calendar, hours), now):
            if self.has_breach(self.round, d.stage):
                continue
            waits = self.waiting_on(d.stage)
            self._deadline_breached(
                key=breach_key(self.round, d.stage),
                stage=d.stage.value,
                round=self.round,
                started_at=d.started_at,
                due_at=d.due_at,
                done_at=d.done_at,
                waiting_on=waits["role"],
                waiting_person=waits["person"],
                waiting_unit=waits["unit"],
                at=now,
            )
            recorded.append(d.stage)
        return recorded

    @event("DeadlineBreached")
    def _deadline_breached(
        self,
        key: str,
        stage: str,
        round: int,
        started_at: datetime,
        due_at: datetime,
        done_at: datetime | None,
        waiting_on: str | None,
        waiting_person: str | None,
        waiting_unit: str | None,
        at: datetime,
    ) -> None:
        self.breaches.append(
            {
                "key": key,
                "stage": stage,
                "round": round,
                "due_at": due_at,
                "done_at": done_at,
                "waiting_on": waiting_on,
                "waiting_person": waiting_person,
                "waiting_unit": waiting_unit,
                "at": at,
            }
        )
