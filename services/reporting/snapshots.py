"""Snapshots of the `as_of` replica, so that a report as of a past moment replays only the events after the nearest
snapshot before it, not a year of them from the start.

A snapshot is the in-memory replica's whole SQLite database (serialized) after the journal's events up to a known
`seq` were replayed into it, all of them, in order; `applied_by` is the latest `applied_at` among those events. It
stands for any moment `when` at or after `applied_by`: the events applied by `when` are then every event up to `seq`
and those after it applied by `when`, and ReadModel.as_of replays just the latter onto it. The journal's order is
its `seq`, and a rebuild journals events at their own times, so `applied_at` need not grow with `seq`: `applied_by`
is the maximum, not the last one's, and a moment before it takes an older snapshot (or none).

Snapshots are taken every EVERY journaled events by `take_snapshots` (the processor's tick calls it), each from the
one before, and the older ones thinned (`prune`); they live in the read model's database beside the journal and go
when it is dropped.
"""

from __future__ import annotations

import sqlite3
import zlib
from collections.abc import Iterator
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa

from services.reporting.journal import journaled
from services.reporting.tables import journal, snapshots
from shared.db import utc


class Replayable(Protocol):
    """What a snapshot needs of services.reporting.readmodel.ReadModel (named here, not imported: the read model
    imports this module)."""

    engine: sa.Engine

    def blank_replica(self) -> Replayable: ...

    def apply(self, events: Any, at: Any = ..., *, keep: bool = ...) -> Any: ...

    def refresh_calendar(self) -> None: ...


EVERY = 25_000  # journaled events between two snapshots: at most this many are replayed on top of one
# The newest KEEP snapshots stay; of the older ones, one in SPARSE (settings CRM_AS_OF_SNAPSHOTS_KEPT and _SPARSE).
# A snapshot holds the whole read model, so they grow with it (24 MB compressed at 500,000 events, 249 MB for the
# 20 up to there); thinned, a moment before the newest KEEP replays up to SPARSE * EVERY events instead of EVERY.
# Measured at 500,000 events, one in two: 173 MB, and 3.6 s of CPU instead of 1.5 for the worst moment; so by
# default none is thinned.
KEEP = 4
SPARSE = 1


def _sqlite(replica: Replayable) -> sqlite3.Connection:
    # The replica is "sqlite://": one in-memory database behind one connection (shared.db.create_engine).
    raw = replica.engine.raw_connection()
    try:
        connection = raw.driver_connection
        assert isinstance(connection, sqlite3.Connection)
        return connection
    finally:
        raw.close()  # back to the pool; the StaticPool keeps the one connection open


def image_of(replica: Replayable) -> bytes:
    # Compressed: SQLite pages of ids and times shrink about threefold, and inflate faster than they replay.
    return zlib.compress(_sqlite(replica).serialize(), 1)


def restore(replica: Replayable, image: bytes) -> None:
    """The replica becomes the snapshot: its tables, and the chamber's calendar with the changes they hold."""
    _sqlite(replica).deserialize(zlib.decompress(image))
    replica.refresh_calendar()


def nearest(engine: sa.Engine, when: datetime) -> tuple[int, bytes] | None:
    """(seq, image) of the latest snapshot that stands for `when`, or None."""
    t = snapshots.c
    # Its seq first, then its image alone: selected with the seq, every candidate's image (megabytes each) went
    # into SQLite's sorter before the latest was picked.
    q = sa.select(t.seq).where(t.applied_by <= utc(when)).order_by(t.seq.desc()).limit(1)
    with engine.connect() as conn:
        seq = conn.execute(q).scalar()
    return (int(seq), _image(engine, int(seq))) if seq is not None else None


def _last(engine: sa.Engine) -> tuple[int, datetime | None]:
    t = snapshots.c
    with engine.connect() as conn:
        row = conn.execute(sa.select(t.seq, t.applied_by).order_by(t.seq.desc()).limit(1)).first()
    return (int(row[0]), row[1]) if row is not None else (0, None)


def _image(engine: sa.Engine, seq: int) -> bytes:
    with engine.connect() as conn:
        return bytes(conn.execute(sa.select(snapshots.c.image).where(snapshots.c.seq == seq)).scalar_one())


def _boundaries(engine: sa.Engine, after: int, every: int) -> Iterator[tuple[int, datetime]]:
    """The seq of every EVERY-th journaled event after `after`, with the latest applied_at up to it."""
    t = journal.c
    with engine.connect() as conn:
        while True:
            q = sa.select(t.seq).where(t.seq > after).order_by(t.seq).offset(every - 1).limit(1)
            seq = conn.execute(q).scalar()
            if seq is None:
                return
            latest = conn.execute(sa.select(sa.func.max(t.applied_at)).where(t.seq > after, t.seq <= seq)).scalar()
            assert latest is not None  # the rows up to `seq` exist: it was just read among them
            yield int(seq), latest
            after = int(seq)


def prune(engine: sa.Engine, every: int = EVERY, keep: int = KEEP, sparse: int = SPARSE) -> int:
    """Delete the snapshots beyond the newest `keep` but one in `sparse` (by their place in the journal, seq //
    `every`, so that the same ones stay from one pruning to the next); how many went. Any `as_of` reads the same
    afterwards: it starts from the nearest snapshot left before its moment, and replays the events after it."""
    if keep < 1:
        raise ValueError("the newest snapshot stays: the next is taken from it")
    t = snapshots.c
    with engine.begin() as conn:
        older = [int(seq) for seq in conn.execute(sa.select(t.seq).order_by(t.seq.desc()).offset(keep)).scalars()]
        doomed = [seq for seq in older if (seq // every) % sparse]
        if doomed:
            conn.execute(snapshots.delete().where(t.seq.in_(doomed)))
    return len(doomed)


def take_snapshots(model: Replayable, every: int = EVERY, keep: int = KEEP, sparse: int = SPARSE) -> int:
    """Take the snapshots due (one per `every` journaled events since the last), then prune the older ones; how
    many were taken. Cheap when none is due: two indexed queries."""
    seq, applied_by = _last(model.engine)
    replica = None
    taken = 0
    for boundary, latest in _boundaries(model.engine, seq, every):
        if replica is None:
            replica = model.blank_replica()
            if seq:
                restore(replica, _image(model.engine, seq))
        for batch in journaled(model.engine, None, after=seq, upto=boundary):
            replica.apply(batch, keep=False)
        applied_by = utc(latest) if applied_by is None else max(utc(applied_by), utc(latest))
        with model.engine.begin() as conn:
            conn.execute(snapshots.insert().values(seq=boundary, applied_by=applied_by, image=image_of(replica)))
        seq = boundary
        taken += 1
    if replica is not None:
        replica.engine.dispose()
    if taken:
        prune(model.engine, every, keep, sparse)
    return taken
