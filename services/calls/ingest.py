"""Telephony ingestion of the calls service: what each PBX event does to its call, one event or a batch per
transaction, for `CallCentre` (services/calls/application.py), which stores what they did."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from services.calls.domain import Call, Direction, Purpose, State, call_id_for_pbx
from services.calls.privacy import other_party
from services.calls.telephony import TelephonyEvent
from shared.calendar import BusinessCalendar
from shared.clock import Clock
from shared.group_commit import GroupCommit
from shared.organisation import Organisation
from shared.phones import e164, parse_phone
from shared.problems import DomainError, InvalidInput
from shared.validation import window


class Centre(Protocol):
    """What ingestion needs of the `CallCentre` it works for (named here so that this module does not import it)."""

    @property
    def clock(self) -> Clock: ...
    @property
    def region(self) -> str: ...
    @property
    def organisation(self) -> Organisation: ...
    @property
    def calendar(self) -> BusinessCalendar: ...
    @property
    def member_lookup(self) -> Callable[[str], str | None]: ...
    @property
    def member_lookup_many(self) -> Callable[[Sequence[str]], dict[str, str]] | None: ...
    @property
    def mr_followup_deadline(self) -> timedelta: ...
    @property
    def repository(self) -> Any: ...
    def find_aggregates(self, aggregate_ids: list[uuid.UUID], kind: type[Call]) -> dict[uuid.UUID, Call]: ...
    def save(self, *objs: Any, **kwargs: Any) -> Any: ...
    def _expert_of(self, extension: str | None) -> str | None: ...
    def _expert_who_missed(self, call: Call) -> str | None: ...
    def _callback_due(self, at: datetime) -> datetime: ...


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


def working_copy(call: Call) -> Call:
    """A copy of the call that one PBX event may change and then be thrown away if refused halfway: its attributes
    and their lists, sets and dicts copied one level deep. Enough, because the call's events only replace values or
    add entries to those containers (a callback is a new dict), and the pending events themselves are immutable.
    A deepcopy of the same call, its pending events and their datetimes took half the time of a batch."""
    new = copy.copy(call)
    for name, value in vars(call).items():
        if isinstance(value, list | set | dict):
            setattr(new, name, copy.copy(value))
    return new


class TelephonyIngest:
    """What PBX events do to the calls of one `CallCentre` (its `ingest` and `ingest_batch`)."""

    def __init__(self, centre: Centre):
        self.centre = centre
        # Concurrent requests' batches stored in one transaction (shared/group_commit.py).
        self.group: GroupCommit[TelephonyEvent, IngestResult] = GroupCommit(self._ingest_batch_retrying)
        # Callers' member ids looked up for the round of the group commit being stored (`_prefetch_members`).
        self._members: dict[str, str | None] = {}

    # -- telephony ---------------------------------------------------------------------------------------------
    def ingest(self, ev: TelephonyEvent) -> IngestResult:
        """Apply one PBX event; the same event applied twice changes nothing the second time.

        The call is taken as this process last saved it, without asking the store for newer events (a read per
        event, a tenth of its time): a save on a version another process has moved past fails on the store's
        (call, version) key, and the event is then applied again to the call as stored. An event that changes
        nothing on the remembered call is decided again on the stored one, since its newer events may change that.
        """
        for attempt in range(3):
            try:
                return self._ingest_once(ev, remembered=attempt == 0)
            except IntegrityError:
                if attempt == 2:
                    raise
        raise AssertionError("unreachable")

    def ingest_batch(self, events: Sequence[TelephonyEvent]) -> list[IngestResult]:
        """Apply PBX events in order, each exactly as `ingest` would, and store what they did in one transaction.

        One commit per batch instead of one per event: the webhook's batches were bound by commits (each a disk
        flush, one at a time under the store's writer lock), not by the work (bench/end_to_end.py). Batches handed
        in by concurrent requests while a transaction is written go together into the next one (group commit).
        A concurrent writer to one of the batch's calls makes the save fail as a whole; the batch is then redone
        from the store.
        """
        return self.group.submit(events)

    def _prefetch_members(self, events: Sequence[TelephonyEvent]) -> list[str]:
        """Look the callers' numbers of a whole round of the group commit up in the member database in one query.

        One lookup per new call, one after the other, took half of a round's time on PostgreSQL; one query per
        request, made by each request's thread before joining the group, had forty threads share a pool of a few
        connections (opened and closed again past its size) while the round waited for them (py-spy of the calls
        service at 200 single events/s: two thirds of its busy samples). Kept for this round only, so a member
        added later is found."""
        many = self.centre.member_lookup_many
        if many is None:
            return []
        region = self.centre.region
        numbers = list(
            dict.fromkeys(n for ev in events if ev.caller and (n := normalise_number(ev.caller, region)) is not None)
        )
        if not numbers:
            return []
        found = many(numbers)
        for number in numbers:
            self._members[number] = found.get(number)
        return numbers

    def _member_of(self, number: str) -> str | None:
        try:
            return self._members[number]
        except KeyError:
            return self.centre.member_lookup(number)

    def _ingest_batch_retrying(self, events: Sequence[TelephonyEvent]) -> list[IngestResult]:
        numbers = self._prefetch_members(events)
        try:
            for attempt in range(3):
                try:
                    return self._ingest_batch_once(events)
                except IntegrityError:
                    if attempt == 2:
                        raise
            raise AssertionError("unreachable")
        finally:
            for number in numbers:
                self._members.pop(number, None)

    def _load(self, call_id: uuid.UUID) -> Call | None:
        """The call as stored, as a copy the caller may change."""
        try:
            return working_copy(self.centre.repository.get(call_id, deepcopy_from_cache=False))
        except AggregateNotFoundError:
            return None

    def _ingest_batch_once(self, events: Sequence[TelephonyEvent]) -> list[IngestResult]:
        working: dict[uuid.UUID, Call | None] = {}  # each call as the events so far left it (pending events unsaved)
        results: list[IngestResult | None] = [None] * len(events)
        # Every call of the round read in one query: one query per call (each a round trip on PostgreSQL, where
        # the aggregate cache's check for newer events is one too) kept the round's leader, and so every request
        # waiting in the group, waiting on them one after the other.
        stored = self.centre.find_aggregates(list(dict.fromkeys(call_id_for_pbx(ev.call_id) for ev in events)), Call)

        def load(call_id: uuid.UUID) -> Call | None:
            found = stored.get(call_id)
            return None if found is None else working_copy(found)

        # In the order of the PBX's own timestamps (a stable sort keeps same-time events as sent): a batch that
        # arrives shuffled still tells each call's story in the order it happened.
        for position in sorted(range(len(events)), key=lambda i: events[i].at):
            ev = events[position]
            call_id = call_id_for_pbx(ev.call_id)
            loaded = call_id not in working
            if loaded:
                call = load(call_id)
            else:
                # A copy: an event refused halfway through its changes must leave no trace on the call.
                previous = working[call_id]
                call = None if previous is None else working_copy(previous)
            result, changed = self._step(call_id, call, ev)
            if changed is not None:
                working[call_id] = changed
            elif loaded:
                working[call_id] = load(call_id) if result.status == "rejected" else call
            results[position] = result
        changed_calls = [c for c in working.values() if c is not None and c.pending_events]
        if changed_calls:
            self.centre.save(*changed_calls)
        return [r for r in results if r is not None]

    def _ingest_once(self, ev: TelephonyEvent, *, remembered: bool = False) -> IngestResult:
        call_id = call_id_for_pbx(ev.call_id)
        known = self._remembered(call_id) if remembered else None
        result, changed = self._step(call_id, working_copy(known) if known is not None else self._load(call_id), ev)
        if changed is None or not changed.pending_events:  # nothing to store (ignored, held already, duplicate...)
            return self._ingest_once(ev) if known is not None else result
        self.centre.save(changed)  # kept in the aggregate cache as saved (CrmApplication._record)
        return result

    def _remembered(self, call_id: uuid.UUID) -> Call | None:
        """The call as this process last saved or read it (the repository's cache), or None."""
        cache = self.centre.repository.cache
        if cache is None:
            return None
        try:
            found = cache.get(call_id)
        except KeyError:
            return None
        return found if isinstance(found, Call) else None

    def _step(self, call_id: uuid.UUID, call: Call | None, ev: TelephonyEvent) -> tuple[IngestResult, Call | None]:
        """What one PBX event does to the call (None: not tracked yet): the result, and the call to save if any."""
        if (reason := window.problem(ev.at, self.centre.clock())) is not None:
            # Refused per event: one PBX clock gone wrong must not fail the rest of a batch or a replayed log.
            return IngestResult(ev.event_id, str(call_id), "rejected", f"at: {reason}", invalid=True), None
        if call is not None and call.has_seen(ev.event_id):
            return IngestResult(ev.event_id, str(call_id), "duplicate"), None
        if call is None and ev.kind in ("completed", "transferred"):
            # A hang-up or transfer of a call never seen ringing or queued is an internal or outgoing leg.
            return IngestResult(ev.event_id, str(call_id), "ignored", "no such call is being tracked"), None
        try:
            if call is None:
                number = normalise_number(ev.caller, self.centre.region)
                call = Call(
                    direction=Direction(ev.direction),
                    at=ev.at,
                    caller_raw=ev.caller,
                    caller=number,
                    callee=ev.callee,
                    member_id=self._member_of(party)
                    if (party := other_party(ev.direction, number, ev.callee, self.centre.region))
                    else None,
                    pbx_call_id=ev.call_id,
                    purpose=Purpose(ev.purpose) if ev.purpose else None,
                    placed_by=self.centre._expert_of(ev.agent) if ev.direction == "outgoing" else None,
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
        org = self.centre.organisation
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
            call.expert_missed(self.centre._expert_of(ev.agent) or "unknown", ev.at, pbx_event_id=ev.event_id)
            return "applied"
        if kind == "answered":
            call.answer(self.centre._expert_of(ev.agent), ev.at, pbx_event_id=ev.event_id)
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
                    self.centre._expert_of(ev.target) or "unknown",
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
                    due=self.centre.calendar.add_working_time(ev.at, self.centre.mr_followup_deadline), at=ev.at
                )
            return "applied"
        raise InvalidInput(f"unknown telephony event kind {kind!r}")

    def _register_automatically(self, call: Call, ev: TelephonyEvent) -> None:
        unit = call.unit or self.centre.organisation.member_relations_unit
        call.register_unanswered(
            unit=unit,
            expert=self.centre._expert_who_missed(call),
            contact_phone=None,
            contact_name=None,
            subject=None,
            by=None,
            at=ev.at,
            callback_due=self.centre._callback_due(ev.at),
            automatic=True,
            pbx_event_id=ev.event_id,
        )
