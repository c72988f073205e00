"""SurveyOffice: the surveys' commands and queries over their event store (form ME-FR-02-01-01): questionnaires and
the survey's own steps here; a member's contacts in contacting.py; scores, summaries and reports in summaries.py."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any, ClassVar

from services.surveys.contacting import ContactSteps
from services.surveys.contract import CONTRACT
from services.surveys.domain import (
    Questionnaire,
    Survey,
    SurveyKind,
    questionnaire_id,
    round_id,
)
from services.surveys.store import (
    EmptyRoster,
    MemberNotAsked,
    QuestionnaireNotFound,
    Responses,
    Roster,
    SurveyNotFound,
)
from services.surveys.summaries import SummarySteps
from shared.contracts import EventContract
from shared.problems import DomainError, InvalidInput


class SurveyOffice(ContactSteps, SummarySteps):
    service: ClassVar[str] = "surveys"
    contract: ClassVar[EventContract] = CONTRACT

    # -- questionnaires ----------------------------------------------------------------------------------------
    def create_questionnaire(self, *, code: str, title: str, questions: Any, by: str | None = None) -> uuid.UUID:
        q = Questionnaire.create(code=code, title=title, questions=questions, by=by, at=self.clock())
        if self.find_aggregate(q.id, Questionnaire) is not None:
            raise DomainError(f"a questionnaire with code {q.code} exists already: revise it instead")
        self.save_or_conflict(q, what="the questionnaire")
        return q.id

    def revise_questionnaire(
        self, qid: uuid.UUID | str, questions: Any, *, note: str | None = None, by: str | None = None
    ) -> int:
        q = self.get_questionnaire(qid)
        number = q.revise(questions, note=note, by=by, at=self.clock())
        self.save_or_conflict(q, what="the questionnaire")
        return number

    def _version(self, qid: uuid.UUID | str, version: int | None) -> tuple[str, int]:
        q = self.get_questionnaire(qid)
        number = version or q.latest
        q.questions_of(number)  # refuses a version that does not exist
        return str(q.id), number

    # -- surveys -----------------------------------------------------------------------------------------------
    def _check_unit(self, unit: str) -> None:
        if self.organisation is not None and not self.organisation.has_unit(unit):
            raise InvalidInput(f"unit {unit!r} is not a unit of the chamber")

    def request_project_survey(
        self,
        *,
        subject: str,
        unit: str,
        questionnaire: uuid.UUID | str,
        questionnaire_version: int | None = None,
        by: str | None = None,
    ) -> uuid.UUID:
        self._check_unit(unit)
        qid, number = self._version(questionnaire, questionnaire_version)
        s = Survey.request_project(
            subject=subject, unit=unit, questionnaire_id=qid, questionnaire_version=number, by=by, at=self.clock()
        )
        self.save_or_conflict(s, what="the survey")
        return s.id

    def plan_round(
        self,
        *,
        period: str,
        questionnaire: uuid.UUID | str,
        questionnaire_version: int | None = None,
        by: str | None = None,
    ) -> uuid.UUID:
        qid, number = self._version(questionnaire, questionnaire_version)
        s = Survey.plan_round(period=period, questionnaire_id=qid, questionnaire_version=number, by=by, at=self.clock())
        if self.find_aggregate(round_id(s.period or ""), Survey) is not None:
            raise DomainError(f"the round of {s.period} is planned already")
        self.save_or_conflict(s, what="the round")
        return s.id

    def approve_survey(self, sid: uuid.UUID | str, *, by: str | None = None) -> None:
        self._command(sid, lambda s, now: s.approve(by=by, at=now))

    def reject_survey(self, sid: uuid.UUID | str, reason: str, *, by: str | None = None) -> None:
        self._command(sid, lambda s, now: s.reject(reason, by=by, at=now))

    def delegate_survey(self, sid: uuid.UUID | str, unit: str, *, reason: str | None = None, by: str | None = None):
        self._check_unit(unit)
        self._command(sid, lambda s, now: s.delegate(unit, reason=reason, by=by, at=now))

    def supply_members(
        self,
        sid: uuid.UUID | str,
        *,
        numbers: list[str] | None = None,
        selection_id: str | None = None,
        by: str | None = None,
    ) -> int:
        """The unit's list: membership numbers as uploaded, or a member-database selection as it was frozen."""
        if (numbers is None) == (selection_id is None):
            raise InvalidInput("give either the membership numbers or a selection id, not both")
        source = "upload"
        if selection_id is not None:
            frozen = self.roster.selection(selection_id)
            if frozen is None:
                raise InvalidInput(f"no selection {selection_id} has reached the surveys service from the members")
            numbers, source = frozen, "selection"
        return self._command(
            sid, lambda s, now: s.supply_members(numbers, source=source, selection_id=selection_id, by=by, at=now)
        )

    def approve_members(self, sid: uuid.UUID | str, *, by: str | None = None) -> None:
        self._command(sid, lambda s, now: s.approve_members(by=by, at=now))

    def edit_questionnaire(
        self, sid: uuid.UUID | str, questions: Any, *, size: str, note: str | None = None, by: str | None = None
    ) -> int:
        """Revise the survey's questionnaire and have the survey use the new version."""
        s = self.get_survey(sid)
        q = self.get_questionnaire(s.questionnaire_id)
        now = self.clock()
        number = q.revise(questions, note=note, by=by, at=now)
        s.edit_questionnaire(version=number, size=size, note=note, by=by, at=now)
        self.save_or_conflict(q, s, what="the survey or its questionnaire")
        return number

    def record_meeting(
        self,
        sid: uuid.UUID | str,
        *,
        purpose: str,
        held_on: date,
        attendees: list[dict[str, Any]],
        minutes: str,
        by: str | None = None,
    ) -> None:
        self._command(
            sid,
            lambda s, now: s.record_meeting(
                purpose=purpose, held_on=held_on, attendees=attendees, minutes=minutes, by=by, at=now
            ),
        )

    def set_timing(self, sid: uuid.UUID | str, *, starts_on: date, ends_on: date, by: str | None = None) -> None:
        self._command(sid, lambda s, now: s.set_timing(starts_on=starts_on, ends_on=ends_on, by=by, at=now))

    def start_survey(self, sid: uuid.UUID | str, *, by: str | None = None) -> int:
        """Start asking; a periodic round asks every member the roster knows as active at this moment."""
        s = self.get_survey(sid)
        members = None
        if s.kind == SurveyKind.PERIODIC:
            members = self.roster.active_numbers()
            if not members and not s.blockers():
                raise DomainError("no active member has reached the surveys service from the members topic yet")
        today = self.calendar.working_day_of(self.clock())
        return self._command(sid, lambda s, now: s.start(members=members, today=today, by=by, at=now))

    def close_survey(self, sid: uuid.UUID | str, *, by: str | None = None) -> list[dict[str, Any]]:
        """Close the survey and evaluate its thresholds a last time; returns the complaints this opened."""
        s = self.get_survey(sid)
        now = self.clock()
        s.close(by=by, at=now)
        new = s.raise_complaints(self._threshold_complaints(s), occasion="close", by=by, at=now)
        self.save_or_conflict(s, what="the survey")
        return new


__all__ = [
    "EmptyRoster",
    "MemberNotAsked",
    "QuestionnaireNotFound",
    "Responses",
    "Roster",
    "SurveyNotFound",
    "SurveyOffice",
    "questionnaire_id",
    "round_id",
]
