"""What may happen to a complaint at any step: confidentiality, documents, stage deadlines passed (breaches) and
stage deadlines moved by a change of the chamber's calendar."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING

from services.complaints.domain.complaint_state import ComplaintState, text_of
from services.complaints.domain.deadlines import (
    Stage,
    breach_key,
    breached,
    stage_due,
)
from services.complaints.domain.errors import TransitionRefused
from services.complaints.domain.vocabulary import (
    MAX_DOCUMENTS,
    State,
)
from shared.calendar import BusinessCalendar


class RecordSteps(ComplaintState):
    """Steps of `Complaint` (which mixes this class in): rules first, then the event. The @event methods must stay
    on `Complaint` itself, where the store finds their stored topics; they are declared here for the type checker."""

    if TYPE_CHECKING:

        def _complainant_erased(self, reason: str, by: str | None, at: datetime) -> None: ...

        def _confidentiality_changed(self, confidential: bool, reason: str, by: str, at: datetime) -> None: ...

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
        ) -> None: ...

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
        ) -> None: ...

        def _document_attached(
            self, sha256: str, size: int, media_type: str, filename: str | None, by: str | None, at: datetime
        ) -> None: ...

    def set_confidentiality(self, *, confidential: bool, reason: str, by: str, at: datetime) -> bool:
        if bool(confidential) == self.confidential:
            return False
        self._confidentiality_changed(
            confidential=bool(confidential), reason=text_of(reason, "the reason"), by=by, at=at
        )
        return True

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
            reason=text_of(reason, "the reason the deadline moved"),
            change=change,
            at=at,
        )
        return stage

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

    def erase_complainant(self, *, reason: str, by: str | None, at: datetime) -> None:
        """The complainant asked to be forgotten: the application deletes the key sealing their name and contact
        details; this records who erased them and why, and holds nothing personal. The complaint itself stays."""
        if self.complainant_erased_at is not None:
            raise TransitionRefused(f"the complainant of {self.reference} was already erased")
        self._complainant_erased(reason=text_of(reason, "the reason"), by=by, at=at)
