"""Prometheus figures of the running surveys, read from the index at scrape time, so that every replica agrees and
a restart resets nothing. Labels are a survey's period (periodic) or id (project), its kind and question keys:
configuration, never personal data."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa
from prometheus_client.core import GaugeMetricFamily

from services.surveys.application import SurveyOffice
from services.surveys.calllist import CallList, call_list
from services.surveys.index import SurveyIndex


class SurveyCollector:
    def __init__(self, office: SurveyOffice, index: SurveyIndex, calls: CallList):
        self.office = office
        self.index = index
        self.calls = calls

    def _attempts(self, survey_id: str) -> int:
        with self.calls.engine.connect() as conn:
            q = sa.select(sa.func.coalesce(sa.func.sum(call_list.c.attempts), 0)).where(
                call_list.c.survey_id == survey_id
            )
            return int(conn.execute(q).scalar() or 0)

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
            "crm_survey_complaints_opened", "Complaints the survey opened (scores, dissatisfaction)", labels=["survey"]
        )
        for sid in self.index.running_ids():
            record = self.office.survey(sid)
            name = record["period"] or sid
            stats = self.office.stats(sid)
            asked = record["members_asked"]
            responses.add_metric([name, record["kind"]], stats["responses"])
            rate.add_metric([name, record["kind"]], stats["responses"] / asked * 100 if asked else 0)
            for q in stats["questions"]:
                if q.get("scored") and q.get("percentage") is not None:
                    satisfaction.add_metric([name, q["key"]], q["percentage"])
            if stats["overall"] is not None:
                satisfaction.add_metric([name, "overall"], stats["overall"])
            attempts.add_metric([name], self._attempts(sid))
            complaints.add_metric([name], len(self.index.complaint_log(sid)))
        yield from (responses, rate, satisfaction, attempts, complaints)
