"""Composition root of the members service: event store, search index, relay to Kafka, HTTP API, and the CSV
import command that needs them all."""

from __future__ import annotations

import sys
from pathlib import Path

from fastapi import FastAPI

from services.members.api import lookup, router, selections
from services.members.application import MemberDirectory
from services.members.csv_import import import_csv
from services.members.erasure_api import router as erasure
from services.members.index import MemberIndex
from shared.clock import Clock, system_clock
from shared.db import create_engine
from shared.eventstore import store_env
from shared.problems import DomainError
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
    app.include_router(erasure)
    app.include_router(selections)
    app.include_router(lookup)
    return app


def import_members_file(settings: Settings, path: Path, out=sys.stdout, err=sys.stderr) -> int:
    """`crm members import FILE.csv`: every rejected row on stderr with its line and reason; 1 if any was rejected."""
    directory = build_directory(settings)
    try:
        try:
            report = import_csv(directory, path)
        except DomainError as exc:  # the file as a whole cannot be read: nothing imported
            print(f"{path}: {exc}", file=err)
            return 2
        build_index(settings, directory).follower.catch_up()
    finally:
        directory.close()
    for r in sorted(report.rejected, key=lambda r: r.line or 0):
        where = f"{path}:{r.line}" if r.line else str(path)
        field_ = f" ({r.field})" if r.field else ""
        print(f"{where}: rejected {r.membership_number or '-'}{field_}: {r.reason}", file=err)
    print(
        f"{path}: {report.created} created, {report.updated} updated, {report.unchanged} unchanged, {len(report.rejected)} rejected",
        file=out,
    )
    return 1 if report.rejected else 0
