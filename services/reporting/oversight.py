"""What the reporting processors decide, kept as events in the reporting service's own store.

Callback breaches, escalations of repeated non-answer to the SG with the corrective action they open
(SY-PR-05-00-02), and the end-of-day lists sent to unit managers are facts the chamber is accountable for, so they
are recorded, published like every other service's events, and exported with the audit trail. Each has a
deterministic id: a processor that decides the same thing twice (after a restart, or two instances at once)
records it once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, ClassVar

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from services.reporting.contract import CONTRACT
from services.reporting.privacy import OversightSealer
from shared.contracts import EventContract
from shared.errors import DomainError, NotFound
from shared.eventstore import CrmApplication
from shared.privacy import KeyStore, Sealer

NS = uuid.UUID("0b8a6a2e-0f5f-4d7e-8f0a-6a1e7c3b9d55")


class CallbackBreach(Aggregate):
    """The unit manager did not call the member back within the deadline."""

    @event("Recorded")
    def __init__(self, *, call_id: str, unit: str, expert: str | None, callback_due: datetime, detected_at: datetime):
        self.call_id = call_id
        self.unit = unit

    @classmethod
    def create_id(cls, *, call_id: str, **_: object) -> uuid.UUID:
        return uuid.uuid5(NS, f"breach:{call_id}")


class MemberRelationsFollowUpBreach(Aggregate):
    """A call a member-relations expert answered was not resolved, transferred or registered by its deadline."""

    @event("Recorded")
    def __init__(self, *, call_id: str, expert: str | None, due: datetime, detected_at: datetime):
        self.call_id = call_id
        self.expert = expert

    @classmethod
    def create_id(cls, *, call_id: str, **_: object) -> uuid.UUID:
        return uuid.uuid5(NS, f"mr-follow-up-breach:{call_id}")


class EscalationStepRefused(DomainError):
    """The escalation is not at the step this command belongs to (409)."""


class EscalationNotFound(NotFound):
    pass


class Escalation(Aggregate):
    """A unit that repeatedly fails to answer (SY-PR-05-00-02): the processor raises it; the member-relations
    manager reviews it (accepts it with a note, or dismisses it with a reason) and reports an accepted one to the
    SG; the SG opens the corrective action, which the actions service keeps (source_ref `escalation:<id>`).

    Each step is its own event so the audit trail shows who decided what and when. Escalations stored before the
    review existed carry the id of the corrective action opened with them; they read as `action_opened`."""

    @event("Raised")
    def __init__(
        self,
        *,
        unit: str,
        at: datetime,
        call_ids: list[str],
        threshold: int,
        window_days: int,
        corrective_action_id: str | None = None,
    ):
        self.unit = unit
        self.call_ids = call_ids
        self.raised_at = at
        self.corrective_action_id = corrective_action_id
        self.status = "action_opened" if corrective_action_id else "raised"
        self.review_note: str | None = None
        self.reviewed_by: str | None = None
        self.reported_by: str | None = None
        self.action_requested: dict | None = None

    @classmethod
    def create_id(cls, *, unit: str, call_ids: list[str], **_: object) -> uuid.UUID:
        return uuid.uuid5(NS, f"escalation:{unit}:{call_ids[-1]}")

    @property
    def source_ref(self) -> str:
        """The actions service's key for this escalation's corrective action: one action per escalation."""
        return f"escalation:{self.id}"

    def _expect(self, status: str, step: str) -> None:
        if self.status != status:
            raise EscalationStepRefused(f"escalation {self.id} is {self.status}: it cannot be {step} now")

    def accept(self, *, note: str, by: str, at: datetime) -> None:
        self._expect("raised", "accepted")
        self._accepted(note=note, by=by, at=at)

    @event("Accepted")
    def _accepted(self, *, note: str, by: str, at: datetime) -> None:
        self.status = "accepted"
        self.review_note = note
        self.reviewed_by = by

    def dismiss(self, *, reason: str, by: str, at: datetime) -> None:
        self._expect("raised", "dismissed")
        self._dismissed(reason=reason, by=by, at=at)

    @event("Dismissed")
    def _dismissed(self, *, reason: str, by: str, at: datetime) -> None:
        self.status = "dismissed"
        self.review_note = reason
        self.reviewed_by = by

    def report_to_sg(self, *, by: str, at: datetime) -> None:
        self._expect("accepted", "reported to the SG")
        self._reported(by=by, at=at)

    @event("ReportedToSecretaryGeneral")
    def _reported(self, *, by: str, at: datetime) -> None:
        self.status = "reported"
        self.reported_by = by

    def request_corrective_action(
        self, *, title: str, description: str, owner: str | None, by: str, at: datetime
    ) -> None:
        self._expect("reported", "given a corrective action")
        self._action_requested(
            source_ref=self.source_ref, title=title, description=description, owner=owner, by=by, at=at
        )

    @event("CorrectiveActionRequested")
    def _action_requested(
        self, *, source_ref: str, title: str, description: str, owner: str | None, by: str, at: datetime
    ) -> None:
        # Until the actions service has answered: the outbox follower (services/reporting/actions_outbox.py)
        # delivers the request and records the action's id.
        self.status = "action_requested"
        self.action_requested = {
            "source_ref": source_ref,
            "title": title,
            "description": description,
            "unit": self.unit,
            "owner": owner,
        }

    def link_corrective_action(self, *, action_id: str, at: datetime) -> None:
        self._expect("action_requested", "linked to a corrective action")
        self._action_opened(action_id=action_id, at=at)

    @event("CorrectiveActionOpened")
    def _action_opened(self, *, action_id: str, at: datetime) -> None:
        self.status = "action_opened"
        self.corrective_action_id = action_id


class CorrectiveAction(Aggregate):
    """A corrective action (SY-PR-05-00-02) this service once opened by itself with each escalation. Actions are
    now kept by the actions service; the class stays so that the events stored before can still be read."""

    @event("Opened")
    def __init__(
        self,
        *,
        origin: str,
        unit: str,
        owner: str | None,
        description: str,
        escalation_id: str | None,
        opened_at: datetime,
    ):
        self.origin = origin
        self.unit = unit
        self.owner = owner
        self.status = "open"

    @classmethod
    def create_id(cls, *, origin: str, escalation_id: str | None, **_: object) -> uuid.UUID:
        return uuid.uuid5(NS, f"corrective:{origin}:{escalation_id}")


class EndOfDayList(Aggregate):
    """The list of unanswered calls sent to a unit's manager at the end of a working day."""

    @event("Produced")
    def __init__(self, *, unit: str, day: str, manager: str | None, produced_at: datetime, items: list[dict]):
        self.unit = unit
        self.day = day
        self.delivery_requested_to: str | None = None

    @classmethod
    def create_id(cls, *, unit: str, day: str, **_: object) -> uuid.UUID:
        return uuid.uuid5(NS, f"eod:{unit}:{day}")

    @event("DeliveryRequested")
    def request_delivery(self, *, to: str, unit: str, day: str, count: int, at: datetime) -> None:
        """The list is to reach the unit's manager: a notifier consumes this event (the list itself is in the
        Produced event of the same aggregate) and sends it by the channels the chamber sets up."""
        self.delivery_requested_to = to


class CallCentreReport(Aggregate):
    """The call centre's figures of a week or month that has closed, for the SG and the president."""

    @event("Produced")
    def __init__(
        self,
        *,
        period: str,
        first_day: str,
        last_day: str,
        first_day_local: str,
        last_day_local: str,
        figures: dict[str, Any],
        units: list[dict[str, Any]],
        link: str,
        produced_at: datetime,
    ):
        self.period = period
        self.first_day = first_day

    @classmethod
    def create_id(cls, *, period: str, first_day: str, **_: object) -> uuid.UUID:
        return uuid.uuid5(NS, f"call-centre-report:{period}:{first_day}")


class Oversight(CrmApplication):
    service: ClassVar[str] = "reporting"
    contract: ClassVar[EventContract] = CONTRACT
    # The end-of-day lists name callers: each entry sealed under its caller's key (services/reporting/privacy.py).
    personal_fields: ClassVar[dict[str, frozenset[str]]] = {"EndOfDayList": frozenset()}

    def construct_sealer(self, keys: KeyStore) -> Sealer:
        return OversightSealer(keys)

    def _save_once(self, *aggregates: Aggregate) -> bool:
        try:
            self.save(*aggregates)
        except IntegrityError:
            return False  # already decided (deterministic id): nothing to add
        return True

    def record_breach(
        self, *, call_id: str, unit: str, expert: str | None, callback_due: datetime, detected_at: datetime
    ) -> bool:
        return self._save_once(
            CallbackBreach(
                call_id=call_id, unit=unit, expert=expert, callback_due=callback_due, detected_at=detected_at
            )
        )

    def record_follow_up_breach(
        self, *, call_id: str, expert: str | None, due: datetime, detected_at: datetime
    ) -> bool:
        return self._save_once(
            MemberRelationsFollowUpBreach(call_id=call_id, expert=expert, due=due, detected_at=detected_at)
        )

    def raise_escalation(
        self, *, unit: str, at: datetime, call_ids: list[str], threshold: int, window_days: int
    ) -> bool:
        """Raised for the member-relations manager to review; nothing is opened until the SG decides."""
        return self._save_once(
            Escalation(
                unit=unit,
                at=at,
                call_ids=call_ids,
                threshold=threshold,
                window_days=window_days,
                corrective_action_id=None,  # given only by escalations stored before the review existed
            )
        )

    def escalation(self, escalation_id: uuid.UUID) -> Escalation:
        return self.get_aggregate(escalation_id, Escalation, EscalationNotFound, f"no escalation {escalation_id}")

    def accept_escalation(self, escalation_id: uuid.UUID, *, note: str, by: str, at: datetime) -> None:
        escalation = self.escalation(escalation_id)
        escalation.accept(note=note, by=by, at=at)
        self.save(escalation)

    def dismiss_escalation(self, escalation_id: uuid.UUID, *, reason: str, by: str, at: datetime) -> None:
        escalation = self.escalation(escalation_id)
        escalation.dismiss(reason=reason, by=by, at=at)
        self.save(escalation)

    def report_escalation(self, escalation_id: uuid.UUID, *, by: str, at: datetime) -> None:
        escalation = self.escalation(escalation_id)
        escalation.report_to_sg(by=by, at=at)
        self.save(escalation)

    def request_corrective_action(
        self,
        escalation_id: uuid.UUID,
        *,
        title: str | None,
        description: str | None,
        owner: str | None,
        by: str,
        at: datetime,
    ) -> None:
        escalation = self.escalation(escalation_id)
        count = len(escalation.call_ids)
        escalation.request_corrective_action(
            title=title or f"Unit {escalation.unit}: calls repeatedly left unanswered",
            description=description
            or (
                f"Unit {escalation.unit} left {count} calls unanswered within the escalation window; "
                "find the cause and prevent recurrence."
            ),
            owner=owner,
            by=by,
            at=at,
        )
        self.save(escalation)

    def link_corrective_action(self, escalation_id: uuid.UUID, *, action_id: str, at: datetime) -> bool:
        """Record the action the actions service opened; False when it is recorded already (a replayed delivery)."""
        escalation = self.escalation(escalation_id)
        if escalation.corrective_action_id == action_id:
            return False
        escalation.link_corrective_action(action_id=action_id, at=at)
        self.save(escalation)
        return True

    def produce_end_of_day_list(
        self, *, unit: str, day: str, manager: str | None, produced_at: datetime, items: list[dict]
    ) -> bool:
        produced = EndOfDayList(unit=unit, day=day, manager=manager, produced_at=produced_at, items=items)
        if manager:
            # In the same save as the list: a list is never produced without its delivery asked for. A unit with no
            # manager in the organisation file gets none; the report shows the list as not sent.
            produced.request_delivery(to=manager, unit=unit, day=day, count=len(items), at=produced_at)
        return self._save_once(produced)

    def produce_call_centre_report(self, report: dict[str, Any], *, produced_at: datetime) -> bool:
        """Record a closed period's report; False when it was recorded before (a restart, a second processor)."""
        return self._save_once(CallCentreReport(**report, produced_at=produced_at))
