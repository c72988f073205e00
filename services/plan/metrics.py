"""Prometheus figures of the strategic plan, computed at scrape time from the plan in force, the actuals and the
risk register, so that every replica agrees and a restart resets nothing. Labels are plan codes, statuses and
bands (the plan's own words), never personal data."""

from __future__ import annotations

import logging
from collections import Counter

from prometheus_client.core import GaugeMetricFamily

from services.plan.application import PlanOffice
from services.plan.index import PlanIndex
from services.plan.reports import progress_report
from shared.errors import NotFound

log = logging.getLogger(__name__)
STATUSES = ("on track", "at risk", "off track", "no target")


class PlanCollector:
    def __init__(self, office: PlanOffice, index: PlanIndex):
        self.office = office
        self.index = index

    def collect(self):
        statuses = GaugeMetricFamily(
            "crm_plan_activities", "Activities of the plan in force this year, by status", labels=["status"]
        )
        actual = GaugeMetricFamily(
            "crm_plan_activity_actual", "Actual so far this year of each bound activity", labels=["activity", "target"]
        )
        planned = GaugeMetricFamily(
            "crm_plan_activity_year_target", "This year's target of each bound activity", labels=["activity", "target"]
        )
        projection = GaugeMetricFamily(
            "crm_plan_activity_projection",
            "Projection to year end of each bound activity",
            labels=["activity", "target"],
        )
        misses = GaugeMetricFamily(
            "crm_plan_activity_misses",
            "Marked months over with nothing recorded, per bound activity",
            labels=["activity", "target"],
        )
        try:
            report = progress_report(self.office, self.index, self.office.clock().year)
        except NotFound:  # no plan imported yet: nothing to report
            report = {"activities": []}
        counts = Counter(row["status"] for row in report["activities"])
        for status in STATUSES:
            statuses.add_metric([status], counts.get(status, 0))
        for row in report["activities"]:
            if row["binding"] is None:
                continue
            labels = [row["activity"], row["target"] or ""]
            actual.add_metric(labels, row["actual"])
            planned.add_metric(labels, row["year_target"] or 0)
            projection.add_metric(labels, row["projection"])
            misses.add_metric(labels, len(row["misses"]))
        yield from (statuses, actual, planned, projection, misses)
        bands = GaugeMetricFamily("crm_plan_risks", "Risks of the register by priority band", labels=["band"])
        by_band = Counter(r["band"] for r in self.office.risks.register_as_of())
        for band in (1, 2, 3, 4):
            bands.add_metric([str(band)], by_band.get(band, 0))
        yield bands
