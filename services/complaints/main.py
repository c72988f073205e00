"""Composition root of the complaints service: event store, documents, search index, relay to Kafka, deadline
checks, HTTP API (staff, public form, internal)."""

from __future__ import annotations

import asyncio
import logging
from contextlib import suppress
from datetime import timedelta

from fastapi import FastAPI

from services.complaints.api import router
from services.complaints.application import ComplaintDesk
from services.complaints.documents import DocumentStore
from services.complaints.erasure_api import router as erasure
from services.complaints.index import ComplaintIndex
from services.complaints.internal import internal
from services.complaints.outbox import CorrectiveActionOutbox, http_opener
from services.complaints.public import public
from services.complaints.report_api import reports
from services.complaints.tracking_page import tracking_page
from shared.calendar_feed import CalendarFeed
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.ratelimit import RateLimiter
from shared.service import event_sourced_service
from shared.settings import ComplaintSettings, Settings
from shared.topic_feed import follow_topics

log = logging.getLogger(__name__)

DESCRIPTION = """Complaints, criticism, suggestions and reported problems handled to the end under ISO 10002
(docs/procedures.md#complaints): receipt in person, by phone, on the website and from other services; acknowledgement, review,
referral to the SG, assignment of a handler who is no stakeholder, investigation, decision, the complaint
committee and its corrective actions, notification, closing, satisfaction and reopening. Every step is an event;
the complaint form ME-FR-01-01-01 is a view of them. Confidential complaints are hidden from all but the roles
that handle them."""


# The chamber's calendar changes, as the calls service publishes them (services/calls/calendar.py).
CALENDAR_EVENTS = {
    "crm.calls.calendar.schedule_set.v1": "schedule",
    "crm.calls.calendar.day_closed.v1": "closure",
}


def build_desk(
    settings: Settings, clock: Clock = system_clock, config: ComplaintSettings | None = None
) -> ComplaintDesk:
    config = config or settings.complaints
    return ComplaintDesk(
        store_env(settings, "complaints"),
        organisation=settings.organisation,
        calendar=settings.business_calendar,
        clock=clock,
        region=settings.chamber,
        config=config,
        documents=DocumentStore(settings.data_dir / "documents", max_bytes=config.document_max_bytes),
    )


def build_index(settings: Settings, desk: ComplaintDesk) -> ComplaintIndex:
    """The search index, wired as the desk's list of complaints whose deadlines may still pass."""
    index = ComplaintIndex(desk, create_engine(settings.local_db_url("complaints_index")))
    desk.lister = index.open_ids
    return index


async def check_deadlines(desk: ComplaintDesk, every: float, stop: asyncio.Event) -> None:
    """Record breached stage deadlines now and then; idempotent, so several replicas may run it."""
    while not stop.is_set():
        with suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=every)
        if stop.is_set():
            return
        try:
            await asyncio.to_thread(desk.record_breaches)
        except Exception:  # a locked database or a lost connection: log it and try at the next tick
            log.exception("complaint deadlines could not be checked")


def create_app(
    settings: Settings,
    *,
    clock: Clock = system_clock,
    relay: bool | None = None,
    config: ComplaintSettings | None = None,
) -> FastAPI:
    """`relay=False` keeps the service off Kafka and turns its background deadline checks off: for tests of the
    API alone. `config` overrides `settings.complaints`."""
    config = config or settings.complaints
    desk = build_desk(settings, clock, config)
    index = build_index(settings, desk)
    # Stage deadlines are counted on the calendar at each reading, so a closure or schedule the chamber enters
    # (kept by the calls service) moves every open stage's deadline as soon as this feed applies it.
    # Each change newly applied records, on every open complaint whose running stage it moves, the old and new
    # deadline and why (Complaint.DeadlineMoved).
    calendar_feed = CalendarFeed(
        index.engine,
        desk.calendar,
        CALENDAR_EVENTS,
        on_change=desk.move_deadlines,
    )
    outbox = CorrectiveActionOutbox(
        desk,
        index.engine,
        http_opener(settings.actions_base_url, settings.complaints_service_token),
        clock,
    )

    app = event_sourced_service(
        "complaints",
        settings,
        desk,
        index.follower,
        title="CRM complaints service",
        description=DESCRIPTION,
        relay=relay,
        background=lambda stop: [
            check_deadlines(desk, config.deadline_check_seconds, stop),
            outbox.follower.run_until(stop),
            follow_topics(
                calendar_feed.apply,
                bootstrap=settings.kafka_bootstrap,
                topics=[settings.topic_of("calls")],
                group=f"{settings.topic_prefix}-complaints-calendar",
                stop=stop,
                partitions=settings.kafka_partitions,
                name="calendar feed",
            ),
        ],
    )
    app.state.desk = desk
    app.state.calendar_feed = calendar_feed
    app.state.index = index
    app.state.action_outbox = outbox
    app.state.complaint_settings = config
    app.state.public_limiter = RateLimiter(
        config.public_rate_limit, timedelta(seconds=config.public_rate_window_seconds), clock
    )
    app.state.tracking_limiter = RateLimiter(
        config.public_tracking_rate_limit, timedelta(seconds=config.public_rate_window_seconds), clock
    )
    app.include_router(public)
    app.include_router(tracking_page)
    app.include_router(internal)
    app.include_router(router)
    app.include_router(erasure)
    app.include_router(reports)
    return app
