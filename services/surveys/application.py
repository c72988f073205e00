"""SurveyOffice: the surveys' commands and queries over their event store (form ME-FR-02-01-01)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, ClassVar, Protocol

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError
from eventsourcing.utils import get_topic

from services.surveys.contract import CONTRACT
from services.surveys.domain import (
    Contact,
    Questionnaire,
    Stage,
    Survey,
    SurveyKind,
    below_thresholds,
    contact_id,
    next_line_for,
    policy_for,
    questionnaire_id,
    round_id,
    survey_stats,
)
from services.surveys.reports import final_report, week_due, weekly_figures
from services.surveys.views import contact_record, questionnaire_record, survey_record
from shared.calendar import IRAN, BusinessCalendar
from shared.clock import Clock, system_clock
from shared.contracts import EventContract
from shared.eventstore import CrmApplication
from shared.organisation import Organisation
from shared.problems import DomainError, InvalidInput, NotFound
from shared.settings import SurveySettings


class SurveyNotFound(NotFound):
    pass


class QuestionnaireNotFound(NotFound):
    pass


class MemberNotAsked(NotFound):
    """The membership number is not on the survey's list."""


class Roster(Protocol):
    """The active members and the member database's frozen selections, as the members topic told them."""

    def active_numbers(self) -> list[str]: ...

    def selection(self, selection_id: str) -> list[str] | None: ...


Responses = Callable[[str], list[dict[str, Any]]]


class EmptyRoster:
    """No member has been heard of: for an office run without the members topic (tests, scripts)."""

    def active_numbers(self) -> list[str]:
        return []

    def selection(self, selection_id: str) -> list[str] | None:
        return None


class SurveyOffice(CrmApplication):
    service: ClassVar[str] = "surveys"
    contract: ClassVar[EventContract] = CONTRACT

    def __init__(
        self,
        env: dict[str, Any] | None = None,
        *,
        organisation: Organisation | None = None,
        clock: Clock = system_clock,
        roster: Roster | None = None,
        calendar: BusinessCalendar | None = None,
        config: SurveySettings | None = None,
        responses: Responses | None = None,
    ):
        super().__init__(env)
        self.organisation = organisation
        self.clock = clock
        self.roster: Roster = roster or EmptyRoster()
        self.calendar = calendar or BusinessCalendar(IRAN)
        self.config = config or SurveySettings()
        # Every response of a survey (its answers, channel, when): the index in a running service, a scan of the
        # store otherwise.
        self.responses: Responses = responses or self._scan_responses
        self.complaint_log: Callable[[str], list[dict[str, Any]]] = self._scan_complaints
        self.running: Callable[[], list[str]] = lambda: [
            s["id"] for s in self._all_surveys() if s["stage"] == Stage.RUNNING
        ]

    # -- queries -----------------------------------------------------------------------------------------------
    def _find(self, aggregate_id: uuid.UUID | str, cls: type) -> Any:
        try:
            found: Any = self.repository.get(uuid.UUID(str(aggregate_id)))
        except (ValueError, AggregateNotFoundError):
            return None
        return found if isinstance(found, cls) else None

    def get_questionnaire(self, qid: uuid.UUID | str) -> Questionnaire:
        found = self._find(qid, Questionnaire)
        if found is None:
            raise QuestionnaireNotFound(f"no questionnaire with id {qid}")
        return found

    def get_survey(self, sid: uuid.UUID | str) -> Survey:
        found = self._find(sid, Survey)
        if found is None:
            raise SurveyNotFound(f"no survey with id {sid}")
        return found

    def questionnaire(self, qid: uuid.UUID | str) -> dict[str, Any]:
        return questionnaire_record(self.get_questionnaire(qid))

    def survey(self, sid: uuid.UUID | str) -> dict[str, Any]:
        return survey_record(self.get_survey(sid))

    def questions_of(self, sid: uuid.UUID | str) -> list[dict[str, Any]]:
        """The questions as the survey asks them: the version it keeps, whatever was revised since."""
        s = self.get_survey(sid)
        return self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)

    def roster_language(self, number: str) -> str | None:
        """The member's preferred language, as the members topic told it; None when unknown."""
        language_of = getattr(self.roster, "language_of", None)
        return language_of(number) if language_of else None

    def record_links_issued(self, sid: uuid.UUID | str, count: int, *, by: str | None = None) -> None:
        self._command(sid, lambda s, now: s.record_links_issued(count, by=by, at=now))

    def members_of(self, sid: uuid.UUID | str) -> list[str]:
        s = self.get_survey(sid)
        return list(s.members if s.members else s.member_list)

    # -- questionnaires ----------------------------------------------------------------------------------------
    def create_questionnaire(self, *, code: str, title: str, questions: Any, by: str | None = None) -> uuid.UUID:
        q = Questionnaire.create(code=code, title=title, questions=questions, by=by, at=self.clock())
        if self._find(q.id, Questionnaire) is not None:
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
        if self._find(round_id(s.period or ""), Survey) is not None:
            raise DomainError(f"the round of {s.period} is planned already")
        self.save_or_conflict(s, what="the round")
        return s.id

    def _command(self, sid: uuid.UUID | str, step: Callable[[Survey, datetime], Any]) -> Any:
        s = self.get_survey(sid)
        result = step(s, self.clock())
        try:
            self.save(s)
        except IntegrityError:
            raise DomainError("the survey changed meanwhile; reload it and try again") from None
        return result

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

    # -- scores and thresholds -----------------------------------------------------------------------------------
    def stats(self, sid: uuid.UUID | str) -> dict[str, Any]:
        """Every question's n, mean, standard deviation, percentage and distribution, and the overall score."""
        s = self.get_survey(sid)
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        return survey_stats(questions, (r["answers"] for r in self.responses(str(s.id))))

    def _threshold_complaints(self, s: Survey) -> list[dict[str, Any]]:
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        stats = survey_stats(questions, (r["answers"] for r in self.responses(str(s.id))))
        return below_thresholds(
            kind=s.kind,
            survey_id=str(s.id),
            subject=s.subject,
            unit=s.unit,
            questions=questions,
            stats=stats,
            question_threshold=self.config.question_threshold,
            overall_threshold=self.config.overall_threshold,
            min_responses=self.config.min_responses,
        )

    def evaluate_thresholds(
        self, sid: uuid.UUID | str, *, occasion: str = "weekly", by: str | None = None
    ) -> list[dict[str, Any]]:
        """Raise the complaints the scores call for now (at a weekly summary); each only once per survey."""
        s = self.get_survey(sid)
        new = s.raise_complaints(self._threshold_complaints(s), occasion=occasion, by=by, at=self.clock())
        if new:
            self.save_or_conflict(s, what="the survey")
        return new

    def _scan_responses(self, sid: str) -> list[dict[str, Any]]:
        """The survey's responses read from the store itself (no index): for tests and scripts."""
        topic = get_topic(Contact.Responded)  # type: ignore[attr-defined]  # made by @event
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            for n in batch:
                event: Any = self.mapper.to_domain_event(n)
                contact: Contact = self.repository.get(n.originator_id)
                if contact.survey_id == sid:
                    found.append(
                        {
                            "membership_number": contact.membership_number,
                            "answers": dict(event.answers),
                            "channel": event.channel,
                            "at": event.at,
                        }
                    )
            start = batch[-1].id

    def list_questionnaires(self) -> list[dict[str, Any]]:
        """Every questionnaire, read from the store: a chamber keeps a few dozen at most, so no index is kept."""
        topic = get_topic(Questionnaire.Created)
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            found.extend(questionnaire_record(self.get_questionnaire(n.originator_id)) for n in batch)
            start = batch[-1].id

    # -- contacts: attempts, answers, dissatisfaction ---------------------------------------------------------
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

    def _running(self, sid: uuid.UUID | str, number: str) -> Survey:
        s = self.get_survey(sid)
        if s.stage != Stage.RUNNING:
            raise DomainError(f"the survey is {s.stage.replace('_', ' ')}: members are asked only while it runs")
        if number not in set(s.members):
            raise MemberNotAsked(f"member {number} is not on this survey's list")
        return s

    def find_contact(self, sid: uuid.UUID | str, number: str) -> Contact | None:
        found = self._find(contact_id(sid, number), Contact)
        return found

    def _contact(self, survey: Survey, number: str) -> Contact:
        return self.find_contact(survey.id, number) or Contact.open(
            survey_id=str(survey.id), kind=survey.kind, membership_number=number, at=self.clock()
        )

    def contact(self, sid: uuid.UUID | str, number: str) -> dict[str, Any]:
        """Where a member of the survey stands: attempts made and left, the line to use next, answers."""
        s = self.get_survey(sid)
        if number not in set(s.members):
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
        self.save_or_conflict(c, what="the member's contact")

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
    ) -> dict[str, Any]:
        """The member's answers; dissatisfaction voiced in the same call is recorded with them, as a complaint."""
        s = self._running(sid, number)
        c = self._contact(s, number)
        now = self.clock()
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        c.respond(
            questions=questions,
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
        self._save_contact(c)
        return contact_record(c)

    def record_dissatisfaction(
        self, sid: uuid.UUID | str, number: str, note: str, *, by: str | None = None
    ) -> dict[str, Any]:
        s = self._running(sid, number)
        c = self._contact(s, number)
        c.record_dissatisfaction(note, unit=s.unit, subject=s.subject, by=by, at=self.clock())
        self._save_contact(c)
        return contact_record(c)

    # -- weekly summaries and reports ----------------------------------------------------------------------------
    def _all_surveys(self) -> list[dict[str, Any]]:
        """Every survey, read from the store: surveys are few (a handful a month)."""
        topic = get_topic(Survey.Requested)  # type: ignore[attr-defined]  # made by @event
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=[topic], inclusive_of_start=False)
            if not batch:
                return found
            found.extend(survey_record(self.get_survey(n.originator_id)) for n in batch)
            start = batch[-1].id

    def _scan_complaints(self, sid: str) -> list[dict[str, Any]]:
        """The complaints the survey opened, read from the store itself (no index): for tests and scripts."""
        topics = [
            get_topic(Survey.ComplaintRaised),  # type: ignore[attr-defined]  # made by @event
            get_topic(Contact.DissatisfactionRecorded),  # type: ignore[attr-defined]  # made by @event
        ]
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self.recorder.select_notifications(start, 1000, topics=topics, inclusive_of_start=False)
            if not batch:
                return found
            for n in batch:
                event: Any = self.mapper.to_domain_event(n)
                if event.complaint["source_ref"].split(":")[1] == sid:
                    found.append({"source_ref": event.complaint["source_ref"], "at": event.at})
            start = batch[-1].id

    def record_weekly_summary(self, sid: uuid.UUID | str) -> dict[str, Any] | None:
        """Summarise the working week that ended last, once: the thresholds are evaluated first, and the figures
        (responses, response rate, per-question scores, complaints new since the last summary) recorded as an
        event for the SG and the president. None when the survey is not running or the week has its summary."""
        s = self.get_survey(sid)
        if s.stage != Stage.RUNNING:
            return None
        now = self.clock()
        week = week_due(self.calendar, now)
        if week is None or any(x["week_ending"] == week.isoformat() for x in s.summaries):
            return None
        if s.started_at is not None and week < self.calendar.working_day_of(s.started_at):
            return None  # that week ended before the survey started: there is nothing to summarise
        raised = s.raise_complaints(self._threshold_complaints(s), occasion="weekly", by=None, at=now)
        since = s.last_summary_at()  # None: the first summary counts every complaint so far
        new = sorted(
            {c["source_ref"] for c in self.complaint_log(str(s.id)) if since is None or c["at"] > since}
            | {c["source_ref"] for c in raised}  # raised just now, not in the log until saved
        )
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        figures = weekly_figures(questions, self.responses(str(s.id)), len(s.members), new)
        s.record_weekly_summary(week_ending=week, figures=figures, at=now)
        self.save_or_conflict(s, what="the survey")
        return {"survey_id": str(s.id), "week_ending": week.isoformat(), **figures}

    def record_weekly_summaries(self) -> list[dict[str, Any]]:
        """Every running survey's summary of the week just ended, where not recorded yet."""
        done = []
        for sid in self.running():
            try:
                summary = self.record_weekly_summary(sid)
            except DomainError:  # changed meanwhile by a step of the survey: summarised at the next check
                continue
            if summary is not None:
                done.append(summary)
        return done

    def summaries(self, sid: uuid.UUID | str) -> list[dict[str, Any]]:
        s = self.get_survey(sid)
        return [{"week_ending": x["week_ending"], "at": x["at"], **x["figures"]} for x in s.summaries]

    def trend(self, sid: uuid.UUID | str) -> list[dict[str, Any]]:
        """Each periodic round up to this one (for a project survey: itself), with its overall and per-question
        scores: the satisfaction trend, as data."""
        s = self.get_survey(sid)
        if s.kind != SurveyKind.PERIODIC:
            rounds = [survey_record(s)]
        else:
            rounds = sorted(
                (
                    r
                    for r in self._all_surveys()
                    if r["kind"] == SurveyKind.PERIODIC
                    and r["stage"] in (Stage.RUNNING, Stage.CLOSED)
                    and (r["period"] or "") <= (s.period or "")
                ),
                key=lambda r: r["period"] or "",
            )
        out = []
        for r in rounds:
            stats = self.stats(r["id"])
            out.append(
                {
                    "survey_id": r["id"],
                    "period": r["period"] or r["subject"],
                    "responses": stats["responses"],
                    "overall": stats["overall"],
                    "questions": {q["key"]: q["percentage"] for q in stats["questions"] if q.get("scored")},
                }
            )
        return out

    def final_report(self, sid: uuid.UUID | str, *, counts: dict[str, int], lang: str = "fa") -> dict[str, Any]:
        """Statistics per question, breakdowns by trade group, unit and channel, response and reach rates, best and
        worst questions, suggested corrective actions and the satisfaction trend."""
        s = self.get_survey(sid)
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        responses = self.responses(str(s.id))
        trade_groups = getattr(self.roster, "trade_groups", None)
        return final_report(
            survey=survey_record(s),
            questions=questions,
            responses=responses,
            counts=counts,
            trade_groups=trade_groups([r["membership_number"] for r in responses]) if trade_groups else {},
            complaints=[c["source_ref"] for c in self.complaint_log(str(s.id))],
            trend=self.trend(sid),
            threshold=self.config.question_threshold,
            lang=lang,
        )


__all__ = [
    "MemberNotAsked",
    "QuestionnaireNotFound",
    "SurveyNotFound",
    "SurveyOffice",
    "questionnaire_id",
    "round_id",
]
