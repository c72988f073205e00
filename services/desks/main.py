"""Composition root of the desks service: event store, its index, the outbox that opens corrective actions and
complaints, the relay to Kafka, the deadline checks (missed follow-ups, slot reminders due, overdue session
decisions), the HTTP API."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress

from fastapi import FastAPI

from services.desks.api import internal, router
from services.desks.application import DeskOffice
from services.desks.erasure_api import router as erasure
from services.desks.index import DeskIndex
from services.desks.members import MemberBook
from services.desks.metrics import DeskCollector
from services.desks.outbox import Open, Outbox, http_opener
from services.desks.public import limiter, public
from services.desks.session_api import sessions
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.metrics import register_collector
from shared.service import event_sourced_service
from shared.settings import Settings
from shared.topic_feed import follow_topics

log = logging.getLogger(__name__)

DESCRIPTION = """Service desks (six PDCA steps): a government agency meets members at the chamber. Planning with the
agency's liaison and the registrants planning form MM-FR-01-05-01; announcement by four routes; registration of
problem forms MM-FR-02-05-01 into ten-minute slots with a waiting list; reminder calls, attendance and the agency's
decisions; minutes reviewed, sent and archived; a follow-up call per decision within five working days (a missed
one is a breach), checklist MM-FR-03-05-01, and a corrective action for a decision not carried out."""


def build_office(settings: Settings, clock: Clock = system_clock) -> DeskOffice:
    return DeskOffice(
        store_env(settings, "desks"), calendar=settings.business_calendar, clock=clock, config=settings.desks
    )


def build_index(settings: Settings, office: DeskOffice) -> DeskIndex:
    """The index, wired as the office's lists of desks not closed and sessions with open decisions."""
    index = DeskIndex(office, create_engine(settings.local_db_url("desks_index")))
    office.open_desks = index.open_desk_ids
    office.sessions_with_open_decisions = index.sessions_with_open_decisions
    return index


async def check_deadlines(office: DeskOffice, every: float, stop: asyncio.Event) -> None:
    """Record missed desk follow-ups, slot reminders due and overdue session decisions now and then; idempotent,
    so several replicas may run it."""
    while not stop.is_set():
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        if stop.is_set():
            return
        try:
            await asyncio.to_thread(office.record_missed_follow_ups)
            await asyncio.to_thread(office.record_reminders_due)
            await asyncio.to_thread(office.record_overdue_decisions)
        except Exception:  # a locked database or a lost connection: log it and try at the next tick
            log.exception("desk and session deadlines could not be checked")


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    relay: bool | None = None,
    open_action: Open | None = None,
    open_complaint: Open | None = None,
) -> FastAPI:
    """`relay=False` keeps the service off Kafka and its background checks off: for tests of the API alone.
    `open_action` and `open_complaint` replace the HTTP calls to the actions and complaints services' doors."""
    office = build_office(settings, clock)
    index = build_index(settings, office)
    members = MemberBook(create_engine(settings.local_db_url("desks_members")), on_erased=index.forget_members)
    config = settings.desks
    actions_url = config.actions_url or settings.local_url(settings.actions_port)
    outbox = Outbox(
        office,
        create_engine(settings.local_db_url("desks_outbox")),
        open_action or http_opener(actions_url, config.service_token, "/internal/actions"),
        open_complaint or http_opener(settings.complaints_base_url, config.service_token, "/internal/complaints"),
        clock,
    )

    app = event_sourced_service(
        "desks",
        settings,
        office,
        index.follower,
        title="CRM service desks",
        description=DESCRIPTION,
        relay=relay,
        background=lambda stop: [
            check_deadlines(office, config.deadline_check_seconds, stop),
            outbox.follower.run_until(stop),
            follow_topics(
                members.apply,
                bootstrap=settings.kafka_bootstrap,
                topics=[settings.topic_of("members")],
                group=f"{settings.topic_prefix}-desks-members",
                stop=stop,
                partitions=settings.kafka_partitions,
                name="desks member book",
            ),
        ],
    )
    app.state.office = office
    app.state.index = index
    app.state.members = members
    register_collector(app, DeskCollector(office, index))
    app.state.outbox = outbox
    app.include_router(internal)
    app.include_router(router)
    app.include_router(erasure)
    app.include_router(sessions)
    app.include_router(public)
    app.state.public_limiter = limiter(office, config.public_rate_limit, config.public_rate_window_seconds)
    return app
