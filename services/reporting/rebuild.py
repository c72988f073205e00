"""`crm rebuild`: drop the read models and rebuild them from the event stores (not from Kafka).

The event stores are the source of truth; this reads them directly with the same mapping the relays use and
applies the same projection code the processors run, so the result equals what the live processors built.
Stop the reporting processor while it runs (the processor would otherwise write into the model being rebuilt).
"""

from __future__ import annotations

import sys

from services.calls.index import CallIndex
from services.calls.main import build_centre
from services.reporting.oversight import Oversight
from services.reporting.readmodel import ReadModel
from shared.db import create_engine
from shared.eventstore import CrmApplication, store_env
from shared.relay import EnvelopeMapper
from shared.settings import Settings

BATCH = 2000


def replay(app: CrmApplication, readmodel: ReadModel) -> int:
    mapper = EnvelopeMapper(app)
    position, total = 0, 0
    while True:
        notifications = app.recorder.select_notifications(position, BATCH, inclusive_of_start=False)
        if not notifications:
            return total
        readmodel.apply([mapper(n) for n in notifications])
        position = notifications[-1].id
        total += len(notifications)


def rebuild_readmodel(settings: Settings, url: str | None = None) -> dict[str, int]:
    readmodel = ReadModel(url or settings.readmodel_db_url, settings.business_calendar)
    readmodel.drop()
    counts = {}
    from services.complaints.main import build_desk

    calls = build_centre(settings)
    complaints = build_desk(settings)
    oversight = Oversight(store_env(settings, "reporting"))
    try:
        counts["calls"] = replay(calls, readmodel)
        counts["complaints"] = replay(complaints, readmodel)
        counts["reporting"] = replay(oversight, readmodel)
    finally:
        calls.close()
        complaints.close()
        oversight.close()
    return counts


def rebuild_calls_index(settings: Settings) -> int:
    centre = build_centre(settings)
    try:
        return CallIndex(
            centre, create_engine(settings.local_db_url("calls_index")), settings.business_calendar
        ).rebuild()
    finally:
        centre.close()


def rebuild_members_index(settings: Settings) -> int:
    from services.members.main import build_directory, build_index

    directory = build_directory(settings)
    try:
        return build_index(settings, directory).rebuild()
    finally:
        directory.close()


def rebuild_complaints_index(settings: Settings) -> int:
    from services.complaints.main import build_desk, build_index

    desk = build_desk(settings)
    try:
        return build_index(settings, desk).rebuild()
    finally:
        desk.close()


def rebuild_all(settings: Settings, out=sys.stdout) -> int:
    indexed = rebuild_calls_index(settings)
    print(f"calls search index: rebuilt from {indexed} events", file=out)
    members = rebuild_members_index(settings)
    print(f"member search index: rebuilt from {members} events", file=out)
    complaints = rebuild_complaints_index(settings)
    print(f"complaints index: rebuilt from {complaints} events", file=out)
    counts = rebuild_readmodel(settings)
    print(
        f"reporting read models: rebuilt from {counts['calls']} call events, {counts['complaints']} complaint events "
        f"and {counts['reporting']} reporting events",
        file=out,
    )
    return 0
