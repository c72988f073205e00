"""The read model's journal: every event it applied, in order, with when (tables.journal), and reading it back
for `as_of` (ReadModel.as_of replays what it yields into a fresh model)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from services.reporting.tables import journal
from shared.db import utc
from shared.envelope import CloudEvent, dumps

REPLAY_BATCH = 5000


def journal_rows(events: Sequence[CloudEvent], at: datetime | None) -> list[dict[str, Any]]:
    """Rows for a batch applied `at` (the processor's clock), or at each event's own time (a rebuild)."""
    return [{"applied_at": utc(at) if at is not None else event_time(e), "envelope": envelope_text(e)} for e in events]


def envelope_text(e: CloudEvent) -> str:
    """The envelope as journaled."""
    return dumps(e.as_dict()).decode()


def journaled(
    engine: sa.Engine, when: datetime | None, *, after: int = 0, upto: int | None = None
) -> Iterator[list[CloudEvent]]:
    """The events applied by `when` (any time when None), in the order they were applied, in batches: those after
    journal seq `after` and up to `upto`."""
    last = after
    with engine.connect() as conn:
        while True:
            q = sa.select(journal.c.seq, journal.c.envelope).where(journal.c.seq > last)
            if when is not None:
                q = q.where(journal.c.applied_at <= utc(when))
            if upto is not None:
                q = q.where(journal.c.seq <= upto)
            rows = list(conn.execute(q.order_by(journal.c.seq).limit(REPLAY_BATCH)))
            if not rows:
                return
            yield [_envelope(text) for _, text in rows]
            last = rows[-1][0]


def last_applied(engine: sa.Engine, when: datetime) -> int:
    """The journal's last seq applied by `when` (0: none), so that a replay to `when` stops there. Without it the
    last query of the replay read every later event of the journal to find none applied by then: at a moment early
    in a year, most of a year of envelopes read for nothing."""
    # seq + 0: SQLite would otherwise take max(seq) from the table's end, reading back over every later row; so it
    # reads the applied_at index up to `when` (tens of ms at 500,000 events).
    q = sa.select(sa.func.max(journal.c.seq + 0)).where(journal.c.applied_at <= utc(when))
    with engine.connect() as conn:
        return int(conn.execute(q).scalar() or 0)


def event_time(e: CloudEvent) -> datetime:
    stamp = datetime.fromisoformat(e.time)
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


def _envelope(text: str) -> CloudEvent:
    d = json.loads(text)
    return CloudEvent(
        id=d["id"],
        source=d["source"],
        type=d["type"],
        time=d["time"],
        subject=d["subject"],
        sequence=d["sequence"],
        position=d["position"],
        data=d["data"],
    )
