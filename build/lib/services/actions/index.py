"""The actions service's own index: a projection of its event store for lists, the SG's overdue list, work queues
and metrics; rebuilt at will (`rebuild`).

Whether an action is overdue depends on the time of asking, so the index keeps the due instants and compares them
with the injected clock at query time rather than storing a flag that would go stale between events.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.actions.access import visibility
from services.actions.application import ActionRegister, action_record
from services.actions.domain import ACTIVE_STATES, CorrectiveAction, State
from shared.auth import Principal, Role
from shared.db import create_tables
from shared.envelope import dumps
from shared.follower import NotificationFollower

metadata = sa.MetaData()
actions = sa.Table(
    "actions_index",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("source_kind", sa.String(20), nullable=False, index=True),
    sa.Column("source_ref", sa.String(200), nullable=False),
    sa.Column("unit", sa.String(100), index=True),
    sa.Column("owner", sa.String(200), index=True),
    sa.Column("due_at", sa.DateTime(timezone=True), index=True),
    sa.Column("check_due_at", sa.DateTime(timezone=True), index=True),
    sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("failed_checks", sa.Integer, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
)

ACTION_TOPIC_PREFIX = f"{CorrectiveAction.__module__}:{CorrectiveAction.__qualname__}."


@dataclass(frozen=True)
class Filters:
    state: str | None = None
    unit: str | None = None
    owner: str | None = None
    source_kind: str | None = None
    overdue: bool | None = None
    failed_check: bool | None = None


def index_row(record: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": record["id"],
        "state": record["state"],
        "source_kind": record["source_kind"],
        "source_ref": record["source_ref"],
        "unit": record["unit"],
        "owner": record["owner"],
        "due_at": record["due_at"],
        "check_due_at": record["check_due_at"],
        "opened_at": record["opened_at"],
        "failed_checks": len(record["failed_checks"]),
        "summary": dumps(record).decode(),
    }


def _instant(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def as_of(summary: str, now: datetime) -> dict[str, Any]:
    """A stored record with the flags that depend on the time of asking brought up to `now`."""
    record = json.loads(summary)
    due, check = _instant(record["due_at"]), _instant(record["check_due_at"])
    record["overdue"] = record["state"] == State.IN_PROGRESS and due is not None and now > due
    record["check_due"] = record["state"] == State.DONE and check is not None and now >= check
    return record


class ActionIndex:
    def __init__(self, app: ActionRegister, engine: sa.Engine, *, batch_size: int = 500):
        self.app = app
        self.engine = engine
        create_tables(metadata, engine)
        self.follower = NotificationFollower(app, "actions_index", engine, self._apply, batch_size=batch_size)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        ids = dict.fromkeys(n.originator_id for n in notifications if n.topic.startswith(ACTION_TOPIC_PREFIX))
        if not ids:
            return
        now = self.app.clock()
        rows = [index_row(action_record(self.app.repository.get(aid), now)) for aid in ids]
        conn.execute(actions.delete().where(actions.c.id.in_([r["id"] for r in rows])))
        conn.execute(actions.insert(), rows)

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def rebuild(self) -> int:
        """Drop the index and project the whole store again (`crm rebuild`)."""
        with self.follower._serial:
            with self.engine.begin() as conn:
                conn.execute(actions.delete())
            self.follower.reset()
            return self.follower.catch_up()

    # -- queries -----------------------------------------------------------------------------------------------
    @staticmethod
    def _overdue(now: datetime) -> sa.ColumnElement[bool]:
        return sa.and_(actions.c.state == State.IN_PROGRESS.value, actions.c.due_at < now)

    def _where(self, q: sa.Select, principal: Principal, f: Filters, now: datetime) -> sa.Select:
        t = actions.c
        scope = visibility(principal)
        if scope is not None:
            q = q.where(sa.or_(*(getattr(t, k) == v for k, v in scope.items())))
        for column in ("state", "unit", "owner", "source_kind"):
            value = getattr(f, column)
            if value is not None:
                q = q.where(getattr(t, column) == value)
        if f.overdue is True:
            q = q.where(self._overdue(now))
        elif f.overdue is False:
            q = q.where(sa.not_(self._overdue(now)) | t.due_at.is_(None))
        if f.failed_check is not None:
            q = q.where(t.failed_checks > 0 if f.failed_check else t.failed_checks == 0)
        return q

    def search(
        self, principal: Principal, filters: Filters, now: datetime, *, limit: int = 100, offset: int = 0
    ) -> tuple[list[dict[str, Any]], int]:
        """One page of the actions the principal may see, oldest due first (actions with no due date last), and
        how many there are in all."""
        page = (
            self._where(sa.select(actions.c.summary), principal, filters, now)
            .order_by(actions.c.due_at.is_(None), actions.c.due_at, actions.c.opened_at, actions.c.id)
            .limit(limit)
            .offset(offset)
        )
        count = self._where(sa.select(sa.func.count()).select_from(actions), principal, filters, now)
        with self.engine.connect() as conn:
            total = int(conn.execute(count).scalar() or 0)
            return [as_of(s, now) for (s,) in conn.execute(page)], total

    def waiting_on(self, principal: Principal, now: datetime) -> list[dict[str, Any]]:
        """What waits on the principal's next step: the owner's actions in progress; for the manager of a unit (and
        the SG, for every unit) the done actions whose effectiveness check is due; for those who assign, the
        actions nobody owns yet."""
        t = actions.c
        mine = [sa.and_(t.owner == principal.name, t.state == State.IN_PROGRESS.value)]
        check_due = sa.and_(t.state == State.DONE.value, t.check_due_at <= now, t.owner != principal.name)
        if principal.role == Role.UNIT_MANAGER and principal.unit:
            mine.append(sa.and_(check_due, t.unit == principal.unit))
        if principal.role == Role.SG:
            mine.append(check_due)
        if principal.role in (Role.SG, Role.MR_MANAGER):
            mine.append(t.state == State.OPENED.value)
        q = sa.select(t.summary).where(sa.or_(*mine)).order_by(t.due_at.is_(None), t.due_at, t.opened_at, t.id)
        with self.engine.connect() as conn:
            return [as_of(s, now) for (s,) in conn.execute(q)]

    def active_ids(self) -> list[uuid.UUID]:
        """Actions neither closed nor cancelled: those that may still pass a deadline (as of everything recorded)."""
        self.catch_up()
        q = sa.select(actions.c.id).where(actions.c.state.in_([s.value for s in ACTIVE_STATES]))
        with self.engine.connect() as conn:
            return [uuid.UUID(i) for (i,) in conn.execute(q)]

    def metric_counts(self, now: datetime) -> dict[str, Any]:
        t = actions.c
        with self.engine.connect() as conn:
            by_state: dict[str, int] = dict(conn.execute(sa.select(t.state, sa.func.count()).group_by(t.state)).all())
            overdue: dict[str, int] = dict(
                conn.execute(
                    sa.select(sa.func.coalesce(t.unit, ""), sa.func.count()).where(self._overdue(now)).group_by(t.unit)
                ).all()
            )
            failed = int(conn.execute(sa.select(sa.func.coalesce(sa.func.sum(t.failed_checks), 0))).scalar() or 0)
        return {"by_state": by_state, "overdue_by_unit": overdue, "effectiveness_failed": failed}
