"""The complaints service's own search index and work queues: a projection of its event store, rebuilt at will.

Every query takes the principal asking: a confidential complaint is filtered out in SQL for those who may not
know it exists (the same rule as access.may_see), so counts, pages and exports never reveal it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from eventsourcing.persistence import Notification

from services.complaints.access import SEE_ALL
from services.complaints.application import COMPLAINT_TOPIC_PREFIX, ComplaintDesk
from services.complaints.domain import PRIORITY_RANK, UNASSESSED_RANK
from shared.auth import Principal, Role
from shared.db import create_tables
from shared.envelope import dumps
from shared.follower import NotificationFollower

metadata = sa.MetaData()
complaints = sa.Table(
    # v2: with the priority; a new name makes an existing installation project the store again into it.
    "complaints_index_v2",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("reference", sa.String(20), nullable=False, index=True),
    sa.Column("state", sa.String(20), nullable=False, index=True),
    sa.Column("stage", sa.String(20), index=True),
    sa.Column("kind", sa.String(20), nullable=False, index=True),
    sa.Column("channel", sa.String(20), nullable=False, index=True),
    sa.Column("unit", sa.String(100), index=True),  # the unit concerned
    sa.Column("units_key", sa.Text, nullable=False),  # |unit concerned|units complained about| (casefolded)
    sa.Column("handler_kind", sa.String(10)),
    sa.Column("handler_key", sa.String(200), index=True),
    sa.Column("member_number", sa.String(60), index=True),
    sa.Column("confidential", sa.Boolean, nullable=False, index=True),
    sa.Column("registered_by_key", sa.String(200), index=True),
    sa.Column(
        "committee_key", sa.Text, nullable=False
    ),  # |member|member| (casefolded, every committee of the complaint)
    sa.Column("waiting_role", sa.String(20), index=True),
    sa.Column("waiting_person_key", sa.String(200), index=True),
    sa.Column("waiting_unit_key", sa.String(100), index=True),
    sa.Column("outcome", sa.String(20)),
    sa.Column("received_at", sa.DateTime(timezone=True), index=True),
    sa.Column("due_at", sa.DateTime(timezone=True), index=True),
    sa.Column("priority_rank", sa.Integer, nullable=False, index=True),  # 1 critical ... 4 low
    sa.Column("summary", sa.Text, nullable=False),
)


def _key(value: str | None) -> str | None:
    return value.strip().casefold() if value else None


def _joined(values: Sequence[str | None]) -> str:
    keys = list(dict.fromkeys(k.replace("|", " ") for k in (_key(v) for v in values) if k))
    return "|" + "|".join(keys) + "|" if keys else ""


def index_row(view: dict[str, Any]) -> dict[str, Any]:
    handler = view["handler"] or {}
    waiting = view["waiting_on"]
    return {
        "id": view["id"],
        "reference": view["reference"],
        "state": view["state"],
        "stage": view["stage"],
        "kind": view["kind"],
        "channel": view["channel"],
        "unit": view["unit"],
        "units_key": _joined([view["unit"], *view["stakeholders"]["units"]]),
        "handler_kind": handler.get("kind"),
        "handler_key": _key(handler.get("name")),
        "member_number": view["member_number"],
        "confidential": bool(view["confidential"]),
        "registered_by_key": _key(view["registered_by"]),
        # Whoever follows the complaint up for the SG sees it as its committee's members do.
        "committee_key": _joined([*view["committee_members"], view.get("follow_up_by")]),
        "waiting_role": waiting["role"],
        "waiting_person_key": _key(waiting["person"]),
        "waiting_unit_key": _key(waiting["unit"]),
        "outcome": view["outcome"],
        "received_at": view["received_at"],
        "due_at": view["due_at"],
        "priority_rank": PRIORITY_RANK[view["priority"]] if view.get("priority") else UNASSESSED_RANK,
        "summary": dumps(view).decode(),
    }


class ComplaintIndex:
    def __init__(self, app: ComplaintDesk, engine: sa.Engine, *, batch_size: int = 500):
        self.app = app
        self.engine = engine
        create_tables(metadata, engine)
        self.follower = NotificationFollower(app, "complaints_index_v2", engine, self._apply, batch_size=batch_size)

    def _apply(self, conn: sa.Connection, notifications: Sequence[Notification]) -> None:
        ids = dict.fromkeys(n.originator_id for n in notifications if n.topic.startswith(COMPLAINT_TOPIC_PREFIX))
        if not ids:
            return
        rows = [index_row(self.app.summary(self.app.repository.get(cid))) for cid in ids]
        conn.execute(complaints.delete().where(complaints.c.id.in_([r["id"] for r in rows])))
        conn.execute(complaints.insert(), rows)

    def catch_up(self) -> int:
        return self.follower.catch_up()

    def rebuild(self) -> int:
        """Drop the index and project the whole store again (`crm rebuild`)."""
        with self.follower._serial:  # noqa: SLF001 - the follower thread must not apply a batch in between
            with self.engine.begin() as conn:
                conn.execute(complaints.delete())
            self.follower.reset()
            return self.follower.catch_up()

    # -- visibility --------------------------------------------------------------------------------------------
    def _visible(self, principal: Principal) -> sa.ColumnElement[bool] | None:
        """access.may_see in SQL; None when the principal sees everything."""
        if principal.role in SEE_ALL:
            return None
        t = complaints.c
        name = _key(principal.name) or ""
        involved = [
            sa.and_(t.handler_kind == "person", t.handler_key == name),
            t.committee_key.contains(f"|{name}|", autoescape=True),
            t.registered_by_key == name,
        ]
        if principal.role in (Role.UNIT_MANAGER, Role.EXPERT) and principal.unit:
            involved.append(sa.and_(t.handler_kind == "unit", t.handler_key == _key(principal.unit)))
        if principal.role == Role.ADMIN or (
            principal.role == Role.EXPERT and principal.unit == self.app.organisation.member_relations_unit
        ):
            involved.append(t.confidential.is_(False))
        return sa.or_(*involved)

    def _where(
        self,
        q: sa.Select,
        principal: Principal,
        *,
        reference: str | None = None,
        state: str | None = None,
        stage: str | None = None,
        kind: str | None = None,
        channel: str | None = None,
        unit: str | None = None,
        handler: str | None = None,
        member_number: str | None = None,
        confidential: bool | None = None,
        committee_member: str | None = None,
        overdue_at: datetime | None = None,
    ) -> sa.Select:
        t = complaints.c
        visible = self._visible(principal)
        if visible is not None:
            q = q.where(visible)
        if reference:
            q = q.where(t.reference == reference.strip().upper())
        if state:
            q = q.where(t.state == state)
        if stage:
            q = q.where(t.stage == stage)
        if kind:
            q = q.where(t.kind == kind)
        if channel:
            q = q.where(t.channel == channel)
        if unit:
            q = q.where(t.units_key.contains(f"|{_key(unit)}|", autoescape=True))
        if handler:
            q = q.where(t.handler_key == _key(handler))
        if member_number:
            q = q.where(t.member_number == member_number)
        if confidential is not None:
            q = q.where(t.confidential.is_(confidential))
        if committee_member:
            q = q.where(t.committee_key.contains(f"|{_key(committee_member)}|", autoescape=True))
        if overdue_at is not None:
            q = q.where(t.due_at.is_not(None), t.due_at < overdue_at)
        return q

    def search(
        self, principal: Principal, *, limit: int = 100, offset: int = 0, **filters: Any
    ) -> list[dict[str, Any]]:
        q = self._where(sa.select(complaints.c.summary), principal, **filters)
        q = q.order_by(complaints.c.priority_rank, complaints.c.received_at.desc(), complaints.c.id)
        q = q.limit(limit).offset(offset)
        with self.engine.connect() as conn:
            return [json.loads(s) for (s,) in conn.execute(q)]

    def count(self, principal: Principal, **filters: Any) -> int:
        q = self._where(sa.select(sa.func.count()).select_from(complaints), principal, **filters)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar() or 0)

    def waiting_on(self, principal: Principal) -> list[dict[str, Any]]:
        """The complaints waiting on the principal (the cartable): the highest priority first, then the earliest
        due."""
        t = complaints.c
        name = _key(principal.name) or ""
        mine = [
            t.waiting_person_key == name,
            sa.and_(t.waiting_role == "committee", t.committee_key.contains(f"|{name}|", autoescape=True)),
        ]
        if principal.role == Role.UNIT_MANAGER and principal.unit:
            mine.append(t.waiting_unit_key == _key(principal.unit))
        if principal.role == Role.MR_MANAGER:
            mine.append(t.waiting_role.in_(("mr_manager", "member_relations")))
        if principal.role == Role.EXPERT and principal.unit == self.app.organisation.member_relations_unit:
            mine.append(sa.and_(t.waiting_role == "member_relations", t.waiting_person_key.is_(None)))
        if principal.role == Role.SG:
            mine.append(t.waiting_role == "sg")
        q = sa.select(t.summary).where(sa.or_(*mine)).order_by(t.priority_rank, t.due_at, t.id)
        visible = self._visible(principal)
        if visible is not None:
            q = q.where(visible)
        with self.engine.connect() as conn:
            return [json.loads(s) for (s,) in conn.execute(q)]

    def open_ids(self) -> list[uuid.UUID]:
        """Complaints not closed: those whose deadlines may still be breached (as of everything recorded)."""
        self.catch_up()
        q = sa.select(complaints.c.id).where(complaints.c.state != "closed")
        with self.engine.connect() as conn:
            return [uuid.UUID(i) for (i,) in conn.execute(q)]
