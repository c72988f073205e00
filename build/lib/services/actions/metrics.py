"""Prometheus figures of the corrective actions, read from the index at scrape time, so that every replica agrees
and a restart resets nothing. Labels are states and unit ids (configuration), never personal data: owners are
people and stay out of the labels."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from services.actions.domain import ACTIVE_STATES
from services.actions.index import ActionIndex
from shared.clock import Clock


class ActionCollector:
    def __init__(self, index: ActionIndex, clock: Clock):
        self.index = index
        self.clock = clock

    def collect(self):
        counts = self.index.metric_counts(self.clock())
        open_gauge = GaugeMetricFamily(
            "crm_actions_open", "Corrective actions not closed nor cancelled, by state", labels=["state"]
        )
        for state in ACTIVE_STATES:
            open_gauge.add_metric([state.value], counts["by_state"].get(state.value, 0))
        yield open_gauge
        overdue = GaugeMetricFamily(
            "crm_actions_overdue", "Corrective actions in progress past their due date, by unit", labels=["unit"]
        )
        for unit, n in sorted(counts["overdue_by_unit"].items()):
            overdue.add_metric([unit], n)
        yield overdue
        yield CounterMetricFamily(
            "crm_actions_effectiveness_failed",
            "Effectiveness checks that found a corrective action not effective (the action was reopened)",
            value=counts["effectiveness_failed"],
        )
