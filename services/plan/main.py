"""Composition root of the plan service: event store, relay to Kafka, metrics, HTTP API."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from fastapi import FastAPI

from services.plan.api import router
from services.plan.application import PlanOffice
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.follower import NotificationFollower
from shared.problems import DomainError
from shared.service import event_sourced_service
from shared.settings import Settings

DESCRIPTION = """The chamber's four-year strategic plan (aims, targets, strategies, activities with their indicators,
targets, monthly schedule, responsible unit and cost), imported from its tab-separated export as versions, with the
cross-check of every target's stated totals against its rows."""


def build_office(settings: Settings, clock: Clock = system_clock) -> PlanOffice:
    return PlanOffice(store_env(settings, "plan"), clock=clock)


def _nothing_to_index(conn: Any, notifications: Any) -> None:
    """The plan is one aggregate, read whole from the store: there is no local read model to keep yet."""


def build_follower(settings: Settings, office: PlanOffice) -> NotificationFollower:
    # event_sourced_service runs a follower of the store in every service; /health reports its failures.
    return NotificationFollower(
        office, "plan_follower", create_engine(settings.local_db_url("plan_index")), _nothing_to_index
    )


def create_app(settings: Settings, *, clock: Clock = system_clock, relay: bool | None = None) -> FastAPI:
    """`relay=False` keeps the service off Kafka: for tests of the API alone."""
    office = build_office(settings, clock)
    app = event_sourced_service(
        "plan",
        settings,
        office,
        build_follower(settings, office),
        title="CRM strategic plan service",
        description=DESCRIPTION,
        relay=relay,
    )
    app.state.office = office
    app.state.plan_settings = settings.plan
    app.include_router(router)
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
