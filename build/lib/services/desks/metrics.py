"""Prometheus figures of the desks and sessions, read from the index at scrape time so every replica agrees and a
restart resets nothing. Labels are agency ids and stages (configuration), never personal data.

The totals (registrations, no-shows, problems raised and solved, follow-ups missed) are the ratio report's own
arithmetic per desk (services/desks/ratio.py), kept on each desk's row of the index and added up by agency; what
depends on the time of asking (slots of desks still ahead, follow-ups due and overdue, overdue sessions) is
compared with the clock at the scrape."""

from __future__ import annotations

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily

from services.desks.application import DeskOffice
from services.desks.index import DeskIndex
from services.desks.sessions import SessionStage

FIGURES = {
    "registrations": ("crm_desks_registrations", "Problem forms registered at desks (cancelled ones aside)"),
    "no_shows": ("crm_desks_no_shows", "Members with a slot recorded as not attending"),
    "raised": ("crm_desks_problems_raised", "Problems heard and decided by the agency"),
    "solved": ("crm_desks_problems_solved", "Decided problems whose follow-up found the decision carried out"),
    "follow_ups_missed": ("crm_desks_follow_ups_missed", "Follow-up calls not made within the working days allowed"),
}
GAUGES = {
    "open_desks": ("crm_desks_open", "Desks planned and not closed yet (checklist MM-FR-03-05-01 not completed)"),
    "slots_used": ("crm_desks_slots_used", "Slots taken on desks still ahead"),
    "slots_offered": ("crm_desks_slots_offered", "Slots offered (the capacity) on desks still ahead"),
    "waiting": ("crm_desks_waiting", "Members on the waiting lists of desks still ahead"),
    "follow_ups_due": ("crm_desks_follow_ups_due", "Decided problems whose follow-up call is due and still in time"),
    "follow_ups_overdue": (
        "crm_desks_follow_ups_overdue",
        "Decided problems whose follow-up call is past its due time",
    ),
}


class DeskCollector:
    def __init__(self, office: DeskOffice, index: DeskIndex):
        self.office = office
        self.index = index

    def collect(self):
        self.index.catch_up()
        counts = self.index.metric_counts(self.office.clock())
        agencies = sorted(set(self.office.config.agencies) | set(counts["totals"]) | set(counts["agencies"]))
        for key, (name, documentation) in FIGURES.items():
            family = CounterMetricFamily(name, documentation, labels=["agency"])
            for agency in agencies:
                family.add_metric([agency], counts["totals"].get(agency, {}).get(key, 0))
            yield family
        for key, (name, documentation) in GAUGES.items():
            gauge = GaugeMetricFamily(name, documentation, labels=["agency"])
            for agency in agencies:
                gauge.add_metric([agency], counts["agencies"].get(agency, {}).get(key, 0))
            yield gauge
        sessions = GaugeMetricFamily("crm_desks_sessions", "Specialised sessions by stage", labels=["stage"])
        for stage in SessionStage:
            sessions.add_metric([stage.value], counts["sessions_by_stage"].get(stage.value, 0))
        yield sessions
        yield GaugeMetricFamily(
            "crm_desks_session_decisions_open",
            "Decisions taken at specialised sessions and not done yet",
            value=counts["session_decisions_open"],
        )
        yield GaugeMetricFamily(
            "crm_desks_sessions_with_overdue_decisions",
            "Specialised sessions with a decision not done by its due date",
            value=counts["sessions_with_overdue_decisions"],
        )
