"""The office's steps with one member of a survey: contact attempts spaced by working days, answers by phone with
the services introduced, and dissatisfaction recorded as a complaint."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from eventsourcing.persistence import IntegrityError

from services.surveys.domain import (
    Contact,
    Stage,
    SurveyKind,
    contact_id,
    next_line_for,
    policy_for,
)
from services.surveys.store import MemberNotAsked, SurveyStore, SurveyView
from services.surveys.views import contact_record
from shared.problems import DomainError


class ContactSteps(SurveyStore):
    def next_attempt_at(self, at: datetime) -> datetime:
        """When the next attempt may be made: the opening of the working day `attempt_gap_working_days` working
        days after `at` (the next working day by default), so that a member is not called twice in one day."""
        gap = self.config.attempt_gap_working_days
        if gap == 0:
            return at
        day = self.calendar.working_day_of(at)
        for _ in range(gap):
            day = self.calendar.next_working_day(day)
        return self.calendar.working_intervals(day)[0][0].astimezone(UTC)

    def _running(self, sid: uuid.UUID | str, number: str, survey: SurveyView | None = None) -> SurveyView:
        s = survey if survey is not None else self.survey_view(sid)
        if s.stage != Stage.RUNNING:
            raise DomainError(f"the survey is {s.stage.replace('_', ' ')}: members are asked only while it runs")
        if number not in s.members:
            raise MemberNotAsked(f"member {number} is not on this survey's list")
        return s

    def find_contact(self, sid: uuid.UUID | str, number: str) -> Contact | None:
        return self.find_aggregate(contact_id(sid, number), Contact)

    def _contact(self, survey: SurveyView, number: str) -> Contact:
        return self.find_contact(survey.id, number) or Contact.open(
            survey_id=str(survey.id), kind=survey.kind, membership_number=number, at=self.clock()
        )

    def contact(self, sid: uuid.UUID | str, number: str) -> dict[str, Any]:
        """Where a member of the survey stands: attempts made and left, the line to use next, answers."""
        s = self.survey_view(sid)
        if number not in s.members:
            raise MemberNotAsked(f"member {number} is not on this survey's list")
        c = self.find_contact(s.id, number)
        if c is None:
            policy = policy_for(s.kind)
            return {
                "survey_id": str(s.id),
                "membership_number": number,
                "status": "pending",
                "attempts": [],
                "attempts_left": policy.allowed,
                "line_to_use": next_line_for(policy, {}),
                "next_attempt_at": None,
                "answers": None,
                "channel": None,
                "services_introduced": [],
                "responded_at": None,
                "complaint_ref": None,
            }
        return contact_record(c)

    def _save_contact(self, c: Contact) -> None:
        self.save_contact(c, what="the member's contact")

    def record_attempt(
        self, sid: uuid.UUID | str, number: str, *, line: str, outcome: str, by: str | None = None
    ) -> dict[str, Any]:
        s = self._running(sid, number)
        c = self._contact(s, number)
        now = self.clock()
        c.record_attempt(line=line, outcome=outcome, next_at=self.next_attempt_at(now), by=by, at=now)
        self._save_contact(c)
        return contact_record(c)

    def give_up(self, sid: uuid.UUID | str, number: str, *, by: str | None = None) -> dict[str, Any]:
        s = self._running(sid, number)
        c = self._contact(s, number)
        c.give_up(by=by, at=self.clock())
        self._save_contact(c)
        return contact_record(c)

    def record_response(
        self,
        sid: uuid.UUID | str,
        number: str,
        *,
        answers: dict[str, Any],
        channel: str = "phone",
        line: str | None = None,
        services_introduced: list[str] | None = None,
        dissatisfaction: str | None = None,
        by: str | None = None,
        known: tuple[SurveyView, Contact | None] | None = None,
    ) -> dict[str, Any]:
        """The member's answers; dissatisfaction voiced in the same call is recorded with them, as a complaint.
        `known`: the survey's view and the member's contact as the caller has just read them for this very request
        (`survey_and_contact`, for its access check), so that neither is read a second time."""
        if known is None:
            s = self._running(sid, number)
            c = self._contact(s, number)
        else:
            s = self._running(sid, number, known[0])
            c = known[1] or Contact.open(survey_id=str(s.id), kind=s.kind, membership_number=number, at=self.clock())
        self._answer(s, c, answers, channel, line, services_introduced, dissatisfaction, by, self.clock())
        self._save_contact(c)
        return contact_record(c)

    def _answer(
        self,
        s: SurveyView,
        c: Contact,
        answers: dict[str, Any],
        channel: str,
        line: str | None,
        services_introduced: list[str] | None,
        dissatisfaction: str | None,
        by: str | None,
        now: datetime,
    ) -> None:
        c.respond(
            questions=list(s.questions),
            answers=answers,
            channel=channel,
            line=line,
            services_introduced=services_introduced,
            by=by,
            at=now,
        )
        if dissatisfaction:
            c.record_dissatisfaction(dissatisfaction, unit=s.unit, subject=s.subject, by=by, at=now)
        elif s.kind == SurveyKind.PROJECT:
            c.check_respondent(
                threshold=self.config.respondent_threshold, unit=s.unit, subject=s.subject, by=by, at=now
            )

    def record_responses(
        self,
        sid: uuid.UUID | str,
        rows: list[tuple[str, dict[str, Any]]],
        *,
        channel: str,
        by: str | None = None,
        batch: int = 500,
    ) -> list[DomainError | None]:
        """Many members' answers received together (an external survey service's export): each row's refusal,
        or None where it was recorded. The rows are saved `batch` to a transaction; a batch that meets a
        member answered meanwhile through another channel is saved again row by row."""
        outcome: list[DomainError | None] = [None] * len(rows)
        s = self.survey_view(sid)
        if s.stage != Stage.RUNNING:
            closed = DomainError(f"the survey is {s.stage.replace('_', ' ')}: members are asked only while it runs")
            return [closed] * len(rows)
        now = self.clock()
        pending: list[tuple[int, Contact]] = []
        seen: dict[str, Contact] = {}
        for i, (number, answers) in enumerate(rows):
            try:
                if number not in s.members:
                    raise MemberNotAsked(f"member {number} is not on this survey's list")
                c = seen.get(number) or self._contact(s, number)
                self._answer(s, c, answers, channel, None, None, None, by, now)
            except DomainError as exc:
                outcome[i] = exc
                continue
            seen[number] = c
            pending.append((i, c))
        for first in range(0, len(pending), batch):
            chunk = pending[first : first + batch]
            try:
                self.save(*(c for _, c in chunk))
            except IntegrityError:
                for i, _ in chunk:  # the batch was refused whole: each row on its own, from the store's state
                    number, answers = rows[i]
                    try:
                        self.record_response(sid, number, answers=answers, channel=channel, by=by)
                    except DomainError as exc:
                        outcome[i] = exc
        return outcome

    def record_dissatisfaction(
        self, sid: uuid.UUID | str, number: str, note: str, *, by: str | None = None
    ) -> dict[str, Any]:
        s = self._running(sid, number)
        c = self._contact(s, number)
        c.record_dissatisfaction(note, unit=s.unit, subject=s.subject, by=by, at=self.clock())
        self._save_contact(c)
        return contact_record(c)
