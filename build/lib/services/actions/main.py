"""Composition root of the actions service: event store, index, relay to Kafka, deadline checks, metrics, HTTP API
(staff and internal)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from fastapi import FastAPI

from services.actions.api import internal, router
from services.actions.application import ActionRegister, ActionSettings
from services.actions.index import ActionIndex
from services.actions.metrics import ActionCollector
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.metrics import register_collector
from shared.service import event_sourced_service
from shared.settings import Settings

log = logging.getLogger(__name__)

DESCRIPTION = """The chamber's one corrective-action loop (procedure SY-PR-05-00-02), whatever revealed the problem:
a complaint's committee, a unit repeatedly failing to answer calls, a survey result, a service desk, a specialised
session, the risk register. An action is opened (by hand, or by another service through the internal door keyed by
its source reference), assigned to an owner in a unit with a due date in working days, followed with progress
notes, done, checked for effectiveness after a delay by the owner's manager, and closed or reopened. Passed due
dates and failed effectiveness checks are events, listed for the SG and counted for Grafana."""


def build_register(
    settings: Settings, clock: Clock = system_clock, config: ActionSettings | None = None
) -> ActionRegister:
    return ActionRegister(
        store_env(settings, "actions"),
        calendar=settings.business_calendar,
        organisation=settings.organisation,
        clock=clock,
        config=config or ActionSettings.from_settings(settings),
    )


def build_index(settings: Settings, register: ActionRegister) -> ActionIndex:
    """The index, wired as the register's list of actions that may still pass a deadline."""
    index = ActionIndex(register, create_engine(settings.local_db_url("actions_index")))
    register.lister = index.active_ids
    return index


async def check_deadlines(register: ActionRegister, every: float, stop: asyncio.Event) -> None:
    """Record passed due dates and due effectiveness checks now and then; idempotent, so several replicas may run
    it."""
    while not stop.is_set():
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        if stop.is_set():
            return
        try:
            await asyncio.to_thread(register.record_deadlines)
        except Exception:  # a locked database or a lost connection: log it and try at the next tick
            log.exception("corrective action deadlines could not be checked")


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    relay: bool | None = None,
    config: ActionSettings | None = None,
) -> FastAPI:
    """`relay=False` keeps the service off Kafka and turns its background deadline checks off: for tests of the API
    alone. `config` overrides the corrective-action settings read from `settings`."""
    config = config or ActionSettings.from_settings(settings)
    register = build_register(settings, clock, config)
    index = build_index(settings, register)

    app = event_sourced_service(
        "actions",
        settings,
        register,
        index.follower,
        title="CRM corrective actions service",
        description=DESCRIPTION,
        relay=relay,
        background=lambda stop: [check_deadlines(register, config.deadline_check_seconds, stop)],
    )
    app.state.register = register
    app.state.index = index
    app.state.action_settings = config
    register_collector(app, ActionCollector(index, clock))
    app.include_router(internal)
    app.include_router(router)
    return app
