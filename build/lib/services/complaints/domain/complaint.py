"""The complaint aggregate: one per complaint, every step of the procedure an event. Rules are checked in the
public methods; the @event bodies only set state, so replaying the history never refuses."""

from __future__ import annotations

import copy
import uuid
from datetime import datetime
from typing import Any

from eventsourcing.domain import Aggregate, event

from services.complaints.domain.closing_steps import ClosingSteps
from services.complaints.domain.committee_steps import CommitteeSteps
from services.complaints.domain.conflicts import (
    distinct_names,
    has_stakeholders,
    same_name,
)
from services.complaints.domain.deadlines import (
    Stage,
)
from services.complaints.domain.handling_steps import HandlingSteps
from services.complaints.domain.receipt import received
from services.complaints.domain.record_steps import RecordSteps
from services.complaints.domain.references import (
    complaint_id_for_reference,
    complaint_id_for_source,
)
from services.complaints.domain.review_steps import ReviewSteps
from services.complaints.domain.vocabulary import (
    ActionStatus,
    Channel,
    Decision,
    HandlerKind,
    Kind,
    Outcome,
    State,
)


class Complaint(ReviewSteps, HandlingSteps, CommitteeSteps, ClosingSteps, RecordSteps, Aggregate):
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
        self.acknowledged_at = None
        self.complainant_erased_at = None
        self.reviewed_by = None
        self.handler_kind = None
        self.handler = None
        self.handler_units = []
        self.eligibility = None
        self.investigation = None
        self.decision = None
        self.decision_reason = None
        self.follow_up_by = None
        self.assessment = None
        self.tracking_secret_hash = None
        self.reviews = []  # six-monthly review meetings that discussed it
        self.language = None
        self.committee = None
        self.committee_members_ever = []
        self.outcome = None
        self.decided_at = None
        self.corrective_actions = []
        self.notified_at = None
        self.closed_at = None
        self.satisfaction = None
        self.documents = []
        self.breaches = []
        self.deadline_moves = []
        self.stage_started = {Stage.ACKNOWLEDGEMENT.value: at}
        self.stage_done = {}
        self.updated_at = at

    @classmethod
    def create_id(cls, *, reference: str, source_ref: str | None = None, **_: object) -> uuid.UUID:
        return complaint_id_for_source(source_ref) if source_ref else complaint_id_for_reference(reference)

    @classmethod
    def receive(cls, **fields: Any) -> Complaint:
        """Rules first (`receipt.received`, which names the fields), then the Received event."""
        return cls(**received(**fields))

    @event("TrackingIssued")
    def _tracking_issued(self, secret_hash: str, language: str, at: datetime) -> None:
        self.tracking_secret_hash = secret_hash
        self.language = language

    @event("Acknowledged")
    def _acknowledged(self, by: str | None, method: str, note: str | None, at: datetime) -> None:
        self.state = State.ACKNOWLEDGED
        self.acknowledged_at = at
        self._finish(Stage.ACKNOWLEDGEMENT, at)
        self._start(Stage.REVIEW, at)
        self.updated_at = at

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

    @event("ReviewCompleted")
    def _review_completed(self, by: str, at: datetime) -> None:
        self.state = State.REVIEWED
        self.reviewed_by = by
        self.updated_at = at

    @event("Referred")
    def _referred(self, by: str, note: str | None, at: datetime) -> None:
        self.state = State.REFERRED
        self._finish(Stage.REVIEW, at)
        self._start(Stage.ASSIGNMENT, at)
        self.updated_at = at

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

    @event("AssignmentRefused")
    def _assignment_refused(self, handler_kind: str, handler: str, reasons: list[str], by: str, at: datetime) -> None:
        self.updated_at = at

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

    @event("CommitteeNotConvened")
    def _committee_not_convened(self, reason: str | None, by: str, at: datetime) -> None:
        self._result(Outcome.ACCEPTED, at)
        self.updated_at = at

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

    @event("CorrectiveActionOpened")
    def _corrective_action_opened(self, action_id: str, actions_id: str, at: datetime) -> None:
        for action in self.corrective_actions:
            if action["id"] == action_id:
                action["actions_id"] = actions_id
        self.updated_at = at

    @event("CorrectiveActionCompleted")
    def _corrective_action_completed(self, action_id: str, note: str | None, by: str, at: datetime) -> None:
        for action in self.corrective_actions:
            if action["id"] == action_id:
                action.update({"status": ActionStatus.DONE.value, "done_at": at, "done_by": by, "note": note})
        self.updated_at = at

    @event("MemberNotified")
    def _member_notified(self, outcome: str | None, method: str, message: str, by: str, at: datetime) -> None:
        self.state = State.NOTIFIED
        self.notified_at = at
        self._finish(Stage.NOTIFICATION, at)
        self.updated_at = at

    @event("Closed")
    def _closed(self, outcome: str | None, note: str | None, by: str, at: datetime) -> None:
        self.state = State.CLOSED
        self.closed_at = at
        self.updated_at = at

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

    @event("ReviewMinutesRecorded")
    def _review_minutes_recorded(self, period: str, minutes: str, by: str, at: datetime) -> None:
        self.reviews.append({"period": period, "minutes": minutes, "by": by, "at": at})
        self.updated_at = at

    @event("ConfidentialityChanged")
    def _confidentiality_changed(self, confidential: bool, reason: str, by: str, at: datetime) -> None:
        self.confidential = confidential
        self.updated_at = at

    @event("ComplainantErased")
    def _complainant_erased(self, reason: str, by: str | None, at: datetime) -> None:
        self.complainant_erased_at = at
        self.updated_at = at

    @event("DocumentAttached")
    def _document_attached(
        self, sha256: str, size: int, media_type: str, filename: str | None, by: str | None, at: datetime
    ) -> None:
        self.documents.append(
            {"sha256": sha256, "size": size, "media_type": media_type, "filename": filename, "by": by, "at": at}
        )
        self.updated_at = at

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
