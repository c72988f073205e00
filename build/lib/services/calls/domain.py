"""The call procedure of the Member Communication Center (docs/procedures.md#calls), as one aggregate per call.

Every incoming call is tracked from the first ring: routed to its destination unit; if the unit does not answer,
transferred to member relations; the member-relations expert takes the subject down and may transfer the call to
another expert of the unit; if that second attempt fails too, the call is registered as unanswered and handed to
the unit (and to the expert who missed it), whose manager must call the member back within 24 working hours.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from eventsourcing.domain import Aggregate, event

from services.calls.rules import (
    callback_outcome,
    check_purpose,
    complaint_description,
    how_answered,
    unanswered_record,
    written_subject,
)
from services.calls.states import (
    CALL_NAMESPACE,
    FINAL,
    OPEN_STATES,
    REACHED,
    REFERRED_TO_COMPLAINT,
    CallbackOutcome,
    Direction,
    Purpose,
    State,
    TransitionRefused,
    call_id_for_pbx,
    call_id_for_source,
)

__all__ = [
    "CALL_NAMESPACE",
    "FINAL",
    "OPEN_STATES",
    "REACHED",
    "REFERRED_TO_COMPLAINT",
    "Call",
    "CallbackOutcome",
    "Direction",
    "Purpose",
    "State",
    "TransitionRefused",
    "call_id_for_pbx",
    "call_id_for_source",
]


class Call(Aggregate):
    @event("Received")
    def __init__(
        self,
        *,
        direction: Direction,
        at: datetime,
        caller_raw: str | None,
        caller: str | None,
        callee: str | None = None,
        member_id: str | None = None,
        pbx_call_id: str | None = None,
        purpose: Purpose | None = None,
        placed_by: str | None = None,
        pbx_event_id: str | None = None,
        line: str | None = None,
        source_ref: str | None = None,
    ):
        check_purpose(direction, purpose)
        self.direction = Direction(direction)
        self.received_at = at
        self.caller_raw = caller_raw
        self.caller = caller
        self.callee = callee
        self.member_id = member_id
        self.pbx_call_id = pbx_call_id
        self.purpose = Purpose(purpose) if purpose else None
        self.placed_by = placed_by
        self.line = line  # outgoing: the chamber's line it was placed from (fixed, mobile)
        self.source_ref = source_ref  # outgoing: what another service recorded it for
        self.state = State.RINGING
        self.unit: str | None = None
        self.answered_by: str | None = None
        self.answered_at: datetime | None = None
        self.missed_by: list[str] = []
        self.member_relations_expert: str | None = None
        self.subject: str | None = None
        self.contact_name: str | None = None
        self.contact_phone: str | None = None
        self.transferred_to: str | None = None
        self.assigned_expert: str | None = None
        self.follow_up_due: datetime | None = None
        self.follow_up_opened_at: datetime | None = None
        self.registered_at: datetime | None = None
        self.callback_due: datetime | None = None
        self.callbacks: list[dict] = []
        self.ended_at: datetime | None = None
        self.pbx_event_ids: set[str] = {pbx_event_id} if pbx_event_id else set()
        self.last_pbx_event_at: datetime | None = at if pbx_call_id else None
        self.unrouted_queue: str | None = None
        self.complaint_referral: dict | None = None
        self.held_event_ids: set[str] = set()

    @classmethod
    def create_id(cls, *, pbx_call_id: str | None = None, source_ref: str | None = None, **_: object) -> uuid.UUID:
        if pbx_call_id:
            return call_id_for_pbx(pbx_call_id)
        return call_id_for_source(source_ref) if source_ref else uuid.uuid4()

    # -- rules -------------------------------------------------------------------------------------------------
    def _require(self, allowed: set[State], doing: str) -> None:
        if self.state not in allowed:
            names = ", ".join(sorted(s.value for s in allowed))
            raise TransitionRefused(f"cannot {doing}: the call is {self.state.value} (possible only when {names})")

    def _require_incoming(self, doing: str) -> None:
        if self.direction != Direction.INCOMING:
            raise TransitionRefused(f"cannot {doing}: this is an outgoing call")

    def has_seen(self, pbx_event_id: str | None) -> bool:
        return pbx_event_id is not None and pbx_event_id in self.pbx_event_ids

    def _seen(self, pbx_event_id: str | None, at: datetime) -> None:
        if pbx_event_id:
            self.pbx_event_ids.add(pbx_event_id)
            self.last_pbx_event_at = max(at, self.last_pbx_event_at or at)

    def check_in_order(self, at: datetime) -> None:
        """A PBX event earlier than one already applied would make the call end before it began, or be answered
        before it was queued: refused, with the reason kept, rather than a timeline that contradicts itself."""
        if self.last_pbx_event_at is not None and at < self.last_pbx_event_at:
            raise TransitionRefused(
                f"event at {at.isoformat()} is earlier than the call's last telephone event at "
                f"{self.last_pbx_event_at.isoformat()}: out of order"
            )

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    # -- the procedure -----------------------------------------------------------------------------------------
    def route(self, unit: str, at: datetime, queue: str | None = None, pbx_event_id: str | None = None) -> None:
        self._require_incoming("route the call")
        self._require({State.RINGING, State.QUEUED}, "route the call to a unit")
        self._routed(unit=unit, queue=queue, at=at, pbx_event_id=pbx_event_id)

    @event("Routed")
    def _routed(self, unit: str, queue: str | None, at: datetime, pbx_event_id: str | None) -> None:
        self.unit = unit
        self.state = State.QUEUED
        self.unrouted_queue = None
        self._seen(pbx_event_id, at)

    # A call into a PBX queue the organisation file does not map is kept, not refused: the caller rang all the same.
    # Its PBX events are held (not marked seen) so that replaying the log once the file maps the queue routes the
    # call and applies them in their order.
    def has_held(self, pbx_event_id: str) -> bool:
        return pbx_event_id in self.held_event_ids

    def queue_unmapped(self, queue: str, at: datetime, pbx_event_id: str) -> None:
        self._queued_unrouted(queue=queue, at=at, pbx_event_id=pbx_event_id)

    @event("QueuedUnrouted")
    def _queued_unrouted(self, queue: str, at: datetime, pbx_event_id: str) -> None:
        self.unrouted_queue = queue
        self.held_event_ids.add(pbx_event_id)

    def hold(self, kind: str, at: datetime, pbx_event_id: str) -> None:
        self._pbx_event_held(kind=kind, at=at, pbx_event_id=pbx_event_id)

    @event("PbxEventHeld")
    def _pbx_event_held(self, kind: str, at: datetime, pbx_event_id: str) -> None:
        self.held_event_ids.add(pbx_event_id)

    def expert_missed(self, expert: str, at: datetime, pbx_event_id: str | None = None) -> None:
        self._require({State.QUEUED, State.TRANSFERRED}, "record that an expert did not pick up")
        self._expert_missed(expert=expert, at=at, pbx_event_id=pbx_event_id)

    @event("ExpertMissed")
    def _expert_missed(self, expert: str, at: datetime, pbx_event_id: str | None) -> None:
        if expert not in self.missed_by:
            self.missed_by.append(expert)
        self._seen(pbx_event_id, at)

    def answer(self, expert: str | None, at: datetime, pbx_event_id: str | None = None) -> None:
        if self.direction == Direction.OUTGOING:
            self._require({State.RINGING}, "record that the member answered")
            self._answered(expert=expert, attempt=1, at=at, pbx_event_id=pbx_event_id)
            return
        if self.state in (State.UNIT_NOT_ANSWERED, State.WITH_MEMBER_RELATIONS):
            # A member-relations expert picked the call up from the member-relations queue.
            self._member_relations_answered(expert=expert, at=at, pbx_event_id=pbx_event_id)
            return
        self._require({State.RINGING, State.QUEUED, State.TRANSFERRED}, "record that the call was answered")
        attempt = 2 if self.state == State.TRANSFERRED else 1
        self._answered(expert=expert, attempt=attempt, at=at, pbx_event_id=pbx_event_id)

    @event("Answered")
    def _answered(self, expert: str | None, attempt: int, at: datetime, pbx_event_id: str | None) -> None:
        self.state = State.ANSWERED
        self.answered_by = expert
        self.answered_at = at
        self._seen(pbx_event_id, at)

    @event("MemberRelationsAnswered")
    def _member_relations_answered(self, expert: str | None, at: datetime, pbx_event_id: str | None) -> None:
        self.state = State.WITH_MEMBER_RELATIONS
        self.member_relations_expert = expert
        self._seen(pbx_event_id, at)

    def unit_did_not_answer(self, at: datetime, pbx_event_id: str | None = None) -> None:
        self._require_incoming("record that the unit did not answer")
        if self.state == State.TRANSFERRED:
            # The second attempt failed: the call comes back to the member-relations expert.
            self._transfer_not_answered(expert=self.transferred_to, at=at, pbx_event_id=pbx_event_id)
            return
        self._require({State.QUEUED}, "record that the unit did not answer")
        self._unit_not_answered(unit=self.unit, at=at, pbx_event_id=pbx_event_id)

    @event("UnitDidNotAnswer")
    def _unit_not_answered(self, unit: str | None, at: datetime, pbx_event_id: str | None) -> None:
        self.state = State.UNIT_NOT_ANSWERED
        self._seen(pbx_event_id, at)

    @event("TransferNotAnswered")
    def _transfer_not_answered(self, expert: str | None, at: datetime, pbx_event_id: str | None) -> None:
        self.state = State.WITH_MEMBER_RELATIONS
        if expert and expert not in self.missed_by:
            self.missed_by.append(expert)
        self._seen(pbx_event_id, at)

    def transfer_to_member_relations(self, at: datetime, pbx_event_id: str | None = None) -> None:
        self._require_incoming("transfer the call to member relations")
        self._require({State.QUEUED, State.UNIT_NOT_ANSWERED}, "transfer the call to member relations")
        self._transferred_to_member_relations(at=at, pbx_event_id=pbx_event_id)

    @event("TransferredToMemberRelations")
    def _transferred_to_member_relations(self, at: datetime, pbx_event_id: str | None) -> None:
        self.state = State.WITH_MEMBER_RELATIONS
        self.unrouted_queue = None  # the queue it waited in is now mapped to member relations
        self._seen(pbx_event_id, at)

    def take_down_subject(
        self, subject: str, by: str, at: datetime, contact_name: str | None = None, contact_phone: str | None = None
    ) -> None:
        self._require_incoming("take down a subject")
        self._require({State.WITH_MEMBER_RELATIONS}, "take down the subject")
        self._subject_taken_down(
            subject=written_subject(subject), by=by, contact_name=contact_name, contact_phone=contact_phone, at=at
        )

    @event("SubjectTakenDown")
    def _subject_taken_down(
        self, subject: str, by: str, contact_name: str | None, contact_phone: str | None, at: datetime
    ) -> None:
        self.subject = subject
        self.member_relations_expert = self.member_relations_expert or by
        self.contact_name = contact_name or self.contact_name
        self.contact_phone = contact_phone or self.contact_phone

    def transfer_to_expert(self, expert: str, by: str | None, at: datetime, pbx_event_id: str | None = None) -> None:
        self._require_incoming("transfer the call to an expert")
        self._require({State.WITH_MEMBER_RELATIONS}, "transfer the call to another expert of the unit")
        if not self.subject and pbx_event_id is None:
            raise TransitionRefused("take down the subject before transferring the call to another expert")
        if expert in self.missed_by:
            raise TransitionRefused(f"{expert} already missed this call; transfer it to another expert of the unit")
        self._transferred_to_expert(expert=expert, by=by, at=at, pbx_event_id=pbx_event_id)

    @event("TransferredToExpert")
    def _transferred_to_expert(self, expert: str, by: str | None, at: datetime, pbx_event_id: str | None) -> None:
        self.state = State.TRANSFERRED
        self.transferred_to = expert
        self._seen(pbx_event_id, at)

    def register_unanswered(
        self,
        *,
        unit: str,
        expert: str | None,
        contact_phone: str | None,
        contact_name: str | None,
        subject: str | None,
        by: str | None,
        at: datetime,
        callback_due: datetime,
        automatic: bool = False,
        pbx_event_id: str | None = None,
    ) -> None:
        self._require_incoming("register the call as unanswered")
        self._require(
            {State.QUEUED, State.UNIT_NOT_ANSWERED, State.WITH_MEMBER_RELATIONS, State.TRANSFERRED},
            "register the call as unanswered",
        )
        phone, text = unanswered_record(
            contact_phone or self.contact_phone or self.caller or self.caller_raw,
            subject or self.subject,
            automatic=automatic,
        )
        self._unanswered_registered(
            unit=unit,
            expert=expert,
            contact_phone=phone,
            contact_name=contact_name or self.contact_name,
            subject=text,
            by=by,
            at=at,
            callback_due=callback_due,
            automatic=automatic,
            pbx_event_id=pbx_event_id,
        )

    @event("UnansweredRegistered")
    def _unanswered_registered(
        self,
        unit: str,
        expert: str | None,
        contact_phone: str,
        contact_name: str | None,
        subject: str | None,
        by: str | None,
        at: datetime,
        callback_due: datetime,
        automatic: bool,
        pbx_event_id: str | None,
    ) -> None:
        if self.state == State.TRANSFERRED and self.transferred_to and self.transferred_to not in self.missed_by:
            # Registered while the second attempt was still ringing: that expert did not answer it either.
            self.missed_by.append(self.transferred_to)
        self.state = State.UNANSWERED
        self.unit = unit
        self.assigned_expert = expert
        self.contact_phone = contact_phone
        self.contact_name = contact_name
        self.subject = subject
        self.registered_at = at
        self.callback_due = callback_due
        self._seen(pbx_event_id, at)

    def record_callback(
        self, *, by: str, outcome: CallbackOutcome, note: str | None, at: datetime, referred_to: str | None = None
    ) -> None:
        self._require({State.UNANSWERED}, "record a callback")
        outcome, where = callback_outcome(outcome, referred_to, at=at, registered_at=self.registered_at)
        self._callback_recorded(by=by, outcome=outcome, note=note, at=at, referred_to=where)
        if referred_to == REFERRED_TO_COMPLAINT:
            # The intent is recorded with the callback; the complaints service is told by a follower of this log,
            # so a complaints service that is down loses nothing and delays nothing here.
            self._complaint_referral_requested(
                source_ref=f"calls:call:{self.id}",
                description=complaint_description(self.subject, note),
                phone=self.contact_phone,
                complainant_name=self.contact_name,
                member_number=self.member_id,
                unit=self.unit,
                occurred_at=self.received_at,
                at=at,
            )

    @event("CallbackRecorded")
    def _callback_recorded(
        self, by: str, outcome: CallbackOutcome, note: str | None, at: datetime, referred_to: str | None = None
    ) -> None:
        outcome = CallbackOutcome(outcome)  # stored as its string value
        entry = {"by": by, "outcome": outcome.value, "note": note, "at": at.isoformat()}
        if referred_to:
            entry["referred_to"] = referred_to
        self.callbacks.append(entry)
        if outcome in FINAL:
            self.state = State.CALLED_BACK

    @event("ComplaintReferralRequested")
    def _complaint_referral_requested(
        self,
        source_ref: str,
        description: str,
        phone: str | None,
        complainant_name: str | None,
        member_number: str | None,
        unit: str | None,
        occurred_at: datetime,
        at: datetime,
    ) -> None:
        self.complaint_referral = {
            "source_ref": source_ref,
            "source": "calls",
            "description": description.strip() or "Referred to the complaint procedure during a callback",
            "phone": phone,
            "complainant_name": complainant_name,
            "member_number": member_number,
            "unit": unit,
            "occurred_at": occurred_at.isoformat(),
        }

    def hang_up(self, at: datetime, talk_seconds: int | None = None, pbx_event_id: str | None = None) -> None:
        """The telephone leg ended. What that means depends on where the call stood."""
        if self.ended_at is not None:
            raise TransitionRefused("the call has already ended")
        if self.state == State.RINGING and self.direction == Direction.OUTGOING:
            self._not_reached(at=at, pbx_event_id=pbx_event_id)
        elif self.state == State.ANSWERED:
            self._completed(at=at, talk_seconds=talk_seconds, pbx_event_id=pbx_event_id)
        else:
            # Caller hung up while waiting or while with member relations; the procedure goes on without the line.
            self._caller_hung_up(state=self.state, at=at, pbx_event_id=pbx_event_id)

    @event("Completed")
    def _completed(self, at: datetime, talk_seconds: int | None, pbx_event_id: str | None) -> None:
        self.state = State.COMPLETED
        self.ended_at = at
        self._seen(pbx_event_id, at)

    @event("NotReached")
    def _not_reached(self, at: datetime, pbx_event_id: str | None) -> None:
        self.state = State.NOT_REACHED
        self.ended_at = at
        self._seen(pbx_event_id, at)

    @event("CallerHungUp")
    def _caller_hung_up(self, state: State, at: datetime, pbx_event_id: str | None) -> None:
        self.ended_at = at
        self._seen(pbx_event_id, at)

    @property
    def awaits_member_relations_follow_up(self) -> bool:
        """A member-relations expert answered, the line is down, and nothing says what became of the subject."""
        return (
            self.state == State.WITH_MEMBER_RELATIONS
            and self.ended_at is not None
            and self.member_relations_expert is not None
            and self.follow_up_due is None
        )

    def hand_to_member_relations_expert(self, *, due: datetime, at: datetime) -> None:
        """Put the call in the answering expert's personal queue: the subject must be taken down and the call
        resolved, transferred or registered unanswered by `due`, or it would stay with member relations forever."""
        if not self.awaits_member_relations_follow_up:
            raise TransitionRefused("only a call member relations answered and that has ended awaits its follow-up")
        expert = self.member_relations_expert
        if expert is None:
            raise TransitionRefused("nobody in member relations is recorded as having answered the call")
        self._member_relations_follow_up_opened(expert=expert, due=due, at=at)

    @event("MemberRelationsFollowUpOpened")
    def _member_relations_follow_up_opened(self, expert: str, due: datetime, at: datetime) -> None:
        self.assigned_expert = expert
        self.follow_up_due = due
        self.follow_up_opened_at = at

    def open_deadlines(self) -> dict[str, tuple[datetime, datetime]]:
        """The deadlines still running: kind -> (when its clock started, when it is due)."""
        running: dict[str, tuple[datetime, datetime]] = {}
        if self.state == State.UNANSWERED and self.registered_at and self.callback_due:
            running["callback"] = (self.registered_at, self.callback_due)
        if (
            self.state == State.WITH_MEMBER_RELATIONS
            and self.follow_up_due is not None
            and self.follow_up_opened_at is not None
        ):
            running["follow_up"] = (self.follow_up_opened_at, self.follow_up_due)
        return running

    def move_deadline(self, *, kind: str, due: datetime, reason: str, at: datetime) -> bool:
        """The chamber's calendar changed (a closure, new hours): the deadline recomputed on it is in force from now
        on. False when it does not move."""
        running = self.open_deadlines()
        if kind not in running:
            raise TransitionRefused(f"the call has no running {kind} deadline")
        old = running[kind][1]
        if old == due:
            return False
        self._deadline_moved(kind=kind, old_due=old, new_due=due, reason=reason, at=at)
        return True

    @event("DeadlineMoved")
    def _deadline_moved(self, kind: str, old_due: datetime, new_due: datetime, reason: str, at: datetime) -> None:
        if kind == "callback":
            self.callback_due = new_due
        else:
            self.follow_up_due = new_due

    def resolve_by_member_relations(self, by: str, note: str, at: datetime) -> None:
        """The member-relations expert answered the member's question himself; nothing is owed to the unit."""
        self._require({State.WITH_MEMBER_RELATIONS}, "close the call as handled by member relations")
        self._resolved_by_member_relations(by=by, note=how_answered(note), at=at)

    @event("ResolvedByMemberRelations")
    def _resolved_by_member_relations(self, by: str, note: str, at: datetime) -> None:
        self.state = State.COMPLETED
        self.member_relations_expert = self.member_relations_expert or by
