"""A consumer's memory of whom the erasures it applied reached, so that what it reads about them later is redacted.

Topics are read each at its own pace: an event about a person published before their erasure, on a topic lagging
behind the erasure's, is read after it. Deleting the person's key makes what is sealed unreadable, but a consumer
copies what the event carried opened. So each consumer remembers the subjects erased (a person's key subject, a
membership number, a complaint, a call of theirs: whatever it names its copies by) in a table of its own database,
written in the transaction that applies the erasure, and checks the events of every later batch against it.

Nobody erased is the usual case: `any` is one indexed lookup, and a consumer asks `remembered` only when it is true.
"""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

_CHUNK = 500  # a bounded IN list per query (SQLite's limit on bound parameters)


def erased_table(metadata: sa.MetaData, name: str = "erased_subjects") -> sa.Table:
    return sa.Table(
        name,
        metadata,
        sa.Column("subject", sa.String(100), primary_key=True),
        sa.Column("kind", sa.String(20), nullable=False),  # what the subject is: person, call, complaint...
    )


class ErasedMemory:
    """Whom erasures reached, kept in `table` (made by `erased_table`)."""

    def __init__(self, table: sa.Table):
        self.table = table

    def remember(self, conn: sa.Connection, subjects: Iterable[str], kind: str) -> None:
        wanted = {str(s) for s in subjects if s}
        fresh = wanted - {s for (_k, s) in self.remembered(conn, wanted)}
        if fresh:
            conn.execute(self.table.insert(), [{"subject": s, "kind": kind} for s in sorted(fresh)])

    def any(self, conn: sa.Connection) -> bool:
        return conn.execute(sa.select(self.table.c.subject).limit(1)).first() is not None

    def remembered(self, conn: sa.Connection, subjects: Iterable[str]) -> set[tuple[str, str]]:
        """(kind, subject) of those of `subjects` an erasure reached."""
        ordered = sorted({str(s) for s in subjects if s})
        found: set[tuple[str, str]] = set()
        t = self.table.c
        for start in range(0, len(ordered), _CHUNK):
            q = sa.select(t.kind, t.subject).where(t.subject.in_(ordered[start : start + _CHUNK]))
            found.update((kind, subject) for kind, subject in conn.execute(q))
        return found

    def of_kind(self, conn: sa.Connection, kind: str) -> set[str]:
        return set(conn.execute(sa.select(self.table.c.subject).where(self.table.c.kind == kind)).scalars())
