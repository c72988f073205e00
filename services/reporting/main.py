"""Composition root of the reporting API (the processors run separately: `crm process reporting`)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from fastapi import FastAPI
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)

from services.reporting.api import router, unit_figure_rows
from services.reporting.complaints import collect_complaint_metrics
from services.reporting.complaints_api import router as complaint_reports
from services.reporting.erasure import callers_of
from services.reporting.escalations_api import router as escalation_review
from services.reporting.oversight import Oversight
from services.reporting.readmodel import ReadModel
from services.reporting.stats_api import router as call_stats
from shared.clock import system_clock
from shared.eventstore import store_env
from shared.metrics import register_collector
from shared.service import create_service_app
from shared.settings import Settings

DESCRIPTION = """Read models derived by the stream processors: every unit's and expert's unanswered-call queue with
its callback deadline (24 working hours on the chamber's calendar), the end-of-day lists for unit managers
(JSON and CSV), callback breaches, escalations of repeated non-answer, and per-unit call figures."""

# Working-time buckets of the callback delay: 15 min, 1 h, 2 h, 4 h, 8 h, 16 h, 24 h, 48 h (working hours).
DELAY_BUCKETS = [900, 3600, 7200, 14400, 28800, 57600, 86400, 172800]


class ReadModelCollector:
    """Call-centre figures straight from the read model at scrape time, so every reporting replica agrees and a
    restart does not reset them. Unit ids are configuration, never personal data."""

    def __init__(self, readmodel: ReadModel):
        self.readmodel = readmodel

    def collect(self):
        rows = unit_figure_rows(self.readmodel)
        families = {
            "offered": CounterMetricFamily("crm_calls_offered", "Incoming calls offered to the unit", labels=["unit"]),
            "answered": CounterMetricFamily("crm_calls_answered", "Calls the unit answered", labels=["unit"]),
            "unanswered": CounterMetricFamily(
                "crm_calls_unanswered", "Calls registered as unanswered for the unit", labels=["unit"]
            ),
            "breaches": CounterMetricFamily(
                "crm_callback_breaches", "Callbacks not made within the deadline", labels=["unit"]
            ),
            "escalations": CounterMetricFamily(
                "crm_escalations", "Escalations to the SG for repeated non-answer", labels=["unit"]
            ),
        }
        open_gauge = GaugeMetricFamily("crm_unanswered_open", "Unanswered calls awaiting a callback", labels=["unit"])
        for row in rows:
            for key, family in families.items():
                family.add_metric([row["unit"]], row[key])
            open_gauge.add_metric([row["unit"]], row["open"])
        yield from families.values()
        yield open_gauge
        histogram = HistogramMetricFamily(
            "crm_callback_delay_working_seconds",
            "Working seconds from the unanswered-call record to the callback",
            labels=["unit"],
        )
        by_unit: dict[str, list[float]] = {}
        for unit, seconds in self.readmodel.callback_delays():
            by_unit.setdefault(unit, []).append(seconds)
        for unit, values in sorted(by_unit.items()):
            buckets = [(str(b), sum(1 for v in values if v <= b)) for b in DELAY_BUCKETS] + [("+Inf", len(values))]
            histogram.add_metric([unit], buckets, sum(values))
        yield histogram
        yield from collect_complaint_metrics(self.readmodel.complaints)


def build_oversight(settings: Settings) -> Oversight:
    """The reporting service's own event store: escalations and end-of-day lists (relayed by the processor)."""
    return Oversight(store_env(settings, "reporting"))


def build_readmodel(settings: Settings, url: str | None = None) -> ReadModel:
    return ReadModel(url or settings.readmodel_db_url, settings.business_calendar, callers_of(settings))


def create_app(
    settings: Settings, *, clock: Callable[[], datetime] | None = None, oversight: Oversight | None = None
) -> FastAPI:
    """`oversight`: the reporting store, which the escalation steps write to (its relay runs in the processor)."""
    readmodel = build_readmodel(settings)
    app = create_service_app("reporting", settings, title="CRM reporting service", description=DESCRIPTION)
    app.state.readmodel = readmodel
    app.state.oversight = oversight or build_oversight(settings)
    app.state.clock = clock or system_clock
    register_collector(app, ReadModelCollector(readmodel))
    app.include_router(router)
    app.include_router(escalation_review)
    app.include_router(complaint_reports)
    app.include_router(call_stats)
    return app
