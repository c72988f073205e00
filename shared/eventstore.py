"""The base of every service's eventsourcing Application: where its store lives and who to wake after a save."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from contextlib import nullcontext
from pathlib import Path
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import EventStore, IntegrityError, InternalError, Mapper, Recording, StoredEvent
from eventsourcing.sqlite import SQLiteConnectionPool

from shared.contracts import EventContract
from shared.errors import DomainError, NotFound
from shared.privacy import KeyStore, MemoryKeyStore, Sealer, SealingEventStore, SealingMapper, SqliteKeyStore
from shared.settings import Settings
from shared.write_lock import StoreWriteLock

PRIVACY_KEYS = "CRM_PRIVACY_KEYS_DIR"  # the env entry naming the application's key folder


def store_env(settings: Settings, service: str) -> dict[str, str]:
    """The eventsourcing environment of one service: its own SQLite file, or its own PostgreSQL schema."""
    keys = {PRIVACY_KEYS: str(settings.privacy_keys.resolve())}
    if settings.store == "postgres":
        schema = f"{settings.postgres_schema_prefix}{service}"
        ensure_schema(settings, schema)
        return {
            **keys,
            "PERSISTENCE_MODULE": "eventsourcing.postgres",
            "POSTGRES_DBNAME": settings.postgres_dbname,
            "POSTGRES_HOST": settings.postgres_host,
            "POSTGRES_PORT": str(settings.postgres_port),
            "POSTGRES_USER": settings.postgres_user,
            "POSTGRES_PASSWORD": settings.postgres_password,
            "POSTGRES_SCHEMA": schema,
            "POSTGRES_POOL_SIZE": os.environ.get("POSTGRES_POOL_SIZE") or str(settings.postgres_pool_size),
            "POSTGRES_MAX_OVERFLOW": os.environ.get("POSTGRES_MAX_OVERFLOW") or str(settings.postgres_pool_overflow),
            "CREATE_TABLE": "y",
            # Appends in one round trip, with the table lock that keeps notification ids in commit order.
            "APPLICATION_RECORDER_TOPIC": "shared.pg_recorder:OneTripRecorder",
        }
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return {
        **keys,
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


A = TypeVar("A")

# SQLite connections an event store keeps open between uses. eventsourcing keeps 5 and closes every connection
# handed back past that: with a service's requests reading the store from more threads at once (its request pool
# runs 40), each such read opened a connection (and asked its journal mode) and closed it again, a twelfth of a
# staff command's CPU time under load (bench/command_api.py).
SQLITE_POOL_SIZE = 20
FIND_BATCH = 500  # ids per query of `find_aggregates`, far below SQLite's limit of bound values
SQLITE_POOL_OVERFLOW = 20


def keep_sqlite_connections(recorder: Any) -> None:
    """Widen the pool of a SQLite event store (only: PostgreSQL's is sized by POSTGRES_POOL_SIZE)."""
    pool = getattr(getattr(recorder, "datastore", None), "pool", None)
    if isinstance(pool, SQLiteConnectionPool) and not pool.is_sqlite_memory_mode:
        pool.pool_size = max(pool.pool_size, SQLITE_POOL_SIZE)
        pool.max_overflow = max(pool.max_overflow, SQLITE_POOL_OVERFLOW)


class CrmApplication(Application[Any]):
    """An Application that tells its followers (relay, local projections) as soon as new events are stored."""

    service: ClassVar[str]
    contract: ClassVar[EventContract]  # the events it publishes, with their wire types (services/<service>/contract.py)
    # Per aggregate class, its events' fields holding personal data: stored sealed with a key per person, the
    # aggregate (shared/privacy.py).
    personal_fields: ClassVar[dict[str, frozenset[str]]] = {}
    sealer: Sealer | None = None

    def construct_mapper(self) -> Mapper[Any]:
        mapper = super().construct_mapper()
        if not self.personal_fields:
            return mapper
        folder = self.env.get(PRIVACY_KEYS)
        keys: KeyStore = SqliteKeyStore(Path(folder)) if folder else MemoryKeyStore()
        self.sealer = self.construct_sealer(keys)
        return SealingMapper(
            self.sealer, transcoder=mapper.transcoder, compressor=mapper.compressor, cipher=mapper.cipher
        )

    def construct_sealer(self, keys: KeyStore) -> Sealer:
        """Seals each event with the key of its aggregate; a service whose events are about another person (a
        call, about its caller) names whose key seals them."""
        return Sealer(keys, self.personal_fields)

    def construct_event_store(self) -> EventStore[Any]:
        if isinstance(self.mapper, SealingMapper):  # the keys a save makes are stored before its events
            return SealingEventStore(self.mapper, self.recorder)
        return super().construct_event_store()

    def __init__(self, env: dict[str, Any] | None = None):
        for attempt in range(3):
            try:
                super().__init__(env)
                break
            except (IntegrityError, InternalError):
                # A service and its relay started together both create the tables; on PostgreSQL the loser of
                # that race gets a unique violation on the catalogue even with IF NOT EXISTS, or "tuple
                # concurrently updated" from two CREATE OR REPLACE FUNCTION at once. The tables exist now.
                if attempt == 2:
                    raise
        keep_sqlite_connections(self.recorder)
        pool = getattr(getattr(self.recorder, "datastore", None), "pool", None)
        self._write_lock = (
            StoreWriteLock(pool.db_name)
            if isinstance(pool, SQLiteConnectionPool) and not pool.is_sqlite_memory_mode
            else None
        )
        self._listeners: list[Callable[[], None]] = []
        self._listeners_lock = threading.Lock()

    def save(self, *objs: Any, **kwargs: Any) -> list[Recording[Any]]:
        """eventsourcing's `save`, collecting an aggregate's events without its two runtime protocol checks per
        object (is it a domain event? does it collect events?): a twentieth of an import's CPU. An `Aggregate` is
        no domain event (it has no originator_id) and collects its own; anything else goes the library's way."""
        if not objs or not all(isinstance(o, Aggregate) for o in objs):
            return super().save(*objs, **kwargs)
        processing_event: ProcessingEvent[Any] = ProcessingEvent()
        for obj in objs:
            processing_event.events.extend(obj.collect_events())
            processing_event.aggregates[obj.id] = obj
        processing_event.saved_kwargs.update(kwargs)
        recordings = self._record(processing_event)
        self._take_snapshots(processing_event)
        self._notify(recordings)
        self.notify(processing_event.events)  # the library's own (deprecated) hook, as its save calls it
        return recordings

    def _record(self, processing_event: ProcessingEvent[Any]) -> list[Recording[Any]]:
        """Recorded, and with the aggregate cache on, each aggregate just saved kept there as it now is (unless a
        newer version of it is kept already, saved meanwhile by another thread): the library keeps them only when
        it does not fast-forward cached aggregates, so the next load of a call saved here, the next PBX event's or
        the next webhook round's (`find_aggregates`), found the cache one version behind and read it again."""
        with self._write_lock.held() if self._write_lock is not None else nullcontext():
            recordings = super()._record(processing_event)
        cache: Any = self.repository.cache
        if cache is not None and self.repository.fastforward:
            for aggregate_id, aggregate in processing_event.aggregates.items():
                try:
                    kept = cache.get(aggregate_id)
                except KeyError:
                    kept = None
                if kept is None or kept.version < aggregate.version:
                    cache.put(aggregate_id, aggregate)
        return recordings

    def close(self) -> None:
        super().close()
        if self._write_lock is not None:
            self._write_lock.close()
        close_keys = getattr(self.sealer.keys, "close", None) if self.sealer is not None else None
        if close_keys is not None:
            close_keys()

    def on_recorded(self, listener: Callable[[], None]) -> None:
        with self._listeners_lock:
            self._listeners.append(listener)

    def recorded_elsewhere(self) -> None:
        """Another process stored events in this store (a replica of the service's API): the listeners look now."""
        for listener in list(self._listeners):
            listener()

    def _notify(self, recordings: list[Recording[Any]]) -> None:
        if recordings:
            for listener in list(self._listeners):
                listener()

    def latest_version(self, aggregate_id: UUID) -> int | None:
        """The version of the aggregate's last stored event (None when it has none): the version column alone, read
        from the primary key's index. The recorder's own `select_events(desc=True, limit=1)` reads the whole last
        event, a large one at that (a started round's event names 30,000 members)."""
        recorder: Any = self.recorder
        datastore: Any = getattr(recorder, "datastore", None)  # none in memory
        if hasattr(datastore, "schema"):  # PostgreSQL
            from psycopg.sql import SQL, Identifier

            statement = SQL("SELECT max(originator_version) FROM {schema}.{table} WHERE originator_id = %s").format(
                schema=Identifier(datastore.schema), table=Identifier(recorder.events_table_name)
            )
            with datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, [aggregate_id], prepare=True)
                row = curs.fetchone()
            found = row["max"] if isinstance(row, dict) else row[0] if row else None
            return int(found) if found is not None else None
        if hasattr(datastore, "transaction") and hasattr(recorder, "events_table_name"):  # SQLite
            with datastore.transaction(commit=False) as c:
                c.execute(
                    f"SELECT max(originator_version) FROM {recorder.events_table_name} WHERE originator_id=?",
                    [aggregate_id.hex if isinstance(aggregate_id, UUID) else aggregate_id],
                )
                found = c.fetchone()[0]
            return int(found) if found is not None else None
        last = recorder.select_events(aggregate_id, desc=True, limit=1)  # any other recorder (in memory)
        return last[0].originator_version if last else None

    def find_aggregate(self, aggregate_id: UUID | str, kind: type[A], *, deepcopy: bool = True) -> A | None:
        """The `kind` aggregate stored under `aggregate_id`, or None: for an id that is not a UUID, one never stored
        and one that holds another kind of aggregate (an id taken from a URL may name anything). `deepcopy=False`:
        the repository's cached aggregate itself, for a caller that makes its own, cheaper private copy."""
        try:
            found: Any = self.repository.get(
                aggregate_id if isinstance(aggregate_id, UUID) else UUID(str(aggregate_id)),
                deepcopy_from_cache=deepcopy,
            )
        except (ValueError, AggregateNotFoundError):
            return None
        return found if isinstance(found, kind) else None

    def find_aggregates(self, aggregate_ids: list[UUID], kind: type[A]) -> dict[UUID, A]:
        """The `kind` aggregates stored under these ids, as `find_aggregate` finds each one, from one query of the
        store for all of them (an import's batch of members, a webhook round's calls) rather than one per id.

        With the aggregate cache on, an aggregate the cache holds at its stored version is the cached object
        itself (copy it before changing it, as `repository.get(..., deepcopy_from_cache=False)` asks too); one
        the store holds newer events of (another process wrote it) is read again from the store, and cached."""
        recorder: Any = self.recorder
        table = getattr(recorder, "events_table_name", None)
        if len(aggregate_ids) > FIND_BATCH:
            found: dict[UUID, A] = {}
            for start in range(0, len(aggregate_ids), FIND_BATCH):
                found.update(self.find_aggregates(aggregate_ids[start : start + FIND_BATCH], kind))
            return found
        if not aggregate_ids:
            return {}
        if self.snapshots is not None or table is None:
            each = {i: self.find_aggregate(i, kind) for i in aggregate_ids}  # what only the repository knows
            return {i: a for i, a in each.items() if a is not None}
        cache: Any = self.repository.cache
        cached: dict[UUID, Any] = {}
        if cache is not None:
            for i in aggregate_ids:
                try:
                    cached[i] = cache.get(i)
                except KeyError:
                    pass
        rows: dict[UUID, list[tuple[int, str, bytes]]] = {}
        for originator_id, version, topic, state in self._select_events_of(aggregate_ids):
            key = originator_id if isinstance(originator_id, UUID) else UUID(str(originator_id))
            rows.setdefault(key, []).append((version, topic, state))
        aggregates: dict[UUID, Any] = {}
        with self.sealer.reading() if self.sealer is not None else nullcontext():
            for i, stored in rows.items():
                held = cached.get(i)
                if held is not None and stored[-1][0] == held.version:
                    aggregates[i] = held
                    continue
                aggregate: Any = None
                for version, topic, state in stored:
                    event: Any = self.mapper.to_domain_event(StoredEvent(i, version, topic, state))
                    aggregate = event.mutate(aggregate)
                aggregates[i] = aggregate
                if cache is not None and aggregate is not None:
                    cache.put(i, aggregate)
        return {i: a for i, a in aggregates.items() if isinstance(a, kind)}

    def _select_events_of(self, aggregate_ids: list[UUID]) -> list[tuple[Any, int, str, bytes]]:
        """Every stored event of these aggregates in one query, by aggregate and version."""
        recorder: Any = self.recorder
        datastore: Any = getattr(recorder, "datastore", None)
        table = recorder.events_table_name
        columns = "originator_id, originator_version, topic, state"
        if hasattr(datastore, "schema"):  # PostgreSQL
            from psycopg.sql import SQL, Identifier

            statement = SQL(
                "SELECT " + columns + " FROM {schema}.{table} WHERE originator_id = ANY(%s) "
                "ORDER BY originator_id, originator_version"
            ).format(schema=Identifier(datastore.schema), table=Identifier(table))
            with datastore.get_connection() as conn, conn.cursor() as curs:
                curs.execute(statement, [list(aggregate_ids)])
                return [
                    (r["originator_id"], r["originator_version"], r["topic"], bytes(r["state"]))
                    for r in curs.fetchall()
                ]
        marks = ",".join("?" * len(aggregate_ids))  # SQLite
        with datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT {columns} FROM {table} WHERE originator_id IN ({marks}) "
                "ORDER BY originator_id, originator_version",
                [i.hex for i in aggregate_ids],
            )
            return [(recorder.convert_originator_id(r[0]), r[1], r[2], r[3]) for r in c.fetchall()]

    def get_aggregate(
        self, aggregate_id: UUID | str, kind: type[A], not_found: type[NotFound], message: str, *, deepcopy: bool = True
    ) -> A:
        """The `kind` aggregate stored under `aggregate_id`, or `not_found(message)` (a 404 problem) when there is
        none, as `find_aggregate` decides."""
        found = self.find_aggregate(aggregate_id, kind, deepcopy=deepcopy)
        if found is None:
            raise not_found(message)
        return found

    def save_or_conflict(self, *objs: Any, what: str) -> None:
        """Save, or refuse with 409 when another request saved a newer version of `what` first: the caller acted
        on a state that no longer holds, so it has to look again rather than have its change merged blindly."""
        try:
            self.save(*objs)
        except IntegrityError:
            raise DomainError(f"{what} changed meanwhile; reload it and try again") from None

    def event_history(self, aggregate_id: UUID) -> list[dict[str, Any]]:
        """Every event of one aggregate, oldest first, as consumers see them on Kafka (type, version, data)."""
        return [
            {
                "type": self.contract.wire_type_of(type(e)),
                "version": e.originator_version,
                "recorded_at": e.timestamp,  # type: ignore[attr-defined]  # every stored event has one
                "data": event_data(e),
            }
            for e in self.repository.event_store.get(aggregate_id)
        ]


# What every stored event carries for the store's own bookkeeping; the rest is what the event says.
BOOKKEEPING = ("timestamp", "originator_id", "originator_version", "originator_topic")


def event_data(event: Any) -> dict[str, Any]:
    return {k: v for k, v in event.__dict__.items() if k not in BOOKKEEPING}
