"""`crm rebuild`: drop the read models and rebuild them from the event stores (not from Kafka).

The event stores are the source of truth; this reads them directly with the same mapping the relays use and
applies the same projection code the processors and followers run, so the result equals what they built live.
Which stores, indexes and read models there are comes from the registry. Stop the processors while it runs (they
would otherwise write into the models being rebuilt).
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any

from services.registry import PROCESSORS, SERVICES, Processor, load
from shared.eventstore import CrmApplication
from shared.relay import EnvelopeMapper
from shared.settings import Settings

BATCH = 2000


def replay(app: CrmApplication, readmodel: Any) -> int:
    """Every event of the application's store, in order, into `readmodel.apply` (a read model or its bulk loader)."""
    mapper = EnvelopeMapper(app)
    position, total = 0, 0
    while True:
        notifications = app.recorder.select_notifications(position, BATCH, inclusive_of_start=False)
        if not notifications:
            return total
        readmodel.apply(mapper.many(notifications))
        position = notifications[-1].id
        total += len(notifications)


def rebuild_readmodel(settings: Settings, url: str | None = None, processor: str = "reporting") -> dict[str, int]:
    """Events replayed per source service into the processor's read model (at `url`, or where it lives)."""
    entry: Processor = PROCESSORS[processor]
    readmodel = load(entry.readmodel)(settings, url)
    readmodel.drop()
    target = load(entry.rebuilder)(readmodel) if entry.rebuilder else readmodel
    counts = {}
    for source in entry.sources:
        app = load(SERVICES[source].application)(settings)
        try:
            counts[source] = replay(app, target)
        finally:
            app.close()
    if entry.rebuilder:
        target.close()
    return counts


def rebuild_index(settings: Settings, service: str) -> int:
    entry = SERVICES[service]
    app = load(entry.application)(settings)
    try:
        return load(entry.index)(settings, app).rebuild()
    finally:
        app.close()


def _index_line(settings: Settings, service: str) -> str:
    return f"{SERVICES[service].index_label}: rebuilt from {rebuild_index(settings, service)} events"


def _readmodel_line(settings: Settings, processor: str) -> str:
    counts = rebuild_readmodel(settings, processor=processor)
    replayed = ", ".join(f"{n} {source} events" for source, n in counts.items())
    return f"{processor} read models: rebuilt from {replayed}"


def rebuild_all(settings: Settings, out=sys.stdout, jobs: int | None = None) -> int:
    """Every index and every processor's read models. They write to separate tables and only read the stores, so
    with `jobs` > 1 (default: one per CPU) they are rebuilt side by side in worker processes: the calls index and
    the reporting read models, most of a rebuild, each take a core instead of one waiting for the other."""
    tasks: list[tuple[Callable[[Settings, str], str], str]] = [
        (_index_line, service.name) for service in SERVICES.values() if service.index
    ]
    tasks += [(_readmodel_line, processor.name) for processor in PROCESSORS.values()]
    jobs = max(1, min(len(tasks), jobs if jobs is not None else os.cpu_count() or 1))
    if jobs == 1:
        for task, name in tasks:
            print(task(settings, name), file=out)
        return 0
    # Forked before anything opened a database or started a thread; each worker opens its own connections. The
    # settings reach the workers by the fork (they hold caches that do not pickle), each task by its name.
    global _worker_tasks
    _worker_tasks = (settings, tasks)
    try:
        with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            # The longest first (the calls index, the reporting read models) so that neither waits behind others.
            heavy = sorted(range(len(tasks)), key=lambda i: tasks[i][1] not in ("calls", "reporting"))
            futures = {i: pool.submit(_run_task, i) for i in heavy}
            for i in range(len(tasks)):
                print(futures[i].result(), file=out)
    finally:
        _worker_tasks = None
    return 0


_worker_tasks: tuple[Settings, list[tuple[Callable[[Settings, str], str], str]]] | None = None


def _run_task(i: int) -> str:
    assert _worker_tasks is not None, "only in a worker forked by rebuild_all"
    settings, tasks = _worker_tasks
    task, name = tasks[i]
    return task(settings, name)
