"""The call rows one batch of events touches, folded in memory and written back in bulk (see CallRows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from services.reporting import projections as P
from services.reporting.tables import call_facts, follow_ups, unanswered
from shared.db import utc, utc_row
from shared.envelope import CloudEvent


def call_ids(events: Sequence[CloudEvent]) -> list[str]:
    """The call ids whose call_facts / unanswered_calls rows a batch may touch."""
    ids: dict[str, None] = {}
    for e in events:
        if P.event_name(e.type, P.CALL_EVENTS) is not None:
            ids[e.subject] = None
        elif P.event_name(e.type, P.REPORTING_EVENTS) in (
            "callback_breach.recorded",
            "member_relations_follow_up_breach.recorded",
        ):
            ids[e.data["call_id"]] = None
    return list(ids)


def _column_default(column: sa.Column[Any]) -> Any:
    default = column.default
    return getattr(default, "arg", None) if default is not None and default.is_scalar else None


_UPDATES: dict[str, Any] = {}


def _update_statement(table: sa.Table) -> Any:
    """UPDATE table SET every column WHERE call_id = :k, for executemany."""
    if table.name not in _UPDATES:
        _UPDATES[table.name] = (
            table.update()
            .where(table.c.call_id == sa.bindparam("k_call_id"))
            .values({c.name: sa.bindparam(f"v_{c.name}") for c in table.c if c.name != "call_id"})
        )
    return _UPDATES[table.name]


# Each table's column names but the key, for folding values into rows.
_COLUMNS = {t.name: frozenset(c.name for c in t.c if c.name != "call_id") for t in (call_facts, unanswered, follow_ups)}


class CallRows:
    """The call_facts, unanswered_calls and member_relations_follow_ups rows one batch touches: read with one query per table, folded in memory
    event by event (each event sees the row as the events before it left it, as if read back from the table), and
    written back with one UPDATE and one INSERT per table. Per event, that was two SELECTs and two to four
    UPDATE/INSERT statements, each built and compiled anew: most of the processor's time (bench/end_to_end.py)."""

    TABLES = (call_facts, unanswered, follow_ups)

    def __init__(self, conn: sa.Connection, call_ids: list[str]):
        self.conn = conn
        self.rows: dict[str, dict[str, dict[str, Any]]] = {t.name: {} for t in self.TABLES}
        self.stored: dict[str, set[str]] = {t.name: set() for t in self.TABLES}
        self.dirty: dict[str, dict[str, None]] = {t.name: {} for t in self.TABLES}
        for table in self.TABLES:
            for chunk in range(0, len(call_ids), 500):
                part = call_ids[chunk : chunk + 500]
                for r in conn.execute(sa.select(table).where(table.c.call_id.in_(part))).mappings():
                    self.rows[table.name][r["call_id"]] = utc_row(r)
                    self.stored[table.name].add(r["call_id"])

    def get(self, table: sa.Table, call_id: str) -> dict[str, Any] | None:
        row = self.rows[table.name].get(call_id)
        return dict(row) if row is not None else None

    def upsert(self, table: sa.Table, call_id: str, values: dict[str, Any]) -> None:
        row = self.rows[table.name].get(call_id)
        if row is None:  # what the table would give back after an INSERT of only these values
            row = self.rows[table.name][call_id] = {c.name: _column_default(c) for c in table.c}
            row["call_id"] = call_id
        columns = _COLUMNS[table.name]  # a set: `k in table.c` had taken a fifth of a replay's time
        row.update({k: utc(v) for k, v in values.items() if k in columns})
        self.dirty[table.name][call_id] = None

    def write(self) -> None:
        for table in self.TABLES:
            rows, stored = self.rows[table.name], self.stored[table.name]
            changed = [rows[i] for i in self.dirty[table.name]]
            updates = [
                {"k_call_id": r["call_id"], **{f"v_{k}": v for k, v in r.items() if k != "call_id"}}
                for r in changed
                if r["call_id"] in stored
            ]
            inserts = [r for r in changed if r["call_id"] not in stored]
            if updates:
                self.conn.execute(_update_statement(table), updates)
            if inserts:
                self.conn.execute(table.insert(), inserts)
