"""Composition root of the members service: event store, search index, relay to Kafka, HTTP API."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from services.members.api import lookup, router, selections
from services.members.application import Clock, MemberDirectory, system_clock
from services.members.index import MemberIndex
from shared.db import create_engine
from shared.eventstore import store_env
from shared.relay import Relay
from shared.service import create_service_app
from shared.settings import Settings

DESCRIPTION = """The member database (form ME-FR-03-01-01): members with their trade group, field of activity,
products, import and export partner countries and contact persons; every change kept as an event. Search in
Persian, Arabic, Turkish or English; CSV import; frozen selections of members (invitations to specialised
sessions, survey lists); the telephone lookup of the active member owning a number."""


def build_directory(settings: Settings, clock: Clock = system_clock) -> MemberDirectory:
    return MemberDirectory(store_env(settings, "members"), clock=clock, region=settings.chamber)


def build_index(settings: Settings, directory: MemberDirectory) -> MemberIndex:
    """The search index, wired as the directory's resolver of selection criteria."""
    index = MemberIndex(directory, create_engine(settings.local_db_url("members_index")))
    directory.resolver = index.resolve
    return index


def create_app(settings: Settings, *, clock: Clock = system_clock, relay: bool | None = None) -> FastAPI:
    directory = build_directory(settings, clock)
    index = build_index(settings, directory)
    run_relay = settings.relay_embedded if relay is None else relay

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop_thread = threading.Event()
        stop_relay = asyncio.Event()
        index.follower.catch_up()
        index.follower.start(stop_thread)
        task = None
        if run_relay:
            app.state.relay = Relay(
                directory,
                settings.kafka_bootstrap,
                settings.topic_of("members"),
                batch_size=settings.relay_batch_size,
                poll_interval=settings.relay_poll_interval,
                partitions=settings.kafka_partitions,
            )
            task = asyncio.create_task(app.state.relay.run(stop_relay))
        try:
            yield
        finally:
            stop_relay.set()
            stop_thread.set()
            index.follower.wake()
            if task is not None:
                await asyncio.wait_for(task, timeout=10)
            directory.close()

    def health() -> dict:
        relay_state = getattr(app.state, "relay", None)
        return {
            "store": settings.store,
            "index_position": index.follower.position(),
            "relay_position": relay_state.published_position if relay_state else None,
        }

    app = create_service_app(
        "members", settings, title="CRM members service", description=DESCRIPTION, lifespan=lifespan, health=health
    )
    app.state.directory = directory
    app.state.index = index
    app.include_router(router)
    app.include_router(selections)
    app.include_router(lookup)
    return app
