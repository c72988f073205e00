"""Composition root of the members service: event store, search index, relay to Kafka, HTTP API."""

from __future__ import annotations

from fastapi import FastAPI

from services.members.api import lookup, router, selections
from services.members.application import MemberDirectory
from services.members.index import MemberIndex
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.service import event_sourced_service
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

    app = event_sourced_service(
        "members",
        settings,
        directory,
        index.follower,
        title="CRM members service",
        description=DESCRIPTION,
        relay=relay,
    )
    app.state.directory = directory
    app.state.index = index
    app.include_router(router)
    app.include_router(selections)
    app.include_router(lookup)
    return app
