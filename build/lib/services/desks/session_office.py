"""The desk office's part for specialised sessions of trade groups: planning, invitations, problems raised and the
decisions taken, with their overdue check (docs/procedures.md)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from services.desks.sessions import Session
from services.desks.views import session_record
from shared.calendar import BusinessCalendar
from shared.clock import Clock
from shared.eventstore import CrmApplication
from shared.problems import DomainError, InvalidInput, NotFound

log = logging.getLogger(__name__)
T = TypeVar("T")


class SessionNotFound(NotFound):
    pass


class SessionOffice(CrmApplication):
    """Sessions live in the desks' store; the desk office (services/desks/application.py) sets the calendar, the clock
    and which sessions the overdue check visits, and says how the store's log is read and the chamber's language."""

    calendar: BusinessCalendar
    clock: Clock
    sessions_with_open_decisions: Callable[[], list[uuid.UUID]]

    def _ids_of(self, topic: str) -> list[uuid.UUID]:
        raise NotImplementedError

    def _today(self, now: datetime) -> date:
        raise NotImplementedError

    @property
    def language(self) -> str:
        raise NotImplementedError

    def find_session(self, session: uuid.UUID | str) -> Session | None:
        return self.find_aggregate(session, Session)

    def get_session(self, session: uuid.UUID | str) -> Session:
        return self.get_aggregate(session, Session, SessionNotFound, f"no specialised session with id {session}")

    def session_record(self, session: uuid.UUID | str) -> dict[str, Any]:
        return session_record(self.get_session(session), self.clock())

    def session_ids(self) -> list[uuid.UUID]:
        return self._ids_of(get_topic(Session.Planned))  # type: ignore[attr-defined]  # made by @event

    def sessions(self) -> list[Session]:
        found = (self.find_session(i) for i in self.session_ids())
        return sorted((s for s in found if s is not None), key=lambda s: s.starts_at)

    def _session_command(self, session: uuid.UUID | str, step: Callable[[Session, datetime], T]) -> T:
        found = self.get_session(session)
        result = step(found, self.clock())
        self.save_or_conflict(found, what="the session")
        return result

    def plan_session(
        self, *, trade_group: str, starts_at: datetime, place: str, topics: list[str], by: str | None
    ) -> uuid.UUID:
        if starts_at.tzinfo is None:
            raise InvalidInput("give the session's start with its time zone")
        session = Session.plan(
            trade_group=trade_group,
            starts_at=starts_at.astimezone(UTC),
            place=place,
            topics=topics,
            by=by,
            at=self.clock(),
        )
        if self.find_session(session.id) is not None:
            raise DomainError(f"a {trade_group} session starting at {starts_at.isoformat()} is planned already")
        self.save_or_conflict(session, what="the session")
        return session.id

    def select_invitees(
        self,
        session: uuid.UUID | str,
        *,
        selection_id: str,
        criteria: dict[str, list[str]],
        invitees: list[dict[str, Any]],
        by: str | None,
    ) -> None:
        self._session_command(
            session,
            lambda s, now: s.select_invitees(
                selection_id=selection_id, criteria=criteria, invitees=invitees, by=by, at=now
            ),
        )

    def approve_session_by_sg(self, session: uuid.UUID | str, *, note: str | None = None, by: str | None) -> None:
        self._session_command(session, lambda s, now: s.approve_by_sg(note=note, by=by, at=now))

    def ratify_session(self, session: uuid.UUID | str, *, note: str | None = None, by: str | None) -> None:
        self._session_command(session, lambda s, now: s.ratify(note=note, by=by, at=now))

    def record_invitations(self, session: uuid.UUID | str, *, on: date | None = None, by: str | None) -> None:
        self._session_command(
            session,
            lambda s, now: s.record_invitations(
                on=on or self._today(now), default_language=self.language, by=by, at=now
            ),
        )

    def record_session_attendance(self, session: uuid.UUID | str, *, attended: list[str], by: str | None) -> None:
        self._session_command(session, lambda s, now: s.record_attendance(attended=attended, by=by, at=now))

    def raise_session_problem(
        self,
        session: uuid.UUID | str,
        *,
        text: str,
        about_chamber_service: bool,
        service: str | None = None,
        unit: str | None = None,
        member_id: str | None = None,
        by: str | None,
    ) -> str:
        return self._session_command(
            session,
            lambda s, now: s.raise_problem(
                text=text,
                about_chamber_service=about_chamber_service,
                service=service,
                unit=unit,
                member_id=member_id,
                by=by,
                at=now,
            ),
        )

    def archive_session_minutes(self, session: uuid.UUID | str, *, summary: str, by: str | None) -> None:
        self._session_command(session, lambda s, now: s.archive_minutes(summary=summary, by=by, at=now))

    def take_session_decision(
        self, session: uuid.UUID | str, *, text: str, owner: str, due_on: date, by: str | None
    ) -> str:
        due_at = self.calendar.end_of_working_day(due_on)
        if due_at is None:
            raise InvalidInput(f"{due_on.isoformat()} is not a working day of the chamber")
        return self._session_command(
            session, lambda s, now: s.take_decision(text=text, owner=owner, due_on=due_on, due_at=due_at, by=by, at=now)
        )

    def complete_session_decision(self, session: uuid.UUID | str, number: str, *, note: str, by: str | None) -> None:
        self._session_command(session, lambda s, now: s.complete_decision(number, note=note, by=by, at=now))

    def record_overdue_decisions(self, now: datetime | None = None) -> list[tuple[uuid.UUID, str]]:
        """Record every session decision not done by its due date, once each."""
        now = now or self.clock()
        recorded: list[tuple[uuid.UUID, str]] = []
        for sid in self.sessions_with_open_decisions():
            for attempt in range(3):
                session = self.find_session(sid)
                if session is None:
                    break
                late = session.record_overdue_decisions(now)
                if not late:
                    break
                try:
                    self.save(session)
                except IntegrityError:
                    if attempt == 2:
                        log.warning("overdue decisions of a session could not be recorded: it kept changing")
                    continue
                recorded.extend((session.id, n) for n in late)
                break
        return recorded
