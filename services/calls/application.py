"""CallCentre: the calls service's commands and queries over its event store."""

from __future__ import annotations

import copy
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.calls.calendar import (
    ChamberCalendar,
    apply_change,
    check_closure_reason,
    check_schedule,
    load_calendar,
)
from services.calls.contract import CONTRACT
from services.calls.domain import (
    REFERRED_TO_COMPLAINT,
    Call,
    CallbackOutcome,
    Direction,
    Purpose,
    State,
    TransitionRefused,
    call_id_for_pbx,
)
from services.calls.telephony import TelephonyEvent
from shared.calendar import BusinessCalendar
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.organisation import Organisation
from shared.phones import e164, parse_phone
from shared.problems import DomainError, InvalidInput, NotFound
from shared.validation import window

log = logging.getLogger(__name__)


class CallNotFound(NotFound):
    pass


def normalise_number(raw: str | None, region: str) -> str | None:
    """E.164 for a number the chamber can dial back; None when the PBX gave something that is not a phone number."""
    parsed = parse_phone(raw, region)
    return e164(parsed) if parsed else None


@dataclass(frozen=True)
class IngestResult:
    event_id: str
    call_id: str | None
    status: str  # applied | duplicate | ignored | held | rejected
    reason: str | None = None
    invalid: bool = False  # rejected for what the event says (a date out of range), not for the call's state


class CallCentre(CrmApplication):
    service: ClassVar[str] = "calls"
    contract: ClassVar[EventContract] = CONTRACT

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        organisation: Organisation | None = None,
        calendar: BusinessCalendar | None = None,
        clock: Clock = system_clock,
        region: str = "IR",
        callback_deadline: timedelta = timedelta(hours=24),
        mr_followup_deadline: timedelta = timedelta(hours=2),
        member_lookup: Callable[[str], str | None] | None = None,
    ):
        super().__init__(env)
        self.organisation = organisation or Organisation()
        self.calendar = calendar or BusinessCalendar.preset(region)
        self.clock = clock
        self.region = region
        self.callback_deadline = callback_deadline
        self.mr_followup_deadline = mr_followup_deadline
        self.member_lookup = member_lookup or (lambda _number: None)
        # The chamber's changes to its calendar, kept in this store, apply on top of the configured calendar.
        stored = load_calendar(self)
        for change in stored.changes if stored else []:
            apply_change(self.calendar, change)

    # -- the chamber's calendar (services/calls/calendar.py) ------------------------------------------------------
    def _chamber_calendar(self) -> ChamberCalendar:
        return load_calendar(self) or ChamberCalendar(base=self.calendar.config.timezone, at=self.clock())

    def set_schedule(
        self,
        *,
        effective_from: date,
        hours: dict[str, list[str]] | None = None,
        preset: str | None = None,
        by: str,
    ) -> dict[str, Any]:
        checked, preset = check_schedule(hours, preset)
        record = self._chamber_calendar()
        record.set_schedule(
            effective_from=effective_from.isoformat(), hours=checked, preset=preset, by=by, at=self.clock()
        )
        self.save(record)
        apply_change(self.calendar, record.changes[-1])
        return record.changes[-1]

    def close_day(self, *, day: date, reason: str, note: str | None = None, by: str) -> dict[str, Any]:
        record = self._chamber_calendar()
        record.close_day(day=day.isoformat(), reason=check_closure_reason(reason), note=note, by=by, at=self.clock())
        self.save(record)
        apply_change(self.calendar, record.changes[-1])
        return record.changes[-1]

    def calendar_changes(self) -> list[dict[str, Any]]:
        stored = load_calendar(self)
        return list(stored.changes) if stored else []

    def move_deadlines(self, call_ids: Iterable[uuid.UUID], *, reason: str) -> int:
        """Recompute each open deadline of these calls on the calendar as it now is; record those that move."""
        moved = 0
        now = self.clock()
        for call_id in call_ids:
            call = self.get_call(call_id)
            durations = {"callback": self.callback_deadline, "follow_up": self.mr_followup_deadline}
            changed = False
            for kind, (started, _) in call.open_deadlines().items():
                due = self.calendar.add_working_time(started, durations[kind])
                changed |= call.move_deadline(kind=kind, due=due, reason=reason, at=now)
            if changed:
                self.save(call)
                moved += 1
        return moved

    # -- helpers -----------------------------------------------------------------------------------------------
    def get_call(self, call_id: uuid.UUID) -> Call:
        try:
            return self.repository.get(call_id)
        except AggregateNotFoundError:
            raise CallNotFound(f"no call with id {call_id}") from None

    def _callback_due(self, at: datetime) -> datetime:
        return self.calendar.add_working_time(at, self.callback_deadline)

    def _check_unit(self, unit: str) -> None:
        if not self.organisation.has_unit(unit):
            raise InvalidInput(f"unknown unit {unit!r}; the chamber's units are configured in the organisation file")

    def _expert_of(self, extension: str | None) -> str | None:
        if not extension:
            return None
        return self.organisation.expert_of_extension(extension) or f"ext:{extension}"

    def _expert_who_missed(self, call: Call) -> str | None:
        """Whose personal queue an unanswered call goes to. Registered while transferred, it is the expert the second
        attempt was ringing (not yet in missed_by: nobody reported that transfer as not answered); otherwise the
        last expert who missed it."""
        if call.state == State.TRANSFERRED and self.organisation.unit_of_expert(call.transferred_to):
            return call.transferred_to
        return call.missed_by[-1] if call.missed_by else None

    # -- staff commands ----------------------------------------------------------------------------------------
    def receive_call(
        self,
        *,
        direction: Direction,
        caller: str | None,
        callee: str | None = None,
        unit: str | None = None,
        purpose: Purpose | None = None,
        placed_by: str | None = None,
        at: datetime | None = None,
    ) -> uuid.UUID:
        at = at or self.clock()
        number = normalise_number(caller, self.region)
        if caller and number is None:
            raise InvalidInput(f"{caller!r} is not a phone number")
        call = Call(
            direction=direction,
            at=at,
            caller_raw=caller,
            caller=number,
            callee=callee,
            member_id=self.member_lookup(number) if number else None,
            purpose=purpose,
            placed_by=placed_by,
            # eventsourcing 9.5 requires every keyword-only argument of an @event __init__, defaults or not.
            pbx_call_id=None,
            pbx_event_id=None,
            line=None,
            source_ref=None,
        )
        if unit and direction == Direction.INCOMING:
            self._check_unit(unit)
            call.route(unit, at)
        self.save(call)
        return call.id

    def _command(self, call_id: uuid.UUID, action: Callable[[Call], None]) -> Call:
        call = self.get_call(call_id)
        action(call)
        self.save_or_conflict(call, what="the call")
        return call

    def route_call(self, call_id: uuid.UUID, unit: str) -> None:
        self._check_unit(unit)
        self._command(call_id, lambda c: c.route(unit, self.clock()))

    def record_answer(self, call_id: uuid.UUID, expert: str) -> None:
        self._command(call_id, lambda c: c.answer(expert, self.clock()))

    def record_unit_not_answered(self, call_id: uuid.UUID) -> None:
        self._command(call_id, lambda c: c.unit_did_not_answer(self.clock()))

    def transfer_to_member_relations(self, call_id: uuid.UUID) -> None:
        self._command(call_id, lambda c: c.transfer_to_member_relations(self.clock()))

    def take_down_subject(
        self, call_id: uuid.UUID, *, subject: str, by: str, contact_name: str | None, contact_phone: str | None
    ) -> None:
        phone = None
        if contact_phone:
            phone = normalise_number(contact_phone, self.region)
            if phone is None:
                raise InvalidInput(f"{contact_phone!r} is not a phone number")
        self._command(
            call_id,
            lambda c: c.take_down_subject(subject, by, self.clock(), contact_name=contact_name, contact_phone=phone),
        )

    def transfer_to_expert(self, call_id: uuid.UUID, *, expert: str, by: str) -> None:
        def act(call: Call) -> None:
            unit = self.organisation.unit_of_expert(expert)
            if call.unit and unit != call.unit:
                raise TransitionRefused(f"{expert} is not an expert of the unit {call.unit!r}")
            call.transfer_to_expert(expert, by, self.clock())

        self._command(call_id, act)

    def register_unanswered(
        self,
        call_id: uuid.UUID,
        *,
        by: str,
        subject: str | None,
        contact_name: str | None,
        contact_phone: str | None,
        unit: str | None = None,
        expert: str | None = None,
    ) -> None:
        phone = None
        if contact_phone:
            phone = normalise_number(contact_phone, self.region)
            if phone is None:
                raise InvalidInput(f"{contact_phone!r} is not a phone number")

        def act(call: Call) -> None:
            target = unit or call.unit
            if not target:
                raise InvalidInput("say which unit must call the member back: the call was never routed")
            self._check_unit(target)
            at = self.clock()
            call.register_unanswered(
                unit=target,
                expert=expert or self._expert_who_missed(call),
                contact_phone=phone,
                contact_name=contact_name,
                subject=subject,
                by=by,
                at=at,
                callback_due=self._callback_due(at),
            )

        self._command(call_id, act)

    def record_callback(
        self,
        call_id: uuid.UUID,
        *,
        by: str,
        outcome: CallbackOutcome,
        note: str | None,
        referred_to: str | None = None,
    ) -> None:
        if referred_to and referred_to != REFERRED_TO_COMPLAINT:
            self._check_unit(referred_to)
        self._command(
            call_id,
            lambda c: c.record_callback(by=by, outcome=outcome, note=note, at=self.clock(), referred_to=referred_to),
        )

    def resolve_by_member_relations(self, call_id: uuid.UUID, *, by: str, note: str) -> None:
        self._command(call_id, lambda c: c.resolve_by_member_relations(by, note, self.clock()))

    # -- telephony ---------------------------------------------------------------------------------------------
    def ingest(self, ev: TelephonyEvent) -> IngestResult:
        """Apply one PBX event; the same event applied twice changes nothing the second time."""
        for attempt in range(3):
            try:
                return self._ingest_once(ev)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def ingest_batch(self, events: Sequence[TelephonyEvent]) -> list[IngestResult]:
        """Apply PBX events in order, each exactly as `ingest` would, and store what they did in one transaction.

        One commit per batch instead of one per event: the webhook's batches were bound by commits (each a disk
        flush, one at a time under the store's writer lock), not by the work (bench/end_to_end.py). A concurrent
        writer to one of the batch's calls makes the save fail as a whole; the batch is then redone from the store.
        """
        for attempt in range(3):
            try:
                return self._ingest_batch_once(events)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def _load(self, call_id: uuid.UUID) -> Call | None:
        try:
            return self.repository.get(call_id)
        except AggregateNotFoundError:
            return None

    def _ingest_batch_once(self, events: Sequence[TelephonyEvent]) -> list[IngestResult]:
        working: dict[uuid.UUID, Call | None] = {}  # each call as the events so far left it (pending events unsaved)
        results: list[IngestResult | None] = [None] * len(events)
        # In the order of the PBX's own timestamps (a stable sort keeps same-time events as sent): a batch that
        # arrives shuffled still tells each call's story in the order it happened.
        for position in sorted(range(len(events)), key=lambda i: events[i].at):
            ev = events[position]
            call_id = call_id_for_pbx(ev.call_id)
            loaded = call_id not in working
            if loaded:
                call = self._load(call_id)
            else:
                # A copy: an event refused halfway through its changes must leave no trace on the call.
                call = copy.deepcopy(working[call_id])
            result, changed = self._step(call_id, call, ev)
            if changed is not None:
                working[call_id] = changed
            elif loaded:
                working[call_id] = self._load(call_id) if result.status == "rejected" else call
            results[position] = result
        changed_calls = [c for c in working.values() if c is not None and c.pending_events]
        if changed_calls:
            self.save(*changed_calls)
        return [r for r in results if r is not None]

    def _ingest_once(self, ev: TelephonyEvent) -> IngestResult:
        call_id = call_id_for_pbx(ev.call_id)
        result, changed = self._step(call_id, self._load(call_id), ev)
        if changed is not None:
            self.save(changed)
        return result

    def _step(self, call_id: uuid.UUID, call: Call | None, ev: TelephonyEvent) -> tuple[IngestResult, Call | None]:
        """What one PBX event does to the call (None: not tracked yet): the result, and the call to save if any."""
        if (reason := window.problem(ev.at, self.clock())) is not None:
            # Refused per event: one PBX clock gone wrong must not fail the rest of a batch or a replayed log.
            return IngestResult(ev.event_id, str(call_id), "rejected", f"at: {reason}", invalid=True), None
        if call is not None and call.has_seen(ev.event_id):
            return IngestResult(ev.event_id, str(call_id), "duplicate"), None
        if call is None and ev.kind in ("completed", "transferred"):
            # A hang-up or transfer of a call never seen ringing or queued is an internal or outgoing leg.
            return IngestResult(ev.event_id, str(call_id), "ignored", "no such call is being tracked"), None
        try:
            if call is None:
                number = normalise_number(ev.caller, self.region)
                call = Call(
                    direction=Direction(ev.direction),
                    at=ev.at,
                    caller_raw=ev.caller,
                    caller=number,
                    callee=ev.callee,
                    member_id=self.member_lookup(number) if number else None,
                    pbx_call_id=ev.call_id,
                    purpose=Purpose(ev.purpose) if ev.purpose else None,
                    placed_by=self._expert_of(ev.agent) if ev.direction == "outgoing" else None,
                    pbx_event_id=ev.event_id if ev.kind == "ringing" else None,
                    line=None,
                    source_ref=None,
                )
                if ev.kind == "ringing":
                    return IngestResult(ev.event_id, str(call_id), "applied"), call
            else:
                call.check_in_order(ev.at)
            status = self._apply(call, ev)
        except DomainError as exc:
            return IngestResult(ev.event_id, str(call_id), "rejected", str(exc)), None
        return IngestResult(ev.event_id, str(call_id), status), call

    def _hold(self, call: Call, ev: TelephonyEvent, unmapped_queue: str | None = None) -> str:
        if not call.has_held(ev.event_id):
            if unmapped_queue is not None:
                call.queue_unmapped(unmapped_queue, ev.at, ev.event_id)
            else:
                call.hold(ev.kind, ev.at, ev.event_id)
        return "held"

    def _apply(self, call: Call, ev: TelephonyEvent) -> str:
        org = self.organisation
        kind = ev.kind
        if kind == "ringing":
            return "ignored"  # the call is already known; a second ring is no news
        joins_queue = kind == "queued" or (kind == "queue_timeout" and call.state == State.RINGING)
        if joins_queue and ev.queue is not None and org.unit_of_queue(ev.queue) is None:
            return self._hold(call, ev, unmapped_queue=ev.queue)
        if call.unrouted_queue is not None and not joins_queue:
            return self._hold(call, ev)  # what happened next means nothing until the call has its unit
        if kind == "queued":
            unit = org.unit_of_queue(ev.queue)
            if unit is None:
                raise InvalidInput(f"queue {ev.queue!r} is not mapped to any unit (organisation file)")
            if unit == org.member_relations_unit and call.state in (State.QUEUED, State.UNIT_NOT_ANSWERED):
                call.transfer_to_member_relations(ev.at, pbx_event_id=ev.event_id)
            else:
                call.route(unit, ev.at, queue=ev.queue, pbx_event_id=ev.event_id)
            return "applied"
        if kind == "agent_missed":
            call.expert_missed(self._expert_of(ev.agent) or "unknown", ev.at, pbx_event_id=ev.event_id)
            return "applied"
        if kind == "answered":
            call.answer(self._expert_of(ev.agent), ev.at, pbx_event_id=ev.event_id)
            return "applied"
        if kind == "queue_timeout":
            if call.state == State.RINGING and ev.queue is not None:
                # The caller could not even join the queue (no expert logged in): offered to that unit all the same.
                unit = org.unit_of_queue(ev.queue)
                if unit is None:
                    raise InvalidInput(f"queue {ev.queue!r} is not mapped to any unit (organisation file)")
                call.route(unit, ev.at, queue=ev.queue)
            if call.state == State.WITH_MEMBER_RELATIONS or org.unit_of_queue(ev.queue) == org.member_relations_unit:
                # Member relations could not take it either: the caller's number is all there is to go on.
                self._register_automatically(call, ev)
            else:
                call.unit_did_not_answer(ev.at, pbx_event_id=ev.event_id)
            return "applied"
        if kind == "abandoned":
            self._register_automatically(call, ev)
            call.hang_up(ev.at)
            return "applied"
        if kind == "transferred":
            target_unit = org.unit_of_queue(ev.target)
            if target_unit == org.member_relations_unit:
                call.transfer_to_member_relations(ev.at, pbx_event_id=ev.event_id)
                return "applied"
            if call.state == State.WITH_MEMBER_RELATIONS:
                call.transfer_to_expert(
                    self._expert_of(ev.target) or "unknown",
                    call.member_relations_expert,
                    ev.at,
                    pbx_event_id=ev.event_id,
                )
                return "applied"
            return "ignored"  # an answered call passed between colleagues: nothing the procedure tracks
        if kind == "completed":
            if call.state == State.UNANSWERED or call.ended_at is not None:
                return "ignored"
            if call.state in (State.QUEUED, State.UNIT_NOT_ANSWERED, State.TRANSFERRED):
                # Some PBXs report a caller who gave up waiting as a plain hang-up: it is an abandoned call all the same.
                self._register_automatically(call, ev)
                call.hang_up(ev.at)
                return "applied"
            call.hang_up(ev.at, talk_seconds=ev.talk_seconds, pbx_event_id=ev.event_id)
            if call.awaits_member_relations_follow_up:
                call.hand_to_member_relations_expert(
                    due=self.calendar.add_working_time(ev.at, self.mr_followup_deadline), at=ev.at
                )
            return "applied"
        raise InvalidInput(f"unknown telephony event kind {kind!r}")

    def _register_automatically(self, call: Call, ev: TelephonyEvent) -> None:
        unit = call.unit or org_fallback(self.organisation)
        call.register_unanswered(
            unit=unit,
            expert=self._expert_who_missed(call),
            contact_phone=None,
            contact_name=None,
            subject=None,
            by=None,
            at=ev.at,
            callback_due=self._callback_due(ev.at),
            automatic=True,
            pbx_event_id=ev.event_id,
        )


def org_fallback(organisation: Organisation) -> str:
    return organisation.member_relations_unit


def call_summary(call: Call) -> dict[str, Any]:
    """The plain view of a call that the API returns and the search index stores."""
    return {
        "id": str(call.id),
        "version": call.version,
        "direction": call.direction.value,
        "state": call.state.value if isinstance(call.state, State) else str(call.state),
        "received_at": call.received_at,
        "caller": call.caller,
        "caller_raw": call.caller_raw,
        "callee": call.callee,
        "member_id": call.member_id,
        "pbx_call_id": call.pbx_call_id,
        "purpose": call.purpose.value if call.purpose else None,
        "placed_by": call.placed_by,
        "line": getattr(call, "line", None),
        "source_ref": getattr(call, "source_ref", None),
        "unit": call.unit,
        "answered_by": call.answered_by,
        "missed_by": list(call.missed_by),
        "member_relations_expert": call.member_relations_expert,
        "subject": call.subject,
        "contact_name": call.contact_name,
        "contact_phone": call.contact_phone,
        "transferred_to": call.transferred_to,
        "assigned_expert": call.assigned_expert,
        "follow_up_due": call.follow_up_due,
        "registered_at": call.registered_at,
        "callback_due": call.callback_due,
        "callbacks": list(call.callbacks),
        "ended_at": call.ended_at,
        "unrouted_queue": call.unrouted_queue,
    }
