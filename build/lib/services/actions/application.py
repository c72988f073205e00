"""ActionRegister: the corrective actions' commands and queries over their event store (SY-PR-05-00-02)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, ClassVar

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from services.actions.contract import CONTRACT
from services.actions.domain import (
    ACTIVE_STATES,
    FORM,
    CorrectiveAction,
    State,
    action_id,
    end_of_day,
    working_days_after,
)
from shared.calendar import BusinessCalendar
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.organisation import Organisation
from shared.problems import DomainError, InvalidInput, NotFound
from shared.settings import Settings

log = logging.getLogger(__name__)

Lister = Callable[[], Iterable[uuid.UUID]]


class ActionNotFound(NotFound):
    pass


class AlreadyOpened(DomainError):
    """An action was opened for this source reference already (409 for staff; the internal door returns it)."""


@dataclass(frozen=True)
class ActionSettings:
    """How long things may take, in working days of the chamber's calendar (set as CRM_ACTIONS__<NAME>)."""

    due_working_days: int = 10  # from assignment (or reopening) to the due date
    effectiveness_delay_working_days: int = 20  # from done to the effectiveness check
    deadline_check_seconds: float = 60  # how often the running service records passed deadlines

    @classmethod
    def from_settings(cls, settings: Settings, **overrides: Any) -> ActionSettings:
        """The delays set in the CRM settings (`settings.actions`, env CRM_ACTIONS__<NAME>), with `overrides`."""
        configured = settings.actions
        values = {name: getattr(configured, name) for name in cls.__dataclass_fields__}
        values.update(overrides)
        config = cls(**values)
        if config.due_working_days < 1 or config.effectiveness_delay_working_days < 1:
            raise ValueError("corrective actions: due and effectiveness delays are at least one working day")
        return config


EVENT_TITLES = {
    "Opened": "Opened",
    "Assigned": "Assigned",
    "ProgressNoted": "Progress noted",
    "Done": "Done",
    "ConfirmedEffective": "Confirmed effective, closed",
    "FoundNotEffective": "Found not effective, reopened",
    "Cancelled": "Cancelled",
    "BecameOverdue": "Due date passed",
    "EffectivenessCheckDue": "Effectiveness check due",
}


def action_record(action: CorrectiveAction, now: datetime) -> dict[str, Any]:
    """The plain view of an action that the API returns and the index stores."""
    return {
        "id": str(action.id),
        "version": action.version,
        "form": FORM,
        "source_kind": action.source_kind,
        "source_ref": action.source_ref,
        "title": action.title,
        "description": action.description,
        "unit": action.unit,
        "owner": action.owner,
        "state": action.state,
        "round": action.round,
        "due_on": action.due_on,
        "due_at": action.due_at,
        "overdue": action.is_overdue(now),
        "notes": [dict(n) for n in action.notes],
        "what_was_done": action.what_was_done,
        "done_at": action.done_at,
        "done_by": action.done_by,
        "check_due_at": action.check_due_at,
        "check_due": action.is_check_due(now),
        "failed_checks": [dict(f) for f in action.failed_checks],
        "closed_at": action.closed_at,
        "cancel_reason": action.cancel_reason,
        "opened_by": action.opened_by,
        "opened_at": action.opened_at,
        "updated_at": action.updated_at,
    }


class ActionRegister(CrmApplication):
    service: ClassVar[str] = "actions"
    contract: ClassVar[EventContract] = CONTRACT

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        calendar: BusinessCalendar,
        organisation: Organisation | None = None,
        clock: Clock = system_clock,
        config: ActionSettings | None = None,
        lister: Lister | None = None,
    ):
        super().__init__(env)
        self.calendar = calendar
        self.organisation = organisation
        self.clock = clock
        self.config = config or ActionSettings()
        # Which actions may still pass a deadline: the index in a running service, a scan of the store otherwise.
        self.lister: Lister = lister or self._scan_active

    # -- queries -----------------------------------------------------------------------------------------------
    def find_action(self, action: uuid.UUID | str) -> CorrectiveAction | None:
        return self.find_aggregate(action, CorrectiveAction)

    def get_action(self, action: uuid.UUID | str) -> CorrectiveAction:
        return self.get_aggregate(action, CorrectiveAction, ActionNotFound, f"no corrective action with id {action}")

    def record(self, action: uuid.UUID | str) -> dict[str, Any]:
        return action_record(self.get_action(action), self.clock())

    def history(self, action: uuid.UUID | str) -> list[dict[str, Any]]:
        """Every event of the action, oldest first: what happened, who did it, when."""
        found = self.get_action(action)
        out = []
        for e in self.repository.event_store.get(found.id):
            name = type(e).__name__
            data = {
                k: v
                for k, v in e.__dict__.items()
                if k not in ("timestamp", "originator_id", "originator_version", "originator_topic", "by", "at")
            }
            out.append(
                {
                    "type": self.contract.wire_type_of(type(e)),
                    "title": EVENT_TITLES.get(name, name),
                    "version": e.originator_version,
                    "by": getattr(e, "by", None),
                    "at": getattr(e, "at", None) or getattr(e, "timestamp", None),
                    "data": data,
                }
            )
        return out

    # -- commands ----------------------------------------------------------------------------------------------
    def _check_unit(self, unit: str | None) -> None:
        if unit and self.organisation is not None and not self.organisation.has_unit(unit):
            raise InvalidInput(f"unit {unit!r} is not a unit of the chamber")

    def _due(self, now: datetime, due_on: date | None, due_working_days: int | None) -> tuple[date, datetime]:
        if due_on is not None and due_working_days is not None:
            raise InvalidInput("give either a due date or a number of working days, not both")
        if due_on is not None:
            return due_on, end_of_day(self.calendar, due_on)
        return working_days_after(self.calendar, now, due_working_days or self.config.due_working_days)

    def open_action(
        self,
        *,
        source_kind: str,
        source_ref: str,
        title: str,
        description: str | None = None,
        unit: str | None = None,
        owner: str | None = None,
        due_on: date | None = None,
        due_working_days: int | None = None,
        by: str | None = None,
    ) -> tuple[uuid.UUID, bool]:
        """Open the action for its source, assigned at once when the owner is known; idempotent by the source
        reference: (id, True) when opened now, (id of the one already there, False) otherwise."""
        now = self.clock()
        self._check_unit(unit)
        action = CorrectiveAction.open(
            source_kind=source_kind,
            source_ref=source_ref,
            title=title,
            description=description,
            unit=unit,
            by=by,
            at=now,
        )
        if self.find_action(action.id) is not None:
            return action.id, False
        if owner is not None:
            day, end = self._due(now, due_on, due_working_days)
            action.assign(owner=owner, unit=unit, due_on=day, due_at=end, by=by, at=now)
        elif due_on is not None or due_working_days is not None:
            raise InvalidInput("a due date needs an owner: assign the action to set one")
        try:
            self.save(action)
        except IntegrityError:  # opened meanwhile by another request with the same source reference
            return action.id, False
        return action.id, True

    def _command(self, action: uuid.UUID | str, step: Callable[[CorrectiveAction, datetime], Any]) -> Any:
        found = self.get_action(action)
        result = step(found, self.clock())
        try:
            self.save(found)
        except IntegrityError:
            raise DomainError("the action changed meanwhile; reload it and try again") from None
        return result

    def assign_action(
        self,
        action: uuid.UUID | str,
        *,
        owner: str,
        unit: str | None = None,
        due_on: date | None = None,
        due_working_days: int | None = None,
        by: str | None = None,
    ) -> None:
        self._check_unit(unit)

        def step(a: CorrectiveAction, now: datetime) -> None:
            day, end = self._due(now, due_on, due_working_days)
            a.assign(owner=owner, unit=unit, due_on=day, due_at=end, by=by, at=now)

        self._command(action, step)

    def note_progress(self, action: uuid.UUID | str, note: str, *, by: str | None = None) -> None:
        self._command(action, lambda a, now: a.note_progress(note, by=by, at=now))

    def complete_action(self, action: uuid.UUID | str, what_was_done: str, *, by: str | None = None) -> None:
        def step(a: CorrectiveAction, now: datetime) -> None:
            _, check = working_days_after(self.calendar, now, self.config.effectiveness_delay_working_days)
            a.complete(what_was_done, check_due_at=check, by=by, at=now)

        self._command(action, step)

    def confirm_effective(self, action: uuid.UUID | str, note: str | None = None, *, by: str | None = None) -> None:
        self._command(action, lambda a, now: a.confirm_effective(note, by=by, at=now))

    def reopen_action(self, action: uuid.UUID | str, reason: str, *, by: str | None = None) -> None:
        def step(a: CorrectiveAction, now: datetime) -> None:
            day, end = working_days_after(self.calendar, now, self.config.due_working_days)
            a.reopen(reason, due_on=day, due_at=end, by=by, at=now)

        self._command(action, step)

    def cancel_action(self, action: uuid.UUID | str, reason: str, *, by: str | None = None) -> None:
        self._command(action, lambda a, now: a.cancel(reason, by=by, at=now))

    # -- deadlines ---------------------------------------------------------------------------------------------
    def record_deadlines(self, now: datetime | None = None) -> list[tuple[uuid.UUID, str]]:
        """Record every due date passed and effectiveness check fallen due, not yet recorded; running it again
        records nothing new."""
        now = now or self.clock()
        recorded: list[tuple[uuid.UUID, str]] = []
        for aid in list(self.lister()):
            for attempt in range(3):
                action = self.find_action(aid)
                if action is None:
                    break
                kinds = action.record_deadlines(now)
                if not kinds:
                    break
                try:
                    self.save(action)
                except IntegrityError:
                    if attempt == 2:
                        log.warning("deadlines of a corrective action could not be recorded: it kept changing")
                    continue  # changed meanwhile (a step, another checker): look again
                recorded.extend((action.id, k) for k in kinds)
                break
        return recorded

    def _scan_active(self) -> list[uuid.UUID]:
        """Every action not closed or cancelled, read from the store itself (no index): for tests and scripts."""
        topic = get_topic(CorrectiveAction.Opened)  # type: ignore[attr-defined]  # made by @event
        found: list[uuid.UUID] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            for n in batch:
                action = self.find_action(n.originator_id)
                if action is not None and action.state in ACTIVE_STATES:
                    found.append(action.id)
            start = batch[-1].id


__all__ = [
    "ActionNotFound",
    "ActionRegister",
    "ActionSettings",
    "AlreadyOpened",
    "State",
    "action_id",
    "action_record",
]
