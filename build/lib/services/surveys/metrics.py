"""Prometheus figures of the surveys, read from the index at scrape time, so that every replica agrees and a restart
resets nothing. Labels are a survey's period (periodic) or id (project), its kind and question keys: configuration,
never personal data.

Running surveys give their responses, response rate, scores, attempts and the complaints they opened by reason;
every periodic round that has run gives its scores as `crm_survey_round_satisfaction_percent`, the satisfaction
trend round over round (a closed round's figures no longer change, so they are computed once per process)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from services.surveys.application import SurveyOffice
from services.surveys.calllist import CallList, call_list
from services.surveys.index import SurveyIndex

# Why a survey opened a complaint, from its source reference (surveys:<survey>:<reason>:...): a respondent's low
# score or voiced dissatisfaction (member), a question below its threshold (question), the overall score (overall).
REASONS = ("member", "question", "overall")


def complaint_reason(source_ref: str) -> str:
    parts = source_ref.split(":")
    return parts[2] if len(parts) > 2 and parts[2] in REASONS else "member"


def scores_of(stats: dict[str, Any]) -> dict[str, float]:
    """question key (and "overall") -> percentage, for the scored questions that have answers."""
    found = {
        q["key"]: q["percentage"] for q in stats["questions"] if q.get("scored") and q.get("percentage") is not None
    }
    if stats["overall"] is not None:
        found["overall"] = stats["overall"]
    return found


class SurveyCollector:
    def __init__(self, office: SurveyOffice, index: SurveyIndex, calls: CallList):
        self.office = office
        self.index = index
        self.calls = calls
        self._closed: dict[str, dict[str, float]] = {}  # a closed round's scores, which no longer change

    def _attempts(self, survey_id: str) -> int:
        with self.calls.engine.connect() as conn:
            q = sa.select(sa.func.coalesce(sa.func.sum(call_list.c.attempts), 0)).where(
                call_list.c.survey_id == survey_id
            )
            return int(conn.execute(q).scalar() or 0)

    def _round_scores(self, survey_id: str, stage: str) -> dict[str, float]:
        if survey_id in self._closed:
            return self._closed[survey_id]
        scores = scores_of(self.office.stats(survey_id))
        if stage == "closed":
            self._closed[survey_id] = scores
        return scores

    def collect(self) -> Iterator[Any]:
        responses = GaugeMetricFamily(
            "crm_survey_responses", "Responses of a running survey", labels=["survey", "kind"]
        )
        rate = GaugeMetricFamily(
            "crm_survey_response_rate_percent", "Responses ÷ members asked × 100", labels=["survey", "kind"]
        )
        satisfaction = GaugeMetricFamily(
            "crm_survey_satisfaction_percent",
            "A question's score (mean ÷ scale maximum × 100; yes/no: share of yes), and the overall score",
            labels=["survey", "question"],
        )
        attempts = GaugeMetricFamily("crm_survey_contact_attempts", "Contact attempts made", labels=["survey"])
        complaints = GaugeMetricFamily(
            "crm_survey_complaints_opened",
            "Complaints the survey opened, by reason: a respondent's low score or dissatisfaction (member), a question "
            "below its threshold (question), the overall score below its threshold (overall)",
            labels=["survey", "reason"],
        )
        trend = GaugeMetricFamily(
            "crm_survey_round_satisfaction_percent",
            "Each periodic round's score per question and overall, running and closed: the trend round over round",
            labels=["period", "question"],
        )
        for sid in self.index.running_ids():
            record = self.office.survey(sid)
            name = record["period"] or sid
            stats = self.office.stats(sid)
            asked = record["members_asked"]
            responses.add_metric([name, record["kind"]], stats["responses"])
            rate.add_metric([name, record["kind"]], stats["responses"] / asked * 100 if asked else 0)
            for key, value in scores_of(stats).items():
                satisfaction.add_metric([name, key], value)
            attempts.add_metric([name], self._attempts(sid))
            opened = dict.fromkeys(REASONS, 0)
            for c in self.index.complaint_log(sid):
                opened[complaint_reason(c["source_ref"])] += 1
            for reason, count in opened.items():
                complaints.add_metric([name, reason], count)
        for r in self.index.periodic_rounds():
            for key, value in self._round_scores(r["id"], r["stage"]).items():
                trend.add_metric([r["period"], key], value)
        yield from (responses, rate, satisfaction, attempts, complaints, trend)
