"""Prometheus figures of the strategic plan, computed at scrape time from the plan in force, the actuals and the
risk register, so that every replica agrees and a restart resets nothing. Labels are plan codes, statuses and
bands (the plan's own words), never personal data."""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator

from prometheus_client.core import GaugeMetricFamily

from services.plan.application import PlanOffice
from services.plan.index import PlanIndex
from services.plan.reports import cost_report_of, progress_report
from services.plan.watch import SignalWatch
from shared.errors import NotFound

log = logging.getLogger(__name__)
STATUSES = ("on track", "at risk", "off track", "no target")


class PlanCollector:
    def __init__(self, office: PlanOffice, index: PlanIndex, watch: SignalWatch | None = None):
        self.office = office
        self.index = index
        self.watch = watch

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
        planned_to_date = GaugeMetricFamily(
            "crm_plan_activity_planned_to_date",
            "This year's target × marked months over ÷ marked months, per bound activity",
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
            planned_to_date.add_metric(labels, row["planned_to_date"])
            projection.add_metric(labels, row["projection"])
            misses.add_metric(labels, len(row["misses"]))
        yield from (statuses, actual, planned, planned_to_date, projection, misses)
        all_misses = GaugeMetricFamily(
            "crm_plan_misses",
            "Marked months over with nothing recorded, all activities of the plan, by target",
            labels=["target"],
        )
        by_target: Counter[str] = Counter()
        for row in report["activities"]:
            by_target[row["target"] or ""] += len(row["misses"])
        for target, count in sorted(by_target.items()):
            all_misses.add_metric([target], count)
        yield all_misses
        yield from self._costs()
        register = self.office.risks.register_as_of()
        bands = GaugeMetricFamily("crm_plan_risks", "Risks of the register by priority band", labels=["band"])
        by_band = Counter(r["band"] for r in register)
        for band in (1, 2, 3, 4):
            bands.add_metric([str(band)], by_band.get(band, 0))
        yield bands
        due = GaugeMetricFamily(
            "crm_plan_risk_reviews_due", "Risks whose signals prompted a review not yet done, by band", labels=["band"]
        )
        by_due = Counter(r["band"] for r in register if r["review_due"])
        for band in (1, 2, 3, 4):
            due.add_metric([str(band)], by_due.get(band, 0))
        yield due
        if self.watch is not None:
            signal = GaugeMetricFamily(
                "crm_plan_risk_signal", "Each risk signal's figure now, against its level", labels=["signal", "of"]
            )
            for s in self.watch.status():
                signal.add_metric([s["key"], "figure"], s["figure"])
                signal.add_metric([s["key"], "level"], s["level"])
            yield signal
        overdue = GaugeMetricFamily("crm_plan_revision_overdue", "1 while a yearly revision task is overdue")
        overdue.add_metric([], sum(1 for t in self.office.revisions() if t["state"] == "overdue"))
        yield overdue

    def _costs(self) -> Iterator[GaugeMetricFamily]:
        planned = GaugeMetricFamily(
            "crm_plan_cost_planned", "This year's planned cost of each target (its rows' cost lines)", labels=["target"]
        )
        spent = GaugeMetricFamily(
            "crm_plan_cost_spent", "Spent this year on each target's activities", labels=["target"]
        )
        try:
            targets = cost_report_of(self.office, self.index, self.office.clock().year)["targets"]
        except NotFound:
            targets = []
        for t in targets:
            planned.add_metric([t["target"]], t["planned_year"])
            spent.add_metric([t["target"]], t["spent"])
        yield from (planned, spent)
