"""`crm rebuild`: drop the read models and rebuild them from the event stores (not from Kafka).

The event stores are the source of truth; this reads them directly with the same mapping the relays use and
applies the same projection code the processors and followers run, so the result equals what they built live.
Which stores, indexes and read models there are comes from the registry. Stop the processors while it runs (they
would otherwise write into the models being rebuilt).
"""

from __future__ import annotations

import sys
from typing import Any

from services.registry import PROCESSORS, SERVICES, Processor, load
from shared.eventstore import CrmApplication
from shared.relay import EnvelopeMapper
from shared.settings import Settings

BATCH = 2000


def replay(app: CrmApplication, readmodel: Any) -> int:
    mapper = EnvelopeMapper(app)
    position, total = 0, 0
    while True:
        notifications = app.recorder.select_notifications(position, BATCH, inclusive_of_start=False)
        if not notifications:
            return total
        readmodel.apply([mapper(n) for n in notifications])
        position = notifications[-1].id
        total += len(notifications)


def rebuild_readmodel(settings: Settings, url: str | None = None, processor: str = "reporting") -> dict[str, int]:
    """Events replayed per source service into the processor's read model (at `url`, or where it lives)."""
    entry: Processor = PROCESSORS[processor]
    readmodel = load(entry.readmodel)(settings, url)
    readmodel.drop()
    counts = {}
    for source in entry.sources:
        app = load(SERVICES[source].application)(settings)
        try:
            counts[source] = replay(app, readmodel)
        finally:
            app.close()
    return counts


def rebuild_index(settings: Settings, service: str) -> int:
    entry = SERVICES[service]
    app = load(entry.application)(settings)
    try:
        return load(entry.index)(settings, app).rebuild()
    finally:
        app.close()


def rebuild_all(settings: Settings, out=sys.stdout) -> int:
    for service in SERVICES.values():
        if service.index:
            print(f"{service.index_label}: rebuilt from {rebuild_index(settings, service.name)} events", file=out)
    for processor in PROCESSORS.values():
        counts = rebuild_readmodel(settings, processor=processor.name)
        replayed = ", ".join(f"{n} {source} events" for source, n in counts.items())
        print(f"{processor.name} read models: rebuilt from {replayed}", file=out)
    return 0
