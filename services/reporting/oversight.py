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
from typing import ClassVar

from eventsourcing.domain import Aggregate, event
from eventsourcing.persistence import IntegrityError

from services.reporting.contract import CONTRACT
from shared.contracts import EventContract
from shared.eventstore import CrmApplication

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


class Escalation(Aggregate):
    """The member-relations manager reports a unit that repeatedly fails to answer to the SG."""

    @event("Raised")
    def __init__(
        self,
        *,
        unit: str,
        at: datetime,
        call_ids: list[str],
        threshold: int,
        window_days: int,
        corrective_action_id: str,
    ):
        self.unit = unit
        self.call_ids = call_ids

    @classmethod
    def create_id(cls, *, unit: str, call_ids: list[str], **_: object) -> uuid.UUID:
        return uuid.uuid5(NS, f"escalation:{unit}:{call_ids[-1]}")


class CorrectiveAction(Aggregate):
    """A corrective action (SY-PR-05-00-02), opened here for repeated non-answer."""

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

    @classmethod
    def create_id(cls, *, unit: str, day: str, **_: object) -> uuid.UUID:
        return uuid.uuid5(NS, f"eod:{unit}:{day}")


class Oversight(CrmApplication):
    service: ClassVar[str] = "reporting"
    contract: ClassVar[EventContract] = CONTRACT

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
        self, *, unit: str, at: datetime, call_ids: list[str], threshold: int, window_days: int, owner: str | None
    ) -> bool:
        escalation_id = str(Escalation.create_id(unit=unit, call_ids=call_ids))
        action = CorrectiveAction(
            origin="repeated_non_answer",
            unit=unit,
            owner=owner,
            description=(
                f"Unit {unit} left {len(call_ids)} calls unanswered within {window_days} working days "
                f"(threshold {threshold}); find the cause and prevent recurrence."
            ),
            escalation_id=escalation_id,
            opened_at=at,
        )
        escalation = Escalation(
            unit=unit,
            at=at,
            call_ids=call_ids,
            threshold=threshold,
            window_days=window_days,
            corrective_action_id=str(action.id),
        )
        return self._save_once(escalation, action)

    def produce_end_of_day_list(
        self, *, unit: str, day: str, manager: str | None, produced_at: datetime, items: list[dict]
    ) -> bool:
        return self._save_once(EndOfDayList(unit=unit, day=day, manager=manager, produced_at=produced_at, items=items))
