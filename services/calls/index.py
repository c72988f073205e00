"""The calls service's own search index and queues: a projection of its event store, rebuilt at will.

Staff search calls by member, number, unit, state and day, and open their personal and unit queues, from here.
Telephony events that could not be applied are kept here too, with the reason, for the operators to examine.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, cast

import sqlalchemy as sa
from eventsourcing.persistence import Notification
from prometheus_client import Gauge

from services.calls.application import CallCentre, call_summary
from services.calls.domain import Call
from shared.calendar import BusinessCalendar
from shared.db import create_tables
from shared.envelope import dumps
from shared.follower import NotificationFollower

log = logging.getLogger(__name__)

# Queue names are the PBX's configuration, never personal data: safe as a label, and few.
UNROUTED = Gauge(
    "crm_calls_unrouted",
    "Calls kept unrouted because their PBX queue is mapped to no unit",
    ["queue"],
    multiprocess_mode="livemax",  # set by the primary process alone (shared/processes.py)
)

REBUILD_BATCH = 5000  # notifications per transaction of a rebuild

# Calls the index keeps folded in memory: a day's open calls of the biggest chamber, a few KB each.
FOLDED_CALLS = 20_000

metadata = sa.MetaData()
calls = sa.Table(
    "calls_index",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("state", sa.String(40), nullable=False, index=True),
    sa.Column("direction", sa.String(10), nullable=False),
    sa.Column("unit", sa.String(100), index=True),
    sa.Column("caller", sa.String(40), index=True),
    sa.Column("member_id", sa.String(100), index=True),
    sa.Column("assigned_expert", sa.String(200), index=True),
    sa.Column("day", sa.String(10), index=True),  # the chamber's local date of the first ring
    sa.Column("received_at", sa.DateTime(timezone=True), index=True),
    sa.Column("callback_due", sa.DateTime(timezone=True)),
    sa.Column("summary", sa.Text, nullable=False),
    # The queues' own order: a unit's list and an expert's queue read one page of the index in deadline order and
    # count from the index alone, instead of sorting every waiting call of the unit, summaries and all, per request.
    # Among calls due at the same moment (every call of a night is due the same working hour), the one that has
    # waited longest comes first.
    sa.Index("ix_calls_index_unit_waiting_queue", "unit", "state", "callback_due", "received_at", "id"),
    sa.Index("ix_calls_index_expert_waiting_queue", "assigned_expert", "callback_due", "received_at", "id", "state"),
)
# The queues' indexes of before, ordered by id among equal deadlines: dropped from index files made with them.
_FORMER_QUEUE_INDEXES = ("ix_calls_index_unit_queue", "ix_calls_index_expert_queue")
QUEUE_ORDER = (calls.c.callback_due, calls.c.received_at, calls.c.id)
unrouted = sa.Table(
    "calls_unrouted",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("queue", sa.String(100), nullable=False, index=True),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)
rejections = sa.Table(
    "telephony_rejections",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("source", sa.String(20), nullable=False),
    sa.Column("event_id", sa.String(300)),
    sa.Column("call_id", sa.String(300)),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("payload", sa.Text),
)


class CallIndex:
    def __init__(self, app: CallCentre, engine: sa.Engine, calendar: BusinessCalendar):
        self.app = app
        self.engine = engine
        self.calendar = calendar
        create_tables(metadata, engine)
        for added in (ix for ix in calls.indexes if ix.name and ix.name.endswith("_queue")):
            # An index file made before the queues' indexes existed gets them here (create_all adds none to a table
            # that is already there).
            with engine.begin() as conn:
                conn.execute(sa.schema.CreateIndex(added, if_not_exists=True))
        with engine.begin() as conn:
            for former in _FORMER_QUEUE_INDEXES:
                conn.execute(sa.text(f"DROP INDEX IF EXISTS {former}"))
        self._unrouted_queues: set[str] = set()
        with engine.connect() as conn:  # the gauges from the start; then again only when a batch changes them
            self._count_unrouted(conn)
        # Woken once per save, catching up each time took a third of the service's CPU when events came one per
        # request (bench/end_to_end.py); staff searching their queues do not notice 20 ms.
        self.follower = NotificationFollower(app, "calls_index", engine, self._apply, linger=0.02)
        # Calls as the index last folded them, the most recently touched last: the notifications it reads carry
        # every event of a call in order, so a call is loaded from the store only when it is not here (its first
        # event in a long while, or events this process did not index) and then folded forward in memory.
        self._folded: OrderedDict[uuid.UUID, Call] = OrderedDict()
        # Erasures indexed so far: what was rendered from the index before one (services/calls/queue_json.py) is
        # dropped when it moves.
        self.erasures = 0

    def _fold(self, notifications: Sequence[Notification]) -> list[Call]:
        """The calls these notifications touch, each brought up to its last event among them, in first-seen order.

        An event at or below the version held is skipped (a batch retried after a conflict); a gap (events another
        replica indexed) or a call not held loads the call from the store at that event's version."""
        touched: dict[uuid.UUID, Call] = {}
        folded = self._folded
        to_event = self.app.mapper.to_domain_event
        for n in notifications:
            call_id = uuid.UUID(str(n.originator_id)) if not isinstance(n.originator_id, uuid.UUID) else n.originator_id
            call = touched.get(call_id) or folded.get(call_id)
            if call is not None and n.originator_version <= call.version:
                touched[call_id] = call
                continue
            if call is not None and n.originator_version == call.version + 1:
                call = cast(Any, to_event(n)).mutate(call)
            elif n.originator_version == 1:
                call = cast(Any, to_event(n)).mutate(None)
            else:
                call = self.app.repository.get(call_id, version=n.originator_version)
            touched[call_id] = call
        for call_id, call in touched.items():
            folded[call_id] = call
            folded.move_to_end(call_id)
        while len(folded) > FOLDED_CALLS:
            folded.popitem(last=False)
        return list(touched.values())

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        # The chamber's calendar shares the store (services/calls/calendar.py); only calls are indexed here.
        stored = self._fold([n for n in notifications if ":Call." in n.topic])
        erasures = [n.originator_id for n in notifications if ":CallerErasure." in n.topic]
        if erasures:
            # A caller erased (here or by `crm privacy` in another process): their calls read [erased] now, so
            # every copy of them held here or in the application's cache is dropped and loaded again.
            subjects: set[str] = {self.app.repository.get(e).subject for e in erasures}
            self.app.forget_cached_calls()
            self._folded.clear()
            self.erasures += 1
            again = {call.id: call for call in stored}
            for call_id in self._calls_where(conn, calls.c.member_id.is_(None), subjects):
                again[call_id] = self.app.repository.get(call_id)
            stored = list(again.values())
        if stored:
            self._index(conn, stored)

    def _calls_where(self, conn: sa.Connection, where: Any, subjects: set[str] | None = None) -> list[uuid.UUID]:
        found = conn.execute(sa.select(calls.c.id, calls.c.caller).where(where)).all()
        names = self.app.callers.names
        return [
            uuid.UUID(i)
            for i, caller in found
            if subjects is None or (caller and not subjects.isdisjoint(names(caller)))
        ]

    def forget_members(self, membership_numbers: list[str]) -> None:
        """Members were erased: the calls they made are indexed again, reading [erased] (their key is gone)."""
        self.app.forget_cached_calls()
        self._folded.clear()
        self.erasures += 1
        with self.engine.begin() as conn:
            ids = self._calls_where(conn, calls.c.member_id.in_(membership_numbers))
            if ids:
                self._index(conn, [self.app.repository.get(i) for i in ids])

    def _index(self, conn: sa.Connection, stored: list[Call]) -> None:
        rows = []
        for call in stored:
            summary = call_summary(call)
            rows.append(
                {
                    "id": summary["id"],
                    "state": summary["state"],
                    "direction": summary["direction"],
                    "unit": summary["unit"],
                    "caller": summary["caller"],
                    "member_id": summary["member_id"],
                    "assigned_expert": summary["assigned_expert"],
                    "day": self.calendar.working_day_of(call.received_at).isoformat(),
                    "received_at": call.received_at,
                    "callback_due": call.callback_due or call.follow_up_due,
                    "summary": dumps(summary).decode(),
                }
            )
        conn.execute(calls.delete().where(calls.c.id.in_([r["id"] for r in rows])))
        conn.execute(calls.insert(), rows)
        released = conn.execute(unrouted.delete().where(unrouted.c.id.in_([r["id"] for r in rows]))).rowcount
        # The calls just folded (a reload per call was most of a rebuild).
        held: list[dict[str, Any]] = [
            {"id": str(call.id), "queue": call.unrouted_queue, "received_at": call.received_at}
            for call in stored
            if call.unrouted_queue is not None
        ]
        if held:
            conn.execute(unrouted.insert(), held)
        if held or released:  # otherwise the counts are as they were: no query per batch of routed calls
            self._count_unrouted(conn)

    def _count_unrouted(self, conn: sa.Connection) -> None:
        counts: dict[str, int] = dict(
            conn.execute(sa.select(unrouted.c.queue, sa.func.count()).group_by(unrouted.c.queue)).all()
        )
        for queue in self._unrouted_queues - counts.keys():
            UNROUTED.labels(queue).set(0)
        for queue, n in counts.items():
            UNROUTED.labels(queue).set(n)
        self._unrouted_queues = set(counts)

    def unmapped_queues(self) -> list[dict[str, Any]]:
        """PBX queues the organisation file does not map, with the calls kept unrouted for each."""
        q = (
            sa.select(
                unrouted.c.queue,
                sa.func.count().label("calls"),
                sa.func.min(unrouted.c.received_at).label("first_call_at"),
                sa.func.max(unrouted.c.received_at).label("last_call_at"),
            )
            .group_by(unrouted.c.queue)
            .order_by(unrouted.c.queue)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def rebuild(self) -> int:
        with self.engine.begin() as conn:
            conn.execute(calls.delete())
            conn.execute(unrouted.delete())
            self._count_unrouted(conn)
        self.follower.reset()
        self._folded.clear()
        # Larger batches than the live follower's: fewer transactions, and a call's events mostly in one batch, so
        # that it is written once rather than once for each batch its events fall in.
        live, self.follower.batch_size = self.follower.batch_size, REBUILD_BATCH
        try:
            return self.follower.catch_up()
        finally:
            self.follower.batch_size = live

    def search(
        self,
        *,
        member_id: str | None = None,
        number: str | None = None,
        unit: str | None = None,
        state: str | None = None,
        day: date | None = None,
        expert: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> list[dict[str, Any]]:
        return self.search_page(
            member_id=member_id,
            number=number,
            unit=unit,
            state=state,
            day=day,
            expert=expert,
            limit=limit,
            offset=offset,
        )[0]

    def search_page(
        self,
        *,
        member_id: str | None = None,
        number: str | None = None,
        unit: str | None = None,
        state: str | None = None,
        day: date | None = None,
        expert: str | None = None,
        limit: int = 100,
        offset: int = 0,
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the calls found, newest first, and how many were found in all."""
        conditions = []
        if member_id:
            conditions.append(calls.c.member_id == member_id)
        if number:
            conditions.append(calls.c.caller == number)
        if unit:
            conditions.append(calls.c.unit == unit)
        if state:
            conditions.append(calls.c.state == state)
        if day:
            conditions.append(calls.c.day == day.isoformat())
        if expert:
            conditions.append(calls.c.assigned_expert == expert)
        q = (
            sa.select(calls.c.summary)
            .where(*conditions)
            .order_by(calls.c.received_at.desc())
            .limit(limit)
            .offset(offset)
        )
        with self.engine.connect() as conn:
            total = conn.execute(sa.select(sa.func.count()).select_from(calls).where(*conditions)).scalar() or 0
            return [json.loads(s) for (s,) in conn.execute(q)], total

    def queue(self, *, unit: str | None = None, expert: str | None = None) -> list[dict[str, Any]]:
        """Unanswered calls awaiting a callback, the earliest deadline first; an expert's queue also holds the calls
        he or she answered for member relations and still owes an outcome."""
        with self.engine.connect() as conn:
            return [json.loads(s) for (s,) in conn.execute(self._queue_query(unit, expert))]

    def queue_page(
        self, *, unit: str | None = None, expert: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of `queue` and how long the whole queue is: counted and cut in SQL, so that a unit's list of
        thousands of calls costs a count and one page of rows, not every row decoded for a page of 50."""
        rows, total = self.queue_rows(unit=unit, expert=expert, limit=limit, offset=offset)
        return [json.loads(s) for _, s in rows], total

    def queue_rows(
        self, *, unit: str | None = None, expert: str | None = None, limit: int = 100, offset: int = 0
    ) -> tuple[list[tuple[str, str]], int]:
        """`queue_page` as stored: (call id, summary JSON) per call, for the queue API's rendering."""
        q = sa.select(calls.c.id, calls.c.summary).where(*self._queue_conditions(unit, expert))
        q = q.order_by(*QUEUE_ORDER)
        # Counted over the same conditions without the ordering (a subquery of the ordered query made SQLite sort
        # the whole queue, summaries included, for a number).
        counted = sa.select(sa.func.count()).select_from(calls).where(*self._queue_conditions(unit, expert))
        with self.engine.connect() as conn:
            total = conn.execute(counted).scalar() or 0
            rows = conn.execute(q.limit(limit).offset(offset))
            return [(i, s) for i, s in rows], total

    @staticmethod
    def _queue_conditions(unit: str | None, expert: str | None) -> list[sa.ColumnElement[bool]]:
        waiting = calls.c.state == "unanswered"
        if expert:
            waiting = sa.or_(
                waiting, sa.and_(calls.c.state == "with_member_relations", calls.c.callback_due.is_not(None))
            )
        conditions = [waiting]
        if unit:
            conditions.append(calls.c.unit == unit)
        if expert:
            conditions.append(calls.c.assigned_expert == expert)
        return conditions

    @classmethod
    def _queue_query(cls, unit: str | None, expert: str | None) -> sa.Select[Any]:
        conditions = cls._queue_conditions(unit, expert)
        return sa.select(calls.c.summary).where(*conditions).order_by(*QUEUE_ORDER)

    def open_call_ids(self) -> list[uuid.UUID]:
        """Calls whose callback or member-relations follow-up deadline may still be running."""
        q = sa.select(calls.c.id).where(calls.c.state.in_(("unanswered", "with_member_relations")))
        with self.engine.connect() as conn:
            return [uuid.UUID(i) for (i,) in conn.execute(q)]

    def record_rejection(
        self, *, source: str, event_id: str | None, call_id: str | None, reason: str, payload: Any, at: datetime
    ) -> None:
        with self.engine.begin() as conn:
            if event_id is not None:
                # The PBX resending the same refused event is one rejection, not one per attempt.
                known = conn.execute(
                    sa.select(rejections.c.id).where(rejections.c.source == source, rejections.c.event_id == event_id)
                ).first()
                if known is not None:
                    return
            conn.execute(
                rejections.insert().values(
                    recorded_at=at,
                    source=source,
                    event_id=event_id,
                    call_id=call_id,
                    reason=reason,
                    payload=dumps(payload).decode(),
                )
            )

    def rejections(self, limit: int = 100, offset: int = 0) -> list[dict[str, Any]]:
        q = sa.select(rejections).order_by(rejections.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [
                {**dict(r._mapping), "payload": json.loads(r.payload) if r.payload else None} for r in conn.execute(q)
            ]

    def rejection_count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(rejections)).scalar() or 0
