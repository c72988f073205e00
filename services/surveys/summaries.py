"""The office's figures: scores and the thresholds that open complaints, the weekly summaries, the satisfaction
trend round over round and the final report."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, date, datetime
from typing import Any

from services.surveys.domain import (
    Contact,
    Stage,
    Status,
    Survey,
    SurveyKind,
    below_thresholds,
    contact_id,
    survey_stats,
)
from services.surveys.reports import final_report, week_due, weekly_figures
from services.surveys.store import SummaryNotFound, SurveyNotFound, SurveyStore
from services.surveys.views import survey_record
from services.surveys.weekly import weekly_report
from shared.as_of import aggregate_as_of
from shared.problems import DomainError


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


class SummarySteps(SurveyStore):
    def stats(self, sid: uuid.UUID | str, as_of: datetime | None = None) -> dict[str, Any]:
        """Every question's n, mean, standard deviation, percentage and distribution, and the overall score; with
        `as_of`, from the responses received by then."""
        if as_of is None:
            view = self.survey_view(sid)
            return survey_stats(list(view.questions), (r["answers"] for r in self.responses(str(view.id))))
        s = self.survey_as_of(sid, as_of)
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        return survey_stats(questions, (r["answers"] for r in self._responses_by(str(s.id), as_of)))

    def survey_as_of(self, sid: uuid.UUID | str, as_of: datetime | None) -> Survey:
        """The survey now, or with `as_of` replayed from its events up to then (404 if not yet requested then)."""
        s = self.get_survey(sid)
        if as_of is None:
            return s
        then = aggregate_as_of(self, s.id, as_of)
        if not isinstance(then, Survey):
            raise SurveyNotFound(f"the survey {s.id} was not requested yet at {as_of.isoformat()}")
        return then

    def _contact_counts(self, s: Survey, as_of: datetime) -> dict[str, int]:
        """How many of the survey's members stood at each contact status at `as_of` (as the call list counts them
        now): each member's contact replayed to then; one not contacted yet is pending."""
        counts: Counter[str] = Counter()
        for number in s.members:
            contact = aggregate_as_of(self, contact_id(s.id, number), as_of)
            counts[contact.status if isinstance(contact, Contact) else Status.PENDING.value] += 1
        return dict(counts)

    def _responses_by(self, sid: str, as_of: datetime) -> list[dict[str, Any]]:
        return [r for r in self.responses(sid) if _utc(r["at"]) <= as_of]

    def _threshold_complaints(self, s: Survey, stats: dict[str, Any] | None = None) -> list[dict[str, Any]]:
        """The complaints the scores call for; `stats` when the caller has them already."""
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        if stats is None:
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
        # The responses read once, their scores computed once, for the thresholds and for the figures.
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        responses = self.responses(str(s.id))
        stats = survey_stats(questions, (r["answers"] for r in responses))
        raised = s.raise_complaints(self._threshold_complaints(s, stats), occasion="weekly", by=None, at=now)
        since = s.last_summary_at()  # None: the first summary counts every complaint so far
        new = sorted(
            {c["source_ref"] for c in self.complaint_log(str(s.id)) if since is None or c["at"] > since}
            | {c["source_ref"] for c in raised}  # raised just now, not in the log until saved
        )
        figures = weekly_figures(questions, responses, len(s.members), new, stats=stats)
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

    def summaries(self, sid: uuid.UUID | str, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """The weekly summaries recorded (by `as_of`, when given), oldest first."""
        s = self.survey_as_of(sid, as_of)
        return [{"week_ending": x["week_ending"], "at": x["at"], **x["figures"]} for x in s.summaries]

    def weekly_report(
        self, sid: uuid.UUID | str, week_ending: date, *, lang: str = "fa", as_of: datetime | None = None
    ) -> dict[str, Any]:
        """One recorded weekly summary as the SG and the president read it (weekly.py); with `as_of`, only if it
        was recorded by then."""
        s = self.survey_as_of(sid, as_of)
        found = next((x for x in s.summaries if x["week_ending"] == week_ending.isoformat()), None)
        if found is None:
            raise SummaryNotFound(f"no weekly summary of the week ending {week_ending.isoformat()} for this survey")
        return weekly_report(
            survey=survey_record(s),
            summary={"week_ending": found["week_ending"], "at": found["at"], **found["figures"]},
            questions=self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version),
            question_threshold=self.config.question_threshold,
            overall_threshold=self.config.overall_threshold if s.kind == SurveyKind.PERIODIC else None,
            lang=lang,
        )

    def trend(self, sid: uuid.UUID | str, as_of: datetime | None = None) -> list[dict[str, Any]]:
        """Each periodic round up to this one (for a project survey: itself), with its overall and per-question
        scores: the satisfaction trend, as data; with `as_of`, the rounds and responses as they stood then."""
        s = self.survey_as_of(sid, as_of)
        if s.kind != SurveyKind.PERIODIC:
            rounds = [survey_record(s)]
        else:
            every = self._all_surveys()
            if as_of is not None:
                then = (aggregate_as_of(self, uuid.UUID(str(r["id"])), as_of) for r in every)
                every = [survey_record(x) for x in then if isinstance(x, Survey)]
            rounds = sorted(
                (
                    r
                    for r in every
                    if r["kind"] == SurveyKind.PERIODIC
                    and r["stage"] in (Stage.RUNNING, Stage.CLOSED)
                    and (r["period"] or "") <= (s.period or "")
                ),
                key=lambda r: r["period"] or "",
            )
        out = []
        for r in rounds:
            stats = self.stats(r["id"], as_of)
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

    def final_report(
        self, sid: uuid.UUID | str, *, counts: dict[str, int], lang: str = "fa", as_of: datetime | None = None
    ) -> dict[str, Any]:
        """Statistics per question, breakdowns by trade group, unit and channel, response and reach rates, best and
        worst questions, suggested corrective actions and the satisfaction trend. With `as_of`, as it stood then:
        the survey, its responses, contacts, complaints and trend replayed to that moment (`counts` unused); the
        members' trade groups are the ones the roster gives now."""
        s = self.survey_as_of(sid, as_of)
        questions = self.get_questionnaire(s.questionnaire_id).questions_of(s.questionnaire_version)
        responses = self.responses(str(s.id)) if as_of is None else self._responses_by(str(s.id), as_of)
        complaints = self.complaint_log(str(s.id))
        if as_of is not None:
            counts = self._contact_counts(s, as_of)
            complaints = [c for c in complaints if c["at"] <= as_of]
        trade_groups = getattr(self.roster, "trade_groups", None)
        return final_report(
            survey=survey_record(s),
            questions=questions,
            responses=responses,
            counts=counts,
            trade_groups=trade_groups([r["membership_number"] for r in responses]) if trade_groups else {},
            complaints=[c["source_ref"] for c in complaints],
            trend=self.trend(sid, as_of),
            threshold=self.config.question_threshold,
            lang=lang,
        )
