"""What the reporting service reads from its call tables: unanswered calls and their callback deadlines,
member-relations follow-ups, escalations, end-of-day lists and the call facts the figures are computed from."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from services.reporting.tables import call_facts, end_of_day, escalations, follow_ups, unanswered
from shared.db import utc, utc_row


class CallQueries:
    """The read side of the call tables of the read model (services/reporting/readmodel.py), over its engine."""

    engine: sa.Engine

    def unanswered_items(
        self,
        *,
        unit: str | None = None,
        expert: str | None = None,
        state: str | None = "open",
        breached: bool | None = None,
    ) -> list[dict[str, Any]]:
        q = (
            sa.select(unanswered)
            .where(unanswered.c.registered_at.is_not(None))
            .order_by(unanswered.c.callback_due, unanswered.c.call_id)
        )
        if unit:
            q = q.where(unanswered.c.unit == unit)
        if expert:
            q = q.where(unanswered.c.expert == expert)
        if state:
            q = q.where(unanswered.c.state == state)
        if breached is not None:
            q = q.where(unanswered.c.breached_at.is_not(None) if breached else unanswered.c.breached_at.is_(None))
        with self.engine.connect() as conn:
            return [utc_row(r) for r in conn.execute(q).mappings()]

    def overdue_without_breach(self, now: datetime) -> list[dict[str, Any]]:
        now = utc(now)  # stored times are UTC and compared as such
        q = sa.select(unanswered).where(
            unanswered.c.state == "open", unanswered.c.breached_at.is_(None), unanswered.c.callback_due <= now
        )
        with self.engine.connect() as conn:
            return [utc_row(r) for r in conn.execute(q).mappings()]

    def pending_deadlines(self, limit: int) -> list[tuple[datetime, str, str]]:
        """The earliest deadlines not yet recorded as breached, soonest first: (due, call id, "callback" or
        "follow_up"), at most `limit` of each kind. A follow-up closed after its deadline still counts (its breach is
        due at once)."""
        callbacks = (
            sa.select(unanswered.c.callback_due, unanswered.c.call_id)
            .where(
                unanswered.c.state == "open",
                unanswered.c.breached_at.is_(None),
                unanswered.c.callback_due.is_not(None),
            )
            .order_by(unanswered.c.callback_due)
            .limit(limit)
        )
        follow = (
            sa.select(follow_ups.c.due, follow_ups.c.call_id)
            .where(
                follow_ups.c.breached_at.is_(None),
                follow_ups.c.due.is_not(None),
                sa.or_(follow_ups.c.state == "open", follow_ups.c.closed_at > follow_ups.c.due),
            )
            .order_by(follow_ups.c.due)
            .limit(limit)
        )
        with self.engine.connect() as conn:
            rows = [(utc(t), cid, "callback") for t, cid in conn.execute(callbacks)]
            rows += [(utc(t), cid, "follow_up") for t, cid in conn.execute(follow)]
        return sorted(rows)

    def overdue_follow_ups_without_breach(self, now: datetime) -> list[dict[str, Any]]:
        """Member-relations follow-ups past their deadline: still open, or closed only after it."""
        now = utc(now)
        q = sa.select(follow_ups).where(
            follow_ups.c.breached_at.is_(None),
            follow_ups.c.due <= now,
            sa.or_(follow_ups.c.state == "open", follow_ups.c.closed_at > follow_ups.c.due),
        )
        with self.engine.connect() as conn:
            return [utc_row(r) for r in conn.execute(q).mappings()]

    def follow_up_items(
        self, *, expert: str | None = None, state: str | None = "open", breached: bool | None = None
    ) -> list[dict[str, Any]]:
        q = sa.select(follow_ups).order_by(follow_ups.c.due, follow_ups.c.call_id)
        if expert:
            q = q.where(follow_ups.c.expert == expert)
        if state:
            q = q.where(follow_ups.c.state == state)
        if breached is not None:
            q = q.where(follow_ups.c.breached_at.is_not(None) if breached else follow_ups.c.breached_at.is_(None))
        with self.engine.connect() as conn:
            return [utc_row(r) for r in conn.execute(q).mappings()]

    def registrations(self, unit: str, since: datetime) -> list[tuple[datetime, str]]:
        since = utc(since)
        q = sa.select(unanswered.c.registered_at, unanswered.c.call_id).where(
            unanswered.c.unit == unit, unanswered.c.registered_at > since
        )
        with self.engine.connect() as conn:
            return [(utc(at), cid) for at, cid in conn.execute(q)]

    def last_escalation(self, unit: str) -> datetime | None:
        q = sa.select(sa.func.max(escalations.c.raised_at)).where(escalations.c.unit == unit)
        with self.engine.connect() as conn:
            return utc(conn.execute(q).scalar())

    def escalation_list(self, unit: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(escalations).where(escalations.c.unit.is_not(None)).order_by(escalations.c.raised_at.desc())
        if unit:
            q = q.where(escalations.c.unit == unit)
        with self.engine.connect() as conn:
            return [{**utc_row(r), "call_ids": json.loads(r["call_ids"])} for r in conn.execute(q).mappings()]

    def first_registration(self) -> datetime | None:
        with self.engine.connect() as conn:
            return utc(conn.execute(sa.select(sa.func.min(unanswered.c.registered_at))).scalar())

    def end_of_day_days(self) -> set[tuple[str, str]]:
        with self.engine.connect() as conn:
            return {(u, d) for u, d in conn.execute(sa.select(end_of_day.c.unit, end_of_day.c.day))}

    def end_of_day_list(self, unit: str, day: str) -> dict[str, Any] | None:
        q = sa.select(end_of_day).where(end_of_day.c.unit == unit, end_of_day.c.day == day)
        with self.engine.connect() as conn:
            row = conn.execute(q).mappings().first()
        if row is None:
            return None
        return {**utc_row(row), "items": json.loads(row["items"])}

    def end_of_day_index(self, unit: str | None = None) -> list[dict[str, Any]]:
        q = sa.select(
            end_of_day.c.unit,
            end_of_day.c.day,
            end_of_day.c.manager,
            end_of_day.c.produced_at,
            end_of_day.c["items"],
            end_of_day.c.delivery_requested_to,
            end_of_day.c.delivery_requested_at,
        )
        q = q.order_by(end_of_day.c.day.desc(), end_of_day.c.unit)
        if unit:
            q = q.where(end_of_day.c.unit == unit)
        with self.engine.connect() as conn:
            return [
                {
                    "unit": u,
                    "day": d,
                    "manager": m,
                    "produced_at": utc(p),
                    "count": len(json.loads(items)),
                    "delivery_requested_to": to,
                    "delivery_requested_at": utc(at),
                }
                for u, d, m, p, items, to, at in conn.execute(q)
            ]

    def call_facts_between(self, start: datetime, end: datetime, unit: str | None = None) -> list[dict[str, Any]]:
        """Incoming calls offered to a unit that rang in [start, end)."""
        q = sa.select(call_facts).where(
            call_facts.c.offered, call_facts.c.received_at >= start, call_facts.c.received_at < end
        )
        if unit:
            q = q.where(call_facts.c.unit == unit)
        with self.engine.connect() as conn:
            return [utc_row(r) for r in conn.execute(q).mappings()]

    def callbacks_registered_between(
        self, start: datetime, end: datetime, unit: str | None = None
    ) -> list[dict[str, Any]]:
        q = sa.select(unanswered).where(unanswered.c.registered_at >= start, unanswered.c.registered_at < end)
        if unit:
            q = q.where(unanswered.c.unit == unit)
        with self.engine.connect() as conn:
            return [utc_row(r) for r in conn.execute(q).mappings()]

    def waiting_now(self, since: datetime) -> list[dict[str, Any]]:
        """Calls in a queue now: offered, neither answered nor ended nor registered unanswered, rung since `since`."""
        q = sa.select(call_facts).where(
            call_facts.c.offered,
            sa.not_(call_facts.c.answered),
            sa.not_(call_facts.c.unanswered),
            call_facts.c.ended_at.is_(None),
            call_facts.c.received_at >= since,
        )
        with self.engine.connect() as conn:
            return [utc_row(r) for r in conn.execute(q).mappings()]

    def unit_counts(self) -> list[dict[str, Any]]:
        q = (
            sa.select(
                call_facts.c.unit,
                sa.func.sum(sa.case((call_facts.c.offered, 1), else_=0)).label("offered"),
                sa.func.sum(sa.case((sa.and_(call_facts.c.offered, call_facts.c.answered), 1), else_=0)).label(
                    "answered"
                ),
                sa.func.sum(sa.case((call_facts.c.unanswered, 1), else_=0)).label("unanswered"),
            )
            .where(call_facts.c.unit.is_not(None))
            .group_by(call_facts.c.unit)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def unit_gauges(self) -> list[dict[str, Any]]:
        q = (
            sa.select(
                unanswered.c.unit,
                sa.func.sum(sa.case((unanswered.c.state == "open", 1), else_=0)).label("open"),
                sa.func.sum(sa.case((unanswered.c.breached_at.is_not(None), 1), else_=0)).label("breaches"),
            )
            .where(unanswered.c.unit.is_not(None))
            .group_by(unanswered.c.unit)
        )
        with self.engine.connect() as conn:
            return [dict(r._mapping) for r in conn.execute(q)]

    def callback_delays(self) -> list[tuple[str, float]]:
        q = sa.select(unanswered.c.unit, unanswered.c.callback_delay_working_seconds).where(
            unanswered.c.callback_delay_working_seconds.is_not(None)
        )
        with self.engine.connect() as conn:
            return [(u, float(s)) for u, s in conn.execute(q)]

    def escalation_counts(self) -> list[tuple[str, int]]:
        q = (
            sa.select(escalations.c.unit, sa.func.count())
            .where(escalations.c.unit.is_not(None))
            .group_by(escalations.c.unit)
        )
        with self.engine.connect() as conn:
            return [(u, int(n)) for u, n in conn.execute(q)]
