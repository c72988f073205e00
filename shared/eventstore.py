"""The base of every service's eventsourcing Application: where its store lives and who to wake after a save."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from typing import Any, ClassVar

from eventsourcing.application import Application
from eventsourcing.persistence import IntegrityError, Recording

from shared.settings import Settings


def store_env(settings: Settings, service: str) -> dict[str, str]:
    """The eventsourcing environment of one service: its own SQLite file, or its own PostgreSQL schema."""
    if settings.store == "postgres":
        schema = f"{settings.postgres_schema_prefix}{service}"
        ensure_schema(settings, schema)
        return {
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": settings.postgres_dbname,
            "POSTGRES_HOST": settings.postgres_host,
            "POSTGRES_PORT": str(settings.postgres_port),
            "POSTGRES_USER": settings.postgres_user,
            "POSTGRES_PASSWORD": settings.postgres_password,
            "POSTGRES_SCHEMA": schema,
            "CREATE_TABLE": "y",
        }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        "PERSISTENCE_MODULE": "eventsourcing.sqlite",
        "SQLITE_DBNAME": str((settings.data_dir / f"{service}.events.db").resolve()),
        "SQLITE_LOCK_TIMEOUT": "30",
        "CREATE_TABLE": "y",
    }


def ensure_schema(settings: Settings, schema: str) -> None:
    """Each service keeps its events in a schema of its own, created on first start."""
    import psycopg

    with psycopg.connect(
        host=settings.postgres_host,
        port=settings.postgres_port,
        user=settings.postgres_user,
        password=settings.postgres_password or None,
        dbname=settings.postgres_dbname,
        autocommit=True,
        connect_timeout=10,
    ) as conn:
        conn.execute(f'CREATE SCHEMA IF NOT EXISTS "{schema}"')


class CrmApplication(Application):
    """An Application that tells its followers (relay, local projections) as soon as new events are stored."""

    service: ClassVar[str]

    def __init__(self, env: dict[str, Any] | None = None):
        for attempt in range(3):
            try:
                super().__init__(env)
                break
            except IntegrityError:
                # A service and its relay started together both create the tables; on PostgreSQL the loser of
                # that race gets a unique violation on the catalogue even with IF NOT EXISTS. The tables exist now.
                if attempt == 2:
                    raise
        self._listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()

    def on_recorded(self, listener: Callable[[], None]) -> None:
        with self._listeners_lock:
            self._listeners.append(listener)

    def _notify(self, recordings: list[Recording]) -> None:
        if recordings:
            for listener in list(self._listeners):
                listener()


_CAMEL = re.compile(r"(?<!^)(?=[A-Z])")


def event_type_name(service: str, topic: str) -> str:
    """`services.calls.domain:Call.Received` -> `crm.calls.call.received.v1` (the stable, versioned CloudEvents type)."""
    qualname = topic.split(":", 1)[1]
    parts = [_CAMEL.sub("_", p).lower() for p in qualname.split(".")]
    return ".".join(["crm", service, *parts, "v1"])
