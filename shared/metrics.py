"""Collectors that compute a service's figures from its own read side at scrape time, registered for one app."""

from __future__ import annotations

import os
from typing import Any

from fastapi import FastAPI
from prometheus_client import REGISTRY, CollectorRegistry, multiprocess


def register_collector(app: FastAPI, collector: Any) -> None:
    """Register `collector` with the process's registry for as long as `app` runs.

    One collector per kind per process: a newer app (tests build many in one process) replaces the older one, and an
    app that stops takes its collectors with it (create_service_app's lifespan), so a scrape never reaches into the
    store of an app that has closed."""
    for registered in list(_registered):
        if type(registered) is type(collector):
            _unregister(registered)
    REGISTRY.register(collector)
    _registered.append(collector)
    app.state.collectors = [*getattr(app.state, "collectors", []), collector]


def scraped_registry() -> CollectorRegistry:
    """What a scrape of this process answers: its registry, or, when the service's API runs in several processes
    (shared/processes.py), the figures every one of them keeps in the shared folder, with this process's own
    collectors."""
    if not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        return REGISTRY
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    for collector in _registered:
        registry.register(collector)
    return registry


def unregister_collectors(app: FastAPI) -> None:
    for collector in getattr(app.state, "collectors", []):
        if collector in _registered:
            _unregister(collector)
    app.state.collectors = []


def _unregister(collector: Any) -> None:
    REGISTRY.unregister(collector)
    _registered.remove(collector)


_registered: list[Any] = []
