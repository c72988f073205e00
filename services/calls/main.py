"""Composition root of the calls service: event store, search index, relay to Kafka, HTTP API."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from services.calls.api import queues, router, telephony
from services.calls.application import CallCentre, Clock, system_clock
from services.calls.index import CallIndex
from services.calls.members import MemberLookup, follow_members
from shared.db import create_engine
from shared.eventstore import store_env
from shared.relay import Relay
from shared.service import create_service_app
from shared.settings import Settings

DESCRIPTION = """Every member's call tracked from the first ring to the callback (procedure of the Member
Communication Center): telephony ingestion, the member-relations experts' work on calls, unanswered-call records
and the personal and unit queues."""


def build_centre(settings: Settings, clock: Clock = system_clock) -> CallCentre:
    return CallCentre(
        store_env(settings, "calls"),
        organisation=settings.organisation,
        calendar=settings.business_calendar,
        clock=clock,
        region=settings.chamber,
        callback_deadline=timedelta(hours=settings.callback_deadline_working_hours),
    )


def create_app(settings: Settings, *, clock: Clock = system_clock, relay: bool | None = None) -> FastAPI:
    """`relay=False` keeps the service off Kafka (no relay, no member feed): for tests of the API alone."""
    centre = build_centre(settings, clock)
    engine = create_engine(settings.local_db_url("calls_index"))
    index = CallIndex(centre, engine, settings.business_calendar)
    lookup = MemberLookup(engine)
    centre.member_lookup = lookup.member_of
    run_relay = settings.relay_embedded if relay is None else relay

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_thread = threading.Event()
        stop_relay = asyncio.Event()
        index.follower.catch_up()
        follower_thread = index.follower.start(stop_thread)
        task = None
        if run_relay:
            app.state.relay = Relay(
                centre,
                settings.kafka_bootstrap,
                settings.topic_of("calls"),
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval,
                partitions=settings.kafka_partitions,
            )
            task = asyncio.create_task(app.state.relay.run(stop_relay))
        feed = None
        if relay is not False:
            feed = asyncio.create_task(
                follow_members(
                    lookup, settings.kafka_bootstrap, settings.topic_of("members"), f"{settings.topic_prefix}-calls-members", stop_relay,
                    settings.kafka_partitions,
                )
            )
        try:
            yield
        finally:
            stop_relay.set()
            stop_thread.set()
            index.follower.wake()
            for running in (task, feed):
                if running is not None:
                    await asyncio.wait_for(running, timeout=10)
            # The follower reads the event store: closing the store under it crashed the process (SQLite).
            await asyncio.to_thread(follower_thread.join, 10)
            centre.close()

    def health() -> dict:
        relay_state = getattr(app.state, "relay", None)
        return {
            "store": settings.store,
            "index_position": index.follower.position(),
            "relay_position": relay_state.published_position if relay_state else None,
        }

    app = create_service_app("calls", settings, title="CRM calls service", description=DESCRIPTION, lifespan=lifespan, health=health)
    app.state.centre = centre
    app.state.index = index
    app.include_router(telephony)
    app.include_router(router)
    app.include_router(queues)
    return app
