"""The PostgreSQL event store's append in one round trip to the server.

eventsourcing's recorder appends in a transaction of its own: BEGIN, `SET LOCAL lock_timeout`, `LOCK TABLE ... IN
EXCLUSIVE MODE` (so that notification ids commit in the order they were issued, and the relay, reading the log by
id, never passes over an id that a slower transaction fills in later), NOTIFY, the INSERT, then COMMIT: three waits
for the server per save (the pipeline's sync, the ids fetched, the commit), the most a call event paid beyond the
raw insert (bench/append.py). Here the same statements run in a database function, called by one prepared
statement in autocommit: the function's transaction takes the same table lock before inserting and commits before
the server answers, so the ordering and the durability are those of the recorder's transaction.

The library has such a function (`POSTGRES_ENABLE_DB_FUNCTIONS`), but it takes no table lock: concurrent writers
could then commit ids out of order, which the relay's no-gap guarantee cannot allow.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import PostgresApplicationRecorder, PostgresDatastore
from eventsourcing.utils import retry
from psycopg.sql import SQL, Identifier

__all__ = ["OneTripRecorder"]


class OneTripRecorder(PostgresApplicationRecorder):
    """A PostgreSQL application recorder whose append is one call of a function that locks, notifies and inserts."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.locked_insert_function = f"crm_insert_events_locked_{self.datastore.originator_id_type}"
        self.check_identifier_length(self.locked_insert_function)
        schema, table = Identifier(self.datastore.schema), Identifier(self.events_table_name)
        self.sql_create_statements.append(
            SQL(
                "CREATE OR REPLACE FUNCTION {schema}.{function}("
                "ids {id_type}[], versions bigint[], topics text[], states bytea[]) "
                "RETURNS SETOF bigint LANGUAGE plpgsql AS $BODY$ "
                "BEGIN "
                "    SET LOCAL lock_timeout = '{lock_timeout}s'; "
                "    LOCK TABLE {schema}.{table} IN EXCLUSIVE MODE; "
                "    NOTIFY {channel}; "
                "    RETURN QUERY "
                "    INSERT INTO {schema}.{table} AS t (originator_id, originator_version, topic, state) "
                "    SELECT * FROM unnest(ids, versions, topics, states) "
                "    RETURNING notification_id; "
                "END; "
                "$BODY$"
            ).format(
                schema=schema,
                function=Identifier(self.locked_insert_function),
                id_type=Identifier(self.datastore.originator_id_type),
                lock_timeout=self.datastore.lock_timeout,
                channel=Identifier(self.channel_name),
                table=table,
            )
        )
        self.invoke_locked_insert = SQL("SELECT * FROM {schema}.{function}(%s, %s, %s, %s)").format(
            schema=schema, function=Identifier(self.locked_insert_function)
        )

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(self, stored_events: Sequence[StoredEvent], **kwargs: Any) -> Sequence[int] | None:
        if not stored_events or kwargs.get("tracking") is not None:
            ids: Sequence[int] | None = super().insert_events(stored_events, **kwargs)
            return ids
        # Four arrays of plain types, sent in binary: an array of the events' composite type was sent as text.
        columns = (
            [e.originator_id for e in stored_events],
            [e.originator_version for e in stored_events],
            [e.topic for e in stored_events],
            [e.state for e in stored_events],
        )
        with self.datastore.get_connection() as conn, conn.cursor(binary=True) as curs:
            assert conn.autocommit  # the function's statement is its own transaction, committed before it returns
            curs.execute(self.invoke_locked_insert, columns, prepare=True)
            return [int(row[self.locked_insert_function]) for row in curs.fetchall()]
