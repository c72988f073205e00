"""The desks service's own index: a projection of its event store for the lists (desks by agency and stage,
sessions by trade group), the problem forms of one member, the follow-up calls due, the deadline checks and the
metrics, so none of them reads every desk from the store. Rebuilt at will (`crm rebuild`).

Whether a follow-up or a decision is overdue depends on the time of asking, so the index keeps the due instants
and compares them with the injected clock at query time.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.desks.application import DeskOffice
from services.desks.domain import Desk, FormState, Stage
from services.desks.erasure import RegistrantErasure
from services.desks.ratio import desk_figures
from services.desks.sessions import Session
from services.desks.views import desk_summary, session_record
from shared.db import create_tables
from shared.envelope import dumps
from shared.follower import NotificationFollower

metadata = sa.MetaData()
desks = sa.Table(
    "desks_index",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("agency", sa.String(100), nullable=False, index=True),
    sa.Column("stage", sa.String(30), nullable=False, index=True),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("registrations", sa.Integer, nullable=False),  # forms neither cancelled nor guided elsewhere
    sa.Column("scheduled", sa.Integer, nullable=False),
    sa.Column("waiting", sa.Integer, nullable=False),
    sa.Column("decisions", sa.Integer, nullable=False),
    # The ratio report's figures of the desk (services/desks/ratio.py), JSON: the metrics add them up by agency.
    sa.Column("figures", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
)
forms = sa.Table(
    "desk_forms_index",
    metadata,
    sa.Column("desk_id", sa.String(36), primary_key=True),
    sa.Column("number", sa.String(10), primary_key=True),
    sa.Column("agency", sa.String(100), nullable=False),
    sa.Column("member_id", sa.String(100), index=True),
    sa.Column("member_name", sa.String(200), nullable=False),
    sa.Column("state", sa.String(20), nullable=False),
    sa.Column("slot_start", sa.DateTime(timezone=True)),
    sa.Column("decided", sa.Boolean, nullable=False),
    sa.Column("followed_up", sa.Boolean, nullable=False),
    sa.Column("follow_up_due_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("phone", sa.String(40)),
    sa.Column("problem", sa.Text, nullable=False),
)
sessions = sa.Table(
    "sessions_index",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("trade_group", sa.String(200), nullable=False, index=True),
    sa.Column("stage", sa.String(30), nullable=False, index=True),
    sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("decisions_open", sa.Integer, nullable=False),
    sa.Column("next_due_at", sa.DateTime(timezone=True), index=True),  # the earliest due date of an open decision
    sa.Column("summary", sa.Text, nullable=False),
)

DESK_TOPIC_PREFIX = f"{Desk.__module__}:{Desk.__qualname__}."
SESSION_TOPIC_PREFIX = f"{Session.__module__}:{Session.__qualname__}."
ERASURE_TOPIC_PREFIX = f"{RegistrantErasure.__module__}:{RegistrantErasure.__qualname__}."
LIVE = (FormState.SCHEDULED.value, FormState.WAITING.value)


def _desk_rows(desk: Desk) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    every = list(desk.forms.values())
    row = {
        "id": str(desk.id),
        "agency": desk.agency,
        "stage": desk.stage,
        "starts_at": desk.starts_at,
        "capacity": desk.capacity,
        "registrations": sum(f["state"] in LIVE for f in every),
        "scheduled": sum(f["state"] == FormState.SCHEDULED for f in every),
        "waiting": len(desk.waiting),
        "decisions": sum(f["decision"] is not None for f in every),
        "figures": json.dumps(desk_figures(desk)),
        "summary": dumps(desk_summary(desk)).decode(),
    }
    form_rows = [
        {
            "desk_id": str(desk.id),
            "number": f["number"],
            "agency": desk.agency,
            "member_id": f["member_id"],
            "member_name": f["member_name"],
            "state": f["state"],
            "slot_start": None if f["slot"] is None else desk.slot_start(f["slot"]),
            "decided": f["decision"] is not None,
            "followed_up": f["follow_up"] is not None,
            "follow_up_due_at": desk.follow_up_due_at,
            "phone": f["phone"],
            "problem": f["problem"],
        }
        for f in every
    ]
    return row, form_rows


def _session_row(session: Session, now: datetime) -> dict[str, Any]:
    record = session_record(session, now)
    open_due = [d["due_at"] for d in session.decisions.values() if d["done"] is None]
    return {
        "id": str(session.id),
        "trade_group": session.trade_group,
        "stage": session.stage,
        "starts_at": session.starts_at,
        "decisions_open": len(open_due),
        "next_due_at": min(open_due) if open_due else None,
        "summary": dumps(record).decode(),
    }


class DeskIndex:
    def __init__(self, office: DeskOffice, engine: sa.Engine, *, batch_size: int = 500):
        self.office = office
        self.engine = engine
        create_tables(metadata, engine)
        self.follower = NotificationFollower(office, "desks_index", engine, self._apply, batch_size=batch_size)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        desk_ids = dict.fromkeys(str(n.originator_id) for n in notifications if n.topic.startswith(DESK_TOPIC_PREFIX))
        erasures = [n.originator_id for n in notifications if n.topic.startswith(ERASURE_TOPIC_PREFIX)]
        if erasures:
            # A registrant erased (here or by `crm privacy` in another process): their form reads [erased] now, so
            # the desks kept in memory are read again, and the desk is indexed again.
            self.office.forget_cached_desks()
            desk_ids.update(dict.fromkeys(str(self.office.repository.get(e).desk_id) for e in erasures))
        session_ids = dict.fromkeys(n.originator_id for n in notifications if n.topic.startswith(SESSION_TOPIC_PREFIX))
        if desk_ids:
            self._index_desks(conn, list(desk_ids))
        if session_ids:
            self._index_sessions(conn, list(session_ids))

    def _index_sessions(self, conn: sa.Connection, session_ids: Sequence[uuid.UUID | str]) -> None:
        if not session_ids:
            return
        now = self.office.clock()
        rows = [_session_row(self.office.repository.get(uuid.UUID(str(sid))), now) for sid in session_ids]
        conn.execute(sessions.delete().where(sessions.c.id.in_([r["id"] for r in rows])))
        conn.execute(sessions.insert(), rows)

    def _index_desks(self, conn: sa.Connection, desk_ids: Sequence[uuid.UUID | str]) -> None:
        ids = [str(i) for i in desk_ids]
        conn.execute(forms.delete().where(forms.c.desk_id.in_(ids)))
        conn.execute(desks.delete().where(desks.c.id.in_(ids)))
        for did in desk_ids:
            row, form_rows = _desk_rows(self.office.repository.get(uuid.UUID(str(did))))
            conn.execute(desks.insert(), [row])
            if form_rows:
                conn.execute(forms.insert(), form_rows)

    def forget_members(self, membership_numbers: list[str]) -> None:
        """Members were erased: the desks holding their problem forms, and the sessions, are indexed again, their
        names and phones reading [erased] (their key is gone), and the desks kept in memory are read again."""
        self.office.forget_cached_desks()
        with self.follower._serial, self.engine.begin() as conn:
            found = conn.execute(sa.select(forms.c.desk_id).where(forms.c.member_id.in_(membership_numbers)))
            ids = list(dict.fromkeys(d for (d,) in found))
            if ids:
                self._index_desks(conn, ids)
            # A session's invitees read [erased] too: the sessions (a few a month) are indexed again.
            self._index_sessions(conn, [str(i) for i in self.office.session_ids()])

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def rebuild(self) -> int:
        """Drop the index and project the whole store again (`crm rebuild`)."""
        with self.follower._serial:
            with self.engine.begin() as conn:
                for table in (forms, desks, sessions):
                    conn.execute(table.delete())
            self.follower.reset()
            return self.follower.catch_up()

    def _read(self, query: sa.Select) -> list[Any]:
        self.catch_up()
        with self.engine.connect() as conn:
            return list(conn.execute(query))

    def _count(self, query: sa.Select) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(query.subquery())).scalar() or 0)

    # -- lists -------------------------------------------------------------------------------------------------
    def desk_summaries(
        self, agency: str | None, stage: str | None, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the desks in order of their start, and how many match."""
        q = sa.select(desks.c.summary)
        if agency is not None:
            q = q.where(desks.c.agency == agency)
        if stage is not None:
            q = q.where(desks.c.stage == stage)
        rows = self._read(q.order_by(desks.c.starts_at, desks.c.id).limit(limit).offset(offset))
        return [json.loads(s) for (s,) in rows], self._count(q)

    def session_summaries(
        self, trade_group: str | None, now: datetime, *, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the sessions in order of their start, each decision's `overdue` as of `now`."""
        q = sa.select(sessions.c.summary)
        if trade_group is not None:
            q = q.where(sessions.c.trade_group == trade_group)
        rows = self._read(q.order_by(sessions.c.starts_at, sessions.c.id).limit(limit).offset(offset))
        records = [json.loads(s) for (s,) in rows]
        for record in records:
            for decision in record["decisions"]:
                due = datetime.fromisoformat(decision["due_at"])
                decision["overdue"] = decision["done"] is None and now > due
        return records, self._count(q)

    def forms_of_member(self, member_id: str) -> list[dict[str, Any]]:
        """Every problem form a member registered, at any desk, newest desk first."""
        t = forms.c
        q = (
            sa.select(t.desk_id, t.number, t.agency, t.state, t.slot_start, t.decided, t.followed_up, t.problem)
            .where(t.member_id == member_id)
            .order_by(t.follow_up_due_at.desc(), t.desk_id, t.number)
        )
        return [_instants(dict(r._mapping)) for r in self._read(q)]

    def follow_ups_due(self, now: datetime, *, overdue: bool | None = None) -> list[dict[str, Any]]:
        """The follow-up calls to make: decided forms with no follow-up yet, earliest due first; `overdue` narrows
        them to those past their due time (True) or still in time (False)."""
        t = forms.c
        q = sa.select(t.desk_id, t.number, t.agency, t.member_id, t.member_name, t.phone, t.follow_up_due_at).where(
            t.decided.is_(True), t.followed_up.is_(False)
        )
        if overdue is True:
            q = q.where(t.follow_up_due_at < now)
        elif overdue is False:
            q = q.where(t.follow_up_due_at >= now)
        rows = self._read(q.order_by(t.follow_up_due_at, t.desk_id, t.number))
        return [{**_instants(dict(r._mapping)), "overdue": _aware(r.follow_up_due_at) < now} for r in rows]

    # -- what the deadline checks visit ------------------------------------------------------------------------
    def open_desk_ids(self) -> list[uuid.UUID]:
        """Desks not closed: the only ones a reminder or a missed follow-up can still be recorded on."""
        rows = self._read(sa.select(desks.c.id).where(desks.c.stage != Stage.CLOSED.value).order_by(desks.c.id))
        return [uuid.UUID(i) for (i,) in rows]

    def sessions_with_open_decisions(self) -> list[uuid.UUID]:
        rows = self._read(sa.select(sessions.c.id).where(sessions.c.decisions_open > 0).order_by(sessions.c.id))
        return [uuid.UUID(i) for (i,) in rows]

    # -- metrics -----------------------------------------------------------------------------------------------
    def metric_counts(self, now: datetime) -> dict[str, Any]:
        """Figures by agency (desks not closed, slots used and offered on desks still ahead, waiting lists,
        decisions, follow-ups due and overdue; the ratio report's totals) and sessions by stage, with their open and
        overdue decisions."""
        d, f, s = desks.c, forms.c, sessions.c
        ahead = d.starts_at > now
        with self.engine.connect() as conn:
            by_agency = conn.execute(
                sa.select(
                    d.agency,
                    sa.func.count().filter(d.stage != Stage.CLOSED.value),
                    sa.func.coalesce(sa.func.sum(sa.case((ahead, d.scheduled), else_=0)), 0),
                    sa.func.coalesce(sa.func.sum(sa.case((ahead, d.capacity), else_=0)), 0),
                    sa.func.coalesce(sa.func.sum(sa.case((ahead, d.waiting), else_=0)), 0),
                    sa.func.coalesce(sa.func.sum(d.decisions), 0),
                ).group_by(d.agency)
            ).all()
            pending = sa.and_(f.decided.is_(True), f.followed_up.is_(False))
            follow_ups = conn.execute(
                sa.select(
                    f.agency,
                    sa.func.count().filter(pending, f.follow_up_due_at >= now),
                    sa.func.count().filter(pending, f.follow_up_due_at < now),
                ).group_by(f.agency)
            ).all()
            totals: dict[str, dict[str, int]] = {}
            for agency, figures in conn.execute(sa.select(d.agency, d.figures)):
                into = totals.setdefault(agency, {})
                for key, value in json.loads(figures).items():
                    into[key] = into.get(key, 0) + int(value)
            by_stage: dict[str, int] = {
                stage: int(n) for stage, n in conn.execute(sa.select(s.stage, sa.func.count()).group_by(s.stage))
            }
            decisions_open = int(
                conn.execute(sa.select(sa.func.coalesce(sa.func.sum(s.decisions_open), 0))).scalar() or 0
            )
            overdue_sessions = int(
                conn.execute(sa.select(sa.func.count()).where(s.next_due_at.is_not(None), s.next_due_at < now)).scalar()
                or 0
            )
        agencies: dict[str, dict[str, int]] = {}
        for agency, open_desks, used, offered, waiting, decisions in by_agency:
            agencies[agency] = {
                "open_desks": int(open_desks),
                "slots_used": int(used),
                "slots_offered": int(offered),
                "waiting": int(waiting),
                "decisions": int(decisions),
            }
        for agency, due, late in follow_ups:
            agencies.setdefault(agency, {}).update(follow_ups_due=int(due), follow_ups_overdue=int(late))
        return {
            "agencies": agencies,
            "totals": totals,
            "sessions_by_stage": {k: int(v) for k, v in by_stage.items()},
            "session_decisions_open": decisions_open,
            "sessions_with_overdue_decisions": overdue_sessions,
        }


def _instants(row: dict[str, Any]) -> dict[str, Any]:
    return {k: _aware(v) if isinstance(v, datetime) else v for k, v in row.items()}


def _aware(value: datetime) -> datetime:
    """SQLite gives instants back without their offset; they were stored in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
