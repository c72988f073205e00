"""Composition root of the plan service: event store, risk index, the outbox of corrective-action requests, relay
to Kafka, HTTP API."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
from pathlib import Path

from fastapi import FastAPI

from services.plan.api import kpi_router, risks_router, router
from services.plan.api_upkeep import router as upkeep_router
from services.plan.api_upkeep import signals_router
from services.plan.application import PlanOffice
from services.plan.consumer import follow_kpi_events
from services.plan.domain.kpi import Binding, load_bindings
from services.plan.domain.signals import Signal, load_signals
from services.plan.html import render_plan_report
from services.plan.index import PlanIndex
from services.plan.metrics import PlanCollector
from services.plan.outbox import RiskActions, http_opener
from services.plan.reports import cost_report_of, quarterly_report
from services.plan.watch import SignalWatch
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.metrics import register_collector
from shared.problems import DomainError
from shared.service import event_sourced_service
from shared.settings import Settings

log = logging.getLogger(__name__)
DESCRIPTION = """The chamber's four-year strategic plan (aims, targets, strategies, activities with their indicators,
targets, monthly schedule, responsible unit and cost), imported from its tab-separated export as versions, with the
cross-check of every target's stated totals against its rows; and the process card's risk register (R = O × Ş,
priority bands), re-scored as events, readable as of any date, whose measures open corrective actions."""


BINDINGS = Path(__file__).with_name("kpi_bindings.toml")
SIGNALS = Path(__file__).with_name("risk_signals.toml")


def load_settings_bindings(settings: Settings) -> dict[str, Binding]:
    return load_bindings((settings.plan.bindings_file or BINDINGS).read_text(encoding="utf-8"))


def load_settings_signals(settings: Settings) -> dict[str, Signal]:
    return load_signals((settings.plan.signals_file or SIGNALS).read_text(encoding="utf-8"))


def build_office(settings: Settings, clock: Clock = system_clock) -> PlanOffice:
    return PlanOffice(
        store_env(settings, "plan"),
        clock=clock,
        bindings=load_settings_bindings(settings),
        revision_opens=settings.plan.revision_opens,
        revision_due=settings.plan.revision_due,
    )


def build_index(settings: Settings, office: PlanOffice) -> PlanIndex:
    """The plan index, wired as the register's list of risks, measuring by the office's bindings and counting the
    risk signals."""
    engine = create_engine(settings.local_db_url("plan_index"))
    index = PlanIndex(office, engine, office.bindings, load_settings_signals(settings))
    office.risks.lister = index.risk_ids
    return index


def kpi_topics(settings: Settings, bindings: dict[str, Binding], signals: dict[str, Signal] | None = None) -> list[str]:
    """The topics the KPI consumer follows: those of the services whose events measure an activity or signal a risk."""
    services = {service for b in bindings.values() for service in b.services}
    services |= {service for s in (signals or {}).values() for service in s.services}
    return sorted(settings.topic_of(service) for service in services)


def tick(office: PlanOffice, watch: SignalWatch) -> None:
    """What the plan service does now and then: the year's revision task, and the risks' signals (an indicator's
    status changes with the passing months, not only with events)."""
    try:
        office.revision_tick()
    except Exception:  # noqa: BLE001 - a failed tick is retried at the next one; the service keeps serving
        log.exception("plan tick: the yearly revision task failed")
    evaluate_signals(watch)


def evaluate_signals(watch: SignalWatch) -> None:
    """The risks' signals, after a batch of events or on the tick; a failure (e.g. a risk changed by a request at
    the same moment) waits for the next one rather than stopping the consumer."""
    try:
        watch.evaluate()
    except Exception:  # noqa: BLE001 - the signal stays high and prompts at the next evaluation
        log.exception("plan: evaluating the risk signals failed")


async def run_ticks(office: PlanOffice, watch: SignalWatch, every: float, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.to_thread(tick, office, watch)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)


def create_app(settings: Settings, *, clock: Clock = system_clock, relay: bool | None = None) -> FastAPI:
    """`relay=False` keeps the service off Kafka and its outbox off the actions service: for tests of the API."""
    office = build_office(settings, clock)
    index = build_index(settings, office)
    actions_url = settings.plan.actions_url or settings.local_url(settings.actions_port)
    outbox = RiskActions(office, index.engine, http_opener(actions_url, settings.plan.service_token), clock)
    watch = SignalWatch(office, index, index.signals)

    app = event_sourced_service(
        "plan",
        settings,
        office,
        index.follower,
        title="CRM strategic plan service",
        description=DESCRIPTION,
        relay=relay,
        background=lambda stop: [
            outbox.follower.run_until(stop),
            follow_kpi_events(
                index,
                settings.kafka_bootstrap,
                kpi_topics(settings, office.bindings, index.signals),
                f"{settings.topic_prefix}-plan-kpi",
                stop,
                settings.kafka_partitions,
                after_batch=lambda: evaluate_signals(watch),
            ),
            run_ticks(office, watch, settings.plan.tick_seconds, stop),
        ],
    )
    app.state.office = office
    app.state.index = index
    app.state.outbox = outbox
    app.state.watch = watch
    app.state.plan_settings = settings.plan
    register_collector(app, PlanCollector(office, index, watch))
    app.include_router(router)
    app.include_router(signals_router)  # before the risks' /plan/risks/{risk_id}
    app.include_router(risks_router)
    app.include_router(kpi_router)
    app.include_router(upkeep_router)
    return app


def import_plan_file(settings: Settings, path: Path, out=sys.stdout, err=sys.stderr, by: str = "cli") -> int:
    """`crm plan import FILE`: the version recorded (or "unchanged") on stdout, every finding of the cross-check
    on stderr with its line; 2 when the file holds no plan, and nothing is recorded then."""
    office = build_office(settings)
    try:
        try:
            result = office.import_plan(path.read_bytes(), by=by, source_name=path.name)
        except DomainError as exc:
            print(f"{path}: {exc}", file=err)
            return 2
    finally:
        office.close()
    for finding in result.findings:
        print(f"{path}:{finding['line']}: {finding['detail']}", file=err)
    state = "imported as version" if result.created else "unchanged, still version"
    print(f"{path}: {state} {result.version}; {len(result.findings)} findings", file=out)
    return 0


def print_plan_report(settings: Settings, quarter: int, year: int | None, lang: str, out=None, err=None) -> int:
    """`crm plan report --quarter Q [--year Y] [--lang tr|fa]`: the printable monitoring report on stdout, from
    this machine's plan store and index; 2 when no plan was imported."""
    office = build_office(settings)
    try:
        index = build_index(settings, office)
        chosen = year or office.clock().year
        try:
            page = render_plan_report(
                quarterly_report(office, index, chosen, quarter),
                office.risks.register_as_of(),
                cost_report_of(office, index, chosen)["targets"],
                lang=lang,
                generated=office.clock(),
            )
        except DomainError as exc:
            print(str(exc), file=err or sys.stderr)
            return 2
    finally:
        office.close()
    (out or sys.stdout).write(page)
    return 0
