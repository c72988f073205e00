"""CallCentre: the calls service's commands and queries over its event store."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

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
)
from services.calls.erasure import CallerErasure, erasure_id
from services.calls.ingest import IngestResult, TelephonyIngest, normalise_number, working_copy
from services.calls.privacy import CALL_FIELDS, call_sealer, other_party
from services.calls.telephony import TelephonyEvent
from shared.calendar import BusinessCalendar
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.group_commit import GroupCommit
from shared.organisation import Organisation
from shared.privacy import KeyStore, Sealer
from shared.privacy_subjects import CallerNames, caller_names
from shared.problems import DomainError, InvalidInput, NotFound

__all__ = ["CallCentre", "CallNotFound", "IngestResult", "call_summary", "normalise_number"]

log = logging.getLogger(__name__)


class CallNotFound(NotFound):
    pass


class CallCentre(CrmApplication):
    service: ClassVar[str] = "calls"
    contract: ClassVar[EventContract] = CONTRACT
    # The calls being worked on, kept between PBX events (each call gets ~5 in a few minutes) instead of being
    # rebuilt from the store for every one: an event then costs one small read (the newer events of the call, by
    # another process) and the insert. Several replicas stay correct: the cached call is brought up to date from
    # the store before use, and a save on a stale version fails as before.
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "5000"}
    # The caller's number, what was taken down about them and the notes: sealed with the caller's key
    # (services/calls/privacy.py).
    personal_fields: ClassVar[dict[str, frozenset[str]]] = {"Call": CALL_FIELDS}

    def construct_sealer(self, keys: KeyStore) -> Sealer:
        self.callers = caller_names(keys)  # how callers' keys are named: keyed with the key store's secret
        return call_sealer(keys, self.personal_fields, self)

    callers: CallerNames

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
        # The same lookup for many numbers in one query (the webhook looks a request's callers up together).
        self.member_lookup_many: Callable[[Sequence[str]], dict[str, str]] | None = None
        self.telephony = TelephonyIngest(self)
        # Staff commands handed in by concurrent requests while one is being committed are stored together in the
        # next transaction (shared/group_commit.py): one commit, and so one disk flush, for many commands. A command
        # whose call changed meanwhile fails that shared transaction; each command is then stored on its own, so
        # the 409 falls on that command alone, as when each committed by itself.
        self._commands: GroupCommit[Any, None] = GroupCommit(self._store_events)
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
        """The call as a private copy a command may change: the cached call's containers copied one level deep
        (`working_copy`, as the ingest does), not a deepcopy of its whole course (every callback, every event id
        seen), which grew with each callback and was a sixth of a staff command's CPU."""
        return working_copy(
            self.get_aggregate(call_id, Call, CallNotFound, f"no call with id {call_id}", deepcopy=False)
        )

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
            member_id=self.member_lookup(party)
            if (party := other_party(direction, number, callee, self.region))
            else None,
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

    def _command(self, call_id: uuid.UUID, action: Callable[[Call], None], loaded: Call | None = None) -> Call:
        """`loaded`: the call as the request already loaded it (for its access rule), a private copy; a newer
        version saved meanwhile makes the save a 409 as if it had been loaded here."""
        call = loaded if loaded is not None else self.get_call(call_id)
        action(call)
        events = call.collect_events()
        if events:
            try:
                self._commands.submit(events)
            except IntegrityError:
                raise DomainError("the call changed meanwhile; reload it and try again") from None
        return call

    def _store_events(self, events: list[Any]) -> list[None]:
        """One transaction for the events of every command in the round. The events, not the calls, are handed
        over: a failed round leaves them as they were for each command's own transaction."""
        self.save(*events)
        return [None] * len(events)

    def route_call(self, call_id: uuid.UUID, unit: str, loaded: Call | None = None) -> Call:
        self._check_unit(unit)
        return self._command(call_id, lambda c: c.route(unit, self.clock()), loaded)

    def record_answer(self, call_id: uuid.UUID, expert: str) -> None:
        self._command(call_id, lambda c: c.answer(expert, self.clock()))

    def record_unit_not_answered(self, call_id: uuid.UUID, loaded: Call | None = None) -> Call:
        return self._command(call_id, lambda c: c.unit_did_not_answer(self.clock()), loaded)

    def transfer_to_member_relations(self, call_id: uuid.UUID, loaded: Call | None = None) -> Call:
        return self._command(call_id, lambda c: c.transfer_to_member_relations(self.clock()), loaded)

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
        loaded: Call | None = None,
    ) -> Call:
        """The call as saved with its callback (the caller answers with it instead of loading it again)."""
        if referred_to and referred_to != REFERRED_TO_COMPLAINT:
            self._check_unit(referred_to)
        return self._command(
            call_id,
            lambda c: c.record_callback(by=by, outcome=outcome, note=note, at=self.clock(), referred_to=referred_to),
            loaded,
        )

    def resolve_by_member_relations(self, call_id: uuid.UUID, *, by: str, note: str) -> None:
        self._command(call_id, lambda c: c.resolve_by_member_relations(by, note, self.clock()))

    # -- erasure (services/calls/erasure.py) ---------------------------------------------------------------------
    def erase_caller(self, number: str, reason: str, *, by: str | None) -> str:
        """Forget a caller who is not a known member: delete their key, then record the erasure (the key first,
        so that nothing reading the event still opens the data). Returns the subject erased."""
        e164 = normalise_number(number, self.region)
        if e164 is None:
            raise InvalidInput(f"{number!r} is not a phone number")
        if not (reason or "").strip():
            raise InvalidInput("the reason of the erasure is required")
        names = self.callers.names(e164)
        subject, legacy = names
        if any(self.find_aggregate(erasure_id(n), CallerErasure) is not None for n in names):
            raise DomainError(f"the caller {number} was already erased")
        assert self.sealer is not None  # the call centre seals personal data (personal_fields)
        self.sealer.keys.delete(subject)
        # A key made before callers' names were keyed: deleted too, but no tombstone is written under the unkeyed
        # name for a caller who never had one (it would tell anyone who hashes the number that they were erased).
        if self.sealer.keys.key(legacy, create=False) is not None:
            self.sealer.keys.delete(legacy)
        self.forget_cached_calls()
        self.save_or_conflict(
            CallerErasure(subject=subject, reason=reason.strip(), by=by, at=self.clock()), what="the erasure"
        )
        return subject

    def forget_cached_calls(self) -> None:
        """Calls kept in memory between PBX events hold their callers' data opened: after an erasure they are
        read again from the store, where the data now opens as [erased]."""
        cache = getattr(self.repository, "cache", None)
        if cache is not None:
            with cache.lock:
                cache.cache.clear()

    # -- telephony (services/calls/ingest.py) ---------------------------------------------------------------------
    def ingest(self, ev: TelephonyEvent) -> IngestResult:
        """Apply one PBX event; the same event applied twice changes nothing the second time."""
        return self.telephony.ingest(ev)

    def ingest_batch(self, events: Sequence[TelephonyEvent]) -> list[IngestResult]:
        """Apply PBX events in order, each exactly as `ingest` would, and store what they did in one transaction."""
        return self.telephony.ingest_batch(events)


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
