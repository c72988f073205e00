"""A rebuild of the reporting read model from the event stores, in bulk.

During `crm rebuild` nobody else writes the read model, and the stores give every event once, in order. So the
call events, nearly all of a rebuild, are folded into rows held in memory (the same fold functions, in the same
order, as ReadModel.apply) and the rows, the processed ids and the journal are written in large batches with plain
DBAPI executemany, a transaction per flush, instead of a transaction, a read of the touched rows and SQLAlchemy's
per-row work for every 2,000 events. Any other event (the calendar, complaints, the reporting store's breaches and
escalations, erasures) is rare: the rows held are written first and its batch goes through ReadModel.apply, so it
finds the tables as the events before it left them. The result, journal included, equals the model built event by
event through ReadModel.apply (tests/reporting/test_bulk_rebuild.py).
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from functools import cache
from typing import Any

import sqlalchemy as sa

from services.reporting import projections as P
from services.reporting.call_rows import CallRows, call_ids
from services.reporting.complaints import COMPLAINT_EVENTS
from services.reporting.erasure import ERASURES, worth_keeping
from services.reporting.journal import envelope_text, event_time
from services.reporting.readmodel import BatchOutcome, ReadModel
from services.reporting.tables import journal, processed
from shared.db import utc_row
from shared.envelope import CloudEvent

FLUSH_EVERY = 50_000  # events folded in memory between two writes: bounds the rows held (a few hundred MB at most)

SQLITE_CACHE_KB = 256_000  # the page cache of the connection that writes a rebuild, for its duration

TABLES = CallRows.TABLES


# The types ReadModel.apply does more with than fold a call's rows, record the event as processed and journal it.
ELSEWHERE = frozenset(P.CALENDAR_EVENTS) | frozenset(P.REPORTING_EVENTS) | frozenset(COMPLAINT_EVENTS) | ERASURES


def _fast(e: CloudEvent) -> bool:
    """An event the bulk fold applies itself: a call event, or one the read model only records (and journals)."""
    return e.type not in ELSEWHERE


class _Statement:
    """One INSERT or UPDATE compiled once for the connection's dialect, fed rows as plain DBAPI parameters with
    the column types' own conversions (a datetime becomes the text SQLite stores, as through SQLAlchemy).
    `params`: each bound parameter's name and the column (the row's key) whose value it takes."""

    def __init__(self, dialect: sa.Dialect, statement: Any, params: Sequence[tuple[str, sa.Column[Any]]]):
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        by_name = dict(params)
        self.names = [str(n) for n in (compiled.positiontup if dialect.positional else by_name) or []]
        columns = [by_name[n] for n in self.names]
        self.values = operator.itemgetter(*(c.name for c in columns))
        processors = [_processor(c, dialect) for c in columns]
        self.conversions = [(i, f) for i, f in enumerate(processors) if f is not None]
        self.positional = dialect.positional

    def run(self, conn: sa.Connection, rows: Iterable[dict[str, Any]]) -> None:
        """`rows` hold a value for every column the statement names."""
        values, conversions = self.values, self.conversions
        params: list[Any] = []
        for row in rows:
            v = values(row)
            if conversions:
                v = list(v) if isinstance(v, tuple) else [v]
                for i, convert in conversions:
                    if v[i] is not None:
                        v[i] = convert(v[i])
            elif not isinstance(v, tuple):
                v = (v,)
            params.append(tuple(v) if self.positional else dict(zip(self.names, v, strict=True)))
        if params:
            conn.exec_driver_sql(self.sql, params)


def _processor(column: sa.Column[Any], dialect: sa.Dialect) -> Callable[[Any], Any] | None:
    process = column.type.dialect_impl(dialect).bind_processor(dialect)
    if process is None or dialect.name != "sqlite" or not isinstance(column.type, sa.DateTime):
        return process
    return functools.partial(sqlite_datetime, process)


def sqlite_datetime(process: Callable[[Any], Any], value: Any) -> Any:
    """The text SQLAlchemy's SQLite DATETIME stores ('2026-11-21 07:00:00.000000', any zone left out), from the C
    isoformat rather than its %-formatting of every field; `process` (SQLAlchemy's) for anything but a datetime."""
    if type(value) is datetime:
        return value.isoformat(" ", "microseconds")[:26]
    return process(value)


@cache
def _insert(dialect: sa.Dialect, table: sa.Table, columns: tuple[str, ...]) -> _Statement:
    stmt = table.insert().values({c: sa.bindparam(c) for c in columns})
    return _Statement(dialect, stmt, [(c, table.c[c]) for c in columns])


@cache
def _update(dialect: sa.Dialect, table: sa.Table) -> _Statement:
    columns = [c.name for c in table.c if c.name != "call_id"]
    stmt = (
        table.update()
        .where(table.c.call_id == sa.bindparam("k_call_id"))
        .values({c: sa.bindparam(f"v_{c}") for c in columns})
    )
    return _Statement(dialect, stmt, [(f"v_{c}", table.c[c]) for c in columns] + [("k_call_id", table.c.call_id)])


class _HeldRows(CallRows):
    """CallRows that outlive a batch: the rows of the calls folded since the last flush, and which call ids the
    tables already hold (so that a call seen before a flush is read back, and written with an UPDATE)."""

    def __init__(self) -> None:  # no read: filled by prefetch() and upsert()
        self.rows = {t.name: {} for t in TABLES}
        self.stored = {t.name: set() for t in TABLES}
        self.dirty = {t.name: {} for t in TABLES}

    def prefetch(self, conn: sa.Connection, ids: list[str]) -> None:
        """Read back the rows of these calls that the tables hold and memory does not."""
        for table in TABLES:
            held, stored = self.rows[table.name], self.stored[table.name]
            wanted = [i for i in ids if i in stored and i not in held]
            for chunk in range(0, len(wanted), 500):
                part = wanted[chunk : chunk + 500]
                for r in conn.execute(sa.select(table).where(table.c.call_id.in_(part))).mappings():
                    held[r["call_id"]] = utc_row(r)

    def flush(self, conn: sa.Connection) -> None:
        """Write the rows changed since the last flush, then forget them all (the tables hold them now)."""
        for table in TABLES:
            rows, stored = self.rows[table.name], self.stored[table.name]
            changed = [rows[i] for i in self.dirty[table.name]]
            fresh = [r for r in changed if r["call_id"] not in stored]
            _update(conn.dialect, table).run(conn, [r for r in changed if r["call_id"] in stored])
            _insert(conn.dialect, table, tuple(c.name for c in table.c)).run(conn, fresh)
            stored.update(r["call_id"] for r in fresh)
            rows.clear()
            self.dirty[table.name].clear()

    def mark_stored(self, conn: sa.Connection, ids: Iterable[str]) -> None:
        """After a batch through ReadModel.apply: which of these calls have rows now."""
        ids = list(ids)
        for table in TABLES:
            for chunk in range(0, len(ids), 500):
                part = ids[chunk : chunk + 500]
                found = conn.execute(sa.select(table.c.call_id).where(table.c.call_id.in_(part))).scalars()
                self.stored[table.name].update(found)


class BulkRebuild:
    """Feed it the stores' events in order with apply(); close() writes what is held. The read model must be
    freshly dropped, and nothing else may write it meanwhile."""

    def __init__(self, model: ReadModel, flush_every: int = FLUSH_EVERY):
        self.model = model
        self.flush_every = flush_every
        self.rows = _HeldRows()
        self.processed: list[dict[str, Any]] = []
        self.journal: list[dict[str, Any]] = []
        self.held = 0

    def apply(self, events: Sequence[CloudEvent]) -> None:
        if all(_fast(e) for e in events):
            self._fold(events)
            if self.held >= self.flush_every:
                self.flush()
            return
        # Through the read model itself, onto tables that hold everything before it.
        self.flush()
        self.model.apply(events)
        with self.model.engine.connect() as conn:
            self.rows.mark_stored(conn, call_ids(events))

    def _fold(self, events: Sequence[CloudEvent]) -> None:
        ids = call_ids(events)
        if any(i in s for s in self.rows.stored.values() for i in ids):
            with self.model.engine.connect() as conn:
                self.rows.prefetch(conn, ids)
        outcome = BatchOutcome()  # nobody reads it in a rebuild: the processor's timers are not running
        apply_call_event = self.model._apply_call_event
        rows = self.rows
        calls = P.CALL_EVENTS
        self.processed.extend({"event_id": e.id, "source": e.source} for e in events)
        self.journal.extend({"applied_at": event_time(e), "envelope": envelope_text(e)} for e in worth_keeping(events))
        for e in events:
            name = calls.get(e.type)
            if name is not None:
                apply_call_event(rows, e.subject, name, e.data, outcome)
        self.held += len(events)

    def flush(self) -> None:
        if not self.held:
            return
        with self.model.engine.begin() as conn:
            if conn.dialect.name == "sqlite":
                # The processed ids are random keys: with SQLite's default 2 MB of cache most of a million inserts
                # into their index read and write pages that fell out of it.
                conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KB}")
            _insert(conn.dialect, processed, ("event_id", "source")).run(conn, self.processed)
            _insert(conn.dialect, journal, ("applied_at", "envelope")).run(conn, self.journal)
            self.rows.flush(conn)
        self.processed.clear()
        self.journal.clear()
        self.held = 0

    def close(self) -> None:
        self.flush()
