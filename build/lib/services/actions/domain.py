"""Corrective actions (procedure SY-PR-05-00-02): the chamber's one loop for fixing a problem and preventing it from
coming back, whatever revealed it (a complaint's committee, repeated non-answer of a unit, a survey result, a
service desk, a specialised session, the risk register).

opened → assigned (an owner in a unit, due N working days later) → progress notes → done (what was done) →
effectiveness check, due a configurable number of working days after done → confirmed effective (closed) or found
not effective (back in progress, with the reason and a new due date). The SG may cancel an action, with a reason,
until it is closed. The deadline checker records an action passing its due date while not done, and an
effectiveness check falling due, each once.

Event data holds only JSON-native values (str, int, list, dict, datetime, None): consumers read it as JSON from
Kafka (crm.actions.events.v1), never through these classes. Rules are checked in the public methods; the @event
bodies only set state, so replaying the history never refuses.
"""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from eventsourcing.domain import Aggregate, event

from shared.calendar import BusinessCalendar
from shared.errors import DomainError, InvalidInput

ACTION_NAMESPACE = uuid.UUID("5c2f7e1a-93d4-4b8e-a0f6-2d7c41b9e853")
FORM = "SY-PR-05-00-02"
MAX_TITLE = 300
MAX_TEXT = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class SourceKind(StrEnum):
    COMPLAINT = "complaint"  # the complaint committee's decision
    NON_ANSWER = "non_answer"  # a unit repeatedly failing to answer calls, escalated to the SG
    SURVEY = "survey"  # a survey result below the threshold
    DESK = "desk"  # a service desk's problem form
    SESSION = "session"  # a specialised session's decisions
    RISK = "risk"  # the risk register


class State(StrEnum):
    OPENED = "opened"  # nobody owns it yet
    IN_PROGRESS = "in_progress"  # assigned, or reopened after a failed effectiveness check
    DONE = "done"  # the owner has done it; the effectiveness check is pending
    CLOSED = "closed"  # confirmed effective
    CANCELLED = "cancelled"


ACTIVE_STATES = (State.OPENED, State.IN_PROGRESS, State.DONE)


class TransitionRefused(DomainError):
    """The action's state does not allow this step (409)."""


def action_id(source_ref: str) -> uuid.UUID:
    """The same source reference always names the same action: a service that retries opening it, or two
    replicas that both see the same escalation, find the action already there instead of opening a second one."""
    return uuid.uuid5(ACTION_NAMESPACE, f"action:{source_ref}")


def clean_text(value: Any) -> str | None:
    """Text as typed, without control characters; None when nothing is left."""
    if value is None:
        return None
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n")).strip()
    return text or None


def required_text(value: Any, what: str, limit: int = MAX_TEXT) -> str:
    text = clean_text(value)
    if not text:
        raise InvalidInput(f"give {what}")
    if len(text) > limit:
        raise InvalidInput(f"{what} is longer than {limit} characters")
    return text


def working_days_after(calendar: BusinessCalendar, start: datetime, days: int) -> tuple[date, datetime]:
    """The working day `days` working days after the local date of `start`, and the instant it ends (UTC): a due
    date in the procedure's sense is "by the end of that working day"."""
    if days < 1:
        raise InvalidInput("a due date is at least one working day ahead")
    d = calendar.working_day_of(start)
    for _ in range(days):
        d = calendar.next_working_day(d)
    end = calendar.end_of_working_day(d)
    if end is None:  # next_working_day only returns working days
        raise ValueError(f"{d.isoformat()} has no working hours")
    return d, end


def end_of_day(calendar: BusinessCalendar, day: date) -> datetime:
    """A due date given as a date: the end of that working day; a closed day is refused, since nobody could do
    the work on it."""
    end = calendar.end_of_working_day(day)
    if end is None:
        raise InvalidInput(f"{day.isoformat()} is not a working day of the chamber")
    return end


class CorrectiveAction(Aggregate):
    @event("Opened")
    def __init__(
        self,
        *,
        source_kind: str,
        source_ref: str,
        title: str,
        description: str | None,
        unit: str | None,
        by: str | None,
        at: datetime,
    ):
        self.source_kind = source_kind
        self.source_ref = source_ref
        self.title = title
        self.description = description
        self.unit = unit
        self.opened_by = by
        self.opened_at = at
        self.state = State.OPENED.value
        self.owner: str | None = None
        self.due_on: str | None = None
        self.due_at: datetime | None = None
        self.round = 1  # one more each time the effectiveness check fails
        self.notes: list[dict[str, Any]] = []
        self.done_at: datetime | None = None
        self.done_by: str | None = None
        self.what_was_done: str | None = None
        self.check_due_at: datetime | None = None
        self.closed_at: datetime | None = None
        self.failed_checks: list[dict[str, Any]] = []
        self.overdue_recorded: list[str] = []  # ISO due instants already recorded as passed
        self.checks_due_recorded: list[str] = []  # ISO check instants already recorded as due
        self.cancel_reason: str | None = None
        self.updated_at = at

    @classmethod
    def create_id(cls, *, source_ref: str, **_: object) -> uuid.UUID:
        return action_id(source_ref)

    @classmethod
    def open(
        cls,
        *,
        source_kind: str,
        source_ref: str,
        title: str,
        description: str | None = None,
        unit: str | None = None,
        by: str | None,
        at: datetime,
    ) -> CorrectiveAction:
        try:
            kind = SourceKind(source_kind)
        except ValueError:
            kinds = ", ".join(k.value for k in SourceKind)
            raise InvalidInput(f"source kind {source_kind!r} is not one of {kinds}") from None
        return cls(
            source_kind=kind.value,
            source_ref=required_text(source_ref, "the source reference", 200),
            title=required_text(title, "the action's title", MAX_TITLE),
            description=clean_text(description),
            unit=clean_text(unit),
            by=by,
            at=at,
        )

    # -- views -------------------------------------------------------------------------------------------------
    def is_overdue(self, now: datetime) -> bool:
        return self.state == State.IN_PROGRESS and self.due_at is not None and now > self.due_at

    def is_check_due(self, now: datetime) -> bool:
        return self.state == State.DONE and self.check_due_at is not None and now >= self.check_due_at

    def _require(self, states: tuple[State, ...], doing: str) -> None:
        if self.state not in states:
            allowed = " or ".join(s.value.replace("_", " ") for s in states)
            raise TransitionRefused(
                f"cannot {doing}: the action is {self.state.replace('_', ' ')}, and this needs it {allowed}"
            )

    # -- commands ----------------------------------------------------------------------------------------------
    def assign(
        self, *, owner: str, unit: str | None, due_on: date, due_at: datetime, by: str | None, at: datetime
    ) -> None:
        """Give the action an owner in a unit and a due date; assigning again hands it over or moves the date."""
        self._require((State.OPENED, State.IN_PROGRESS), "assign the action")
        owner = required_text(owner, "the owner (a user name)", 200)
        unit = clean_text(unit) or self.unit
        if not unit:
            raise InvalidInput("give the unit that owns the action")
        if due_at <= at:
            raise InvalidInput(f"the due date {due_on.isoformat()} has already passed")
        self._assigned(owner=owner, unit=unit, due_on=due_on.isoformat(), due_at=due_at, by=by, at=at)

    @event("Assigned")
    def _assigned(self, owner: str, unit: str, due_on: str, due_at: datetime, by: str | None, at: datetime) -> None:
        self.owner = owner
        self.unit = unit
        self.due_on = due_on
        self.due_at = due_at
        self.state = State.IN_PROGRESS.value
        self.updated_at = at

    def note_progress(self, note: str, *, by: str | None, at: datetime) -> None:
        self._require((State.IN_PROGRESS,), "note progress")
        self._progress_noted(note=required_text(note, "the progress note"), by=by, at=at)

    @event("ProgressNoted")
    def _progress_noted(self, note: str, by: str | None, at: datetime) -> None:
        self.notes.append({"note": note, "by": by, "at": at, "round": self.round})
        self.updated_at = at

    def complete(self, what_was_done: str, *, check_due_at: datetime, by: str | None, at: datetime) -> None:
        self._require((State.IN_PROGRESS,), "mark the action done")
        what = required_text(what_was_done, "what was done")
        if check_due_at <= at:
            raise InvalidInput("the effectiveness check must fall after the action is done")
        self._done(what_was_done=what, check_due_at=check_due_at, by=by, at=at)

    @event("Done")
    def _done(self, what_was_done: str, check_due_at: datetime, by: str | None, at: datetime) -> None:
        self.state = State.DONE.value
        self.what_was_done = what_was_done
        self.done_at = at
        self.done_by = by
        self.check_due_at = check_due_at
        self.updated_at = at

    def confirm_effective(self, note: str | None, *, by: str | None, at: datetime) -> None:
        """Closing needs the check to be due: an effect shows only after some time has passed (the delay)."""
        self._require((State.DONE,), "confirm the action effective")
        if self.check_due_at is not None and at < self.check_due_at:
            raise TransitionRefused(
                f"the effectiveness check is due from {self.check_due_at.isoformat()}; it cannot be confirmed earlier"
            )
        self._confirmed_effective(note=clean_text(note), by=by, at=at)

    @event("ConfirmedEffective")
    def _confirmed_effective(self, note: str | None, by: str | None, at: datetime) -> None:
        self.state = State.CLOSED.value
        self.closed_at = at
        self.updated_at = at

    def reopen(self, reason: str, *, due_on: date, due_at: datetime, by: str | None, at: datetime) -> None:
        """The check failed: the problem is still there. Found early is found all the same, so this needs no
        waiting for the check's date."""
        self._require((State.DONE,), "find the action not effective")
        reason = required_text(reason, "the reason the action was not effective")
        self._found_not_effective(
            reason=reason, round=self.round + 1, due_on=due_on.isoformat(), due_at=due_at, by=by, at=at
        )

    @event("FoundNotEffective")
    def _found_not_effective(
        self,
        reason: str,
        round: int,
        due_on: str,
        due_at: datetime,
        by: str | None,
        at: datetime,
    ) -> None:
        self.failed_checks.append({"reason": reason, "by": by, "at": at, "round": self.round})
        self.round = round
        self.state = State.IN_PROGRESS.value
        self.due_on = due_on
        self.due_at = due_at
        self.done_at = None
        self.done_by = None
        self.what_was_done = None
        self.check_due_at = None
        self.updated_at = at

    def cancel(self, reason: str, *, by: str | None, at: datetime) -> None:
        self._require(ACTIVE_STATES, "cancel the action")
        self._cancelled(reason=required_text(reason, "the reason for cancelling"), by=by, at=at)

    @event("Cancelled")
    def _cancelled(self, reason: str, by: str | None, at: datetime) -> None:
        self.state = State.CANCELLED.value
        self.cancel_reason = reason
        self.updated_at = at

    # -- deadlines ---------------------------------------------------------------------------------------------
    def record_deadlines(self, now: datetime) -> list[str]:
        """Record the due date passing while not done, and the effectiveness check falling due; each once per
        date, so checking again (or from several replicas) records nothing new. Returns what was recorded."""
        recorded = []
        if (
            self.is_overdue(now)
            and self.due_at is not None
            and self.due_on is not None
            and self.due_at.isoformat() not in self.overdue_recorded
        ):
            self._became_overdue(
                due_on=self.due_on, due_at=self.due_at, owner=self.owner, unit=self.unit, round=self.round, at=now
            )
            recorded.append("overdue")
        if (
            self.is_check_due(now)
            and self.check_due_at is not None
            and self.check_due_at.isoformat() not in self.checks_due_recorded
        ):
            self._effectiveness_check_due(check_due_at=self.check_due_at, unit=self.unit, round=self.round, at=now)
            recorded.append("effectiveness_check_due")
        return recorded

    @event("BecameOverdue")
    def _became_overdue(
        self,
        due_on: str,
        due_at: datetime,
        owner: str | None,
        unit: str | None,
        round: int,
        at: datetime,
    ) -> None:
        self.overdue_recorded.append(due_at.isoformat())

    @event("EffectivenessCheckDue")
    def _effectiveness_check_due(
        self,
        check_due_at: datetime,
        unit: str | None,
        round: int,
        at: datetime,
    ) -> None:
        self.checks_due_recorded.append(check_due_at.isoformat())
